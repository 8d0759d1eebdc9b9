package events_test

import (
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/events/bustest"
)

func TestMemoryBusKeepsTheBusContract(t *testing.T) {
	bustest.Run(t, bustest.Features{Dedupe: true, Replay: true}, func(t *testing.T) (events.Bus, events.Bus) {
		m := events.NewMemory()
		m.RetryDelay = time.Millisecond
		t.Cleanup(func() { _ = m.Close() })
		return m, m
	})
}
