package iam

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// The operations of API.md "Auth and identity", plus the audit log.

const tagAuth = "Auth"

// Authenticator returns the HTTP layer's Authenticator: a Bearer access token in the Authorization header
// or, only on paths ending in /events (SSE, where browsers cannot set headers), in the access_token query
// parameter. Another Authorization scheme (a provider's "Apikey" on a webhook) carries no credentials.
func (s *Service) Authenticator() httpapi.Authenticator { return bearerAuthenticator{tokens: s.tokens} }

type bearerAuthenticator struct {
	tokens *Tokens
}

// Authenticate implements httpapi.Authenticator.
func (a bearerAuthenticator) Authenticate(ctx context.Context, r *http.Request) (*httpapi.Principal, error) {
	token, ok := bearerToken(r)
	if !ok {
		return nil, nil
	}
	c, err := a.tokens.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return c.Principal(), nil
}

// bearerToken finds the access token of a request, and reports false when it carries none.
func bearerToken(r *http.Request) (string, bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", false
		}
		return strings.TrimSpace(token), true // an empty token is presented, and refused
	}
	if strings.HasSuffix(r.URL.Path, "/events") {
		if token := r.URL.Query().Get("access_token"); token != "" {
			return token, true
		}
	}
	return "", false
}

// clientOf describes the caller of a request for the audit log.
func clientOf(ctx context.Context, userAgent string) Client {
	c := Client{UserAgent: userAgent}
	if ip, ok := httpapi.ClientIP(ctx); ok && ip.IsValid() {
		c.IP = ip.String()
	}
	return c
}

// noStore is the Cache-Control of every answer carrying a token (RFC 6749 §5.1).
const noStore = "no-store"

type userView struct {
	ID         string    `json:"id"`
	Email      string    `json:"email,omitempty"`
	FullName   string    `json:"full_name"`
	Phone      string    `json:"phone,omitempty"`
	Kind       string    `json:"kind" enum:"user,staff"`
	MFAEnabled bool      `json:"mfa_enabled"`
	CreatedAt  time.Time `json:"created_at"`
}

func viewUser(u iamdb.IamUser) userView {
	return userView{ID: u.ID, Email: u.Email.String, FullName: u.FullName, Phone: u.Phone, Kind: u.Kind,
		MFAEnabled: u.MfaEnabled, CreatedAt: u.CreatedAt.UTC()}
}

type merchantView struct {
	ID          string     `json:"id"`
	Name        string     `json:"name,omitempty"`
	Plan        string     `json:"plan,omitempty"`
	TrialEndsAt *time.Time `json:"trial_ends_at,omitempty"`
}

func viewMerchant(m MerchantInfo) merchantView {
	v := merchantView{ID: string(m.ID), Name: m.Name, Plan: m.Plan}
	if !m.TrialEndsAt.IsZero() {
		t := m.TrialEndsAt.UTC()
		v.TrialEndsAt = &t
	}
	return v
}

// tokenBody is the token part of a sign-in answer.
type tokenBody struct {
	AccessToken      string    `json:"access_token"`
	RefreshToken     string    `json:"refresh_token"`
	ExpiresIn        int       `json:"expires_in" doc:"Lifetime of the access token in seconds."`
	RefreshExpiresAt time.Time `json:"refresh_expires_at" doc:"When the refresh token stops working."`
	TokenType        string    `json:"token_type" enum:"Bearer"`
}

func viewTokens(p TokenPair) tokenBody {
	return tokenBody{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, ExpiresIn: int(p.ExpiresIn / time.Second),
		RefreshExpiresAt: p.RefreshExpiresAt.UTC(), TokenType: "Bearer"}
}

type registerInput struct {
	UserAgent string `header:"User-Agent"`
	Body      struct {
		Email        string `json:"email" maxLength:"320"`
		Password     string `json:"password" doc:"At least 8 characters, taken exactly as typed; common passwords are refused."`
		FullName     string `json:"full_name" maxLength:"400"`
		MerchantName string `json:"merchant_name" maxLength:"400"`
	}
}

type registerOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		User     userView     `json:"user"`
		Merchant merchantView `json:"merchant"`
		tokenBody
	}
}

