// Command goodgo is the GoodGo point-of-sale server: one binary that serves the API and the web app, runs the
// workers, and applies migrations. See `goodgo help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/goodgo/goodgo/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := app.Main(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
