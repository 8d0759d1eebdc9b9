// Package web carries the GoodGo single-page app inside the Go binary.
//
// The Svelte app is built by Vite into web/dist (npm run build, or make run) and
// embedded here with go:embed, so one binary serves the API and the screens with
// no separate web server. The dist folder is not committed: a placeholder file
// keeps go:embed working on a machine without Node, and then the SPA routes show a
// small bilingual page explaining how to build the app instead of failing.
package web

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
)

// embedded holds the Vite output (dist) and the page shown when it is absent.
// The all: prefix keeps dist/.placeholder so the pattern always matches something.
//
//go:embed all:dist placeholder.html
var embedded embed.FS

// Handler serves the embedded web app: hashed files under /assets/ with a
// one-year immutable cache, and dist/index.html (or the "not built" placeholder)
// for the SPA routes listed by Routes, which the browser-side router then renders.
// Any other path gets a plain 404; GET and HEAD are the only methods accepted.
func Handler() http.Handler {
	h, err := newHandler(distFiles(), mustReadEmbedded("placeholder.html"))
	if err != nil {
		// The embedded files are fixed at compile time; failing here means a broken build.
		panic(fmt.Sprintf("web: %v", err))
	}
	return h
}

// Built reports whether the binary carries a built web app (dist/index.html);
// when false, Handler serves the placeholder page on the SPA routes.
func Built() bool {
	_, err := fs.Stat(distFiles(), indexFile)
	return err == nil
}

// Routes lists the chi route patterns that Handler answers: the SPA routes and
// their sub-paths, and /assets/*. Mount Handler on exactly these so the API,
// docs and health routes keep their own handlers.
func Routes() []string {
	return []string{
		"/",
		"/pos", "/pos/*",
		"/kds", "/kds/*",
		"/admin", "/admin/*",
		"/reports", "/reports/*",
		"/menu/*",
		"/t/*",
		"/assets/*",
	}
}

// distFiles returns the embedded dist folder as the root of a file system.
func distFiles() fs.FS {
	sub, err := fs.Sub(embedded, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid directory name, and "dist" is valid.
		panic(fmt.Sprintf("web: open embedded dist: %v", err))
	}
	return sub
}

// mustReadEmbedded returns an embedded file that go:embed guarantees exists.
func mustReadEmbedded(name string) []byte {
	b, err := embedded.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("web: read embedded %s: %v", name, err))
	}
	return b
}
