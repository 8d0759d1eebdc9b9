package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// Class is a rate-limit class (API.md "Rate limits"): each has its own budget and its own key.
type Class string

// The rate-limit classes.
const (
	// ClassAuth: register, login, MFA, PIN login — keyed on client IP + account (CheckAuthLimit).
	ClassAuth Class = "auth"
	// ClassAuthIP is the per-IP ceiling over every auth request, whatever the account.
	ClassAuthIP Class = "auth_ip"
	// ClassRefresh: token refresh — keyed on the token family (CheckLimit from the handler).
	ClassRefresh Class = "refresh"
	// ClassPayment: creating payments and refunds — keyed on the user.
	ClassPayment Class = "payment"
	// ClassGeneral: other authenticated mutations — keyed on the user.
	ClassGeneral Class = "general"
	// ClassRead: authenticated GETs — keyed on the user.
	ClassRead Class = "read"
	// ClassPublic: unauthenticated requests — keyed on the client IP.
	ClassPublic Class = "public"
	// ClassRealtime: opening SSE/WebSocket streams — keyed on the user.
	ClassRealtime Class = "realtime"
	// ClassCallbacks: payment provider IPNs and webhooks — keyed on the client IP, exempt from user limits.
	ClassCallbacks Class = "callbacks"
)

// Limit allows Count requests per Per, with bursts up to Count. The zero Limit means "no limit".
type Limit struct {
	Count int
	Per   time.Duration
}

// Off reports whether the limit is disabled.
func (l Limit) Off() bool { return l.Count <= 0 || l.Per <= 0 }

// String formats the limit the way ParseLimit reads it.
func (l Limit) String() string {
	if l.Off() {
		return "off"
	}
	switch l.Per {
	case time.Second:
		return strconv.Itoa(l.Count) + "/s"
	case time.Minute:
		return strconv.Itoa(l.Count) + "/m"
	case time.Hour:
		return strconv.Itoa(l.Count) + "/h"
	}
	return strconv.Itoa(l.Count) + "/" + l.Per.String()
}

// ParseLimit reads a limit such as "100/m", "10/s", "600/h", "5/30s" (any Go duration after the slash), or
// "off" for none — the format of the GOODGO_RATELIMIT_<CLASS> variables.
func ParseLimit(s string) (Limit, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Limit{}, nil
	}
	count, per, ok := strings.Cut(s, "/")
	if !ok {
		return Limit{}, fmt.Errorf("rate limit %q: want <count>/<s|m|h|duration>", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil || n <= 0 {
		return Limit{}, fmt.Errorf("rate limit %q: count must be a positive integer", s)
	}
	var d time.Duration
	switch strings.ToLower(strings.TrimSpace(per)) {
	case "s", "sec", "second":
		d = time.Second
	case "m", "min", "minute":
		d = time.Minute
	case "h", "hour":
		d = time.Hour
	default:
		d, err = time.ParseDuration(strings.TrimSpace(per))
		if err != nil || d <= 0 {
			return Limit{}, fmt.Errorf("rate limit %q: period must be s, m, h or a positive duration", s)
		}
	}
	if d < time.Millisecond || d/time.Duration(n) <= 0 {
		return Limit{}, fmt.Errorf("rate limit %q: period too short for the count", s)
	}
	return Limit{Count: n, Per: d}, nil
}

// DefaultLimits returns the limits of API.md's table.
func DefaultLimits() map[Class]Limit {
	return map[Class]Limit{
		ClassAuth:      {10, time.Minute},
		ClassAuthIP:    {100, time.Minute},
		ClassRefresh:   {30, time.Minute},
		ClassPayment:   {30, time.Minute},
		ClassGeneral:   {100, time.Minute},
		ClassRead:      {1000, time.Minute},
		ClassPublic:    {300, time.Minute},
		ClassRealtime:  {500, time.Minute},
		ClassCallbacks: {600, time.Minute},
	}
}

func mergeLimits(overrides map[Class]Limit) (map[Class]Limit, error) {
	limits := DefaultLimits()
	for c, l := range overrides {
		if _, known := limits[c]; !known {
			return nil, fmt.Errorf("httpapi: unknown rate limit class %q", c)
		}
		if !l.Off() && l.Per/time.Duration(l.Count) <= 0 {
			return nil, fmt.Errorf("httpapi: rate limit %s for %q is too fine", l, c)
		}
		limits[c] = l
	}
	return limits, nil
}

// Decision is a limiter's answer for one request.
type Decision struct {
	Allowed bool
	// Remaining is how many more requests the key may make right now.
	Remaining int
	// RetryAfter is how long to wait before the next request is allowed (when not Allowed).
	RetryAfter time.Duration
}

// Limiter counts requests per key (GCRA: Count per Per, bursts up to Count). Implementations: the in-memory
// MemoryLimiter (one process) and RedisLimiter (shared by every replica).
type Limiter interface {
	// Allow takes one request from key's budget under limit. An error means the store could not be asked;
	// the HTTP layer then lets the request through and logs it (a rate limiter must not take the POS down).
	Allow(ctx context.Context, key string, limit Limit) (Decision, error)
}

const metaRateClass = "rate_class"

// SetRateClass puts an operation in a rate-limit class; call it on the Operation before huma.Register.
// Without it, authenticated GETs are ClassRead, other authenticated requests ClassGeneral and anonymous
// requests ClassPublic. ClassAuth operations get the per-IP ceiling here and must call CheckAuthLimit with
// the account; ClassRefresh operations get the public per-IP ceiling and call CheckLimit with the family.
func SetRateClass(op *huma.Operation, c Class) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaRateClass] = c
}

