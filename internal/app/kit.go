package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/goodgo/goodgo/internal/platform/blob"
	"github.com/goodgo/goodgo/internal/platform/cache"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/obs"
	"github.com/goodgo/goodgo/internal/platform/realtime"
)

// Kit is what the composition root hands every module's Init: the platform's shared parts. Modules take
// what they need from it and keep their own references; nothing here is global.
type Kit struct {
	Config Config
	Log    *slog.Logger
	Clock  clock.Clock
	DB     *db.DB
	// Bus carries events between processes; modules Subscribe their consumers on it (through events.Consume).
	Bus events.Bus
	// Relay publishes the outbox; call Relay.Nudge after committing a transaction that wrote events.
	Relay *events.Relay
	// Hub streams shop events to SSE clients (route handlers authorise, then call Hub.ServeShop).
	Hub   *realtime.Hub
	Cache cache.Cache
	Files blob.Store
	// API and Router are where active modules register operations (huma) and plain routes (chi).
	API    huma.API
	Router chi.Router
	// SecretKey derives module keys (DeriveKey) for signing and encrypting at rest.
	SecretKey []byte
	// RateLimit returns the middleware of a rate-limit class, for plain routes mounted on Router.
	RateLimit func(httpapi.Class) func(http.Handler) http.Handler

	auth *authenticator

	workers []worker
	checks  []obs.Check
}

// AddCheck adds a readiness check to /health/ready (a module with a dependency of its own, e.g. a printer
// gateway, reports it here).
func (k *Kit) AddCheck(c obs.Check) { k.checks = append(k.checks, c) }

// worker is a long-running task started after every module is initialised and stopped on shutdown.
type worker struct {
	name string
	run  func(ctx context.Context) error
}

// Go registers a worker: run is started when the server starts and its context is cancelled on shutdown.
// Only active modules register workers.
func (k *Kit) Go(name string, run func(ctx context.Context) error) {
	k.workers = append(k.workers, worker{name: name, run: run})
}

// Handle mounts a plain HTTP handler on the router (for webhooks, SSE, files).
func (k *Kit) Handle(pattern string, h http.Handler) { k.Router.Handle(pattern, h) }

// Authenticate installs the authenticator that identifies callers of every route (the iam module's).
func (k *Kit) Authenticate(a httpapi.Authenticator) { k.auth.set(a) }

// DeriveKey returns a 32-byte key for purpose, derived from the deployment's secret key, so that each use
// (file URLs, MFA secrets, …) has its own key and one leaking does not expose the others.
func (k *Kit) DeriveKey(purpose string) []byte { return deriveKey(k.SecretKey, purpose) }

// authenticator forwards to the authenticator a module installs during Init; the HTTP layer is built before
// the modules, so it is given this stand-in. Until one is installed every request is anonymous.
type authenticator struct {
	target atomic.Pointer[httpapi.Authenticator]
}

func (a *authenticator) set(t httpapi.Authenticator) { a.target.Store(&t) }

// Authenticate asks the installed authenticator, if any.
func (a *authenticator) Authenticate(ctx context.Context, r *http.Request) (*httpapi.Principal, error) {
	t := a.target.Load()
	if t == nil {
		return nil, nil
	}
	return (*t).Authenticate(ctx, r)
}
