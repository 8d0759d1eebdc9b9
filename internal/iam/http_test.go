package iam

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// cheapArgon2 keeps the HTTP tests fast; the hashing itself is tested in password_test.go with real costs.
var cheapArgon2 = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// testAPI is the module served by a real httpapi.Server with this module's Authenticator and rbac.Guard.
type testAPI struct {
	t         testing.TB
	d         *db.DB
	clock     *clock.Fake
	merchants *fakeMerchants
	svc       *Service
	srv       *httpapi.Server
}

type apiOptions struct {
	hasher HasherConfig
	limits map[httpapi.Class]httpapi.Limit
}

func newTestAPI(t testing.TB, d *db.DB, opt apiOptions) *testAPI {
	t.Helper()
	if opt.hasher.Params == (Argon2Params{}) {
		opt.hasher.Params = cheapArgon2
	}
	a := &testAPI{t: t, d: d, clock: clock.NewFake(testStart)}
	a.merchants = newFakeMerchants(d, a.clock)
	svc, err := New(Deps{DB: d, Merchants: a.merchants, SigningKeys: newBox(t), TOTPSecrets: newBox(t), Clock: a.clock,
		Config: Config{PublicURL: testIssuer, Hasher: opt.hasher}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.svc = svc
	srv, err := httpapi.New(httpapi.Config{Limits: opt.limits}, httpapi.Deps{
		Logger: slog.New(slog.DiscardHandler), DB: d, Authenticator: svc.Authenticator(), Authorizer: rbac.Guard{},
		Clock: a.clock,
	})
	if err != nil {
		t.Fatalf("httpapi.New: %v", err)
	}
	a.srv = srv
	svc.Routes(srv.API, srv.Router.With(srv.RateLimit(httpapi.ClassPublic)))
	// Stand-ins for an SSE stream and another plain route, to see who the Authenticator says the caller is.
	whoami := func(w http.ResponseWriter, r *http.Request) {
		p, ok := httpapi.PrincipalFrom(r.Context())
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, p.UserID)
	}
	srv.Router.Get("/api/v1/shops/{shop_id}/events", whoami)
	srv.Router.Get("/api/v1/shops/{shop_id}/whoami", whoami)
	return a
}

// migrations are what the tests' databases need: this module's tables and the idempotency keys.
var migrations = []migrate.Source{Migrations, httpapi.Migrations}

// response is a recorded answer with its JSON body decoded.
type response struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

func (a *testAPI) do(method, path, token string, body any) response {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "203.0.113.7:5555"
	req.Header.Set("User-Agent", "goodgo-test")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.srv.Handler().ServeHTTP(rec, req)
	res := response{code: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if strings.Contains(rec.Header().Get("Content-Type"), "json") && rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &res.body); err != nil {
			a.t.Fatalf("%s %s: decode %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return res
}

// must fails the test unless the response has status want.
func (r response) must(t testing.TB, want int) response {
	t.Helper()
	if r.code != want {
		t.Fatalf("status %d, want %d: %s", r.code, want, r.raw)
	}
	return r
}

func (r response) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// fieldErrors returns the locations of the problem's field errors.
func (r response) fieldErrors() []string {
	var out []string
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			loc, _ := m["location"].(string)
			out = append(out, loc)
		}
	}
	return out
}

type owner struct {
	userID, merchantID, email, password string
	access, refresh                     string
}

// register signs up an owner and returns its ids and tokens.
func (a *testAPI) register(email string) owner {
	a.t.Helper()
	o := owner{email: email, password: "correct horse battery staple"}
	r := a.do("POST", "/api/v1/auth/register", "", map[string]any{
		"email": email, "password": o.password, "full_name": "Nguyễn Văn An", "merchant_name": "Cà phê " + email,
	}).must(a.t, http.StatusCreated)
	o.userID = r.body["user"].(map[string]any)["id"].(string)
	o.merchantID = r.body["merchant"].(map[string]any)["id"].(string)
	o.access, o.refresh = r.str("access_token"), r.str("refresh_token")
	return o
}

func (a *testAPI) login(email, password string) response {
	a.t.Helper()
	return a.do("POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
}

// auditEvents returns the events of the merchant's audit log as its owner sees them, newest first.
func (a *testAPI) auditEvents(token string) []map[string]any {
	a.t.Helper()
	r := a.do("GET", "/api/v1/audit-log?limit=200", token, nil).must(a.t, http.StatusOK)
	var out []map[string]any
	for _, it := range r.body["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func eventNames(entries []map[string]any) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e["event"].(string))
	}
	return out
}

func TestRegisterThenMe(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		r := a.do("POST", "/api/v1/auth/register", "", map[string]any{
			"email": "  Chu.Quan@Example.VN ", "password": "correct horse battery staple",
			"full_name": "Chu Quán", "merchant_name": "Quán Chu",
		}).must(t, http.StatusCreated)
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
		user := r.body["user"].(map[string]any)
		merchant := r.body["merchant"].(map[string]any)
		if user["email"] != "chu.quan@example.vn" || user["full_name"] != "Chu Quán" || user["kind"] != "user" {
			t.Errorf("user = %v", user)
		}
		if merchant["name"] != "Quán Chu" || merchant["plan"] != "pro" || merchant["trial_ends_at"] == nil {
			t.Errorf("merchant = %v", merchant)
		}
		if r.str("token_type") != "Bearer" || r.body["expires_in"] != float64(900) || r.str("refresh_token") == "" {
			t.Errorf("tokens = %v", r.body)
		}

		me := a.do("GET", "/api/v1/me", r.str("access_token"), nil).must(t, http.StatusOK)
		if got := me.body["user"].(map[string]any)["id"]; got != user["id"] {
			t.Errorf("me.user.id = %v, want %v", got, user["id"])
		}
		if got := me.body["merchant"].(map[string]any)["id"]; got != merchant["id"] {
			t.Errorf("me.merchant.id = %v, want %v", got, merchant["id"])
		}
		if got := fmt.Sprint(me.body["roles"]); got != "[owner]" {
			t.Errorf("me.roles = %v, want [owner]", got)
		}

		// The same email in another case is the same account.
		dup := a.do("POST", "/api/v1/auth/register", "", map[string]any{
			"email": "CHU.QUAN@example.vn", "password": "another long passphrase", "full_name": "X", "merchant_name": "Y",
		}).must(t, http.StatusConflict)
		if got := dup.fieldErrors(); !slices.Equal(got, []string{"body.email"}) {
			t.Errorf("duplicate: field errors %v", got)
		}
		if got := eventNames(a.auditEvents(r.str("access_token"))); !slices.Contains(got, EventRegistered) {
			t.Errorf("audit events %v lack %s", got, EventRegistered)
		}
		// Signing in with the email as first typed works.
		a.login(" CHU.QUAN@EXAMPLE.VN", "correct horse battery staple").must(t, http.StatusOK)
	})
}

