package timebill

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

// MaxQuote is the longest session the quote endpoint prices.
const MaxQuote = 48 * time.Hour

// Quote prices one uninterrupted session from startsAt to endsAt with plan p and calendar cal. It returns
// an apperr.Invalid error (fields named as in the quote request) when endsAt is not after startsAt, the
// session is longer than MaxQuote, or the plan is invalid.
func Quote(p RatePlan, cal Calendar, startsAt, endsAt time.Time) (Bill, error) {
	switch {
	case !endsAt.After(startsAt):
		return Bill{}, apperr.WithField("body.ends_at", "must be after starts_at")
	case endsAt.Sub(startsAt) > MaxQuote:
		return Bill{}, apperr.WithField("body.ends_at", "a quote covers at most 48 hours")
	}
	return PriceSession(cal, []Stint{{Plan: p, From: startsAt, To: endsAt}})
}

// PriceSession prices a session made of stints (in time order, not overlapping; the gaps are pauses) with
// calendar cal. Instants count to the second (fractions are dropped). Each stint is priced with its own
// plan, so time spent before a room change stays at the old room's rates; rounding, the minimum and the
// rate of the rounding segment come from the last stint's plan. It returns an apperr.Invalid error for no
// stints, stints out of order or an invalid plan.
func PriceSession(cal Calendar, stints []Stint) (Bill, error) {
	if len(stints) == 0 {
		return Bill{}, apperr.WithField("stints", "a session needs at least one stint")
	}
	plans := make([]compiledPlan, len(stints))
	var prevTo time.Time
	for i, st := range stints {
		from, to := st.From.Truncate(time.Second), st.To.Truncate(time.Second)
		switch {
		case to.Before(from):
			return Bill{}, apperr.WithField("stints["+strconv.Itoa(i)+"].to", "must not be before from")
		case i > 0 && from.Before(prevTo):
			return Bill{}, apperr.WithField("stints["+strconv.Itoa(i)+"].from", "must not be before the previous stint's end")
		}
		prevTo = to
		// Stints of one room share a plan: compile it once.
		if i > 0 && samePlan(st.Plan, stints[i-1].Plan) {
			plans[i] = plans[i-1]
			continue
		}
		cp, err := compile(st.Plan)
		if err != nil {
			return Bill{}, fmt.Errorf("plan of stint %d: %w", i, err)
		}
		plans[i] = cp
	}

	var b Bill
	b.Segments = make([]Segment, 0, 4)
	var elapsed int64 // seconds of the session before the segment being cut, pauses excluded
	for i, st := range stints {
		cp := &plans[i]
		t, to := st.From.Truncate(time.Second), st.To.Truncate(time.Second)
		for t.Before(to) {
			dt, band, midnight := cp.bandAt(cal, t)
			end := midnight.Add(time.Duration(band.end) * time.Minute)
			if to.Before(end) {
				end = to
			}
			secs := int64(end.Sub(t) / time.Second)
			// Minute k of the session starts at second 60k; it is charged in the segment where it starts.
			minutes := int(ceilDiv(elapsed+secs, 60) - ceilDiv(elapsed, 60))
			elapsed += secs
			if minutes > 0 {
				b.add(Segment{StartsAt: t.UTC(), EndsAt: end.UTC(), Minutes: minutes, PricePerHour: band.price, DayType: dt})
			}
			t = end
		}
	}
	b.Minutes = int(ceilDiv(elapsed, 60))

	last := &plans[len(plans)-1]
	billed := int(ceilDiv(int64(b.Minutes), int64(last.block))) * last.block
	b.BilledMinutes = max(billed, last.minimum)
	if extra := b.BilledMinutes - b.Minutes; extra > 0 {
		end := stints[len(stints)-1].To.Truncate(time.Second)
		dt, band, _ := last.bandAt(cal, end)
		b.add(Segment{StartsAt: end.UTC(), EndsAt: end.Add(time.Duration(extra) * time.Minute).UTC(), Minutes: extra,
			PricePerHour: band.price, DayType: dt, Rounding: true})
	}
	return b, nil
}

// add appends s with its amount and adds the amount to the bill's.
func (b *Bill) add(s Segment) {
	s.Amount = s.PricePerHour.MulDiv(int64(s.Minutes), 60)
	b.Amount += s.Amount
	b.Segments = append(b.Segments, s)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// samePlan reports whether a and b are the same plan value (same bands slice), which stints of one room are.
func samePlan(a, b RatePlan) bool {
	return a.BlockMinutes == b.BlockMinutes && a.MinimumMinutes == b.MinimumMinutes && len(a.Bands) == len(b.Bands) &&
		(len(a.Bands) == 0 || &a.Bands[0] == &b.Bands[0])
}

// band is a validated band: minutes after local midnight and the price.
type band struct {
	start, end int
	price      money.VND
}

// compiledPlan is a valid plan ready for pricing: per day type its bands in order (nil when it has none).
type compiledPlan struct {
	block, minimum int
	days           [3][]band // weekday, weekend, holiday
}

var dayTypes = [3]DayType{DayWeekday, DayWeekend, DayHoliday}

func dayIndex(d DayType) int {
	switch d {
	case DayWeekend:
		return 1
	case DayHoliday:
		return 2
	}
	return 0
}

// bandAt finds the band that prices instant t: the day type of t's local date (holiday bands on a date of
// cal, weekend bands on Saturday and Sunday, falling back to the weekday bands when the plan has none), the
// band holding t's time of day, and the local midnight that began the day.
func (cp *compiledPlan) bandAt(cal Calendar, t time.Time) (DayType, band, time.Time) {
	local := t.In(Zone)
	y, m, d := local.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, Zone)
	day := 0
	switch {
	case cp.days[2] != nil && len(cal) > 0 && cal.has(local):
		day = 2
	case cp.days[1] != nil && (local.Weekday() == time.Saturday || local.Weekday() == time.Sunday):
		day = 1
	}
	minute := int(local.Sub(midnight) / time.Minute)
	bands := cp.days[day]
	for _, b := range bands {
		if minute < b.end {
			return dayTypes[day], b, midnight
		}
	}
	return dayTypes[day], bands[len(bands)-1], midnight // unreachable: the bands reach 24:00
}

