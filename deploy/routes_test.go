package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goodgo/goodgo/internal/app"
)

// ---- a Traefik v3 rule evaluator for the matchers these manifests use ----

// matchRule reports whether a request for host and path matches rule (Host, Path, PathPrefix, PathRegexp,
// combined with &&, || , ! and parentheses, arguments in backquotes).
func matchRule(rule, host, path string) (bool, error) {
	p := &ruleParser{s: rule, host: host, path: path}
	v, err := p.or()
	if err != nil {
		return false, err
	}
	p.space()
	if p.i != len(p.s) {
		return false, fmt.Errorf("unexpected %q at %d", p.s[p.i:], p.i)
	}
	return v, nil
}

type ruleParser struct {
	s          string
	i          int
	host, path string
}

func (p *ruleParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *ruleParser) eat(tok string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], tok) {
		p.i += len(tok)
		return true
	}
	return false
}

func (p *ruleParser) or() (bool, error) {
	v, err := p.and()
	if err != nil {
		return false, err
	}
	for p.eat("||") {
		w, err := p.and()
		if err != nil {
			return false, err
		}
		v = v || w
	}
	return v, nil
}

func (p *ruleParser) and() (bool, error) {
	v, err := p.unary()
	if err != nil {
		return false, err
	}
	for p.eat("&&") {
		w, err := p.unary()
		if err != nil {
			return false, err
		}
		v = v && w
	}
	return v, nil
}

func (p *ruleParser) unary() (bool, error) {
	if p.eat("!") {
		v, err := p.unary()
		return !v, err
	}
	if p.eat("(") {
		v, err := p.or()
		if err != nil {
			return false, err
		}
		if !p.eat(")") {
			return false, fmt.Errorf("missing ) at %d", p.i)
		}
		return v, nil
	}
	p.space()
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] >= 'A' && p.s[p.i] <= 'Z' || p.s[p.i] >= 'a' && p.s[p.i] <= 'z') {
		p.i++
	}
	name := p.s[start:p.i]
	if !p.eat("(") {
		return false, fmt.Errorf("expected ( after %q at %d", name, p.i)
	}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '`' {
		return false, fmt.Errorf("%s: expected a backquoted argument at %d", name, p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], '`')
	if end < 0 {
		return false, errors.New("unterminated argument")
	}
	arg := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	if !p.eat(")") {
		return false, fmt.Errorf("%s takes one argument here", name)
	}
	switch name {
	case "Host":
		return strings.EqualFold(arg, p.host), nil
	case "Path":
		return p.path == arg, nil
	case "PathPrefix":
		return strings.HasPrefix(p.path, arg), nil
	case "PathRegexp":
		re, err := regexp.Compile(arg)
		if err != nil {
			return false, err
		}
		return re.MatchString(p.path), nil
	}
	return false, fmt.Errorf("unknown matcher %s", name)
}

