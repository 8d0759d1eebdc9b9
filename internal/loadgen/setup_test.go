package loadgen

import (
	"slices"
	"testing"
)

func TestFleetPlanStaysInsideTheTrialPlanAndPlacesEveryTerminal(t *testing.T) {
	def, _ := ParseMix(DefaultMix)
	for _, n := range []int{1, 2, 5, 7, 8, 9, 33, 100, 200, 1000} {
		for _, mix := range []Mix{def, {Karaoke: 1}, {QR: 1, Dashboard: 1}, {Restaurant: 1, Karaoke: 1}} {
			counts := mix.Allocate(n)
			plan := planFleet(counts)
			placed := map[Scenario]int{}
			var indexes []int
			for _, m := range plan {
				staff := 0
				if len(m.shops) == 0 || len(m.shops) > shopsPerMerchant {
					t.Fatalf("n=%d %v: a merchant with %d shops", n, mix, len(m.shops))
				}
				for _, s := range m.shops {
					if len(s.terminals) == 0 || len(s.terminals) > terminalsPerShop {
						t.Fatalf("n=%d %v: a shop with %d terminals", n, mix, len(s.terminals))
					}
					staff += len(s.terminals) + len(stations)
					for _, tp := range s.terminals {
						if (tp.scenario == Karaoke) != (s.kind == Karaoke) {
							t.Fatalf("n=%d %v: a %s terminal in a %s shop", n, mix, tp.scenario, s.kind)
						}
						placed[tp.scenario]++
						indexes = append(indexes, tp.index)
					}
				}
				// The sign-up trial (Pro) allows 10 shops and 50 staff.
				if staff > 50 || len(m.shops) > 10 {
					t.Fatalf("n=%d %v: a merchant with %d staff in %d shops", n, mix, staff, len(m.shops))
				}
			}
			for _, sc := range Scenarios {
				if placed[sc] != counts[sc] {
					t.Fatalf("n=%d %v: %d %s terminals placed, want %d", n, mix, placed[sc], sc, counts[sc])
				}
			}
			slices.Sort(indexes)
			for i, idx := range indexes {
				if idx != i {
					t.Fatalf("n=%d %v: terminal indexes %v are not 0…%d", n, mix, indexes, n-1)
				}
			}
		}
	}
}

func TestRestaurantsGetTheirShareOfEachKindOfTerminal(t *testing.T) {
	plan := planFleet(map[Scenario]int{Restaurant: 16, QR: 8, Dashboard: 8})
	for _, m := range plan {
		for _, s := range m.shops {
			kinds := map[Scenario]int{}
			for _, tp := range s.terminals {
				kinds[tp.scenario]++
			}
			if kinds[Restaurant] != 4 || kinds[QR] != 2 || kinds[Dashboard] != 2 {
				t.Errorf("a restaurant with %v, want 4 restaurant, 2 qr, 2 dashboard terminals", kinds)
			}
		}
	}
}
