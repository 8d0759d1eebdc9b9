package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/httpapi/idempotencydb"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Idempotency headers (API.md "Retries").
const (
	// IdempotencyKeyHeader carries the client's key for a retryable mutation (a UUID; at most 255 characters).
	IdempotencyKeyHeader = "Idempotency-Key"
	// ReplayedHeader is "true" on a response replayed from the store instead of produced again.
	ReplayedHeader = "Idempotent-Replayed"
)

const (
	metaIdempotency   = "idempotency_key"
	metaNoIdempotency = "idempotency_skip"
	maxKeyLength      = 255
	anonymousScope    = tenant.ID("anon")
)

// RequireIdempotencyKey makes an operation refuse (422) a request without an Idempotency-Key; call it on the
// Operation before huma.Register. Without it the key is optional on POST, PUT, PATCH and DELETE.
func RequireIdempotencyKey(op *huma.Operation) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaIdempotency] = true
}

// SkipIdempotency makes an operation ignore Idempotency-Key: its responses are never stored or replayed.
// Operations whose answers are credentials (login, refresh) use it, so that tokens are never written to the
// idempotency store and an old refresh token plus its key cannot replay fresh tokens; they are safe to retry
// by their own rules (a failed login can be sent again; refresh rotation detects reuse).
func SkipIdempotency(op *huma.Operation) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaNoIdempotency] = true
}

func idempotencySkipped(op *huma.Operation) bool {
	v, _ := op.Metadata[metaNoIdempotency].(bool)
	return v
}

func idempotencyRequired(op *huma.Operation) bool {
	v, _ := op.Metadata[metaIdempotency].(bool)
	return v
}

func isMutation(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// documentIdempotencyKey adds the Idempotency-Key header to every mutation in the OpenAPI document.
func documentIdempotencyKey(_ *huma.OpenAPI, op *huma.Operation) {
	if !isMutation(op.Method) || idempotencySkipped(op) {
		return
	}
	for _, p := range op.Parameters {
		if p != nil && p.In == "header" && strings.EqualFold(p.Name, IdempotencyKeyHeader) {
			return
		}
	}
	op.Parameters = append(op.Parameters, &huma.Param{
		Name:     IdempotencyKeyHeader,
		In:       "header",
		Required: idempotencyRequired(op),
		Description: "A UUID chosen by the client for this mutation. Retrying with the same key and body " +
			"returns the first response (header Idempotent-Replayed: true) without running the operation " +
			"again; the same key with another body is refused (422). Keys are kept at least 24 hours.",
		Schema: &huma.Schema{Type: "string", MinLength: new(1), MaxLength: new(maxKeyLength)},
	})
}

// idempotent runs a mutation carrying an Idempotency-Key at most once per key: the first request claims
// the key before the handler runs and stores its response; a retry replays it; a concurrent retry waits for
// the first to finish. 5xx responses (and 408, 429) are not stored, so a retry runs the operation again.
func (s *Server) idempotent(op *huma.Operation, next http.Handler) http.Handler {
	if !isMutation(op.Method) || idempotencySkipped(op) {
		return next
	}
	required := idempotencyRequired(op)
	readTimeout := op.BodyReadTimeout
	if readTimeout <= 0 {
		readTimeout = 5 * time.Second
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyKeyHeader)
		if key == "" {
			if required {
				WriteProblem(w, r, apperr.WithField("header."+IdempotencyKeyHeader,
					"this operation needs an Idempotency-Key header (a UUID)"))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if !validKey(key) {
			WriteProblem(w, r, apperr.WithField("header."+IdempotencyKeyHeader,
				fmt.Sprintf("must be 1 to %d printable ASCII characters", maxKeyLength)))
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(readTimeout))
		body, err := io.ReadAll(r.Body)
		if err == nil {
			// The deadline bounds the body's arrival only: left in place, it would end the connection's background
			// read, and with it the request's context, while the handler still works (a 499 to a waiting client).
			// A failed read keeps it, so a trickling client's connection still ends.
			_ = rc.SetReadDeadline(time.Time{})
		}
		if err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				WriteProblem(w, r, err)
			} else {
				WriteProblem(w, r, &Problem{Status: http.StatusBadRequest, Detail: "the request body could not be read"})
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))

		ctx := r.Context()
		scope := idempotencyScope(ctx)
		fp := fingerprint(r, body)
		c, stored, err := s.idem.claimOrWait(ctx, scope, key, fp, s.cfg.IdempotencyWait, s.idemWaitHook)
		if err != nil {
			WriteProblem(w, r, err)
			return
		}
		if stored != nil {
			stored.replay(w)
			return
		}
		s.runClaimed(w, r, c, next)
	})
}

