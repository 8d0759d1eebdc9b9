package blob

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
)

var epoch = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func openTestDisk(t *testing.T, dir string, c clock.Clock) *Disk {
	t.Helper()
	d, err := OpenDisk(DiskConfig{Dir: dir, PublicURL: "https://pos.example.vn/", Secret: testSecret, Clock: c})
	if err != nil {
		t.Fatalf("OpenDisk: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenDiskValidatesConfig(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  DiskConfig
	}{
		{"short secret", DiskConfig{Dir: dir, PublicURL: "http://x", Secret: []byte("short")}},
		{"relative public URL", DiskConfig{Dir: dir, PublicURL: "/files", Secret: testSecret}},
		{"public URL without host", DiskConfig{Dir: dir, PublicURL: "https://", Secret: testSecret}},
		{"directory is a file", DiskConfig{Dir: writeFile(t, dir, "plain-file"), PublicURL: "http://x", Secret: testSecret}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d, err := OpenDisk(tt.cfg); err == nil {
				d.Close()
				t.Errorf("OpenDisk succeeded, want an error")
			}
		})
	}
}

func writeFile(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("outside secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Symbolic links planted inside the directory must not lead outside it, whatever the key.
func TestDiskSymlinksCannotEscapeTheRoot(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, outside, "secret.txt")
	dir := t.TempDir()
	d := openTestDisk(t, dir, clock.System{})
	if err := os.MkdirAll(filepath.Join(dir, "m"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "m", "evil")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "m", "file")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, key := range []string{"m/evil/secret.txt", "m/file"} {
		rc, _, err := d.Get(ctx, key)
		if err == nil {
			body, _ := io.ReadAll(rc)
			rc.Close()
			t.Errorf("Get(%q) read %q from outside the root", key, body)
		}
	}
	if err := d.Put(ctx, "m/evil/planted.txt", strings.NewReader("x"), 1, "text/plain"); err == nil {
		t.Errorf("Put through a symlink to outside succeeded")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted.txt")); !os.IsNotExist(err) {
		t.Errorf("a file was written outside the root (stat: %v)", err)
	}
	if err := d.Delete(ctx, "m/evil/secret.txt"); err == nil {
		if _, statErr := os.Stat(filepath.Join(outside, "secret.txt")); statErr != nil {
			t.Errorf("Delete removed a file outside the root")
		}
	}
}

func TestDiskPutLeavesOnlyTheFileAndItsSidecar(t *testing.T) {
	dir := t.TempDir()
	d := openTestDisk(t, dir, clock.System{})
	ctx := context.Background()
	put(t, d, "m/m1/a.png", "png", "image/png")
	put(t, d, "m/m1/a.png", "png2", "image/png")
	_ = d.Put(ctx, "m/m1/bad", strings.NewReader("short"), 99, "text/plain") // fails; must not leave a temp file
	var got []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"m/m1/.a.png.meta", "m/m1/a.png"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("files on disk = %v, want %v", got, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "m/m1/.a.png.meta"))
	if err != nil {
		t.Fatal(err)
	}
	var meta sidecar
	if err := json.Unmarshal(raw, &meta); err != nil || meta.ContentType != "image/png" {
		t.Errorf("sidecar = %s (%v), want content type image/png", raw, err)
	}
}

func TestDiskMissingSidecarServesOctetStream(t *testing.T) {
	dir := t.TempDir()
	d := openTestDisk(t, dir, clock.System{})
	put(t, d, "m/m1/page.html", "<script>alert(1)</script>", "text/html")
	if err := os.Remove(filepath.Join(dir, "m/m1/.page.html.meta")); err != nil {
		t.Fatal(err)
	}
	if _, info := read(t, d, "m/m1/page.html"); info.ContentType != DefaultContentType {
		t.Errorf("content type without sidecar = %q, want %q", info.ContentType, DefaultContentType)
	}
}

func TestDiskGetOfDirectoryIsNotFound(t *testing.T) {
	d := openTestDisk(t, t.TempDir(), clock.System{})
	put(t, d, "m/m1/x", "x", "")
	if _, _, err := d.Get(context.Background(), "m/m1"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Get of a directory: %v, want not found", err)
	}
}

func TestDiskURLShape(t *testing.T) {
	d := openTestDisk(t, t.TempDir(), clock.NewFake(epoch))
	link, err := d.URL(context.Background(), "m/m1/logo.png", 90*time.Second+time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Scheme+"://"+u.Host+u.Path, "https://pos.example.vn/files/m/m1/logo.png"; got != want {
		t.Errorf("link base = %q, want %q", got, want)
	}
	if got, want := u.Query().Get("exp"), strconv.FormatInt(epoch.Unix()+91, 10); got != want {
		t.Errorf("exp = %s, want %s (ttl rounded up to a second)", got, want)
	}
	if !d.verify("m/m1/logo.png", epoch.Unix()+91, u.Query().Get("sig")) {
		t.Errorf("sig does not verify")
	}
}

// serve runs Disk.Handler for one request and returns the recorded response.
func serve(d *Disk, method, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, req)
	return rec
}

