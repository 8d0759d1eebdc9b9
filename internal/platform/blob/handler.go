package blob

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// inlineTypes are the content types a browser may show in place: raster images only. Anything else (HTML,
// SVG, XML, PDF, text) is sent as an attachment so an uploaded file can never run script in our origin.
var inlineTypes = map[string]bool{
	"image/png":  true,
	"image/jpeg": true,
	"image/gif":  true,
	"image/webp": true,
	"image/avif": true,
}

// Handler serves the links made by URL. Mount it at FilesPath without stripping the prefix, e.g.
// router.Handle("/files/*", disk.Handler()). It answers GET and HEAD (with ranges); a link whose signature
// does not match or whose time has passed gets 403, a missing file 404, both as application/problem+json.
func (d *Disk) Handler() http.Handler {
	return http.HandlerFunc(d.serveFile)
}

func (d *Disk) serveFile(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeProblem(w, http.StatusMethodNotAllowed, "the file link only supports GET and HEAD")
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, FilesPath)
	if !ok || ValidateKey(key) != nil {
		writeProblem(w, http.StatusNotFound, "file not found")
		return
	}
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
	now := d.clock.Now()
	// The signature is checked before the expiry so an attacker learns nothing from which check failed.
	if err != nil || !d.verify(key, exp, q.Get("sig")) || now.Unix() >= exp {
		writeProblem(w, http.StatusForbidden, "the file link is invalid or has expired")
		return
	}

	rc, info, err := d.Get(r.Context(), key)
	if apperr.Is(err, apperr.NotFound) {
		writeProblem(w, http.StatusNotFound, "file not found")
		return
	}
	if err != nil {
		d.log.ErrorContext(r.Context(), "serve file", "key", key, "err", err)
		writeProblem(w, http.StatusInternalServerError, "the file could not be read")
		return
	}
	defer rc.Close()

	h := w.Header()
	h.Set("Content-Type", info.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", contentDisposition(key, info.ContentType))
	expires := time.Unix(exp, 0).UTC()
	h.Set("Cache-Control", "private, max-age="+strconv.FormatInt(int64(expires.Sub(now)/time.Second), 10))
	h.Set("Expires", expires.Format(http.TimeFormat))

	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", info.ModTime, rs)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, rc); err != nil {
		d.log.WarnContext(r.Context(), "serve file: copy", "key", key, "err", err)
	}
}

// contentDisposition answers inline for raster images and attachment otherwise, naming the file after the
// key's last segment (whose characters ValidateKey limits to ones safe in a quoted string).
func contentDisposition(key, contentType string) string {
	mediaType, _, _ := strings.Cut(contentType, ";")
	kind := "attachment"
	if inlineTypes[strings.TrimSpace(mediaType)] {
		kind = "inline"
	}
	return fmt.Sprintf("%s; filename=%q", kind, path.Base(key))
}

// problem is an RFC 9457 problem detail.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
