package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/goodgo/goodgo/internal/platform/db"
)

// requestInfo is what the outermost middleware learns about a request and every later layer reads.
type requestInfo struct {
	id       string
	clientIP netip.Addr
	srv      *Server
	// userID is set by the authentication middleware, for the access log (which runs outside it).
	userID string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	if ctx == nil {
		return nil
	}
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// RequestID returns the id of the request ctx belongs to ("" outside a request). It is also sent back in
// the X-Request-Id header and logged with every line about the request.
func RequestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// ClientIP returns the address of the client that made the request ctx belongs to: the peer, or the
// X-Forwarded-For entry added by the last trusted proxy.
func ClientIP(ctx context.Context) (netip.Addr, bool) {
	if info := infoFrom(ctx); info != nil && info.clientIP.IsValid() {
		return info.clientIP, true
	}
	return netip.Addr{}, false
}

// logFrom returns the server's logger for the request ctx belongs to. Outside a request (a misuse, e.g.
// WriteProblem from a handler mounted elsewhere) it falls back to slog's default logger so nothing is lost.
func logFrom(ctx context.Context) *slog.Logger {
	if info := infoFrom(ctx); info != nil {
		return info.srv.log
	}
	return slog.Default()
}

// requestInfo gives the request its id (a sane incoming X-Request-Id is kept, so a trace spans proxies)
// and resolves the client IP once.
func (s *Server) requestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = db.NewID()
		}
		w.Header().Set("X-Request-Id", id)
		info := &requestInfo{id: id, clientIP: clientIP(r, s.cfg.TrustedProxies), srv: s}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	})
}

// saneRequestID accepts 1–64 characters of letters, digits, '-', '_', '.' and ':' — enough for UUIDs and
// the ids of common proxies, and nothing that could forge a log line.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// responseRecorder remembers the status and size of a response for the access log and the recovery
// middleware. It unwraps (http.ResponseController) and flushes, so SSE and deadlines still work through it.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *responseRecorder) WriteHeader(code int) {
	if rec.status == 0 && code >= 200 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *responseRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client (SSE relies on it).
func (rec *responseRecorder) Flush() {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	_ = http.NewResponseController(rec.ResponseWriter).Flush()
}

// Hijack hands the connection over (WebSocket upgrades).
func (rec *responseRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(rec.ResponseWriter).Hijack()
	if err == nil && rec.status == 0 {
		rec.status = http.StatusSwitchingProtocols
	}
	return c, rw, err
}

// Unwrap exposes the wrapped writer to http.ResponseController.
func (rec *responseRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// accessLog writes one JSON line per request. It logs the route pattern, never the raw headers, and the query
// with secrets redacted; the raw path only when no route matched.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &responseRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		attrs := make([]slog.Attr, 0, 11)
		attrs = append(attrs,
			slog.String("method", r.Method),
			slog.String("route", routePattern(r)),
			slog.Int("status", status),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", RequestID(r.Context())),
		)
		if ip, ok := ClientIP(r.Context()); ok {
			attrs = append(attrs, slog.String("client_ip", ip.String()))
		}
		if attrs[1].Value.String() == "" {
			attrs = append(attrs, slog.String("path", truncate(r.URL.Path, 200)))
		}
		if r.URL.RawQuery != "" {
			attrs = append(attrs, slog.String("query", redactQuery(r.URL.RawQuery)))
		}
		if info := infoFrom(r.Context()); info != nil && info.userID != "" {
			attrs = append(attrs, slog.String("user_id", info.userID))
		}
		level := slog.LevelInfo
		if status >= 500 && status != statusClientClosedRequest {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "http request", attrs...)
	})
}

// routePattern is the chi pattern the request matched ("" for none), e.g. /api/v1/orders/{order_id}.
func routePattern(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		return rctx.RoutePattern()
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// redactQuery replaces the values of query parameters that carry secrets (tokens, signatures, passwords,
// payment hashes) with REDACTED, keeping the rest for debugging.
func redactQuery(raw string) string {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return "(unparsable query)"
	}
	for name, values := range q {
		if secretParam(name) {
			for i := range values {
				values[i] = "REDACTED"
			}
		}
	}
	return q.Encode()
}

