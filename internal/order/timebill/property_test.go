package timebill_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// randomPlan makes a valid plan: weekday bands always, weekend and holiday bands sometimes, each day type
// cut at random minutes, the bands listed in random order.
func randomPlan(r *rand.Rand) timebill.RatePlan {
	p := timebill.RatePlan{BlockMinutes: 1 + r.IntN(60), MinimumMinutes: r.IntN(4) * 30}
	for i, day := range []timebill.DayType{timebill.DayWeekday, timebill.DayWeekend, timebill.DayHoliday} {
		if i > 0 && r.IntN(2) == 0 {
			continue
		}
		cuts := []int{0, 24 * 60}
		for range r.IntN(5) {
			if r.IntN(2) == 0 {
				cuts = append(cuts, 60*(1+r.IntN(23))) // on the hour, where sessions often start and end
			} else {
				cuts = append(cuts, 1+r.IntN(24*60-1))
			}
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		for j := 1; j < len(cuts); j++ {
			p.Bands = append(p.Bands, band(day, clockText(cuts[j-1]), clockText(cuts[j]), money.VND(r.IntN(500))*1000+money.VND(r.IntN(1000))))
		}
	}
	r.Shuffle(len(p.Bands), func(i, j int) { p.Bands[i], p.Bands[j] = p.Bands[j], p.Bands[i] })
	return p
}

func clockText(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// priceAt is the test's own reading of a plan: the hourly price in force at instant t.
func priceAt(p timebill.RatePlan, cal timebill.Calendar, t time.Time) money.VND {
	local := t.In(timebill.Zone)
	has := func(d timebill.DayType) bool {
		return slices.ContainsFunc(p.Bands, func(b timebill.Band) bool { return b.DayType == d })
	}
	day := timebill.DayWeekday
	switch {
	case cal[local.Format(time.DateOnly)] && has(timebill.DayHoliday):
		day = timebill.DayHoliday
	case (local.Weekday() == time.Saturday || local.Weekday() == time.Sunday) && has(timebill.DayWeekend):
		day = timebill.DayWeekend
	}
	now := local.Format("15:04")
	for _, b := range p.Bands {
		if b.DayType == day && b.Start <= now && (now < b.End) {
			return b.PricePerHour
		}
	}
	panic("no band at " + now)
}

// TestPriceSessionProperties prices random sessions with random plans and checks the bill's invariants,
// and, minute by minute, the price each minute was charged at against the test's own reading of the plans.
func TestPriceSessionProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2026))
	base := at("2026-01-01 00:00")
	for iter := range 3000 {
		cal := timebill.Calendar{}
		for range r.IntN(20) {
			cal[base.AddDate(0, 0, r.IntN(60)).Format(time.DateOnly)] = true
		}
		var stints []timebill.Stint
		plan := randomPlan(r)
		t0 := base.Add(time.Duration(r.Int64N(int64(55 * 24 * time.Hour)))).Truncate(time.Second)
		for range 1 + r.IntN(4) {
			if r.IntN(3) == 0 {
				plan = randomPlan(r) // a room change
			}
			d := time.Duration(r.Int64N(int64(10 * time.Hour)))
			switch r.IntN(4) {
			case 0:
				d = time.Duration(r.Int64N(int64(3 * time.Minute))) // short stints exercise the minute rounding
			case 1:
				// A stint from and to a whole hour (GMT+7 is whole hours from UTC) meets band edges and midnight.
				t0, d = t0.Truncate(time.Hour), d.Truncate(time.Hour)
				if len(stints) > 0 && t0.Before(stints[len(stints)-1].To) {
					t0 = stints[len(stints)-1].To
				}
			}
			stints = append(stints, timebill.Stint{Plan: plan, From: t0, To: t0.Add(d)})
			t0 = t0.Add(d + time.Duration(r.Int64N(int64(2*time.Hour)))).Truncate(time.Second)
		}
		b, err := timebill.PriceSession(cal, stints)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("iteration %d: "+format+"\nstints %+v\nbill %+v", append(append([]any{iter}, args...), stints, b)...)
		}
		last := stints[len(stints)-1].Plan
		var seconds int64
		for _, st := range stints {
			seconds += int64(st.To.Truncate(time.Second).Sub(st.From.Truncate(time.Second)) / time.Second)
		}
		if want := int((seconds + 59) / 60); b.Minutes != want {
			fail("minutes %d, want %d", b.Minutes, want)
		}
		if b.BilledMinutes < b.Minutes {
			fail("billed %d < actual %d", b.BilledMinutes, b.Minutes)
		}
		if b.BilledMinutes%last.BlockMinutes != 0 && b.BilledMinutes != last.MinimumMinutes {
			fail("billed %d is neither a multiple of %d nor the minimum %d", b.BilledMinutes, last.BlockMinutes, last.MinimumMinutes)
		}
		if b.BilledMinutes > max(last.MinimumMinutes, b.Minutes+last.BlockMinutes-1) {
			fail("billed %d is more than rounding or the minimum needs", b.BilledMinutes)
		}
		var minutes int
		var amount money.VND
		var charged []money.VND // the hourly price of each billed minute, in order
		for i, s := range b.Segments {
			minutes += s.Minutes
			amount += s.Amount
			if s.Minutes <= 0 || !s.StartsAt.Before(s.EndsAt) {
				fail("segment %d is empty: %+v", i, s)
			}
			if i > 0 && s.StartsAt.Before(b.Segments[i-1].EndsAt) {
				fail("segment %d overlaps or precedes the one before", i)
			}
			if want := (2*int64(s.PricePerHour)*int64(s.Minutes) + 60) / 120; int64(s.Amount) != want {
				fail("segment %d amount %d, want %d (half-up)", i, s.Amount, want)
			}
			if s.Rounding != (i == len(b.Segments)-1 && b.BilledMinutes > b.Minutes) {
				fail("segment %d rounding flag %v", i, s.Rounding)
			}
			for range s.Minutes {
				charged = append(charged, s.PricePerHour)
			}
		}
		if minutes != b.BilledMinutes || amount != b.Amount {
			fail("segments add up to %d minutes %d đồng, bill says %d, %d", minutes, amount, b.BilledMinutes, b.Amount)
		}
		// Minute k of the session starts at its 60k-th second (pauses excluded) and costs the price then;
		// the rounding minutes cost the last plan's price at the session's end.
		var want []money.VND
		var before int64
		for _, st := range stints {
			from, to := st.From.Truncate(time.Second), st.To.Truncate(time.Second)
			secs := int64(to.Sub(from) / time.Second)
			for k := (before + 59) / 60; k*60 < before+secs; k++ {
				want = append(want, priceAt(st.Plan, cal, from.Add(time.Duration(k*60-before)*time.Second)))
			}
			before += secs
		}
		end := stints[len(stints)-1].To.Truncate(time.Second)
		for range b.BilledMinutes - b.Minutes {
			want = append(want, priceAt(last, cal, end))
		}
		if !slices.Equal(charged, want) {
			fail("minutes charged at\n%v\nwant\n%v", charged, want)
		}
	}
}