func TestRegisterRefusesBadInput(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{})
	valid := func() map[string]any {
		return map[string]any{"email": "an@example.vn", "password": "correct horse battery staple",
			"full_name": "An", "merchant_name": "Quán An"}
	}
	tests := []struct {
		name   string
		change func(m map[string]any)
		want   []string
	}{
		{"short password", func(m map[string]any) { m["password"] = "abc12" }, []string{"body.password"}},
		{"common password", func(m map[string]any) { m["password"] = "12345678" }, []string{"body.password"}},
		{"repeated character", func(m map[string]any) { m["password"] = "aaaaaaaaaaaa" }, []string{"body.password"}},
		{"password equal to the email", func(m map[string]any) { m["password"] = "AN@example.vn" }, []string{"body.password"}},
		{"malformed email", func(m map[string]any) { m["email"] = "an.example.vn" }, []string{"body.email"}},
		{"email with a display name", func(m map[string]any) { m["email"] = "An <an@example.vn>" }, []string{"body.email"}},
		{"email without a domain dot", func(m map[string]any) { m["email"] = "an@localhost" }, []string{"body.email"}},
		{"blank names", func(m map[string]any) { m["full_name"], m["merchant_name"] = " ", "" },
			[]string{"body.full_name", "body.merchant_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := valid()
			tt.change(body)
			r := a.do("POST", "/api/v1/auth/register", "", body).must(t, http.StatusUnprocessableEntity)
			if got := r.fieldErrors(); !slices.Equal(got, tt.want) {
				t.Errorf("field errors %v, want %v (%s)", got, tt.want, r.raw)
			}
		})
	}
	t.Run("long password accepted exactly as typed", func(t *testing.T) {
		long := " Một mật khẩu rất dài, có dấu cách ở đầu và cuối, hơn sáu mươi tư ký tự 🙂 "
		if len([]rune(long)) < 64 {
			t.Fatalf("test password has %d characters", len([]rune(long)))
		}
		body := valid()
		body["email"], body["password"] = "long@example.vn", long
		a.do("POST", "/api/v1/auth/register", "", body).must(t, http.StatusCreated)
		a.login("long@example.vn", long).must(t, http.StatusOK)
		a.login("long@example.vn", strings.TrimSpace(long)).must(t, http.StatusUnauthorized)
		a.login("long@example.vn", long[:len(long)-1]).must(t, http.StatusUnauthorized)
	})
	t.Run("merchant module refusal rolls the account back", func(t *testing.T) {
		a.merchants.mu.Lock()
		a.merchants.failNext = fmt.Errorf("plan table missing")
		a.merchants.mu.Unlock()
		body := valid()
		body["email"] = "rollback@example.vn"
		a.do("POST", "/api/v1/auth/register", "", body).must(t, http.StatusInternalServerError)
		a.do("POST", "/api/v1/auth/register", "", body).must(t, http.StatusCreated)
	})
}