func pathAndQuery(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func TestDiskHandler(t *testing.T) {
	fake := clock.NewFake(epoch)
	d := openTestDisk(t, t.TempDir(), fake)
	ctx := context.Background()
	put(t, d, "m/m1/pho.png", "png bytes", "image/png")
	put(t, d, "m/m1/page.html", "<script>alert(1)</script>", "text/html; charset=utf-8")
	link := func(key string, ttl time.Duration) string {
		l, err := d.URL(ctx, key, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return pathAndQuery(t, l)
	}
	good := link("m/m1/pho.png", time.Hour)
	otherSig := func() string { u, _ := url.Parse(link("m/m1/page.html", time.Hour)); return u.Query().Get("sig") }()
	q, _ := url.Parse(good)
	exp, sig := q.Query().Get("exp"), q.Query().Get("sig")

	tests := []struct {
		name       string
		method     string
		target     string
		header     http.Header
		wantStatus int
		wantBody   string
		wantHeader map[string]string
	}{
		{
			name: "valid link serves the image inline", method: "GET", target: good, wantStatus: 200, wantBody: "png bytes",
			wantHeader: map[string]string{
				"Content-Type":           "image/png",
				"X-Content-Type-Options": "nosniff",
				"Content-Disposition":    `inline; filename="pho.png"`,
				"Cache-Control":          "private, max-age=3600",
				"Expires":                epoch.Add(time.Hour).Format(http.TimeFormat),
				"Content-Length":         "9",
			},
		},
		{
			name: "html is an attachment", method: "GET", target: link("m/m1/page.html", time.Minute), wantStatus: 200,
			wantHeader: map[string]string{
				"Content-Type":            "text/html; charset=utf-8",
				"Content-Disposition":     `attachment; filename="page.html"`,
				"Content-Security-Policy": "default-src 'none'; sandbox",
			},
		},
		{name: "HEAD has headers and no body", method: "HEAD", target: good, wantStatus: 200, wantBody: "",
			wantHeader: map[string]string{"Content-Length": "9", "Content-Type": "image/png"}},
		{name: "range request", method: "GET", target: good, header: http.Header{"Range": {"bytes=0-2"}},
			wantStatus: 206, wantBody: "png"},
		{name: "tampered signature", method: "GET", target: "/files/m/m1/pho.png?exp=" + exp + "&sig=" + otherSig, wantStatus: 403,
			wantHeader: map[string]string{"Content-Type": "application/problem+json"}},
		{name: "signature of another file", method: "GET", target: "/files/m/m1/page.html?exp=" + exp + "&sig=" + sig, wantStatus: 403},
		{name: "extended expiry", method: "GET", target: "/files/m/m1/pho.png?exp=" + strconv.FormatInt(epoch.Unix()+86400, 10) + "&sig=" + sig, wantStatus: 403},
		{name: "missing signature", method: "GET", target: "/files/m/m1/pho.png?exp=" + exp, wantStatus: 403},
		{name: "garbage signature", method: "GET", target: "/files/m/m1/pho.png?exp=" + exp + "&sig=%%%", wantStatus: 403},
		{name: "missing expiry", method: "GET", target: "/files/m/m1/pho.png?sig=" + sig, wantStatus: 403},
		{name: "signed link to a missing file", method: "GET", target: link("m/m1/missing.png", time.Hour), wantStatus: 404,
			wantHeader: map[string]string{"Content-Type": "application/problem+json"}},
		{name: "invalid key", method: "GET", target: "/files/m/../etc/passwd?exp=" + exp + "&sig=" + sig, wantStatus: 404},
		{name: "outside the files path", method: "GET", target: "/other/m/m1/pho.png?exp=" + exp + "&sig=" + sig, wantStatus: 404},
		{name: "POST is not allowed", method: "POST", target: good, wantStatus: 405, wantHeader: map[string]string{"Allow": "GET, HEAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(d, tt.method, tt.target, tt.header)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantBody != "" || tt.method == "HEAD" {
				if got := rec.Body.String(); got != tt.wantBody {
					t.Errorf("body = %q, want %q", got, tt.wantBody)
				}
			}
			for k, want := range tt.wantHeader {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if rec.Code >= 400 && tt.method != "HEAD" {
				var p problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Title == "" {
					t.Errorf("error body %s is not a problem with status %d (%v)", rec.Body, rec.Code, err)
				}
			}
		})
	}
}

func TestDiskHandlerRefusesExpiredLinks(t *testing.T) {
	fake := clock.NewFake(epoch)
	d := openTestDisk(t, t.TempDir(), fake)
	put(t, d, "m/m1/pho.png", "png bytes", "image/png")
	l, err := d.URL(context.Background(), "m/m1/pho.png", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	target := pathAndQuery(t, l)
	fake.Advance(59 * time.Second)
	if rec := serve(d, "GET", target, nil); rec.Code != 200 || rec.Header().Get("Cache-Control") != "private, max-age=1" {
		t.Fatalf("1s before expiry: status %d cache %q, want 200 and max-age=1", rec.Code, rec.Header().Get("Cache-Control"))
	}
	fake.Advance(time.Second)
	rec := serve(d, "GET", target, nil)
	if rec.Code != http.StatusForbidden || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("at expiry: status %d (%s), want 403 problem", rec.Code, rec.Header().Get("Content-Type"))
	}
	if strings.Contains(rec.Body.String(), "png bytes") {
		t.Errorf("expired link leaked the content")
	}
}

func BenchmarkDiskPut(b *testing.B) {
	d, err := OpenDisk(DiskConfig{Dir: b.TempDir(), PublicURL: "http://x", Secret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	body := strings.Repeat("x", 64<<10)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	for i := 0; b.Loop(); i++ {
		if err := d.Put(ctx, "m/m1/f"+strconv.Itoa(i%100), strings.NewReader(body), int64(len(body)), "image/png"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDiskURL(b *testing.B) {
	d, err := OpenDisk(DiskConfig{Dir: b.TempDir(), PublicURL: "http://x", Secret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := d.URL(ctx, "m/0195f0a0-7c1e-7000-8000-000000000001/menu/pho.png", time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
