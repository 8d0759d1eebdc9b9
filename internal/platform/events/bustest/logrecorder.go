package bustest

import (
	"context"
	"log/slog"
	"slices"
	"sync"
)

// LogRecord is one record a LogRecorder kept: its level, message and attributes (the logger's own too)
// as text.
type LogRecord struct {
	Level   slog.Level
	Message string
	Attrs   map[string]string
}

// LogRecorder keeps what a bus logs, so tests can check that a dropped event was reported.
type LogRecorder struct {
	mu      sync.Mutex
	records []LogRecord
}

// NewLogRecorder returns an empty recorder and a logger writing to it.
func NewLogRecorder() (*LogRecorder, *slog.Logger) {
	r := &LogRecorder{}
	return r, slog.New(recordingHandler{rec: r})
}

// Records returns a copy of the records at level or above whose attributes include every key and value
// of attrs.
func (r *LogRecorder) Records(level slog.Level, attrs map[string]string) []LogRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []LogRecord
	for _, rec := range r.records {
		if rec.Level < level {
			continue
		}
		match := true
		for k, v := range attrs {
			if rec.Attrs[k] != v {
				match = false
				break
			}
		}
		if match {
			out = append(out, rec)
		}
	}
	return out
}

// recordingHandler is the slog.Handler of a LogRecorder.
type recordingHandler struct {
	rec   *LogRecorder
	attrs []slog.Attr
}

func (h recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h recordingHandler) Handle(_ context.Context, r slog.Record) error {
	rec := LogRecord{Level: r.Level, Message: r.Message, Attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.rec.mu.Lock()
	h.rec.records = append(h.rec.records, rec)
	h.rec.mu.Unlock()
	return nil
}

func (h recordingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return recordingHandler{rec: h.rec, attrs: append(slices.Clip(h.attrs), attrs...)}
}

// WithGroup keeps the attributes flat: the bus's loggers use no groups.
func (h recordingHandler) WithGroup(string) slog.Handler { return h }