// has reports whether the local date of t is in the calendar, without allocating.
func (c Calendar) has(t time.Time) bool {
	var buf [16]byte
	return c[string(t.AppendFormat(buf[:0], time.DateOnly))]
}

// compile validates p (see Validate) and prepares it for pricing.
func compile(p RatePlan) (compiledPlan, error) {
	var f fieldErrors
	if p.BlockMinutes < 1 || p.BlockMinutes > MaxBlock {
		f.add("body.block_minutes", "must be between 1 and "+strconv.Itoa(MaxBlock))
	}
	if p.MinimumMinutes < 0 || p.MinimumMinutes > MaxMinimum {
		f.add("body.minimum_minutes", "must be between 0 and "+strconv.Itoa(MaxMinimum))
	}
	if len(p.Bands) > MaxBands {
		f.add("body.bands", "must have at most "+strconv.Itoa(MaxBands)+" bands")
		return compiledPlan{}, f.err()
	}
	cp := compiledPlan{block: p.BlockMinutes, minimum: p.MinimumMinutes}
	type indexed struct {
		i int
		band
	}
	var days [3][]indexed
	var broken [3]bool // a day type with a malformed band is not checked for coverage
	// Field names are built only for errors: a valid plan is compiled on every bill.
	at := func(i int, field string) string { return "body.bands[" + strconv.Itoa(i) + "]." + field }
	for i, b := range p.Bands {
		ok := true
		if !b.DayType.valid() {
			f.add(at(i, "day_type"), "must be weekday, weekend or holiday")
			ok = false
		}
		start, okStart := parseClock(b.Start, false)
		if !okStart {
			f.add(at(i, "start"), "must be a time HH:MM from 00:00 to 23:59")
		}
		end, okEnd := parseClock(b.End, true)
		if !okEnd {
			f.add(at(i, "end"), "must be a time HH:MM from 00:01 to 24:00")
		}
		if okStart && okEnd && end <= start {
			f.add(at(i, "end"), "must be after start (a band ends at 24:00 at the latest; begin the next one at 00:00)")
			okEnd = false
		}
		if b.PricePerHour < 0 || b.PricePerHour > MaxPricePerHour {
			f.add(at(i, "price_per_hour"), "must be between 0 and "+strconv.FormatInt(int64(MaxPricePerHour), 10))
		}
		if !ok {
			continue
		}
		d := dayIndex(b.DayType)
		if !okStart || !okEnd {
			broken[d] = true
			continue
		}
		days[d] = append(days[d], indexed{i, band{start, end, b.PricePerHour}})
	}
	if len(days[0]) == 0 && !broken[0] {
		f.add("body.bands", "must include weekday bands (they also price the day types without bands)")
	}
	for d, bands := range days {
		if broken[d] || len(bands) == 0 {
			continue
		}
		slices.SortStableFunc(bands, func(a, b indexed) int { return cmp.Compare(a.start, b.start) })
		covered := 0 // the bands so far cover 00:00 up to this minute
		for _, b := range bands {
			switch {
			case b.start > covered:
				f.add(at(b.i, "start"), "leaves a gap: no "+string(dayTypes[d])+" band covers "+formatClock(covered)+"–"+formatClock(b.start))
			case b.start < covered:
				f.add(at(b.i, "start"), "overlaps another "+string(dayTypes[d])+" band, which runs until "+formatClock(covered))
			}
			covered = max(covered, b.end)
		}
		if covered < 24*60 {
			last := bands[len(bands)-1]
			f.add(at(last.i, "end"), "leaves a gap: no "+string(dayTypes[d])+" band covers "+
				formatClock(covered)+"–24:00")
		}
		cp.days[d] = make([]band, len(bands))
		for i, b := range bands {
			cp.days[d][i] = b.band
		}
	}
	if err := f.err(); err != nil {
		return compiledPlan{}, err
	}
	return cp, nil
}

// normalise orders a valid plan's bands by day type and start, the order it is stored and shown in.
func normalise(p RatePlan) RatePlan {
	bands := slices.Clone(p.Bands)
	slices.SortStableFunc(bands, func(a, b Band) int {
		if c := cmp.Compare(dayIndex(a.DayType), dayIndex(b.DayType)); c != 0 {
			return c
		}
		return cmp.Compare(a.Start, b.Start) // "HH:MM" sorts as text
	})
	p.Bands = bands
	return p
}