func TestRuleEvaluator(t *testing.T) {
	rule := "(Host(`a.vn`) || Host(`b.vn`)) && (PathPrefix(`/api/`) || PathRegexp(`^/x/[^/]+$`)) && !Path(`/api/no`)"
	for _, c := range []struct {
		host, path string
		want       bool
	}{{"a.vn", "/api/v1", true}, {"B.VN", "/x/1", true}, {"c.vn", "/api/v1", false}, {"a.vn", "/x/1/2", false}, {"a.vn", "/api/no", false}} {
		if got := mustMatch(t, rule, c.host, c.path); got != c.want {
			t.Errorf("%s%s: %t, want %t", c.host, c.path, got, c.want)
		}
	}
	for _, bad := range []string{"Host(`a`", "Foo(`a`)", "Host(a)", "Host(`a`) &&"} {
		if _, err := matchRule(bad, "a", "/"); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// pickRoute is the route Traefik sends a request to: the matching route of highest priority. Two matching
// routes of the same priority would make the choice arbitrary: an error.
func pickRoute(routes []traefikRoute, host, path string) (traefikRoute, error) {
	var best []traefikRoute
	for _, r := range routes {
		ok, err := matchRule(r.Match, host, path)
		if err != nil {
			return r, err
		}
		if !ok {
			continue
		}
		switch {
		case len(best) == 0 || r.Priority > best[0].Priority:
			best = []traefikRoute{r}
		case r.Priority == best[0].Priority:
			best = append(best, r)
		}
	}
	switch len(best) {
	case 0:
		return traefikRoute{}, fmt.Errorf("no route for %s%s", host, path)
	case 1:
		return best[0], nil
	}
	return traefikRoute{}, fmt.Errorf("%s%s matches %d routes of priority %d: %v", host, path, len(best), best[0].Priority, best)
}

// ---- the real server, one per module set ----

var (
	serversMu sync.Mutex
	servers   = map[string]*app.App{}
)

// serverFor builds the real application with GOODGO_MODULES=modules on a throwaway embedded data directory
// (shared by the tests of this package, closed when they end).
func serverFor(t *testing.T, modules string) *app.App {
	t.Helper()
	serversMu.Lock()
	defer serversMu.Unlock()
	if a, ok := servers[modules]; ok {
		return a
	}
	dir, err := tempDirForPackage()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := app.LoadConfig([]string{"GOODGO_DATA_DIR=" + dir, "GOODGO_MODULES=" + modules, "GOODGO_LOG_LEVEL=error"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("GOODGO_MODULES=%s does not start: %v", modules, err)
	}
	servers[modules] = a
	return a
}

// operations lists "METHOD /path" of every operation the server's OpenAPI document describes.
func operations(t *testing.T, a *app.App) map[string]bool {
	t.Helper()
	b, err := json.Marshal(a.OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			out[strings.ToUpper(method)+" "+path] = true
		}
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// answers sends a request to the server in process and returns the status.
func answers(a *app.App, method, path string) int {
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code
}

func TestEveryRouteReachesAGroupThatServesIt(t *testing.T) {
	all := operations(t, serverFor(t, "all"))
	for _, env := range Environments {
		t.Run(env, func(t *testing.T) {
			m := loadManifest(t, env)
			overlay, err := LoadOverlay(manifestsDir, env)
			if err != nil {
				t.Fatal(err)
			}
			groupOps := map[string]map[string]bool{}
			groupApp := map[string]*app.App{}
			served := map[string]bool{}
			for _, g := range overlay.Groups {
				a := serverFor(t, strings.Join(g.Modules, ","))
				groupApp["goodgo-"+g.Name] = a
				groupOps["goodgo-"+g.Name] = operations(t, a)
				for op := range groupOps["goodgo-"+g.Name] {
					served[op] = true
				}
			}
			// Staging runs every module: together its groups serve every operation of the binary.
			want := served
			if env == "staging" {
				want = all
			}
			routes := m.ingressRoutes["goodgo"].Spec.Routes
			hosts := []string{overlay.Vars["API_HOST"], overlay.Vars["POS_HOST"], overlay.Vars["ADMIN_HOST"]}
			ops := make([]string, 0, len(want))
			for op := range want {
				ops = append(ops, op)
			}
			slices.Sort(ops)
			for _, op := range ops {
				method, path, _ := strings.Cut(op, " ")
				concrete := pathParam.ReplaceAllString(path, "x1")
				for _, host := range hosts {
					r, err := pickRoute(routes, host, concrete)
					if err != nil {
						t.Errorf("%s: %v", op, err)
						continue
					}
					svc := r.Services[0].Name
					if !groupOps[svc][op] {
						t.Errorf("%s %s%s goes to %s, which does not serve it (route %s)", method, host, concrete, svc, r.Match)
					}
				}
			}
			if len(ops) < 100 {
				t.Errorf("only %d operations checked: is the OpenAPI document read?", len(ops))
			}

			// Routes outside the OpenAPI document, checked by asking the group's server.
			for _, probe := range []struct {
				path   string
				answer func(int) bool
				why    string
			}{
				{"/api/v1/shops/x1/events", func(c int) bool { return c == http.StatusUnauthorized }, "the shop's event stream (401 without a token)"},
				{"/.well-known/jwks.json", func(c int) bool { return c == http.StatusOK }, "the signing keys"},
				{"/.well-known/openid-configuration", func(c int) bool { return c == http.StatusOK }, "OIDC discovery"},
				{"/openapi.json", func(c int) bool { return c == http.StatusOK }, "the API description"},
				{"/docs", func(c int) bool { return c == http.StatusOK }, "the API docs page"},
				{"/", func(c int) bool { return c == http.StatusOK }, "the web app"},
				{"/pos", func(c int) bool { return c == http.StatusOK }, "the POS screen"},
				{"/kds/bar", func(c int) bool { return c == http.StatusOK }, "the kitchen display"},
				{"/menu/x1", func(c int) bool { return c == http.StatusOK }, "the customer menu"},
			} {
				for _, host := range hosts {
					r, err := pickRoute(routes, host, probe.path)
					if err != nil {
						t.Errorf("%s: %v", probe.why, err)
						continue
					}
					a := groupApp[r.Services[0].Name]
					if a == nil {
						t.Errorf("%s%s (%s) goes to %s, not to a GoodGo group", host, probe.path, probe.why, r.Services[0].Name)
						continue
					}
					if code := answers(a, http.MethodGet, probe.path); !probe.answer(code) {
						t.Errorf("%s%s (%s) goes to %s, which answers %d", host, probe.path, probe.why, r.Services[0].Name, code)
					}
				}
			}
			// Metrics and health stay inside the cluster.
			for _, path := range []string{"/metrics", "/health/ready", "/health/live"} {
				for _, host := range hosts {
					r, err := pickRoute(routes, host, path)
					if err != nil || len(r.Middlewares) != 1 || m.middlewares[r.Middlewares[0].Name].Spec.IPAllowList == nil {
						t.Errorf("%s%s must be refused from outside the cluster (route %v, %v)", host, path, r, err)
					}
				}
			}
			// The web app's group serves only pages: no API route is sent to it.
			for op := range want {
				_, path, _ := strings.Cut(op, " ")
				if r, err := pickRoute(routes, hosts[1], pathParam.ReplaceAllString(path, "x1")); err == nil && r.Services[0].Name == "goodgo-web" {
					t.Errorf("%s is routed to the web app's group", op)
				}
			}
		})
	}
}