// runClaimed runs the handler under claim c, keeps the lease alive meanwhile, and then stores the response
// or releases the claim.
func (s *Server) runClaimed(w http.ResponseWriter, r *http.Request, c claim, next http.Handler) {
	stopRenewal := s.idem.keepAlive(r.Context(), c, s.log)
	cw := &captureWriter{ResponseWriter: w}
	finished := false
	defer func() {
		stopRenewal()
		// Record even if the client went away: the operation ran.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
		defer cancel()
		status := cw.status
		if status == 0 {
			status = http.StatusOK
		}
		var err error
		if finished && storable(status) {
			err = s.idem.complete(ctx, c, storedResponse{status: status,
				contentType: w.Header().Get("Content-Type"), location: w.Header().Get("Location"), body: cw.body.Bytes()})
		} else {
			err = s.idem.release(ctx, c)
		}
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "idempotency key not recorded; a retry may run the operation again",
				slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
		}
	}()
	next.ServeHTTP(cw, r)
	finished = true // not reached when the handler panics: the claim is released and the panic goes on
}

// storable reports whether a response may be replayed: not server errors, not "try again later" answers.
func storable(status int) bool {
	return status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests &&
		status != statusClientClosedRequest // the client gave up; its retry must run the operation, not replay that
}

func validKey(k string) bool {
	if len(k) > maxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// idempotencyScope is the namespace of the caller's keys: their merchant, the user when they have none,
// or one shared anonymous scope (anonymous keys are random UUIDs, so they do not collide).
func idempotencyScope(ctx context.Context) tenant.ID {
	p, ok := PrincipalFrom(ctx)
	switch {
	case !ok:
		return anonymousScope
	case p.MerchantID != "":
		return p.MerchantID
	default:
		return tenant.ID("user:" + p.UserID)
	}
}

// fingerprint identifies the request a key was first used for: method, path and query, and body.
func fingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	io.WriteString(h, r.Method)
	io.WriteString(h, "\n")
	io.WriteString(h, r.URL.Path)
	io.WriteString(h, "?")
	io.WriteString(h, r.URL.RawQuery)
	io.WriteString(h, "\n")
	// The caller is part of the request: another user of the same merchant who happens to send the same key
	// and body gets a 422, never the first user's stored response.
	if p, ok := PrincipalFrom(r.Context()); ok {
		io.WriteString(h, p.Kind+":"+p.UserID)
	}
	io.WriteString(h, "\n")
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// captureWriter passes a response through to the client and keeps a copy of its status and body.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (cw *captureWriter) WriteHeader(code int) {
	if cw.status == 0 && code >= 200 {
		cw.status = code
	}
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *captureWriter) Write(b []byte) (int, error) {
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	cw.body.Write(b)
	return cw.ResponseWriter.Write(b)
}

// Flush passes flushes through.
func (cw *captureWriter) Flush() { _ = http.NewResponseController(cw.ResponseWriter).Flush() }

