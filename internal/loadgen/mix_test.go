package loadgen

import (
	"maps"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		in   string
		want Mix
		err  string
	}{
		{in: DefaultMix, want: Mix{Restaurant: 60, Karaoke: 20, QR: 15, Dashboard: 5}},
		{in: " qr = 3 , restaurant=1 ", want: Mix{QR: 3, Restaurant: 1}},
		{in: "karaoke=0,restaurant=2,", want: Mix{Karaoke: 0, Restaurant: 2}},
		{in: "", err: "no scenario"},
		{in: "restaurant=0", err: "no scenario"},
		{in: "bar=10", err: "unknown scenario"},
		{in: "restaurant", err: "scenario=weight"},
		{in: "restaurant=-1", err: "whole number"},
		{in: "restaurant=1.5", err: "whole number"},
		{in: "restaurant=1,restaurant=2", err: "twice"},
	}
	for _, tt := range tests {
		got, err := ParseMix(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseMix(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !maps.Equal(got, tt.want) {
			t.Errorf("ParseMix(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestAllocateSplitsTerminalsByWeightAndAddsUp(t *testing.T) {
	def, _ := ParseMix(DefaultMix)
	tests := []struct {
		mix  Mix
		n    int
		want map[Scenario]int
	}{
		{def, 100, map[Scenario]int{Restaurant: 60, Karaoke: 20, QR: 15, Dashboard: 5}},
		{def, 5, map[Scenario]int{Restaurant: 3, Karaoke: 1, QR: 1, Dashboard: 0}},
		{def, 1, map[Scenario]int{Restaurant: 1, Karaoke: 0, QR: 0, Dashboard: 0}},
		{Mix{Restaurant: 1, Karaoke: 1, QR: 1}, 4, map[Scenario]int{Restaurant: 2, Karaoke: 1, QR: 1}},
		{Mix{Restaurant: 1, Karaoke: 1, QR: 1, Dashboard: 1}, 4, map[Scenario]int{Restaurant: 1, Karaoke: 1, QR: 1, Dashboard: 1}},
		{Mix{QR: 7}, 3, map[Scenario]int{QR: 3}},
	}
	for _, tt := range tests {
		if got := tt.mix.Allocate(tt.n); !maps.Equal(got, tt.want) {
			t.Errorf("%v.Allocate(%d) = %v, want %v", tt.mix, tt.n, got, tt.want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		m := Mix{}
		for _, sc := range Scenarios {
			m[sc] = rng.IntN(5)
		}
		m[Restaurant]++
		n := 1 + rng.IntN(2000)
		sum := 0
		for sc, c := range m.Allocate(n) {
			sum += c
			exact := float64(n*m[sc]) / float64(m[Restaurant]+m[Karaoke]+m[QR]+m[Dashboard])
			if float64(c) < exact-1 || float64(c) > exact+1 {
				t.Fatalf("%v.Allocate(%d): %s gets %d, its share is %.2f", m, n, sc, c, exact)
			}
		}
		if sum != n {
			t.Fatalf("%v.Allocate(%d) gives %d terminals", m, n, sum)
		}
	}
}

func TestMixWithoutAScenario(t *testing.T) {
	m := Mix{Restaurant: 2, Dashboard: 1}
	got, ok := m.Without(Dashboard)
	if !ok || !maps.Equal(got, Mix{Restaurant: 2}) || len(m) != 2 {
		t.Errorf("Without(dashboard) = %v, %v; the mix itself is now %v", got, ok, m)
	}
	if _, ok := (Mix{Dashboard: 1}).Without(Dashboard); ok {
		t.Error("a mix of dashboard readers only is empty without them")
	}
	if s := (Mix{QR: 1, Restaurant: 2}).String(); s != "restaurant=2,qr=1" {
		t.Errorf("String = %q", s)
	}
}

func TestParseThink(t *testing.T) {
	tests := []struct {
		in       string
		min, max time.Duration
		bad      bool
	}{
		{in: "0"},
		{in: "0s"},
		{in: DefaultThink, min: time.Second, max: 3 * time.Second},
		{in: "1-3s", min: time.Second, max: 3 * time.Second},
		{in: "500ms-2s", min: 500 * time.Millisecond, max: 2 * time.Second},
		{in: "2s", min: 2 * time.Second, max: 2 * time.Second},
		{in: "0-100ms", max: 100 * time.Millisecond},
		{in: "3s-1s", bad: true},
		{in: "-1s", bad: true},
		{in: "soon", bad: true},
		{in: "2h", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseThink(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseThink(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.Min != tt.min || got.Max != tt.max {
			t.Errorf("ParseThink(%q) = %+v, %v; want %v-%v", tt.in, got, err, tt.min, tt.max)
		}
	}
}

func TestThinkPicksWithinItsRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	th := Think{Min: time.Second, Max: 3 * time.Second}
	var low, high bool
	for range 10000 {
		d := th.Pick(rng)
		if d < th.Min || d > th.Max {
			t.Fatalf("picked %v outside %v", d, th)
		}
		low = low || d < 1100*time.Millisecond
		high = high || d > 2900*time.Millisecond
	}
	if !low || !high {
		t.Errorf("10000 picks did not reach both ends of %v", th)
	}
	if d := (Think{}).Pick(rng); d != 0 {
		t.Errorf("no think: %v", d)
	}
}
