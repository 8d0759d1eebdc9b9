package loadgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scenario is what a simulated terminal does.
type Scenario string

// The scenarios, in the order they are listed and allocated.
const (
	// Restaurant is a cashier's POS at a restaurant: open a table, add lines with modifiers, send them to the
	// kitchen, sometimes split the bill, pay cash or by VietQR (the load generator plays the bank), close.
	Restaurant Scenario = "restaurant"
	// Karaoke is a karaoke front desk: open a room, add drinks, check out with time billing, pay, close.
	Karaoke Scenario = "karaoke"
	// QR is a customer ordering from a table's QR code on a phone (cached menu, order, status), with the
	// cashier who confirms the order to the kitchen, takes the money and closes it.
	QR Scenario = "qr"
	// Dashboard is a manager reading the revenue and end-of-day reports.
	Dashboard Scenario = "dashboard"
)

// Scenarios lists every scenario.
var Scenarios = []Scenario{Restaurant, Karaoke, QR, Dashboard}

// DefaultMix is the mix of `goodgo loadgen` without --mix.
const DefaultMix = "restaurant=60,karaoke=20,qr=15,dashboard=5"

// Mix gives each scenario a weight: its share of the terminals is weight ÷ Σ weights.
type Mix map[Scenario]int

// ParseMix reads "restaurant=60,karaoke=20,qr=15,dashboard=5": each scenario at most once, weights whole
// numbers ≥ 0, at least one above 0; a scenario left out has weight 0.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, ok := strings.Cut(part, "=")
		sc := Scenario(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("mix: %q is not scenario=weight", part)
		}
		if !slices.Contains(Scenarios, sc) {
			return nil, fmt.Errorf("mix: unknown scenario %q (restaurant, karaoke, qr, dashboard)", sc)
		}
		if _, dup := m[sc]; dup {
			return nil, fmt.Errorf("mix: %s given twice", sc)
		}
		w, err := strconv.Atoi(strings.TrimSpace(weight))
		if err != nil || w < 0 || w > 1_000_000 {
			return nil, fmt.Errorf("mix: weight of %s must be a whole number from 0 to 1000000, not %q", sc, weight)
		}
		m[sc] = w
		total += w
	}
	if total == 0 {
		return nil, fmt.Errorf("mix: %q gives no scenario a weight above 0", s)
	}
	return m, nil
}

// Without returns the mix without scenario sc; ok is false when nothing would be left.
func (m Mix) Without(sc Scenario) (Mix, bool) {
	out := Mix{}
	total := 0
	for k, w := range m {
		if k != sc {
			out[k] = w
			total += w
		}
	}
	return out, total > 0
}

// String renders the mix as ParseMix reads it, scenarios in their usual order.
func (m Mix) String() string {
	var parts []string
	for _, sc := range Scenarios {
		if w, ok := m[sc]; ok {
			parts = append(parts, fmt.Sprintf("%s=%d", sc, w))
		}
	}
	return strings.Join(parts, ",")
}

// Allocate splits n terminals between the scenarios in proportion to their weights (largest remainder:
// every scenario gets the whole part of its share, the terminals left over go to the largest fractions,
// ties to the scenario listed first). The counts add up to n.
func (m Mix) Allocate(n int) map[Scenario]int {
	total := 0
	for _, sc := range Scenarios {
		total += m[sc]
	}
	out := map[Scenario]int{}
	if total == 0 || n <= 0 {
		return out
	}
	type share struct {
		sc   Scenario
		frac int // remainder of n·w ÷ total, comparable between scenarios
	}
	var shares []share
	given := 0
	for _, sc := range Scenarios {
		w := m[sc]
		if w == 0 {
			continue
		}
		out[sc] = n * w / total
		given += out[sc]
		shares = append(shares, share{sc, n * w % total})
	}
	slices.SortStableFunc(shares, func(a, b share) int { return b.frac - a.frac })
	for i := 0; given < n; i++ {
		out[shares[i%len(shares)].sc]++
		given++
	}
	return out
}

// Think is the pause of a terminal between two actions, like a person's: uniform in [Min, Max].
type Think struct {
	Min, Max time.Duration
}

// DefaultThink is the pause without --think.
const DefaultThink = "1s-3s"

// ParseThink reads "0" (no pause), "2s" (always 2 s) or a range "1s-3s" ("1-3s" and "500ms-2s" too; a bound
// without a unit takes the other's).
func ParseThink(s string) (Think, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return Think{}, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	unit := strings.TrimLeft(strings.TrimSpace(hi), "0123456789.")
	parse := func(v string) (time.Duration, error) {
		v = strings.TrimSpace(v)
		if v == "0" {
			return 0, nil
		}
		if strings.TrimLeft(v, "0123456789.") == "" {
			v += unit
		}
		return time.ParseDuration(v)
	}
	lower, err1 := parse(lo)
	upper, err2 := parse(hi)
	if err1 != nil || err2 != nil || lower < 0 || upper < lower || upper > time.Hour {
		return Think{}, fmt.Errorf("think: %q is not 0, a duration like 2s, or a range like 1s-3s (at most 1h)", s)
	}
	return Think{Min: lower, Max: upper}, nil
}

// Pick returns one pause drawn with rng.
func (t Think) Pick(rng *rand.Rand) time.Duration {
	if t.Max <= t.Min {
		return t.Min
	}
	return t.Min + time.Duration(rng.Int64N(int64(t.Max-t.Min)+1))
}

// String renders the pause as ParseThink reads it.
func (t Think) String() string {
	switch {
	case t.Max == 0:
		return "0"
	case t.Min == t.Max:
		return t.Min.String()
	}
	return t.Min.String() + "-" + t.Max.String()
}