func TestLogin(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		o := a.register("an@example.vn")

		wrong := a.login(o.email, "not the password at all").must(t, http.StatusUnauthorized)
		unknown := a.login("nobody@example.vn", "not the password at all").must(t, http.StatusUnauthorized)
		if wrong.str("detail") != unknown.str("detail") {
			t.Errorf("wrong password says %q, unknown email %q: they must not differ", wrong.str("detail"), unknown.str("detail"))
		}
		ok := a.login(o.email, o.password).must(t, http.StatusOK)
		if ok.str("token_type") != "Bearer" || ok.str("access_token") == "" || ok.body["mfa_required"] != nil {
			t.Errorf("login = %v", ok.body)
		}
		claims, err := a.svc.tokens.Verify(context.Background(), ok.str("access_token"))
		if err != nil {
			t.Fatal(err)
		}
		if claims.Subject != o.userID || string(claims.MerchantID) != o.merchantID || claims.SessionID == "" ||
			!slices.Equal(claims.Roles, []string{"owner"}) || claims.Kind != KindUser {
			t.Errorf("claims = %+v", claims)
		}
		events := eventNames(a.auditEvents(ok.str("access_token")))
		for _, want := range []string{EventLoginFailed, EventLoginSucceeded} {
			if !slices.Contains(events, want) {
				t.Errorf("audit events %v lack %s", events, want)
			}
		}
	})
}

func TestLoginIsRateLimitedPerAccount(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{limits: map[httpapi.Class]httpapi.Limit{
		httpapi.ClassAuth: {Count: 4, Per: time.Minute}}})
	o := a.register("an@example.vn") // takes one of the account's four
	for i := range 3 {
		if r := a.login(o.email, "wrong password "+fmt.Sprint(i)); r.code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, r.code)
		}
	}
	r := a.login(o.email, o.password).must(t, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	a.login("someone.else@example.vn", "wrong password").must(t, http.StatusUnauthorized) // another account's budget
}

// totpCode returns the code of secret at t.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoginWithMFA(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		o := a.register("an@example.vn")
		other := a.login(o.email, o.password).must(t, http.StatusOK) // a second session, e.g. a phone

		enr := a.do("POST", "/api/v1/auth/mfa/totp/enroll", o.access, nil).must(t, http.StatusOK)
		secret := enr.str("secret")
		if !strings.HasPrefix(enr.str("otpauth_url"), "otpauth://totp/") || enr.str("qr_png_base64") == "" {
			t.Fatalf("enroll = %v", enr.body)
		}
		// A wrong first code does not turn MFA on.
		bad := a.do("POST", "/api/v1/auth/mfa/totp/confirm", o.access, map[string]any{"code": "000000"})
		if bad.code != http.StatusUnprocessableEntity || !slices.Equal(bad.fieldErrors(), []string{"body.code"}) {
			if totpCode(t, secret, a.clock.Now()) != "000000" {
				t.Fatalf("wrong confirm code: %d %s", bad.code, bad.raw)
			}
		}
		conf := a.do("POST", "/api/v1/auth/mfa/totp/confirm", o.access,
			map[string]any{"code": totpCode(t, secret, a.clock.Now())}).must(t, http.StatusOK)
		var recovery []string
		for _, c := range conf.body["recovery_codes"].([]any) {
			recovery = append(recovery, c.(string))
		}
		if len(recovery) != RecoveryCodeCount {
			t.Fatalf("%d recovery codes", len(recovery))
		}
		// The factor change signed out the other session but not this one.
		a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": other.str("refresh_token")}).
			must(t, http.StatusUnauthorized)
		current := a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": o.refresh}).must(t, http.StatusOK)

		// Step one gives an mfa_token, not tokens.
		step1 := a.login(o.email, o.password).must(t, http.StatusOK)
		if step1.body["mfa_required"] != true || step1.str("mfa_token") == "" || step1.str("access_token") != "" {
			t.Fatalf("login with MFA = %v", step1.body)
		}
		// The code of the step confirm used is refused (replay); the next step's is accepted.
		a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{
			"mfa_token": step1.str("mfa_token"), "code": totpCode(t, secret, a.clock.Now())}).must(t, http.StatusUnauthorized)
		a.clock.Advance(30 * time.Second)
		code := totpCode(t, secret, a.clock.Now())
		step2 := a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": step1.str("mfa_token"), "code": code}).
			must(t, http.StatusOK)
		a.do("GET", "/api/v1/me", step2.str("access_token"), nil).must(t, http.StatusOK)
		// The mfa_token worked once; the code too, even with a new mfa_token.
		a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": step1.str("mfa_token"), "code": code}).
			must(t, http.StatusUnauthorized)
		again := a.login(o.email, o.password).must(t, http.StatusOK)
		a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": again.str("mfa_token"), "code": code}).
			must(t, http.StatusUnauthorized)

		// A recovery code works once, typed in any case.
		a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{
			"mfa_token": again.str("mfa_token"), "code": strings.ToLower(recovery[0])}).must(t, http.StatusOK)
		third := a.login(o.email, o.password).must(t, http.StatusOK)
		a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": third.str("mfa_token"), "code": recovery[0]}).
			must(t, http.StatusUnauthorized)

		// An mfa_token expires after five minutes.
		a.clock.Advance(MFATokenTTL + time.Second)
		a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": third.str("mfa_token"), "code": recovery[1]}).
			must(t, http.StatusUnauthorized)

		// An mfa_token allows a few attempts only.
		fourth := a.login(o.email, o.password).must(t, http.StatusOK)
		for range mfaMaxAttempts {
			a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": fourth.str("mfa_token"), "code": "AAAA-AAAA-AAAA-AAAA"}).
				must(t, http.StatusUnauthorized)
		}
		a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": fourth.str("mfa_token"), "code": recovery[1]}).
			must(t, http.StatusUnauthorized)

		// Turning MFA off needs a fresh code; then a password is enough again.
		fresh := a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": current.str("refresh_token")}).must(t, http.StatusOK)
		a.do("POST", "/api/v1/auth/mfa/disable", fresh.str("access_token"), map[string]any{"code": code}).
			must(t, http.StatusUnprocessableEntity)
		a.clock.Advance(30 * time.Second)
		a.do("POST", "/api/v1/auth/mfa/disable", fresh.str("access_token"),
			map[string]any{"code": totpCode(t, secret, a.clock.Now())}).must(t, http.StatusNoContent)
		plain := a.login(o.email, o.password).must(t, http.StatusOK)
		if plain.str("access_token") == "" {
			t.Fatalf("login after MFA off = %v", plain.body)
		}
		events := eventNames(a.auditEvents(plain.str("access_token")))
		for _, want := range []string{EventMFAEnabled, EventMFADisabled, EventRecoveryCodeUsed, EventMFAFailed} {
			if !slices.Contains(events, want) {
				t.Errorf("audit events %v lack %s", events, want)
			}
		}
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		o := a.register("an@example.vn")
		first := a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": o.refresh}).must(t, http.StatusOK)
		if first.str("refresh_token") == o.refresh || first.str("access_token") == "" {
			t.Fatalf("refresh did not rotate: %v", first.body)
		}
		a.do("GET", "/api/v1/me", first.str("access_token"), nil).must(t, http.StatusOK)
		// Presenting the rotated token again revokes the family: the newest token dies too.
		a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": o.refresh}).must(t, http.StatusUnauthorized)
		a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.str("refresh_token")}).
			must(t, http.StatusUnauthorized)
		fresh := a.login(o.email, o.password).must(t, http.StatusOK)
		if events := eventNames(a.auditEvents(fresh.str("access_token"))); !slices.Contains(events, EventTokenReuse) {
			t.Errorf("audit events %v lack %s", events, EventTokenReuse)
		}
		a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": "not-a-token"}).must(t, http.StatusUnauthorized)
	})
}

