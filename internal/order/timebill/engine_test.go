package timebill_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/order/timebill"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
)

func band(day timebill.DayType, start, end string, price money.VND) timebill.Band {
	return timebill.Band{DayType: day, Start: start, End: end, PricePerHour: price}
}

// standard is a small room: weekday day/evening/late prices, one weekend price, one holiday price.
func standard(block, minimum int) timebill.RatePlan {
	return timebill.RatePlan{BlockMinutes: block, MinimumMinutes: minimum, Bands: []timebill.Band{
		band(timebill.DayWeekday, "00:00", "18:00", 120_000),
		band(timebill.DayWeekday, "18:00", "22:00", 180_000),
		band(timebill.DayWeekday, "22:00", "24:00", 240_000),
		band(timebill.DayWeekend, "00:00", "24:00", 300_000),
		band(timebill.DayHoliday, "00:00", "24:00", 360_000),
	}}
}

// weekdayOnly has weekday bands only, so every day is priced with them.
func weekdayOnly(block, minimum int) timebill.RatePlan {
	p := standard(block, minimum)
	p.Bands = p.Bands[:3]
	return p
}

// vip is another room type: one price all day, billed by half hours.
var vip = timebill.RatePlan{BlockMinutes: 30, Bands: []timebill.Band{band(timebill.DayWeekday, "00:00", "24:00", 300_000)}}

