package httpapi

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	// UserID identifies the user or staff account; rate limits of authenticated classes are keyed on it.
	UserID string
	// MerchantID is the tenant the caller acts for (empty for a platform account without one).
	MerchantID tenant.ID
	// Roles are the caller's roles in that merchant, e.g. "owner", "manager", "cashier".
	Roles []string
	// ShopIDs limits the caller to these shops (a PIN login is scoped to one); empty means every shop.
	ShopIDs []string
	// Kind says what authenticated: "user" (email login), "staff" (PIN login), "service", …
	Kind string
}

// HasRole reports whether the principal holds role.
func (p *Principal) HasRole(role string) bool {
	for _, r := range p.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Authenticator identifies the caller of a request from its credentials (the iam module implements it with
// JWT access tokens, from the Authorization header or, for SSE, the access_token query parameter).
type Authenticator interface {
	// Authenticate returns (nil, nil) when the request carries no credentials, the principal when they are
	// valid, and an error when they are present but invalid or expired (the request is answered 401; an
	// error of kind Unavailable is answered 503).
	Authenticate(ctx context.Context, r *http.Request) (*Principal, error)
}

type principalKey struct{}

// WithPrincipal returns a context carrying p and p's merchant (tenant.With). The authentication middleware
// uses it; tests of handlers and services may too.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	ctx = context.WithValue(ctx, principalKey{}, p)
	if p.MerchantID != "" {
		ctx = tenant.With(ctx, p.MerchantID)
	}
	return ctx
}

// PrincipalFrom returns the authenticated caller of the request ctx belongs to, if any.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}

// authenticate asks the Authenticator who the caller is and puts the answer in the request context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	if s.auth == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.auth.Authenticate(r.Context(), r)
		if err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "authentication failed",
				slog.String("request_id", RequestID(r.Context())), slog.String("error", err.Error()))
			// Failed attempts count against the client's public budget, so guessing tokens is throttled.
			if !s.admit(w, r, ClassPublic) {
				return
			}
			switch apperr.KindOf(err) {
			case apperr.Unavailable, apperr.RateLimited, apperr.TooLarge:
				WriteProblem(w, r, err)
			default:
				writeUnauthenticated(w, r, "the credentials are invalid or expired", `Bearer error="invalid_token"`)
			}
			return
		}
		if p != nil {
			if info := infoFrom(r.Context()); info != nil {
				info.userID = p.UserID
			}
			r = r.WithContext(WithPrincipal(r.Context(), p))
		}
		next.ServeHTTP(w, r)
	})
}

func writeUnauthenticated(w http.ResponseWriter, r *http.Request, detail, challenge string) {
	w.Header().Set("WWW-Authenticate", challenge)
	WriteProblem(w, r, &Problem{Status: http.StatusUnauthorized, Detail: detail})
}

// requiresPrincipal reports whether op declares a security requirement that an anonymous caller cannot meet.
// An empty requirement ({}) in op.Security means "anonymous allowed", as in OpenAPI.
func requiresPrincipal(op *huma.Operation) bool {
	if len(op.Security) == 0 {
		return false
	}
	for _, req := range op.Security {
		if len(req) == 0 {
			return false
		}
	}
	return true
}

// requireSecurity answers 401 for an operation that declares Security when the caller is anonymous.
// Authorisation (roles, shops) is the module's business.
func (s *Server) requireSecurity(op *huma.Operation, next http.Handler) http.Handler {
	if !requiresPrincipal(op) {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := PrincipalFrom(r.Context()); !ok {
			writeUnauthenticated(w, r, "this operation needs an access token", "Bearer")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// BearerAuth returns the huma Security value for operations that need an authenticated caller:
//
//	huma.Register(s.API, huma.Operation{..., Security: httpapi.BearerAuth()}, handler)
func BearerAuth() []map[string][]string { return []map[string][]string{{"bearer": {}}} }