func TestRefreshIsRateLimitedPerSession(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{limits: map[httpapi.Class]httpapi.Limit{
		httpapi.ClassRefresh: {Count: 2, Per: time.Minute}}})
	o := a.register("an@example.vn")
	tok := o.refresh
	for range 2 {
		tok = a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": tok}).must(t, http.StatusOK).str("refresh_token")
	}
	a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": tok}).must(t, http.StatusTooManyRequests)
	// Another session has its own budget.
	other := a.login(o.email, o.password).must(t, http.StatusOK)
	a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": other.str("refresh_token")}).must(t, http.StatusOK)
}

func TestLogoutAndRevokeOthers(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		o := a.register("an@example.vn")
		a.do("POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": o.refresh}).must(t, http.StatusNoContent)
		a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": o.refresh}).must(t, http.StatusUnauthorized)
		// An unknown token signs nothing out and answers the same.
		a.do("POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": "unknown"}).must(t, http.StatusNoContent)

		s1 := a.login(o.email, o.password).must(t, http.StatusOK)
		s2 := a.login(o.email, o.password).must(t, http.StatusOK)
		s3 := a.login(o.email, o.password).must(t, http.StatusOK)
		r := a.do("POST", "/api/v1/auth/sessions/revoke-others", s1.str("access_token"), nil).must(t, http.StatusOK)
		if r.body["revoked"] != float64(2) {
			t.Errorf("revoked = %v, want 2", r.body["revoked"])
		}
		for _, s := range []response{s2, s3} {
			a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": s.str("refresh_token")}).must(t, http.StatusUnauthorized)
		}
		a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": s1.str("refresh_token")}).must(t, http.StatusOK)
		a.do("POST", "/api/v1/auth/sessions/revoke-others", "", nil).must(t, http.StatusUnauthorized)
	})
}

// staffFixture is a merchant with a cashier who has a PIN and works in shop-1 only.
type staffFixture struct {
	owner   owner
	staffID string
}

const staffPIN = "4821"

