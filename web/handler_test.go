package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

const (
	testIndex       = `<!doctype html><html><body><div id="app"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>`
	testPlaceholder = `<html><body>not built: run make run</body></html>`
	testScript      = `console.log("app")`
)

// builtDist is a dist folder as Vite writes it, plus a file outside assets/
// that must never be reachable.
func builtDist() fstest.MapFS {
	return fstest.MapFS{
		".placeholder":            {Data: []byte("keep")},
		"index.html":              {Data: []byte(testIndex)},
		"assets/index-abc123.js":  {Data: []byte(testScript)},
		"assets/index-abc123.css": {Data: []byte("body{margin:0}")},
		"assets/fonts/x.woff2":    {Data: []byte("font")},
		"secret.txt":              {Data: []byte("top secret")},
	}
}

func newTestHandler(t *testing.T, dist fstest.MapFS) *spaHandler {
	t.Helper()
	h, err := newHandler(dist, []byte(testPlaceholder))
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	return h
}

// get sends one request to h and returns the recorded response and its body.
func get(t *testing.T, h http.Handler, method, target string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return res, string(body)
}

func TestHandlerServesIndexForAppRoutes(t *testing.T) {
	h := newTestHandler(t, builtDist())
	paths := []string{
		"/", "/pos", "/pos/", "/pos/orders/0190a1b2", "/kds", "/kds/bar", "/admin", "/admin/shops/1/floor",
		"/reports", "/reports/revenue", "/menu/0190a1b2-c3d4", "/menu/0190a1b2-c3d4/cart", "/t/qr-token-1",
		"/t/qr-token-1/pay",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			res, body := get(t, h, http.MethodGet, p, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if body != testIndex {
				t.Errorf("body = %q, want index.html", body)
			}
			if got, want := res.Header.Get("Cache-Control"), "no-cache"; got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
			if got, want := res.Header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
				t.Errorf("Content-Type = %q, want %q", got, want)
			}
		})
	}
}

func TestHandlerServesPlaceholderWhenNotBuilt(t *testing.T) {
	h := newTestHandler(t, fstest.MapFS{".placeholder": {Data: []byte("keep")}})
	for _, p := range []string{"/", "/pos", "/menu/shop-1", "/t/token"} {
		t.Run(p, func(t *testing.T) {
			res, body := get(t, h, http.MethodGet, p, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if body != testPlaceholder {
				t.Errorf("body = %q, want the placeholder", body)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", got)
			}
		})
	}
	res, _ := get(t, h, http.MethodGet, "/assets/index-abc123.js", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("asset without a build: status = %d, want 404", res.StatusCode)
	}
}

func TestHandlerServesAssetsImmutable(t *testing.T) {
	h := newTestHandler(t, builtDist())
	tests := []struct {
		path            string
		wantBody        string
		wantContentType string
	}{
		{"/assets/index-abc123.js", testScript, "text/javascript; charset=utf-8"},
		{"/assets/index-abc123.css", "body{margin:0}", "text/css; charset=utf-8"},
		{"/assets/fonts/x.woff2", "font", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, body := get(t, h, http.MethodGet, tt.path, nil)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", res.StatusCode)
			}
			if body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			if got, want := res.Header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
				t.Errorf("Cache-Control = %q, want %q", got, want)
			}
			if tt.wantContentType != "" && res.Header.Get("Content-Type") != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tt.wantContentType)
			}
		})
	}
}

func TestHandlerNotFound(t *testing.T) {
	h := newTestHandler(t, builtDist())
	paths := []string{
		"/unknown", "/posx", "/menu", "/menu/", "/menu//x", "/t", "/t/", "/index.html", "/secret.txt",
		"/.placeholder", "/assets/", "/assets/fonts", "/assets/missing.js", "/assets//index-abc123.js",
		"/api/v1/me", "/health/ready",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			res, body := get(t, h, http.MethodGet, p, nil)
			if res.StatusCode != http.StatusNotFound {
				t.Fatalf("status = %d, want 404 (body %q)", res.StatusCode, body)
			}
			if strings.Contains(body, "<html") {
				t.Errorf("404 body is the app page, want a plain 404: %q", body)
			}
		})
	}
}

func TestHandlerRefusesPathTraversal(t *testing.T) {
	h := newTestHandler(t, builtDist())
	targets := []string{
		"/assets/../secret.txt",
		"/assets/%2e%2e/secret.txt",
		"/assets/..%2fsecret.txt",
		"/assets/./index-abc123.js",
		"/assets/fonts/../../secret.txt",
		"/assets/..\\secret.txt",
		"/assets/%5c..%5csecret.txt",
		"/pos/../../secret.txt",
		"/menu/../secret.txt",
		"/t/%2e%2e",
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			res, body := get(t, h, http.MethodGet, target, nil)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("status = %d, want 404", res.StatusCode)
			}
			if strings.Contains(body, "top secret") || strings.Contains(body, testIndex) {
				t.Errorf("traversal leaked content: %q", body)
			}
		})
	}
}

