package httpapi

import (
	"embed"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// docsFiles is the API reference page: plain HTML, CSS and JavaScript of our own, embedded in the binary
// so /docs works offline and under the strict Content-Security-Policy (no inline script, no CDN).
//
//go:embed docs
var docsFiles embed.FS

// mountDocs serves the reference page at /docs and its two assets; the page renders /openapi.json.
func (s *Server) mountDocs() {
	serve := func(w http.ResponseWriter, r *http.Request, name string) {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, docsFiles, "docs/"+name)
	}
	page := func(w http.ResponseWriter, r *http.Request) { serve(w, r, "index.html") }
	s.mux.Get("/docs", page)
	s.mux.Get("/docs/", page)
	s.mux.Get("/docs/assets/{name}", func(w http.ResponseWriter, r *http.Request) {
		switch name := chi.URLParam(r, "name"); name {
		case "docs.js", "docs.css":
			serve(w, r, name)
		default:
			WriteProblem(w, r, &Problem{Status: http.StatusNotFound, Detail: "no such docs asset"})
		}
	})
}
