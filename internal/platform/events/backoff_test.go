package events_test

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
)

func TestBackoffDoublesUpToTheLimit(t *testing.T) {
	tests := []struct {
		attempt      int
		first, limit time.Duration
		want         time.Duration
	}{
		{0, time.Second, time.Minute, time.Second},
		{1, time.Second, time.Minute, time.Second},
		{2, time.Second, time.Minute, 2 * time.Second},
		{3, time.Second, time.Minute, 4 * time.Second},
		{6, time.Second, time.Minute, 32 * time.Second},
		{7, time.Second, time.Minute, time.Minute},
		{1000, time.Second, time.Minute, time.Minute},
		{1, 2 * time.Minute, time.Minute, time.Minute}, // first above the limit
		{100, time.Duration(math.MaxInt64 / 3), time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		if got := events.Backoff(tt.attempt, tt.first, tt.limit); got != tt.want {
			t.Errorf("Backoff(%d, %v, %v) = %v, want %v", tt.attempt, tt.first, tt.limit, got, tt.want)
		}
	}
}

func TestIsPermanentOnlyForInvalid(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("database down"), false},
		{apperr.E(apperr.Unavailable, "broker down"), false},
		{apperr.E(apperr.Invalid, "event without merchant"), true},
		{fmt.Errorf("consumer c: handle x: %w", apperr.E(apperr.Invalid, "bad")), true},
	}
	for _, tt := range tests {
		if got := events.IsPermanent(tt.err); got != tt.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