func TestHandlerMethods(t *testing.T) {
	h := newTestHandler(t, builtDist())
	tests := []struct {
		method, path string
		wantStatus   int
		wantBody     bool
	}{
		{http.MethodHead, "/pos", http.StatusOK, false},
		{http.MethodHead, "/assets/index-abc123.js", http.StatusOK, false},
		{http.MethodPost, "/pos", http.StatusMethodNotAllowed, true},
		{http.MethodDelete, "/assets/index-abc123.js", http.StatusMethodNotAllowed, true},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res, body := get(t, h, tt.method, tt.path, nil)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if got := body != ""; got != tt.wantBody {
				t.Errorf("has body = %v, want %v (%q)", got, tt.wantBody, body)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q, want %q", res.Header.Get("Allow"), "GET, HEAD")
			}
		})
	}
}

func TestHandlerPageRevalidatesWithETag(t *testing.T) {
	h := newTestHandler(t, builtDist())
	first, _ := get(t, h, http.MethodGet, "/kds", nil)
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on the page")
	}
	res, body := get(t, h, http.MethodGet, "/admin", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("status = %d, want 304", res.StatusCode)
	}
	if body != "" {
		t.Errorf("304 has a body: %q", body)
	}

	other := newTestHandler(t, fstest.MapFS{"index.html": {Data: []byte("<html>another build</html>")}})
	res, _ = get(t, other, http.MethodGet, "/admin", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusOK {
		t.Errorf("another build with the old ETag: status = %d, want 200", res.StatusCode)
	}
}

// TestRoutesAreServed keeps Routes (what the server mounts) and the handler's own
// matching in step: a sample path under every pattern must be answered.
func TestRoutesAreServed(t *testing.T) {
	h := newTestHandler(t, builtDist())
	for _, pattern := range Routes() {
		sample := strings.Replace(pattern, "*", "index-abc123.js", 1)
		t.Run(pattern, func(t *testing.T) {
			res, _ := get(t, h, http.MethodGet, sample, nil)
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: status = %d, want 200", sample, res.StatusCode)
			}
		})
	}
}

// TestEmbeddedHandler checks the real embedded build: the app when dist holds
// one, otherwise the placeholder page with its build hint and links.
func TestEmbeddedHandler(t *testing.T) {
	res, body := get(t, Handler(), http.MethodGet, "/pos", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	if Built() {
		if !strings.Contains(body, `<script type="module"`) || !strings.Contains(body, "/assets/") {
			t.Errorf("built app page does not load its module from /assets/: %q", body)
		}
		return
	}
	for _, want := range []string{"make run", `href="/docs"`, `href="/health/ready"`, "ứng dụng web chưa được build", "the web app is not built"} {
		if !strings.Contains(body, want) {
			t.Errorf("placeholder lacks %q", want)
		}
	}
}

func BenchmarkHandlerPage(b *testing.B) {
	h, err := newHandler(builtDist(), []byte(testPlaceholder))
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/pos/orders/1", nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

func BenchmarkHandlerAsset(b *testing.B) {
	h, err := newHandler(builtDist(), []byte(testPlaceholder))
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/assets/index-abc123.js", nil)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// FuzzHandlerPaths checks, for any request path, that only the page or a file
// under assets/ is ever served, and that files outside assets/ never leak.
func FuzzHandlerPaths(f *testing.F) {
	for _, seed := range []string{
		"/", "/pos/x", "/menu/s1", "/t/q", "/assets/index-abc123.js", "/assets/../secret.txt",
		"/assets/fonts/../../secret.txt", "/assets/..\\secret.txt", "/secret.txt", "/assets//x", "/t/..",
	} {
		f.Add(seed)
	}
	h, err := newHandler(builtDist(), []byte(testPlaceholder))
	if err != nil {
		f.Fatal(err)
	}
	assets := map[string]bool{testScript: true, "body{margin:0}": true, "font": true}
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		if strings.Contains(body, "top secret") || strings.Contains(body, "keep") {
			t.Fatalf("path %q leaked a file outside assets/: %q", p, body)
		}
		switch rec.Code {
		case http.StatusOK:
			if body != testIndex && !assets[body] {
				t.Fatalf("path %q: unexpected 200 body %q", p, body)
			}
			if assets[body] && !strings.HasPrefix(p, "/assets/") {
				t.Fatalf("path %q served an asset outside /assets/", p)
			}
		case http.StatusNotFound:
		default:
			t.Fatalf("path %q: status %d, want 200 or 404", p, rec.Code)
		}
	})
}