func rateClassOf(op *huma.Operation) (Class, bool) {
	switch v := op.Metadata[metaRateClass].(type) {
	case Class:
		return v, true
	case string:
		return Class(v), true
	}
	return "", false
}

// rateLimitOperation applies the operation's class, or the default one, before the handler.
func (s *Server) rateLimitOperation(op *huma.Operation, next http.Handler) http.Handler {
	class, explicit := rateClassOf(op)
	if explicit {
		if _, known := s.limits[class]; !known {
			panic(fmt.Sprintf("httpapi: operation %s %s has unknown rate class %q", op.Method, op.Path, class))
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := class
		if !explicit {
			c = defaultClass(r)
		}
		if s.admit(w, r, c) {
			next.ServeHTTP(w, r)
		}
	})
}

func defaultClass(r *http.Request) Class {
	if _, ok := PrincipalFrom(r.Context()); !ok {
		return ClassPublic
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return ClassRead
	}
	return ClassGeneral
}

// RateLimit is chi middleware applying class to a route of Server.Router: ClassPublic and ClassCallbacks
// key on the client IP, ClassRealtime and the other user classes on the principal (the IP when anonymous).
func (s *Server) RateLimit(class Class) func(http.Handler) http.Handler {
	if _, known := s.limits[class]; !known {
		panic(fmt.Sprintf("httpapi: unknown rate class %q", class))
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if s.admit(w, r, class) {
				next.ServeHTTP(w, r)
			}
		})
	}
}

// admit checks the request against class and answers 429 when it is over; it reports whether to go on.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, class Class) bool {
	ctx := r.Context()
	ip, _ := ClientIP(ctx)
	if inAny(ip, s.cfg.RateLimitExempt) {
		return true
	}
	var key string
	switch class {
	case ClassAuth:
		class, key = ClassAuthIP, ipKey(ip)
	case ClassRefresh:
		class, key = ClassPublic, ipKey(ip)
	case ClassPublic, ClassCallbacks, ClassAuthIP:
		key = ipKey(ip)
	default:
		if p, ok := PrincipalFrom(ctx); ok && p.UserID != "" {
			key = "u:" + p.UserID
		} else {
			key = ipKey(ip)
		}
	}
	if err := s.check(ctx, class, key); err != nil {
		WriteProblem(w, r, err)
		return false
	}
	return true
}

// ipKey keys an IPv4 client on its address and an IPv6 client on its /64, which one subscriber usually
// holds whole: keying on single IPv6 addresses would let one client rotate through billions of budgets.
func ipKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return "ip:unknown"
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + ip.String()
}

// check takes one request of class for key; it returns a RateLimited error carrying Retry-After when over.
func (s *Server) check(ctx context.Context, class Class, key string) error {
	limit := s.limits[class]
	if limit.Off() {
		return nil
	}
	d, err := s.limiter.Allow(ctx, string(class)+":"+key, limit)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "rate limiter unavailable; request let through",
			slog.String("request_id", RequestID(ctx)), slog.String("class", string(class)),
			slog.String("error", err.Error()))
		return nil
	}
	if d.Allowed {
		return nil
	}
	return &retryAfterError{after: d.RetryAfter, err: apperr.E(apperr.RateLimited,
		"too many requests (%s); retry after %d s", class, retryAfterSeconds(d.RetryAfter))}
}

// retryAfterError is an apperr error that also carries a Retry-After header, so handlers can return it as is
// (huma and WriteProblem both send its headers).
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// GetHeaders returns Retry-After in whole seconds, rounded up, at least 1.
func (e *retryAfterError) GetHeaders() http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(retryAfterSeconds(e.after))}}
}

func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// CheckLimit takes one request of class from the budget of subject (e.g. a refresh-token family) for the
// request ctx belongs to. It returns nil when allowed or when the client is exempt, and an apperr.RateLimited
// error carrying Retry-After (return it from the handler as is) when over. The subject is hashed before it
// reaches the limiter's store.
func CheckLimit(ctx context.Context, class Class, subject string) error {
	info := infoFrom(ctx)
	if info == nil {
		return errors.New("httpapi: CheckLimit outside an HTTP request")
	}
	s := info.srv
	if _, known := s.limits[class]; !known {
		return fmt.Errorf("httpapi: CheckLimit: unknown rate class %q", class)
	}
	if inAny(info.clientIP, s.cfg.RateLimitExempt) {
		return nil
	}
	sum := sha256.Sum256([]byte(subject))
	return s.check(ctx, class, "k:"+hex.EncodeToString(sum[:16]))
}

// CheckAuthLimit is CheckLimit for ClassAuth keyed on the client IP and account (an email, phone or staff
// id, compared case-insensitively); the iam module calls it in login-like handlers once it knows the account.
func CheckAuthLimit(ctx context.Context, account string) error {
	ip, _ := ClientIP(ctx)
	return CheckLimit(ctx, ClassAuth, ipKey(ip)+"|"+strings.ToLower(strings.TrimSpace(account)))
}