// at reads a local (GMT+7) time "2006-01-02 15:04[:05]". 2026-03-02 is a Monday, 2026-03-07 a Saturday.
func at(s string) time.Time {
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout += ":05"
	}
	t, err := time.ParseInLocation(layout, s, timebill.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

// seg is a segment in local times, for readable expectations.
type seg struct {
	from, to string
	minutes  int
	price    money.VND
	amount   money.VND
	day      timebill.DayType
	rounding bool
}

func segs(b timebill.Bill) []seg {
	out := make([]seg, len(b.Segments))
	for i, s := range b.Segments {
		f := "2006-01-02 15:04:05"
		out[i] = seg{s.StartsAt.In(timebill.Zone).Format(f), s.EndsAt.In(timebill.Zone).Format(f), s.Minutes,
			s.PricePerHour, s.Amount, s.DayType, s.Rounding}
	}
	return out
}

func TestPriceSession(t *testing.T) {
	wd, we, hol := timebill.DayWeekday, timebill.DayWeekend, timebill.DayHoliday
	holidays := timebill.Calendar{"2026-04-30": true, "2026-03-07": true}
	tests := []struct {
		name          string
		cal           timebill.Calendar
		stints        []timebill.Stint
		minutes, want int
		amount        money.VND
		segs          []seg
	}{
		{
			name:    "a session across a band edge is split there",
			stints:  []timebill.Stint{{standard(1, 0), at("2026-03-02 21:50"), at("2026-03-02 22:10")}},
			minutes: 20, want: 20, amount: 70_000,
			segs: []seg{
				{"2026-03-02 21:50:00", "2026-03-02 22:00:00", 10, 180_000, 30_000, wd, false},
				{"2026-03-02 22:00:00", "2026-03-02 22:10:00", 10, 240_000, 40_000, wd, false},
			},
		},
		{
			name:    "crossing midnight from Friday into Saturday switches to the weekend bands",
			stints:  []timebill.Stint{{standard(1, 0), at("2026-03-06 23:30"), at("2026-03-07 00:30")}},
			minutes: 60, want: 60, amount: 270_000,
			segs: []seg{
				{"2026-03-06 23:30:00", "2026-03-07 00:00:00", 30, 240_000, 120_000, wd, false},
				{"2026-03-07 00:00:00", "2026-03-07 00:30:00", 30, 300_000, 150_000, we, false},
			},
		},
		{
			name:    "a date of the calendar is priced with the holiday bands",
			cal:     holidays,
			stints:  []timebill.Stint{{standard(1, 0), at("2026-04-30 14:00"), at("2026-04-30 15:00")}},
			minutes: 60, want: 60, amount: 360_000,
			segs: []seg{{"2026-04-30 14:00:00", "2026-04-30 15:00:00", 60, 360_000, 360_000, hol, false}},
		},
		{
			name:    "a session shorter than the minimum is billed the minimum, the rest at the end rate",
			stints:  []timebill.Stint{{standard(1, 60), at("2026-03-02 10:00"), at("2026-03-02 10:20")}},
			minutes: 20, want: 60, amount: 120_000,
			segs: []seg{
				{"2026-03-02 10:00:00", "2026-03-02 10:20:00", 20, 120_000, 40_000, wd, false},
				{"2026-03-02 10:20:00", "2026-03-02 11:00:00", 40, 120_000, 80_000, wd, true},
			},
		},
		{
			name:    "61 minutes in 15-minute blocks are 75, the extra 14 at the rate in force at the end",
			stints:  []timebill.Stint{{standard(15, 0), at("2026-03-02 21:00"), at("2026-03-02 22:01")}},
			minutes: 61, want: 75, amount: 240_000,
			segs: []seg{
				{"2026-03-02 21:00:00", "2026-03-02 22:00:00", 60, 180_000, 180_000, wd, false},
				{"2026-03-02 22:00:00", "2026-03-02 22:01:00", 1, 240_000, 4_000, wd, false},
				{"2026-03-02 22:01:00", "2026-03-02 22:15:00", 14, 240_000, 56_000, wd, true},
			},
		},
		{
			name:    "a session ending on a band edge rounds up at the band that begins there",
			stints:  []timebill.Stint{{standard(15, 0), at("2026-03-02 20:59"), at("2026-03-02 22:00")}},
			minutes: 61, want: 75, amount: 239_000,
			segs: []seg{
				{"2026-03-02 20:59:00", "2026-03-02 22:00:00", 61, 180_000, 183_000, wd, false},
				{"2026-03-02 22:00:00", "2026-03-02 22:14:00", 14, 240_000, 56_000, wd, true},
			},
		},
		{
			name:    "60 minutes and 1 second are 61 minutes",
			stints:  []timebill.Stint{{standard(1, 0), at("2026-03-02 10:00:00"), at("2026-03-02 11:00:01")}},
			minutes: 61, want: 61, amount: 122_000,
			segs: []seg{{"2026-03-02 10:00:00", "2026-03-02 11:00:01", 61, 120_000, 122_000, wd, false}},
		},
		{
			name: "a pause is not billed",
			stints: []timebill.Stint{
				{standard(1, 0), at("2026-03-02 10:00"), at("2026-03-02 10:30")},
				{standard(1, 0), at("2026-03-02 11:00"), at("2026-03-02 11:45")},
			},
			minutes: 75, want: 75, amount: 150_000,
			segs: []seg{
				{"2026-03-02 10:00:00", "2026-03-02 10:30:00", 30, 120_000, 60_000, wd, false},
				{"2026-03-02 11:00:00", "2026-03-02 11:45:00", 45, 120_000, 90_000, wd, false},
			},
		},
		{
			name: "seconds add up across a pause before rounding to minutes",
			stints: []timebill.Stint{
				{standard(1, 0), at("2026-03-02 10:00:00"), at("2026-03-02 10:00:40")},
				{standard(1, 0), at("2026-03-02 10:10:00"), at("2026-03-02 10:10:40")},
			},
			minutes: 2, want: 2, amount: 4_000,
			segs: []seg{
				{"2026-03-02 10:00:00", "2026-03-02 10:00:40", 1, 120_000, 2_000, wd, false},
				{"2026-03-02 10:10:00", "2026-03-02 10:10:40", 1, 120_000, 2_000, wd, false},
			},
		},
		{
			name: "after a room change the elapsed time keeps the old room's rates; the new room's plan rounds",
			stints: []timebill.Stint{
				{standard(1, 0), at("2026-03-02 10:00"), at("2026-03-02 11:00")},
				{vip, at("2026-03-02 11:00"), at("2026-03-02 11:20")},
			},
			minutes: 80, want: 90, amount: 270_000,
			segs: []seg{
				{"2026-03-02 10:00:00", "2026-03-02 11:00:00", 60, 120_000, 120_000, wd, false},
				{"2026-03-02 11:00:00", "2026-03-02 11:20:00", 20, 300_000, 100_000, wd, false},
				{"2026-03-02 11:20:00", "2026-03-02 11:30:00", 10, 300_000, 50_000, wd, true},
			},
		},
		{
			name:    "a band ending at 24:00 runs to midnight; rounding after it uses the next day's first band",
			stints:  []timebill.Stint{{standard(1, 90), at("2026-03-02 23:00"), at("2026-03-03 00:00")}},
			minutes: 60, want: 90, amount: 300_000,
			segs: []seg{
				{"2026-03-02 23:00:00", "2026-03-03 00:00:00", 60, 240_000, 240_000, wd, false},
				{"2026-03-03 00:00:00", "2026-03-03 00:30:00", 30, 120_000, 60_000, wd, true},
			},
		},
		{
			name:    "a weekend without weekend bands is priced with the weekday bands",
			stints:  []timebill.Stint{{weekdayOnly(1, 0), at("2026-03-07 21:50"), at("2026-03-07 22:10")}},
			minutes: 20, want: 20, amount: 70_000,
			segs: []seg{
				{"2026-03-07 21:50:00", "2026-03-07 22:00:00", 10, 180_000, 30_000, wd, false},
				{"2026-03-07 22:00:00", "2026-03-07 22:10:00", 10, 240_000, 40_000, wd, false},
			},
		},
		{
			name: "a holiday on a Saturday is a holiday with holiday bands, a weekend day without them",
			cal:  holidays,
			stints: []timebill.Stint{
				{standard(1, 0), at("2026-03-07 10:00"), at("2026-03-07 11:00")},
				{timebill.RatePlan{BlockMinutes: 1, Bands: standard(1, 0).Bands[:4]}, at("2026-03-07 11:00"), at("2026-03-07 12:00")},
			},
			minutes: 120, want: 120, amount: 660_000,
			segs: []seg{
				{"2026-03-07 10:00:00", "2026-03-07 11:00:00", 60, 360_000, 360_000, hol, false},
				{"2026-03-07 11:00:00", "2026-03-07 12:00:00", 60, 300_000, 300_000, we, false},
			},
		},
		{
			name:    "a minute is charged where it starts: a few seconds past an edge add nothing there",
			stints:  []timebill.Stint{{standard(1, 0), at("2026-03-02 21:58:55"), at("2026-03-02 22:00:05")}},
			minutes: 2, want: 2, amount: 6_000,
			segs: []seg{{"2026-03-02 21:58:55", "2026-03-02 22:00:00", 2, 180_000, 6_000, wd, false}},
		},
		{
			name: "amounts are rounded half-up per segment",
			stints: []timebill.Stint{{timebill.RatePlan{BlockMinutes: 1, Bands: []timebill.Band{
				band(timebill.DayWeekday, "00:00", "12:00", 30), band(timebill.DayWeekday, "12:00", "24:00", 100_000)}},
				at("2026-03-02 11:59"), at("2026-03-02 12:01")}},
			minutes: 2, want: 2, amount: 1 + 1_667,
			segs: []seg{
				{"2026-03-02 11:59:00", "2026-03-02 12:00:00", 1, 30, 1, wd, false},
				{"2026-03-02 12:00:00", "2026-03-02 12:01:00", 1, 100_000, 1_667, wd, false},
			},
		},
		{
			name:    "inputs in any offset are read in GMT+7",
			stints:  []timebill.Stint{{standard(1, 0), time.Date(2026, 3, 2, 14, 50, 0, 0, time.UTC), time.Date(2026, 3, 2, 15, 10, 0, 0, time.UTC)}},
			minutes: 20, want: 20, amount: 70_000,
			segs: []seg{
				{"2026-03-02 21:50:00", "2026-03-02 22:00:00", 10, 180_000, 30_000, wd, false},
				{"2026-03-02 22:00:00", "2026-03-02 22:10:00", 10, 240_000, 40_000, wd, false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := timebill.PriceSession(tt.cal, tt.stints)
			if err != nil {
				t.Fatal(err)
			}
			if got.Minutes != tt.minutes || got.BilledMinutes != tt.want || got.Amount != tt.amount {
				t.Errorf("minutes %d billed %d amount %d, want %d %d %d", got.Minutes, got.BilledMinutes, got.Amount,
					tt.minutes, tt.want, tt.amount)
			}
			if g := segs(got); !slices.Equal(g, tt.segs) {
				t.Errorf("segments\n got %+v\nwant %+v", g, tt.segs)
			}
			for _, s := range got.Segments {
				if s.StartsAt.Location() != time.UTC || s.EndsAt.Location() != time.UTC {
					t.Errorf("segment times not in UTC: %v %v", s.StartsAt, s.EndsAt)
				}
			}
		})
	}
}

func TestPriceSessionRefusesBadStints(t *testing.T) {
	p := standard(1, 0)
	bad := p
	bad.BlockMinutes = 0
	tests := []struct {
		name   string
		stints []timebill.Stint
		field  string
	}{
		{"no stints", nil, "stints"},
		{"ends before it starts", []timebill.Stint{{p, at("2026-03-02 11:00"), at("2026-03-02 10:00")}}, "stints[0].to"},
		{"overlapping stints", []timebill.Stint{{p, at("2026-03-02 10:00"), at("2026-03-02 11:00")},
			{p, at("2026-03-02 10:59"), at("2026-03-02 12:00")}}, "stints[1].from"},
		{"an invalid plan", []timebill.Stint{{bad, at("2026-03-02 10:00"), at("2026-03-02 11:00")}}, "body.block_minutes"},
	}
	for _, tt := range tests {
		_, err := timebill.PriceSession(nil, tt.stints)
		if !apperr.Is(err, apperr.Invalid) || !hasField(err, tt.field) {
			t.Errorf("%s: %v, fields %+v, want Invalid at %s", tt.name, err, apperr.Fields(err), tt.field)
		}
	}
}

func TestQuoteChecksTheInterval(t *testing.T) {
	p := standard(1, 0)
	start := at("2026-03-02 10:00")
	for _, end := range []time.Time{start, start.Add(-time.Minute), start.Add(48*time.Hour + time.Second)} {
		if _, err := timebill.Quote(p, nil, start, end); !hasField(err, "body.ends_at") {
			t.Errorf("ends %v: %v, want a field error at body.ends_at", end, err)
		}
	}
	b, err := timebill.Quote(p, nil, start, start.Add(48*time.Hour))
	if err != nil || b.Minutes != 48*60 {
		t.Fatalf("48 hours: %+v, %v", b, err)
	}
}

func hasField(err error, field string) bool {
	for _, f := range apperr.Fields(err) {
		if f.Field == field {
			return true
		}
	}
	return false
}

func TestValidate(t *testing.T) {
	wd, we := timebill.DayWeekday, timebill.DayWeekend
	ok := func(bands ...timebill.Band) timebill.RatePlan {
		return timebill.RatePlan{BlockMinutes: 15, MinimumMinutes: 60, Bands: bands}
	}
	tests := []struct {
		name   string
		plan   timebill.RatePlan
		fields []string
	}{
		{"a gap between bands", ok(band(wd, "00:00", "10:00", 1), band(wd, "11:00", "24:00", 1)), []string{"body.bands[1].start"}},
		{"overlapping bands", ok(band(wd, "00:00", "12:00", 1), band(wd, "11:00", "24:00", 1)), []string{"body.bands[1].start"}},
		{"two bands with one start", ok(band(wd, "00:00", "24:00", 1), band(wd, "00:00", "12:00", 1)), []string{"body.bands[1].start"}},
		{"bands not starting at midnight", ok(band(wd, "01:00", "24:00", 1)), []string{"body.bands[0].start"}},
		{"bands not reaching 24:00", ok(band(wd, "00:00", "23:00", 1)), []string{"body.bands[0].end"}},
		{"a weekend gap is reported at the weekend band",
			ok(band(wd, "00:00", "24:00", 1), band(we, "00:00", "12:00", 1), band(we, "13:00", "24:00", 1)),
			[]string{"body.bands[2].start"}},
		{"no weekday bands", ok(band(we, "00:00", "24:00", 1)), []string{"body.bands"}},
		{"no bands at all", ok(), []string{"body.bands"}},
		{"hour 25", ok(band(wd, "25:00", "24:00", 1)), []string{"body.bands[0].start"}},
		{"a one-digit hour", ok(band(wd, "0:00", "24:00", 1)), []string{"body.bands[0].start"}},
		{"minute 60", ok(band(wd, "00:00", "12:60", 1), band(wd, "12:00", "24:00", 1)), []string{"body.bands[0].end"}},
		{"24:00 as a start", ok(band(wd, "00:00", "24:00", 1), band(wd, "24:00", "24:00", 1)), []string{"body.bands[1].start"}},
		{"24:01 as an end", ok(band(wd, "00:00", "24:01", 1)), []string{"body.bands[0].end"}},
		{"an end before the start", ok(band(wd, "00:00", "12:00", 1), band(wd, "18:00", "12:00", 1)), []string{"body.bands[1].end"}},
		{"a negative price", ok(band(wd, "00:00", "24:00", -1)), []string{"body.bands[0].price_per_hour"}},
		{"an unknown day type", ok(band(wd, "00:00", "24:00", 1), band("sunday", "00:00", "24:00", 1)), []string{"body.bands[1].day_type"}},
		{"block 0 and a negative minimum", timebill.RatePlan{BlockMinutes: 0, MinimumMinutes: -1, Bands: []timebill.Band{band(wd, "00:00", "24:00", 1)}},
			[]string{"body.block_minutes", "body.minimum_minutes"}},
	}
	for _, tt := range tests {
		_, err := timebill.Validate(tt.plan)
		var got []string
		for _, f := range apperr.Fields(err) {
			got = append(got, f.Field)
		}
		if !apperr.Is(err, apperr.Invalid) || !slices.Equal(got, tt.fields) {
			t.Errorf("%s: %v, fields %v, want %v", tt.name, err, got, tt.fields)
		}
	}

	many := ok()
	for i := range timebill.MaxBands + 1 {
		many.Bands = append(many.Bands, band(wd, fmt.Sprintf("%02d:%02d", i/2, i%2*30), fmt.Sprintf("%02d:%02d", (i+1)/2, (i+1)%2*30), 1))
	}
	if _, err := timebill.Validate(many); !hasField(err, "body.bands") {
		t.Errorf("49 bands: %v", err)
	}
	many.Bands = many.Bands[:timebill.MaxBands]
	if _, err := timebill.Validate(many); err != nil {
		t.Errorf("48 half-hour bands: %v", err)
	}

	got, err := timebill.Validate(ok(band(we, "00:00", "24:00", 5), band(wd, "12:00", "24:00", 2), band(wd, "00:00", "12:00", 1)))
	want := []timebill.Band{band(wd, "00:00", "12:00", 1), band(wd, "12:00", "24:00", 2), band(we, "00:00", "24:00", 5)}
	if err != nil || !slices.Equal(got.Bands, want) {
		t.Fatalf("normalised: %+v, %v; want bands %+v", got, err, want)
	}
}
