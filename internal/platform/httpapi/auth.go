package httpapi

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"

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
	// Roles hold across the whole merchant ("owner", "manager"), or are the platform's ("admin") or a
	// customer's ("customer").
	Roles []string
	// ShopRoles are roles held in one shop only, by shop id ("cashier", "waiter", "kitchen", or "manager"
	// for a manager's PIN login). A token scoped to one shop has no Roles and one entry here.
	ShopRoles map[string][]string
	// Kind says what authenticated: "user" (email login), "staff" (PIN login), "service", …
	Kind string
	// SessionID identifies the login session (the refresh-token family) the access token belongs to.
	SessionID string
}

// HasRole reports whether the principal holds role across the merchant.
func (p *Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// RolesIn returns the roles the principal holds in shop: its merchant-wide roles and that shop's own.
func (p *Principal) RolesIn(shopID string) []string {
	return append(slices.Clip(p.Roles), p.ShopRoles[shopID]...)
}

// AllRoles returns every role the principal holds anywhere, merchant-wide first.
func (p *Principal) AllRoles() []string {
	out := slices.Clip(p.Roles)
	for _, shop := range slices.Sorted(maps.Keys(p.ShopRoles)) {
		out = append(out, p.ShopRoles[shop]...)
	}
	return out
}

// CanReachShop reports whether the principal may act in shop at all: owners and managers of the merchant
// reach every shop of it (whether the shop is the merchant's is for the store to check), staff only the
// shops they belong to.
func (p *Principal) CanReachShop(shopID string) bool {
	if p.HasRole("owner") || p.HasRole("manager") {
		return true
	}
	_, ok := p.ShopRoles[shopID]
	return ok
}

// ReachableShops returns the shops the principal is limited to, and false when it reaches every shop of
// its merchant.
func (p *Principal) ReachableShops() ([]string, bool) {
	if p.HasRole("owner") || p.HasRole("manager") {
		return nil, false
	}
	return slices.Sorted(maps.Keys(p.ShopRoles)), true
}

// Authorizer decides whether the principal may call an operation (the rbac package implements it with the
// product's permission table). It runs after authentication and before idempotency keys are claimed.
type Authorizer interface {
	// Authorize returns nil to let the call through, or an error: apperr.Forbidden (403),
	// apperr.NotFound (404, for a shop the caller cannot reach), apperr.Unauthenticated (401).
	// p is nil for an anonymous caller; r carries the matched route (chi.URLParam works).
	Authorize(r *http.Request, op *huma.Operation, p *Principal) error
}

// Authenticator identifies the caller of a request from its credentials (the iam module implements it with
// JWT access tokens, from the Authorization header or, for SSE, the access_token query parameter).
type Authenticator interface {
	// Credentials are a Bearer access token (Authorization header, or access_token on streaming routes);
	// a request whose Authorization uses another scheme (a provider's "Apikey" on a webhook) carries none.
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

// authorize asks the Authorizer whether the caller may call op.
func (s *Server) authorize(op *huma.Operation, next http.Handler) http.Handler {
	if s.authz == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		if err := s.authz.Authorize(r, op, p); err != nil {
			WriteProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Caller returns the authenticated principal of ctx and the merchant it acts for: Unauthenticated without
// one, NotFound for an account that acts for no merchant (nothing of any merchant's is its to see).
func Caller(ctx context.Context) (*Principal, tenant.ID, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return nil, "", apperr.E(apperr.Unauthenticated, "this operation needs an access token")
	}
	if p.MerchantID == "" {
		return nil, "", apperr.E(apperr.NotFound, "you act for no merchant")
	}
	return p, p.MerchantID, nil
}
