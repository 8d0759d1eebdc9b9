package simkit

import (
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// maxForm bounds a pay-page form post.
const maxForm = 16 << 10

// Page parses a simulated pay page: body (html/template text) in the simulators' frame — a Vietnamese,
// phone-friendly HTML page with no script — titled title (template text too) and styled in the brand's
// colours: accent for headings and the pay button, background behind the card. extraStyle adds CSS rules.
func Page(title, background, accent, extraStyle, body string) *template.Template {
	style := `body{font-family:system-ui,sans-serif;background:` + background + `;margin:0}` +
		`main{max-width:28rem;margin:2rem auto;background:#fff;border-radius:.5rem;padding:1.5rem;box-shadow:0 1px 4px #0002}` +
		`h1{font-size:1.2rem;color:` + accent + `}dt{color:#666}dd{margin:0 0 .6rem;font-weight:600}` +
		`button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;border:0;border-radius:.3rem;cursor:pointer}` +
		`.pay{background:` + accent + `;color:#fff}.cancel{background:#ddd}` + extraStyle
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>` + title + `</title><style>` + style + `</style></head>
<body><main>` + body + `</main></body></html>`))
}

// Render writes t executed with data as an HTML page with status.
func Render(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}

// ParseForm reads the form a pay page posts, up to 16 KiB, into r.PostForm.
func ParseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	return r.ParseForm()
}

// ChosePay reports whether the customer pressed the pay button (action=pay) rather than cancel.
func ChosePay(form url.Values) bool { return form.Get("action") == "pay" }

// RandomHex returns n random bytes in hex: pay-page tokens and response ids.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WithQuery appends the encoded query to base, after the query base already has.
func WithQuery(base, query string) string {
	if strings.Contains(base, "?") {
		return base + "&" + query
	}
	return base + "?" + query
}

// BaseURL is the simulator's public URL, mount prefix included: configured when set (without a trailing
// slash), else the scheme, host and prefix r was served under (the part of the request URI that
// http.StripPrefix removed).
func BaseURL(configured string, r *http.Request) string {
	if configured != "" {
		return strings.TrimRight(configured, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	full := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		full = u.Path
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(full, r.URL.Path)
}
