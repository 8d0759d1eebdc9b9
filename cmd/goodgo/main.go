// Command goodgo is the GoodGo point-of-sale server: one binary that serves the API and the web app, runs the
// workers, and applies migrations. See `goodgo help`.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/goodgo/goodgo/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run handles the operations commands kept in this package (backup, restore, smoke, loadgen) and hands every other
// command to app.Main.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "backup":
			return runBackup(ctx, args[1:], environ, stdout, stderr)
		case "restore":
			return runRestore(ctx, args[1:], environ, stdout, stderr)
		case "smoke":
			return runSmoke(ctx, args[1:], stdout, stderr)
		case "loadgen":
			return runLoadgen(ctx, args[1:], stdout, stderr)
		}
	}
	return app.Main(ctx, args, environ, stdout, stderr)
}
