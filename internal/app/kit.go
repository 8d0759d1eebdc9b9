package app

import (
	"log/slog"

	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
)

// Kit is what the composition root hands every module's Init: the platform's shared parts. Modules take
// what they need from it and keep their own references; nothing here is global.
type Kit struct {
	Config Config
	Log    *slog.Logger
	Clock  clock.Clock
	DB     *db.DB
}
