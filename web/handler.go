package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

const (
	indexFile    = "index.html"
	assetsPrefix = "/assets/"

	// Vite puts a content hash in every asset name, so a name never changes meaning.
	assetCacheControl = "public, max-age=31536000, immutable"
	// index.html names the current assets, so browsers must revalidate it (cheap: ETag).
	pageCacheControl = "no-cache"
)

// spaHandler serves one app build: the page for every SPA route and its assets.
type spaHandler struct {
	assets fs.FS  // the dist folder; only names under assets/ are opened
	page   []byte // dist/index.html, or the placeholder when the app is not built
	etag   string // strong ETag of page, so revalidation costs a 304
}

// newHandler builds the handler over a dist folder; placeholder is served on the
// SPA routes when dist has no index.html.
func newHandler(dist fs.FS, placeholder []byte) (*spaHandler, error) {
	page, err := fs.ReadFile(dist, indexFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		page = placeholder
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", indexFile, err)
	}
	sum := sha256.Sum256(page)
	return &spaHandler{
		assets: dist,
		page:   page,
		etag:   `"` + hex.EncodeToString(sum[:16]) + `"`,
	}, nil
}

// ServeHTTP answers GET and HEAD for assets and SPA routes, 404 for the rest.
func (h *spaHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !isSafePath(p) {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasPrefix(p, assetsPrefix):
		h.serveAsset(w, r, strings.TrimPrefix(p, "/"))
	case isAppRoute(p):
		h.servePage(w, r)
	default:
		http.NotFound(w, r)
	}
}

// servePage sends the app's index.html (or the placeholder); the browser router
// picks the screen from the URL.
func (h *spaHandler) servePage(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", pageCacheControl)
	hdr.Set("ETag", h.etag)
	http.ServeContent(w, r, indexFile, time.Time{}, bytes.NewReader(h.page))
}

// serveAsset sends one file under dist/assets with the immutable cache policy.
func (h *spaHandler) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	if !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	f, err := h.assets.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		http.NotFound(w, r)
		return
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		content = bytes.NewReader(b)
	}
	hdr := w.Header()
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		hdr.Set("Content-Type", ct)
	}
	hdr.Set("Cache-Control", assetCacheControl)
	http.ServeContent(w, r, name, time.Time{}, content)
}

// isAppRoute reports whether p is one of the paths the SPA renders: the home
// page, the staff sections with any sub-path, and the customer pages
// /menu/{shop_id} and /t/{qr_token} with any sub-path.
func isAppRoute(p string) bool {
	if p == "/" {
		return true
	}
	for _, section := range [...]string{"/pos", "/kds", "/admin", "/reports"} {
		if p == section || strings.HasPrefix(p, section+"/") {
			return true
		}
	}
	for _, prefix := range [...]string{"/menu/", "/t/"} {
		if rest, ok := strings.CutPrefix(p, prefix); ok && rest != "" && !strings.HasPrefix(rest, "/") {
			return true
		}
	}
	return false
}

// isSafePath refuses request paths that could climb out of a folder or confuse
// a file system: "." and ".." segments (also when sent percent-encoded, since
// URL.Path is decoded), backslashes and NUL bytes.
func isSafePath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