type loginInput struct {
	UserAgent string `header:"User-Agent"`
	Body      struct {
		Email    string `json:"email" maxLength:"320"`
		Password string `json:"password"`
	}
}

type loginOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		AccessToken       string     `json:"access_token,omitempty"`
		RefreshToken      string     `json:"refresh_token,omitempty"`
		ExpiresIn         int        `json:"expires_in,omitempty"`
		RefreshExpiresAt  *time.Time `json:"refresh_expires_at,omitempty"`
		TokenType         string     `json:"token_type,omitempty" enum:"Bearer"`
		MFARequired       bool       `json:"mfa_required,omitempty" doc:"True when the account has MFA: send mfa_token and a code to /auth/login/mfa."`
		MFAToken          string     `json:"mfa_token,omitempty"`
		MFATokenExpiresIn int        `json:"mfa_token_expires_in,omitempty"`
	}
}

type loginMFAInput struct {
	UserAgent string `header:"User-Agent"`
	Body      struct {
		MFAToken string `json:"mfa_token" maxLength:"128"`
		Code     string `json:"code" maxLength:"64" doc:"A six-digit TOTP code, or a recovery code."`
	}
}

type tokenOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         tokenBody
}

type refreshInput struct {
	UserAgent string `header:"User-Agent"`
	Body      struct {
		RefreshToken string `json:"refresh_token" maxLength:"128"`
	}
}

type pinLoginInput struct {
	UserAgent string `header:"User-Agent"`
	Body      struct {
		ShopID   string `json:"shop_id" maxLength:"64"`
		StaffID  string `json:"staff_id" maxLength:"64"`
		PIN      string `json:"pin" pattern:"^[0-9]{4,6}$" doc:"4 to 6 digits."`
		DeviceID string `json:"device_id,omitempty" maxLength:"128" doc:"The terminal's device secret, from registering it with the shop; required when the shop accepts PIN sign-in from registered terminals only."`
	}
}

type meOutput struct {
	Body struct {
		User      userView            `json:"user"`
		Merchant  *merchantView       `json:"merchant"`
		Roles     []string            `json:"roles"`
		ShopRoles map[string][]string `json:"shop_roles"`
	}
}

type enrollOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Secret      string `json:"secret" doc:"Base32 secret, for typing into an authenticator app."`
		OTPAuthURL  string `json:"otpauth_url"`
		QRPNGBase64 string `json:"qr_png_base64" doc:"A PNG of otpauth_url as a QR code, base64."`
	}
}

type codeInput struct {
	UserAgent string `header:"User-Agent"`
	Body      struct {
		Code string `json:"code" maxLength:"64"`
	}
}

type recoveryCodesOutput struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		RecoveryCodes []string `json:"recovery_codes" doc:"Shown once; each works once."`
	}
}

type revokeOthersInput struct {
	UserAgent string `header:"User-Agent"`
}

type revokeOthersOutput struct {
	Body struct {
		Revoked int64 `json:"revoked" doc:"How many other sessions were signed out."`
	}
}

