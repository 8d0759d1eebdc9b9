package clock

import (
	"testing"
	"time"
)

func TestLocalDateIsVietnamDate(t *testing.T) {
	tests := []struct {
		utc  string
		want string
	}{
		{"2026-11-23T16:59:59Z", "2026-11-23"}, // 23:59:59 in Hà Nội
		{"2026-11-23T17:00:00Z", "2026-11-24"}, // midnight in Hà Nội
		{"2026-12-31T18:30:00Z", "2027-01-01"},
	}
	for _, tt := range tests {
		ts, _ := time.Parse(time.RFC3339, tt.utc)
		if got := LocalDate(ts); got != tt.want {
			t.Errorf("LocalDate(%s) = %s, want %s", tt.utc, got, tt.want)
		}
	}
}

func TestFakeMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, VietnamZone)
	f := NewFake(start)
	if !f.Now().Equal(start) || f.Now().Location() != time.UTC {
		t.Fatalf("Now = %v, want %v in UTC", f.Now(), start)
	}
	f.Advance(90 * time.Second)
	if got := f.Now().Sub(start); got != 90*time.Second {
		t.Fatalf("advanced %v, want 90s", got)
	}
}