// secretParam reports whether a query parameter name looks like it carries a credential.
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"token", "secret", "password", "passwd", "signature", "securehash", "apikey",
		"api_key", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	switch n {
	case "sig", "code", "otp", "pin", "key", "hash", "session", "auth":
		return true
	}
	return false
}

// recoverPanics turns a panic into a logged stack trace and a 500 problem (if nothing was written yet).
// http.ErrAbortHandler is re-raised: it is net/http's way to abort a response on purpose.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", RequestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("route", routePattern(r)),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if rec, ok := w.(*responseRecorder); ok && rec.status != 0 {
				return // the response has started; all we can do is end it
			}
			WriteProblem(w, r, internalProblem())
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy suits the Vite SPA: scripts only from our origin (no inline script), inline styles
// allowed (Svelte transitions), no framing.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

// securityHeaders sets the security headers and X-Api-Version on every response, pages included.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Api-Version", "1")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		next.ServeHTTP(w, r)
	})
}

// CORS answers, fixed for every route.
const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-Id, Last-Event-ID"
	corsExposeHeaders = "X-Request-Id, X-Api-Version, Retry-After, Idempotent-Replayed, Location"
)

// parseOrigins normalises the allowed origins to scheme://host[:port], lower case.
func parseOrigins(list []string) (map[string]bool, error) {
	out := make(map[string]bool, len(list))
	for _, o := range list {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("httpapi: CORS origin %q is not scheme://host[:port]", o)
		}
		out[strings.ToLower(u.Scheme+"://"+u.Host)] = true
	}
	return out, nil
}

// cors echoes an allowed Origin and answers preflights; requests from other origins get no CORS headers
// (the browser then refuses to show the response), and their preflights a 403 problem.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		allowed := s.origins[strings.ToLower(origin)]
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if !allowed {
				WriteProblem(w, r, &Problem{Status: http.StatusForbidden, Detail: "origin " + truncate(origin, 100) + " is not allowed"})
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// limitHeaders answers 431 when the request line and headers together exceed Config.MaxHeaderBytes.
func (s *Server) limitHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if headerBytes(r) > s.cfg.MaxHeaderBytes {
			WriteProblem(w, r, &Problem{Status: http.StatusRequestHeaderFieldsTooLarge,
				Detail: fmt.Sprintf("the request headers are larger than %d bytes", s.cfg.MaxHeaderBytes)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headerBytes approximates the size of the request head as it came over the wire.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4
	n += len("Host: ") + len(r.Host) + 2
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(v) + 4
		}
	}
	return n
}

// limitedBody is the request body capped at the server's BodyLimit; it remembers the original body so an
// operation or route allowed more can re-cap it before anything was read.
type limitedBody struct {
	io.ReadCloser
	orig io.ReadCloser
}

// limitBody caps every request body at Config.BodyLimit; reading past it fails with *http.MaxBytesError,
// which becomes a 413 problem wherever it surfaces.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit), orig: r.Body}
		}
		next.ServeHTTP(w, r)
	})
}

// raiseBodyLimit re-caps the body at n for one operation or route.
func raiseBodyLimit(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if lb, ok := r.Body.(*limitedBody); ok {
			r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, lb.orig, n), orig: lb.orig}
		}
		next.ServeHTTP(w, r)
	})
}

// AllowBody is chi middleware giving one route a body limit other than Config.BodyLimit (file uploads).
func AllowBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return raiseBodyLimit(n, next) }
}

const metaBodyLimit = "body_limit"

// SetBodyLimit gives one huma operation a body limit other than Config.BodyLimit; call it on the Operation
// before huma.Register.
func SetBodyLimit(op *huma.Operation, n int64) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaBodyLimit] = n
}
