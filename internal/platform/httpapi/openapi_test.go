package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestOpenAPIDocument(t *testing.T) {
	env := newTestEnv(t, nil, Config{Title: "GoodGo", Version: "1.0.0"}, Deps{})
	rec := env.do(t, "GET", "/openapi.json", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", rec.Code)
	}
	checkCommonHeaders(t, rec)
	var doc struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			Schemas         map[string]map[string]any `json:"schemas"`
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name     string `json:"name"`
				In       string `json:"in"`
				Required bool   `json:"required"`
			} `json:"parameters"`
			Security    []map[string][]string `json:"security"`
			RequestBody struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}
	if s := doc.Components.SecuritySchemes["bearer"]; s["type"] != "http" || s["scheme"] != "bearer" {
		t.Errorf("bearer security scheme = %v", s)
	}
	idemParam := func(path, method string) (found, required bool) {
		for _, p := range doc.Paths[path][method].Parameters {
			if p.Name == IdempotencyKeyHeader && p.In == "header" {
				return true, p.Required
			}
		}
		return false, false
	}
	if found, required := idemParam("/api/v1/things", "post"); !found || required {
		t.Errorf("create-thing Idempotency-Key documented=%v required=%v, want optional", found, required)
	}
	if found, required := idemParam("/api/v1/orders", "post"); !found || !required {
		t.Errorf("place-order Idempotency-Key documented=%v required=%v, want required", found, required)
	}
	if found, _ := idemParam("/api/v1/me", "get"); found {
		t.Error("a GET documents Idempotency-Key")
	}
	if sec := doc.Paths["/api/v1/me"]["get"].Security; len(sec) != 1 {
		t.Errorf("who-am-i security = %v", sec)
	}
	ref, _ := doc.Paths["/api/v1/things"]["post"].RequestBody.Content["application/json"].Schema["$ref"].(string)
	name := strings.TrimPrefix(ref, "#/components/schemas/")
	if ap, ok := doc.Components.Schemas[name]["additionalProperties"]; !ok || ap != false {
		t.Errorf("request schema %q additionalProperties = %v, want false", name, ap)
	}
	var problemDocumented bool
	for status, r := range doc.Paths["/api/v1/things"]["post"].Responses {
		if _, ok := r.Content[ProblemContentType]; ok && (status == "default" || status >= "400") {
			problemDocumented = true
		}
	}
	if !problemDocumented {
		t.Error("error responses are not documented as application/problem+json")
	}
	if _, ok := doc.Components.Schemas["Problem"]; !ok {
		t.Error("no Problem schema in components")
	}
}

func TestDocsPage(t *testing.T) {
	env := newTestEnv(t, nil, Config{}, Deps{})
	page := env.do(t, "GET", "/docs", "")
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	checkCommonHeaders(t, page)
	if head := env.do(t, "HEAD", "/docs", ""); head.Code != http.StatusOK {
		t.Errorf("HEAD /docs: %d, want 200", head.Code)
	}
	html := page.Body.String()
	// CSP: no inline script, nothing from another origin.
	for _, tag := range regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`).FindAllString(html, -1) {
		if !strings.Contains(tag, `src="/docs/assets/`) || !strings.HasSuffix(tag, "></script>") {
			t.Errorf("inline or foreign script: %s", tag)
		}
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(html) {
		t.Error("the page loads something from another origin")
	}
	for _, tt := range []struct{ path, ctype, contains string }{
		{"/docs/assets/docs.js", "text/javascript", "fetch(\"/openapi.json\""},
		{"/docs/assets/docs.css", "text/css", "details.op"},
	} {
		rec := env.do(t, "GET", tt.path, "")
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.ctype) ||
			!strings.Contains(rec.Body.String(), tt.contains) {
			t.Errorf("GET %s: %d %q", tt.path, rec.Code, rec.Header().Get("Content-Type"))
		}
		checkCommonHeaders(t, rec)
	}
	if regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write`).MatchString(
		env.do(t, "GET", "/docs/assets/docs.js", "").Body.String()) {
		t.Error("docs.js parses strings as HTML")
	}
	if rec := env.do(t, "GET", "/docs/assets/index.html", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET /docs/assets/index.html: %d, want 404", rec.Code)
	}
	if rec := env.do(t, "GET", "/schemas/Problem.json", ""); rec.Code != http.StatusNotFound {
		t.Errorf("huma's schema route is mounted: %d", rec.Code)
	}
}

// TestRealServerAnswers431AsProblem runs the http.Server from HTTPServer on a real socket: a header block
// over the limit must get our problem document, not net/http's plain-text 431.
func TestRealServerAnswers431AsProblem(t *testing.T) {
	env := newTestEnv(t, nil, Config{}, Deps{})
	hs := env.srv.HTTPServer("127.0.0.1:0")
	if hs.ReadHeaderTimeout != DefaultReadHeaderTimeout || hs.IdleTimeout != DefaultIdleTimeout ||
		hs.MaxHeaderBytes <= DefaultMaxHeaderBytes {
		t.Fatalf("server timeouts/limits = %v %v %d", hs.ReadHeaderTimeout, hs.IdleTimeout, hs.MaxHeaderBytes)
	}
	ln, err := net.Listen("tcp", hs.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	})
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/v1/me", nil)
	req.Header.Set("X-Big", strings.Repeat("b", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge || resp.Header.Get("Content-Type") != ProblemContentType {
		t.Fatalf("got %d %q %s, want a 431 problem", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp.Header.Get("X-Api-Version") != "1" {
		t.Error("X-Api-Version missing on 431")
	}
}