// Unwrap exposes the wrapped writer to http.ResponseController.
func (cw *captureWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// storedResponse is the part of a response that is replayed.
type storedResponse struct {
	status      int
	contentType string
	location    string
	body        []byte
}

func (sr *storedResponse) replay(w http.ResponseWriter) {
	h := w.Header()
	if sr.contentType != "" {
		h.Set("Content-Type", sr.contentType)
	}
	if sr.location != "" {
		h.Set("Location", sr.location)
	}
	h.Set(ReplayedHeader, "true")
	w.WriteHeader(sr.status)
	_, _ = w.Write(sr.body)
}

// claim is the right, held by one request, to run the operation for a key.
type claim struct {
	scope tenant.ID
	key   string
	owner string
}

// idempotencyStore keeps claims and responses in idempotency_keys through the sqlc queries.
type idempotencyStore struct {
	db    *db.DB
	clock clock.Clock
	ttl   time.Duration
	lease time.Duration
}

// now is the store's notion of the time: UTC, at PostgreSQL's microsecond precision, so a value written and
// read back compares equal on both engines.
func (st *idempotencyStore) now() time.Time { return st.clock.Now().UTC().Truncate(time.Microsecond) }

// Errors of claimOrWait, shown to the caller.
var (
	errKeyReused = &apperr.Error{Kind: apperr.Invalid, Message: "this Idempotency-Key was used for a different request",
		Fields: []apperr.FieldError{{Field: "header." + IdempotencyKeyHeader,
			Message: "already used with another method, path or body; use a new key for a new request"}}}
	errStillRunning = apperr.E(apperr.Conflict, "a request with this Idempotency-Key is still being processed; retry shortly")
)

// claimOrWait claims key for the caller, or returns the response stored for it. While another request
// holds a live claim it polls, with backoff, until that one finishes (then replays its response), its lease
// runs out (then takes over), ctx ends, or wait passes (then a Conflict error with Retry-After).
func (st *idempotencyStore) claimOrWait(ctx context.Context, scope tenant.ID, key, fp string, wait time.Duration,
	onWait func()) (claim, *storedResponse, error) {
	c := claim{scope: scope, key: key, owner: db.NewID()}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	backoff := 5 * time.Millisecond
	for {
		rec, claimed, err := st.claimOrTakeOver(ctx, c, fp)
		if err != nil {
			return claim{}, nil, err
		}
		if claimed {
			return c, nil, nil
		}
		for rec != nil && rec.Fingerprint == fp && rec.State == "running" && rec.LeaseExpiresAt.After(st.now()) {
			if onWait != nil {
				onWait()
			}
			select {
			case <-ctx.Done():
				return claim{}, nil, fmt.Errorf("wait for idempotency key: %w", ctx.Err())
			case <-deadline.C:
				return claim{}, nil, &retryAfterError{err: errStillRunning, after: time.Second}
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 250*time.Millisecond)
			if rec, err = st.get(ctx, scope, key); err != nil {
				return claim{}, nil, err
			}
		}
		now := st.now()
		switch {
		case rec == nil, !rec.ExpiresAt.After(now):
			continue // gone (purged, released) or expired meanwhile: the next round claims it
		case rec.Fingerprint != fp:
			return claim{}, nil, errKeyReused
		case rec.State == "done":
			return claim{}, &storedResponse{status: int(rec.StatusCode), contentType: rec.ContentType,
				location: rec.Location, body: rec.Body}, nil
		}
		// Running, same request, lease over: the next round takes it over.
	}
}

// claimOrTakeOver, in one transaction, inserts a claim for c, or else reads the record holding the key and
// takes it over when it has expired, or when its owner's lease ran out and it was for the same request. It
// returns the record it found when it did not claim.
func (st *idempotencyStore) claimOrTakeOver(ctx context.Context, c claim, fp string) (*idempotencydb.IdempotencyKey, bool, error) {
	var (
		rec     *idempotencydb.IdempotencyKey
		claimed bool
	)
	err := st.db.WithTx(ctx, c.scope, func(tx *sql.Tx) error {
		q := idempotencydb.New(tx)
		now := st.now()
		n, err := q.ClaimKey(ctx, idempotencydb.ClaimKeyParams{MerchantID: string(c.scope), IdemKey: c.key,
			Fingerprint: fp, Owner: c.owner, LeaseExpiresAt: now.Add(st.lease), CreatedAt: now, ExpiresAt: now.Add(st.ttl)})
		if err != nil {
			return fmt.Errorf("claim idempotency key: %w", err)
		}
		if n == 1 {
			claimed = true
			return nil
		}
		got, err := q.GetKey(ctx, idempotencydb.GetKeyParams{MerchantID: string(c.scope), IdemKey: c.key})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read idempotency key: %w", err)
		}
		rec = &got
		expired := !got.ExpiresAt.After(now)
		abandoned := got.State == "running" && !got.LeaseExpiresAt.After(now) && got.Fingerprint == fp
		if !expired && !abandoned {
			return nil
		}
		n, err = q.TakeOverKey(ctx, idempotencydb.TakeOverKeyParams{Fingerprint: fp, NewOwner: c.owner,
			LeaseExpiresAt: now.Add(st.lease), Now: now, ExpiresAt: now.Add(st.ttl),
			MerchantID: string(c.scope), IdemKey: c.key, OldOwner: got.Owner})
		if err != nil {
			return fmt.Errorf("take over idempotency key: %w", err)
		}
		claimed = n == 1
		return nil
	})
	return rec, claimed, err
}