func newStaffFixture(t *testing.T, a *testAPI, email string) staffFixture {
	t.Helper()
	f := staffFixture{owner: a.register(email)}
	m := tenant.ID(f.owner.merchantID)
	ctx := context.Background()
	prepared, err := a.svc.PrepareStaffAccount(ctx, StaffAccountInput{FullName: "Trần Thu", Phone: "0901 234 567", PIN: staffPIN})
	if err != nil {
		t.Fatal(err)
	}
	err = a.d.WithTx(ctx, m, func(tx *sql.Tx) error {
		f.staffID, err = a.svc.InsertStaffAccount(ctx, tx, m, prepared)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a.merchants.grant(f.staffID, m, nil, map[string][]string{"shop-1": {"cashier"}})
	return f
}

func (a *testAPI) pinLogin(shop, staff, pin string) response {
	a.t.Helper()
	return a.do("POST", "/api/v1/auth/pin-login", "", map[string]any{"shop_id": shop, "staff_id": staff, "pin": pin, "device_id": "pos-1"})
}

func TestPINLogin(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		f := newStaffFixture(t, a, "owner@example.vn")

		r := a.pinLogin("shop-1", f.staffID, staffPIN).must(t, http.StatusOK)
		claims, err := a.svc.tokens.Verify(context.Background(), r.str("access_token"))
		if err != nil {
			t.Fatal(err)
		}
		p := claims.Principal()
		if p.Kind != "staff" || len(p.Roles) != 0 || string(p.MerchantID) != f.owner.merchantID ||
			fmt.Sprint(p.ShopRoles) != "map[shop-1:[cashier]]" {
			t.Errorf("principal = %+v", p)
		}
		if !p.CanReachShop("shop-1") || p.CanReachShop("shop-2") {
			t.Error("a PIN token must reach its shop and no other")
		}
		// The session is a shift long and does not slide on refresh.
		exp, err := time.Parse(time.RFC3339, r.str("refresh_expires_at"))
		if err != nil || !exp.Equal(a.clock.Now().Add(StaffSessionTTL)) {
			t.Errorf("refresh_expires_at = %v, want now + %v", r.str("refresh_expires_at"), StaffSessionTTL)
		}
		a.clock.Advance(time.Hour)
		rr := a.do("POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": r.str("refresh_token")}).must(t, http.StatusOK)
		if rr.str("refresh_expires_at") != r.str("refresh_expires_at") {
			t.Errorf("staff refresh moved the expiry from %s to %s", r.str("refresh_expires_at"), rr.str("refresh_expires_at"))
		}
		me := a.do("GET", "/api/v1/me", rr.str("access_token"), nil).must(t, http.StatusOK)
		if fmt.Sprint(me.body["roles"], me.body["shop_roles"]) != "[] map[shop-1:[cashier]]" {
			t.Errorf("me = %v", me.body)
		}
		// The owner's operations stay closed to a shop-scoped token.
		a.do("GET", "/api/v1/audit-log", rr.str("access_token"), nil).must(t, http.StatusForbidden)
		a.do("POST", "/api/v1/auth/mfa/totp/enroll", rr.str("access_token"), nil).must(t, http.StatusForbidden)
	})
}

func TestPINLoginDoesNotRevealOtherMerchantsStaff(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{})
	f := newStaffFixture(t, a, "owner@example.vn")
	wrongPIN := a.pinLogin("shop-1", f.staffID, "0000").must(t, http.StatusUnauthorized)
	refusals := map[string]response{
		"shop the staff member does not work in": a.pinLogin("shop-of-another-merchant", f.staffID, staffPIN),
		"unknown staff id":                       a.pinLogin("shop-1", "0190c0de-0000-7000-8000-000000000000", staffPIN),
		"malformed staff id":                     a.pinLogin("shop-1", "x", staffPIN),
		"owner account without a PIN":            a.pinLogin("shop-1", f.owner.userID, staffPIN),
	}
	for name, r := range refusals {
		if r.code != http.StatusUnauthorized || r.str("detail") != wrongPIN.str("detail") {
			t.Errorf("%s: %d %q; want the wrong-PIN answer %q", name, r.code, r.str("detail"), wrongPIN.str("detail"))
		}
	}
	// Attempts in another shop neither count nor lock.
	for range 6 {
		a.pinLogin("shop-2", f.staffID, "0000").must(t, http.StatusUnauthorized)
	}
	a.pinLogin("shop-1", f.staffID, staffPIN).must(t, http.StatusOK)
}

func TestPINLockout(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{limits: map[httpapi.Class]httpapi.Limit{httpapi.ClassAuth: {Count: 100, Per: time.Minute}}})
		f := newStaffFixture(t, a, "owner@example.vn")
		for i := 1; i < 5; i++ {
			a.pinLogin("shop-1", f.staffID, "0000").must(t, http.StatusUnauthorized)
		}
		locked := a.pinLogin("shop-1", f.staffID, "0000").must(t, http.StatusTooManyRequests)
		if locked.header.Get("Retry-After") != "900" {
			t.Errorf("Retry-After = %q, want 900", locked.header.Get("Retry-After"))
		}
		// Locked: even the right PIN is refused, until the lockout ends.
		a.pinLogin("shop-1", f.staffID, staffPIN).must(t, http.StatusTooManyRequests)
		a.clock.Advance(15*time.Minute - time.Second)
		a.pinLogin("shop-1", f.staffID, staffPIN).must(t, http.StatusTooManyRequests)
		a.clock.Advance(time.Second)
		a.pinLogin("shop-1", f.staffID, staffPIN).must(t, http.StatusOK)
		// A success starts the count again.
		for i := 1; i < 5; i++ {
			a.pinLogin("shop-1", f.staffID, "0000").must(t, http.StatusUnauthorized)
		}
		a.pinLogin("shop-1", f.staffID, staffPIN).must(t, http.StatusOK)
		events := eventNames(a.auditEvents(f.owner.access))
		for _, want := range []string{EventPINFailed, EventPINLocked, EventPINSucceeded, EventStaffCreated} {
			if !slices.Contains(events, want) {
				t.Errorf("audit events %v lack %s", events, want)
			}
		}
	})
}

