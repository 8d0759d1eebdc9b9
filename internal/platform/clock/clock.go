// Package clock gives domain code the current time through an interface, so tests control time.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time. Domain code takes a Clock instead of calling time.Now.
type Clock interface {
	Now() time.Time
}

// System is the real clock; it answers in UTC.
type System struct{}

// Now returns the current time in UTC.
func (System) Now() time.Time { return time.Now().UTC() }

// Fake is a clock that only moves when told to. It is safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake clock standing at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t.UTC()} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Set moves the fake clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t.UTC()
	f.mu.Unlock()
}

// VietnamZone is Asia/Ho_Chi_Minh: GMT+7 with no daylight saving, fixed so it never depends on tzdata.
var VietnamZone = time.FixedZone("ICT", 7*60*60)

// LocalDate returns the calendar date of t in Vietnam as YYYY-MM-DD.
func LocalDate(t time.Time) string { return t.In(VietnamZone).Format(time.DateOnly) }