type auditInput struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"64"`
}

type auditOutput struct {
	Body struct {
		Items      []AuditEntry `json:"items"`
		NextCursor string       `json:"next_cursor"`
	}
}

// Routes registers the module's operations on api and the discovery documents on r. Mount r with the public
// rate limit, e.g. Routes(kit.API, kit.Router.With(server.RateLimit(httpapi.ClassPublic))).
func (s *Service) Routes(api huma.API, r chi.Router) {
	s.registerAuth(api)
	s.registerAccount(api)
	r.Get("/.well-known/jwks.json", s.serveJWKS)
	r.Get("/.well-known/openid-configuration", s.serveDiscovery)
}

// op builds an operation of the Auth tag.
func op(id, method, path, summary string) huma.Operation {
	return huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{tagAuth}}
}

// publicAuth declares an anonymous sign-in operation of the auth rate class. Its answer holds tokens, so it
// is never stored by the idempotency layer (httpapi.SkipIdempotency).
func publicAuth(o huma.Operation, reason string) huma.Operation {
	rbac.Public(&o, reason)
	httpapi.SetRateClass(&o, httpapi.ClassAuth)
	httpapi.SkipIdempotency(&o)
	return o
}

func (s *Service) registerAuth(api huma.API) {
	reg := publicAuth(op("auth-register", http.MethodPost, "/api/v1/auth/register",
		"Sign up a merchant owner; starts the merchant on the 30-day Pro trial"), "sign-up")
	reg.DefaultStatus = http.StatusCreated
	huma.Register(api, reg, func(ctx context.Context, in *registerInput) (*registerOutput, error) {
		if err := httpapi.CheckAuthLimit(ctx, in.Body.Email); err != nil {
			return nil, err
		}
		res, err := s.register(ctx, registration{Email: in.Body.Email, Password: in.Body.Password,
			FullName: in.Body.FullName, MerchantName: in.Body.MerchantName}, clientOf(ctx, in.UserAgent))
		if err != nil {
			return nil, err
		}
		out := &registerOutput{CacheControl: noStore}
		out.Body.User = viewUser(res.User)
		out.Body.Merchant = viewMerchant(res.Merchant)
		out.Body.tokenBody = viewTokens(res.Tokens)
		return out, nil
	})

	huma.Register(api, publicAuth(op("auth-login", http.MethodPost, "/api/v1/auth/login",
		"Sign in with email and password"), "sign-in"),
		func(ctx context.Context, in *loginInput) (*loginOutput, error) {
			if err := httpapi.CheckAuthLimit(ctx, in.Body.Email); err != nil {
				return nil, err
			}
			res, err := s.login(ctx, in.Body.Email, in.Body.Password, clientOf(ctx, in.UserAgent))
			if err != nil {
				return nil, err
			}
			out := &loginOutput{CacheControl: noStore}
			if res.MFAToken != "" {
				out.Body.MFARequired = true
				out.Body.MFAToken = res.MFAToken
				out.Body.MFATokenExpiresIn = int(MFATokenTTL / time.Second)
				return out, nil
			}
			t := viewTokens(res.Tokens)
			out.Body.AccessToken, out.Body.RefreshToken, out.Body.ExpiresIn = t.AccessToken, t.RefreshToken, t.ExpiresIn
			out.Body.RefreshExpiresAt, out.Body.TokenType = &t.RefreshExpiresAt, t.TokenType
			return out, nil
		})

	huma.Register(api, publicAuth(op("auth-login-mfa", http.MethodPost, "/api/v1/auth/login/mfa",
		"Second step of a sign-in with MFA: a TOTP or recovery code"), "sign-in, second factor"),
		func(ctx context.Context, in *loginMFAInput) (*tokenOutput, error) {
			if err := httpapi.CheckAuthLimit(ctx, "mfa:"+in.Body.MFAToken); err != nil {
				return nil, err
			}
			pair, err := s.loginMFA(ctx, in.Body.MFAToken, in.Body.Code, clientOf(ctx, in.UserAgent))
			if err != nil {
				return nil, err
			}
			return &tokenOutput{CacheControl: noStore, Body: viewTokens(pair)}, nil
		})

	huma.Register(api, publicAuth(op("auth-pin-login", http.MethodPost, "/api/v1/auth/pin-login",
		"Staff sign-in with a PIN on a shop terminal; tokens scoped to that shop"), "staff PIN sign-in"),
		func(ctx context.Context, in *pinLoginInput) (*tokenOutput, error) {
			if err := httpapi.CheckAuthLimit(ctx, "pin:"+in.Body.StaffID); err != nil {
				return nil, err
			}
			pair, err := s.pinLogin(ctx, in.Body.ShopID, in.Body.StaffID, in.Body.PIN, in.Body.DeviceID,
				clientOf(ctx, in.UserAgent))
			if err != nil {
				return nil, err
			}
			return &tokenOutput{CacheControl: noStore, Body: viewTokens(pair)}, nil
		})

	refresh := op("auth-refresh", http.MethodPost, "/api/v1/auth/refresh",
		"Exchange a refresh token for new tokens (the refresh token is rotated)")
	rbac.Public(&refresh, "the refresh token is the credential")
	httpapi.SetRateClass(&refresh, httpapi.ClassRefresh)
	httpapi.SkipIdempotency(&refresh) // a stored answer would hand out fresh tokens for an old refresh token
	huma.Register(api, refresh, func(ctx context.Context, in *refreshInput) (*tokenOutput, error) {
		family, ok, err := s.refresh.Family(ctx, in.Body.RefreshToken)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := httpapi.CheckLimit(ctx, httpapi.ClassRefresh, family); err != nil {
				return nil, err
			}
		}
		pair, err := s.refreshSession(ctx, in.Body.RefreshToken, clientOf(ctx, in.UserAgent))
		if err != nil {
			return nil, err
		}
		return &tokenOutput{CacheControl: noStore, Body: viewTokens(pair)}, nil
	})

	logout := op("auth-logout", http.MethodPost, "/api/v1/auth/logout", "Sign out: end the refresh token's session")
	rbac.Public(&logout, "the refresh token is the credential")
	logout.DefaultStatus = http.StatusNoContent
	huma.Register(api, logout, func(ctx context.Context, in *refreshInput) (*struct{}, error) {
		return nil, s.logout(ctx, in.Body.RefreshToken, clientOf(ctx, in.UserAgent))
	})
}

// self returns the caller of an AccountSelf operation.
func self(ctx context.Context) (*httpapi.Principal, error) {
	p, ok := httpapi.PrincipalFrom(ctx)
	if !ok {
		return nil, apperr.E(apperr.Unauthenticated, "this operation needs an access token")
	}
	return p, nil
}

func (s *Service) registerAccount(api huma.API) {
	me := op("me", http.MethodGet, "/api/v1/me", "The signed-in account, its merchant and its roles")
	rbac.Require(&me, rbac.AccountSelf)
	huma.Register(api, me, func(ctx context.Context, _ *struct{}) (*meOutput, error) {
		p, err := self(ctx)
		if err != nil {
			return nil, err
		}
		return s.me(ctx, p)
	})

	enroll := op("mfa-totp-enroll", http.MethodPost, "/api/v1/auth/mfa/totp/enroll",
		"Start TOTP enrolment: a new secret, its otpauth URL and QR code")
	rbac.Require(&enroll, rbac.AccountSelf)
	httpapi.SkipIdempotency(&enroll) // the answer is the TOTP secret
	huma.Register(api, enroll, func(ctx context.Context, _ *struct{}) (*enrollOutput, error) {
		p, err := self(ctx)
		if err != nil {
			return nil, err
		}
		enr, err := s.enrollTOTP(ctx, p.UserID, p.Kind)
		if err != nil {
			return nil, err
		}
		out := &enrollOutput{CacheControl: noStore}
		out.Body.Secret, out.Body.OTPAuthURL = enr.Secret, enr.URL
		out.Body.QRPNGBase64 = base64.StdEncoding.EncodeToString(enr.QRCode)
		return out, nil
	})

	confirm := op("mfa-totp-confirm", http.MethodPost, "/api/v1/auth/mfa/totp/confirm",
		"Turn MFA on with a first code; returns recovery codes and signs out other sessions")
	rbac.Require(&confirm, rbac.AccountSelf)
	httpapi.SetRateClass(&confirm, httpapi.ClassAuth)
	httpapi.SkipIdempotency(&confirm) // the answer is the recovery codes
	huma.Register(api, confirm, func(ctx context.Context, in *codeInput) (*recoveryCodesOutput, error) {
		p, err := self(ctx)
		if err != nil {
			return nil, err
		}
		if err := httpapi.CheckAuthLimit(ctx, "mfa:"+p.UserID); err != nil {
			return nil, err
		}
		codes, err := s.confirmTOTP(ctx, p.UserID, p.Kind, p.SessionID, in.Body.Code, clientOf(ctx, in.UserAgent))
		if err != nil {
			return nil, err
		}
		out := &recoveryCodesOutput{CacheControl: noStore}
		out.Body.RecoveryCodes = codes
		return out, nil
	})

	disable := op("mfa-disable", http.MethodPost, "/api/v1/auth/mfa/disable",
		"Turn MFA off with a fresh TOTP or recovery code; signs out other sessions")
	rbac.Require(&disable, rbac.AccountSelf)
	httpapi.SetRateClass(&disable, httpapi.ClassAuth)
	disable.DefaultStatus = http.StatusNoContent
	huma.Register(api, disable, func(ctx context.Context, in *codeInput) (*struct{}, error) {
		p, err := self(ctx)
		if err != nil {
			return nil, err
		}
		if err := httpapi.CheckAuthLimit(ctx, "mfa:"+p.UserID); err != nil {
			return nil, err
		}
		return nil, s.disableMFA(ctx, p.UserID, p.Kind, p.SessionID, in.Body.Code, clientOf(ctx, in.UserAgent))
	})

	revoke := op("sessions-revoke-others", http.MethodPost, "/api/v1/auth/sessions/revoke-others",
		"Sign out every other session of the account")
	rbac.Require(&revoke, rbac.AccountSelf)
	huma.Register(api, revoke, func(ctx context.Context, in *revokeOthersInput) (*revokeOthersOutput, error) {
		p, err := self(ctx)
		if err != nil {
			return nil, err
		}
		n, err := s.revokeOtherSessions(ctx, p.UserID, p.SessionID, clientOf(ctx, in.UserAgent))
		if err != nil {
			return nil, err
		}
		out := &revokeOthersOutput{}
		out.Body.Revoked = n
		return out, nil
	})

	audit := op("audit-log-list", http.MethodGet, "/api/v1/audit-log", "The merchant's security audit log, newest first")
	rbac.Require(&audit, rbac.AuditRead)
	huma.Register(api, audit, func(ctx context.Context, in *auditInput) (*auditOutput, error) {
		p, err := self(ctx)
		if err != nil {
			return nil, err
		}
		if p.MerchantID == "" {
			return nil, apperr.E(apperr.NotFound, "no merchant")
		}
		items, next, err := s.auditPage(ctx, p.MerchantID, in.Limit, in.Cursor)
		if err != nil {
			return nil, err
		}
		out := &auditOutput{}
		out.Body.Items, out.Body.NextCursor = items, next
		return out, nil
	})
}

// me describes the caller: a user's merchant and roles as they are now, a PIN session's as its token
// scopes them (one shop).
func (s *Service) me(ctx context.Context, p *httpapi.Principal) (*meOutput, error) {
	u, err := s.user(ctx, p.UserID)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return nil, errSessionEnded
		}
		return nil, err
	}
	out := &meOutput{}
	out.Body.User = viewUser(u)
	roles, shopRoles, merchant := p.Roles, p.ShopRoles, MerchantInfo{ID: p.MerchantID}
	if p.Kind == string(KindUser) {
		a, err := s.access(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		roles, shopRoles, merchant = a.Roles, a.ShopRoles, MerchantInfo{ID: a.MerchantID}
		if a.Merchant != nil {
			merchant = *a.Merchant
		}
	}
	if merchant.ID != "" {
		v := viewMerchant(merchant)
		out.Body.Merchant = &v
	}
	out.Body.Roles, out.Body.ShopRoles = roles, shopRoles
	if out.Body.Roles == nil {
		out.Body.Roles = []string{}
	}
	if out.Body.ShopRoles == nil {
		out.Body.ShopRoles = map[string][]string{}
	}
	return out, nil
}

// serveJWKS serves the public keys that verify access tokens.
func (s *Service) serveJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := s.ring.JWKS()
	if err != nil {
		httpapi.WriteProblem(w, r, err)
		return
	}
	writePublicJSON(w, b)
}

// serveDiscovery serves the OpenID provider metadata.
func (s *Service) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(s.discovery)
	if err != nil {
		httpapi.WriteProblem(w, r, err)
		return
	}
	writePublicJSON(w, b)
}

// writePublicJSON answers with a document anyone may cache briefly: a rotation shows within a minute, and
// verifiers that meet an unknown kid fetch again anyway.
func writePublicJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, _ = w.Write(b)
}