func TestStaffAccountValidation(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{})
	a.register("owner@example.vn")
	tests := []struct {
		name string
		in   StaffAccountInput
		want []string
	}{
		{"letters in the PIN", StaffAccountInput{FullName: "A", PIN: "12a4"}, []string{"body.pin"}},
		{"PIN too short", StaffAccountInput{FullName: "A", PIN: "123"}, []string{"body.pin"}},
		{"PIN too long", StaffAccountInput{FullName: "A", PIN: "1234567"}, []string{"body.pin"}},
		{"no name, bad email", StaffAccountInput{Email: "x@", PIN: "1234"}, []string{"body.full_name", "body.email"}},
		{"bad phone", StaffAccountInput{FullName: "A", Phone: "call me"}, []string{"body.phone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.svc.PrepareStaffAccount(context.Background(), tt.in)
			if got := apperrFields(err); !slices.Equal(got, tt.want) {
				t.Errorf("field errors %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
	t.Run("email taken", func(t *testing.T) {
		ctx := context.Background()
		m := tenant.ID(db.NewID())
		err := a.d.WithTx(ctx, m, func(tx *sql.Tx) error {
			_, err := a.svc.CreateStaffAccount(ctx, tx, m, StaffAccountInput{FullName: "A", Email: "OWNER@example.vn", PIN: "123456"})
			return err
		})
		if got := apperrFields(err); !slices.Equal(got, []string{"body.email"}) {
			t.Errorf("error %v, want a conflict on body.email", err)
		}
	})
	t.Run("PIN-only staff without email", func(t *testing.T) {
		ctx := context.Background()
		m := tenant.ID(db.NewID())
		for range 2 { // NULL emails do not collide
			err := a.d.WithTx(ctx, m, func(tx *sql.Tx) error {
				_, err := a.svc.CreateStaffAccount(ctx, tx, m, StaffAccountInput{FullName: "B", PIN: "123456"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestAuditLogIsOwnersAndTenantScoped(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		ownerA := a.register("a@example.vn")
		ownerB := a.register("b@example.vn")
		a.login(ownerA.email, "wrong password here").must(t, http.StatusUnauthorized)
		a.login(ownerA.email, ownerA.password).must(t, http.StatusOK)

		for _, tc := range []struct {
			o     owner
			other owner
		}{{ownerA, ownerB}, {ownerB, ownerA}} {
			for _, e := range a.auditEvents(tc.o.access) {
				if e["actor_user_id"] != tc.o.userID {
					t.Errorf("%s sees an entry about %v", tc.o.email, e["actor_user_id"])
				}
			}
		}
		if n := len(a.auditEvents(ownerA.access)); n != 4 { // registered, login (register), failed, login
			t.Errorf("merchant A has %d entries, want 4: %v", n, eventNames(a.auditEvents(ownerA.access)))
		}

		// Paging: one at a time, newest first, until next_cursor is empty.
		var paged []string
		cursor := ""
		for range 10 {
			r := a.do("GET", "/api/v1/audit-log?limit=1&cursor="+cursor, ownerA.access, nil).must(t, http.StatusOK)
			for _, it := range r.body["items"].([]any) {
				paged = append(paged, it.(map[string]any)["id"].(string))
			}
			if cursor = r.str("next_cursor"); cursor == "" {
				break
			}
		}
		if len(paged) != 4 || !slices.IsSortedFunc(paged, func(x, y string) int { return strings.Compare(y, x) }) {
			t.Errorf("paged ids %v: want 4, newest first", paged)
		}
		a.do("GET", "/api/v1/audit-log?cursor=bogus", ownerA.access, nil).must(t, http.StatusUnprocessableEntity)

		// A manager of merchant A may not read it; anonymous callers neither.
		manager := a.register("m@example.vn")
		a.merchants.grant(manager.userID, tenant.ID(ownerA.merchantID), []string{"manager"}, nil)
		mgr := a.login(manager.email, manager.password).must(t, http.StatusOK)
		a.do("GET", "/api/v1/audit-log", mgr.str("access_token"), nil).must(t, http.StatusForbidden)
		a.do("GET", "/api/v1/audit-log", "", nil).must(t, http.StatusUnauthorized)

		if d.Dialect() != db.Postgres {
			return
		}
		// Row-level security: a transaction of merchant B sees none of A's rows, even without a filter.
		ctx := context.Background()
		var ofA, all int
		err := d.ReadTx(ctx, tenant.ID(ownerB.merchantID), func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM iam_audit_log WHERE merchant_id = $1", ownerA.merchantID).Scan(&ofA); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM iam_audit_log").Scan(&all)
		})
		if err != nil {
			t.Fatal(err)
		}
		if ofA != 0 || all != len(a.auditEvents(ownerB.access)) {
			t.Errorf("merchant B's transaction sees %d rows of A and %d in all", ofA, all)
		}
		// Writing a row for another merchant is refused by the policy.
		err = d.WithTx(ctx, tenant.ID(ownerB.merchantID), func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO iam_audit_log (merchant_id, id, at, event) VALUES ($1, $2, $3, 'forged')`,
				ownerA.merchantID, db.NewID(), a.clock.Now())
			return err
		})
		if err == nil {
			t.Error("merchant B wrote an audit entry of merchant A")
		}
	})
}

func TestWellKnownDocuments(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{})
	jwks := a.do("GET", "/.well-known/jwks.json", "", nil).must(t, http.StatusOK)
	keys, _ := jwks.body["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("jwks = %s", jwks.raw)
	}
	key := keys[0].(map[string]any)
	if key["kid"] == "" || key["alg"] != "RS256" || key["use"] != "sig" || key["d"] != nil {
		t.Errorf("jwk = %v", key)
	}
	disc := a.do("GET", "/.well-known/openid-configuration", "", nil).must(t, http.StatusOK)
	if disc.str("issuer") != testIssuer || disc.str("jwks_uri") != testIssuer+"/.well-known/jwks.json" {
		t.Errorf("discovery = %v", disc.body)
	}
	// The documented issuer is the tokens' issuer.
	o := a.register("an@example.vn")
	_, payload := decodeParts(t, o.access)
	if payload["iss"] != disc.str("issuer") {
		t.Errorf("token iss %v, discovery issuer %v", payload["iss"], disc.str("issuer"))
	}
}

func TestAuthenticatorCredentials(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{})
	o := a.register("an@example.vn")
	call := func(path, authorization string) int {
		req := httptest.NewRequest("GET", path, nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		a.srv.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	tests := []struct {
		name, path, authorization string
		want                      int
	}{
		{"bearer header", "/api/v1/me", "Bearer " + o.access, http.StatusOK},
		{"scheme is case-insensitive", "/api/v1/me", "bearer " + o.access, http.StatusOK},
		{"no credentials", "/api/v1/me", "", http.StatusUnauthorized},
		{"invalid bearer token", "/api/v1/me", "Bearer " + o.access[:len(o.access)-4] + "AAAA", http.StatusUnauthorized},
		{"empty bearer token", "/api/v1/me", "Bearer ", http.StatusUnauthorized},
		{"another scheme is no credentials", "/api/v1/shops/s1/whoami", "Apikey " + o.access, http.StatusUnauthorized},
		{"query token on an SSE path", "/api/v1/shops/s1/events?access_token=" + o.access, "", http.StatusOK},
		{"query token elsewhere is ignored", "/api/v1/shops/s1/whoami?access_token=" + o.access, "", http.StatusUnauthorized},
		{"query token ignored on an operation", "/api/v1/me?access_token=" + o.access, "", http.StatusUnauthorized},
		{"bad query token on an SSE path", "/api/v1/shops/s1/events?access_token=x.y.z", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := call(tt.path, tt.authorization); got != tt.want {
				t.Errorf("GET %s = %d, want %d", tt.path, got, tt.want)
			}
		})
	}
	t.Run("another scheme leaves the request anonymous", func(t *testing.T) {
		p, err := a.svc.Authenticator().Authenticate(context.Background(), func() *http.Request {
			r := httptest.NewRequest("POST", "/api/v1/payments/bank-transfer/webhook", nil)
			r.Header.Set("Authorization", "Apikey secret")
			return r
		}())
		if p != nil || err != nil {
			t.Errorf("Authenticate = %v, %v; want nil, nil", p, err)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		a.clock.Advance(a.svc.ring.AccessTTL() + time.Minute)
		if got := call("/api/v1/me", "Bearer "+o.access); got != http.StatusUnauthorized {
			t.Errorf("expired token: %d", got)
		}
	})
}

func TestPurgeRemovesExpiredChallenges(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{})
	if _, err := a.svc.newMFAChallenge(context.Background(), a.register("an@example.vn").userID); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(MFATokenTTL + time.Second)
	n, err := a.svc.Purge(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want the one expired challenge", n, err)
	}
	if names := []string{a.svc.Workers()[0].Name, a.svc.Workers()[1].Name}; !slices.Equal(names, []string{"iam-keyring", "iam-purge"}) {
		t.Errorf("workers %v", names)
	}
}

// apperrFields returns the fields an error names.
func apperrFields(err error) []string {
	var out []string
	for _, f := range apperr.Fields(err) {
		out = append(out, f.Field)
	}
	return out
}

// TestConcurrentSecondFactorsWorkOnce races two sign-ins presenting the same TOTP code, and two presenting
// the same recovery code: in each pair exactly one gets in.
func TestConcurrentSecondFactorsWorkOnce(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{})
		o := a.register("an@example.vn")
		secret := a.do("POST", "/api/v1/auth/mfa/totp/enroll", o.access, nil).must(t, http.StatusOK).str("secret")
		conf := a.do("POST", "/api/v1/auth/mfa/totp/confirm", o.access,
			map[string]any{"code": totpCode(t, secret, a.clock.Now())}).must(t, http.StatusOK)
		recovery := conf.body["recovery_codes"].([]any)[0].(string)
		a.clock.Advance(30 * time.Second)

		for _, code := range []string{totpCode(t, secret, a.clock.Now()), recovery} {
			tokens := []string{
				a.login(o.email, o.password).must(t, http.StatusOK).str("mfa_token"),
				a.login(o.email, o.password).must(t, http.StatusOK).str("mfa_token"),
			}
			codes := make(chan int, len(tokens))
			start := make(chan struct{})
			for _, tok := range tokens {
				go func() {
					<-start
					codes <- a.do("POST", "/api/v1/auth/login/mfa", "", map[string]any{"mfa_token": tok, "code": code}).code
				}()
			}
			close(start)
			var got []int
			for range tokens {
				got = append(got, <-codes)
			}
			slices.Sort(got)
			if !slices.Equal(got, []int{http.StatusOK, http.StatusUnauthorized}) {
				t.Errorf("code %s used twice at once: %v, want one 200 and one 401", code, got)
			}
		}
	})
}

// TestConcurrentWrongPINsCannotPassTheLimit sends ten wrong PINs at once: only four are checked and
// answered "wrong", every other one finds the account locked.
func TestConcurrentWrongPINsCannotPassTheLimit(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{limits: map[httpapi.Class]httpapi.Limit{httpapi.ClassAuth: {Count: 100, Per: time.Minute}}})
		f := newStaffFixture(t, a, "owner@example.vn")
		const n = 10
		codes := make(chan int, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				codes <- a.pinLogin("shop-1", f.staffID, "0000").code
			}()
		}
		close(start)
		count := map[int]int{}
		for range n {
			count[<-codes]++
		}
		if count[http.StatusUnauthorized] != 4 || count[http.StatusTooManyRequests] != n-4 {
			t.Errorf("answers %v, want 4 × 401 and %d × 429", count, n-4)
		}
		a.pinLogin("shop-1", f.staffID, staffPIN).must(t, http.StatusTooManyRequests)
	})
}

// TestEveryOperationDeclaresAccess walks the module's operations: each declares a permission or that it is
// public, and the sign-in ones are in the auth rate class.
func TestEveryOperationDeclaresAccess(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{})
	var n int
	for path, item := range a.srv.API.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil || op.OperationID == "" {
				continue
			}
			n++
			perm, public := rbac.Declaration(op)
			if (perm == "") == (public == "") {
				t.Errorf("%s %s: permission %q, public %q; want exactly one", op.Method, path, perm, public)
			}
		}
	}
	if n != 12 {
		t.Errorf("%d operations, want 12", n)
	}
}

// TestRefusalsCostOneHash checks that answers which must not tell an unknown account from a wrong secret do
// the same hashing work: one argon2id derivation with the same parameters each.
func TestRefusalsCostOneHash(t *testing.T) {
	a := newTestAPI(t, sqliteDB(t), apiOptions{limits: map[httpapi.Class]httpapi.Limit{httpapi.ClassAuth: {Count: 100, Per: time.Minute}}})
	f := newStaffFixture(t, a, "owner@example.vn")
	var (
		mu    sync.Mutex
		calls []Argon2Params
	)
	derive := a.svc.hasher.derive
	a.svc.hasher.derive = func(password, salt []byte, p Argon2Params) []byte {
		mu.Lock()
		calls = append(calls, p)
		mu.Unlock()
		return derive(password, salt, p)
	}
	cases := []struct {
		name string
		call func() response
	}{
		{"wrong password", func() response { return a.login("owner@example.vn", "not the password") }},
		{"unknown email", func() response { return a.login("nobody@example.vn", "not the password") }},
		{"wrong PIN", func() response { return a.pinLogin("shop-1", f.staffID, "0000") }},
		{"unknown staff", func() response { return a.pinLogin("shop-1", db.NewID(), "0000") }},
		{"staff of another shop", func() response { return a.pinLogin("shop-9", f.staffID, "0000") }},
	}
	for _, tc := range cases {
		calls = nil
		tc.call().must(t, http.StatusUnauthorized)
		if len(calls) != 1 || calls[0] != a.svc.hasher.params {
			t.Errorf("%s: hashed %v, want once with %v", tc.name, calls, a.svc.hasher.params)
		}
	}
}

func TestPINLoginFromRegisteredTerminalsOnly(t *testing.T) {
	dbtest.Each(t, migrations, func(t *testing.T, d *db.DB) {
		a := newTestAPI(t, d, apiOptions{limits: map[httpapi.Class]httpapi.Limit{httpapi.ClassAuth: {Count: 100, Per: time.Minute}}})
		f := newStaffFixture(t, a, "owner@example.vn")
		a.merchants.requireDevices("shop-1", "terminal-secret")
		login := func(device, pin string) response {
			return a.do("POST", "/api/v1/auth/pin-login", "", map[string]any{"shop_id": "shop-1", "staff_id": f.staffID,
				"pin": pin, "device_id": device})
		}
		// Away from a registered terminal even the right PIN is refused, and wrong PINs from there are not
		// tried, so they cannot lock the staff member out.
		login("pos-1", staffPIN).must(t, http.StatusForbidden)
		for range 10 {
			login("", "0000").must(t, http.StatusForbidden)
		}
		login("terminal-secret", staffPIN).must(t, http.StatusOK)
		seen := 0
		for _, e := range a.auditEvents(f.owner.access) {
			if e["event"] != EventPINSucceeded {
				continue
			}
			seen++
			detail, _ := e["detail"].(map[string]any)
			if detail["device_id"] != "device-0" {
				t.Errorf("audited device = %v, want the registered device's id (never its secret)", detail["device_id"])
			}
		}
		if seen != 1 {
			t.Errorf("%d PIN sign-ins audited, want 1", seen)
		}
	})
}