// get reads the record for key; nil when there is none.
func (st *idempotencyStore) get(ctx context.Context, scope tenant.ID, key string) (*idempotencydb.IdempotencyKey, error) {
	var rec *idempotencydb.IdempotencyKey
	err := st.db.ReadTx(ctx, scope, func(tx *sql.Tx) error {
		got, err := idempotencydb.New(tx).GetKey(ctx, idempotencydb.GetKeyParams{MerchantID: string(scope), IdemKey: key})
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read idempotency key: %w", err)
		}
		rec = &got
		return nil
	})
	return rec, err
}

// complete stores the response of the claim's request.
func (st *idempotencyStore) complete(ctx context.Context, c claim, sr storedResponse) error {
	return st.db.WithTx(ctx, c.scope, func(tx *sql.Tx) error {
		n, err := idempotencydb.New(tx).CompleteKey(ctx, idempotencydb.CompleteKeyParams{
			StatusCode: int32(sr.status), ContentType: sr.contentType, Location: sr.location, Body: sr.body,
			MerchantID: string(c.scope), IdemKey: c.key, Owner: c.owner})
		if err != nil {
			return fmt.Errorf("store idempotent response: %w", err)
		}
		if n == 0 {
			return errors.New("store idempotent response: the claim was taken over (lease expired)")
		}
		return nil
	})
}

// release deletes the claim so that a retry runs the operation again.
func (st *idempotencyStore) release(ctx context.Context, c claim) error {
	return st.db.WithTx(ctx, c.scope, func(tx *sql.Tx) error {
		if _, err := idempotencydb.New(tx).ReleaseKey(ctx, idempotencydb.ReleaseKeyParams{
			MerchantID: string(c.scope), IdemKey: c.key, Owner: c.owner}); err != nil {
			return fmt.Errorf("release idempotency key: %w", err)
		}
		return nil
	})
}

// keepAlive renews the claim's lease every third of it until the returned function is called (which waits
// for a renewal in flight), so a slow handler is not taken over while it still runs.
func (st *idempotencyStore) keepAlive(ctx context.Context, c claim, log *slog.Logger) (stop func()) {
	ctx = context.WithoutCancel(ctx)
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(st.lease/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			err := st.db.WithTx(ctx, c.scope, func(tx *sql.Tx) error {
				_, err := idempotencydb.New(tx).RenewLease(ctx, idempotencydb.RenewLeaseParams{
					LeaseExpiresAt: st.now().Add(st.lease), MerchantID: string(c.scope), IdemKey: c.key, Owner: c.owner})
				return err
			})
			if err != nil {
				log.LogAttrs(ctx, slog.LevelWarn, "renew idempotency lease",
					slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// purgeExpired deletes every scope's expired keys through the system path.
func (st *idempotencyStore) purgeExpired(ctx context.Context) (int64, error) {
	var n int64
	err := st.db.WithSystemTx(ctx, "purge expired idempotency keys", func(tx *sql.Tx) error {
		var err error
		n, err = idempotencydb.New(tx).PurgeExpiredKeys(ctx, st.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}
