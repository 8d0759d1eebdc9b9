// Package timebill prices karaoke room time: each shop's rate plans per room type (price bands by day type
// and time of day, a billing block and a minimum), its holiday calendar, and the one engine that both the
// quote endpoint and the order module's room sessions use (PriceSession).
//
// Invariants the module keeps:
//   - A stored plan is valid (Validate): it has weekday bands, and the bands of each day type it has cover
//     00:00–24:00 exactly, without gap or overlap; block ≥ 1 minute, minimum ≥ 0, prices ≥ 0.
//   - Local dates and time bands are GMT+7 (clock.VietnamZone), whatever offset the inputs carry. A local
//     date is priced with the holiday bands when it is in the shop's calendar and the plan has holiday
//     bands, else with the weekend bands on Saturday and Sunday when the plan has them, else with the
//     weekday bands (so a holiday on a Sunday of a plan without holiday bands is a weekend day).
//   - A bill's actual minutes are the session's seconds (pauses excluded) rounded up once to whole minutes;
//     billed minutes = max(minimum, actual rounded up to the block), both taken from the plan in force at the
//     end. The session is split at band edges, at local midnight and at pauses; each minute of the session
//     is charged in the segment where it starts, so the segments' minutes add up to the actual minutes, and
//     the minutes added by rounding or the minimum form one last segment, priced at the band holding the
//     instant the session ends.
//   - Amounts are whole đồng: a segment's amount = minutes × price_per_hour ÷ 60 rounded half-up, and the
//     bill's amount is the sum of its segments' amounts.
//   - Every row carries its shop's merchant; every query filters by it. Writes to a shop's plans and
//     holidays are serialised per shop (a lock row, timebill_shops).
//
// Cross-tenant path: MoveShop, the module's step of a shop transfer, inside the transfer's db.WithSystemTx
// transaction; the tables' system_transfer policies admit only that path on PostgreSQL.
package timebill

import (
	"embed"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables (rate plans and their bands, holidays, the per-shop lock row) on
// either engine.
var Migrations = migrate.Embedded("timebill", migrationFiles)

// Zone is the time zone of bands and local dates: GMT+7, no daylight saving.
var Zone = clock.VietnamZone

// DayType says which bands price a day.
type DayType string

// The day types. DayWeekend is Saturday and Sunday; DayHoliday is a date of the shop's calendar.
const (
	DayWeekday DayType = "weekday"
	DayWeekend DayType = "weekend"
	DayHoliday DayType = "holiday"
)

func (d DayType) valid() bool { return d == DayWeekday || d == DayWeekend || d == DayHoliday }

// Band prices the minutes of one day type between Start and End (local "HH:MM", End may be "24:00").
type Band struct {
	DayType      DayType   `json:"day_type"`
	Start        string    `json:"start"`
	End          string    `json:"end"`
	PricePerHour money.VND `json:"price_per_hour"`
}

// RatePlan is how a room type is billed: its bands, the billing block and the minimum, in minutes.
type RatePlan struct {
	BlockMinutes   int    `json:"block_minutes"`
	MinimumMinutes int    `json:"minimum_minutes"`
	Bands          []Band `json:"bands"`
}

// Limits of a plan.
const (
	MaxBands        = 48
	MaxBlock        = 24 * 60
	MaxMinimum      = 24 * 60
	MaxPricePerHour = money.VND(1_000_000_000) // far above any room; keeps minutes × price far from overflow
)

// Holiday is a date of a shop's calendar (local, "YYYY-MM-DD") and what it celebrates.
type Holiday struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// Calendar is the set of a shop's holidays, keyed by local date "YYYY-MM-DD". A nil Calendar has none.
type Calendar map[string]bool

// CalendarOf returns the calendar of hs.
func CalendarOf(hs []Holiday) Calendar {
	c := make(Calendar, len(hs))
	for _, h := range hs {
		c[h.Date] = true
	}
	return c
}

// Stint is an uninterrupted stretch of a session in one room, billed with that room's Plan. A session is
// one or more stints in time order: a pause is the gap between two stints, a room change starts a new stint
// with the new room's plan.
type Stint struct {
	Plan     RatePlan
	From, To time.Time
}

// Bill is the price of a session.
type Bill struct {
	Minutes       int       `json:"minutes" doc:"Actual minutes: the session's seconds, pauses excluded, rounded up to whole minutes."`
	BilledMinutes int       `json:"billed_minutes" doc:"max(minimum, minutes rounded up to the block)."`
	Amount        money.VND `json:"amount" doc:"Σ segments' amounts, in đồng."`
	Segments      []Segment `json:"segments"`
}

// Segment is a stretch of a bill at one price.
type Segment struct {
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	Minutes      int       `json:"minutes"`
	PricePerHour money.VND `json:"price_per_hour"`
	Amount       money.VND `json:"amount" doc:"minutes × price_per_hour ÷ 60, rounded half-up."`
	// DayType is the bands the segment was priced with.
	DayType DayType `json:"day_type"`
	// Rounding marks the last segment, the minutes added by rounding up to the block or to the minimum; it
	// starts when the session ends.
	Rounding bool `json:"rounding"`
}

// Validate checks plan p and returns it normalised (bands ordered by day type and start), or an
// apperr.Invalid error listing every problem with fields named as in the HTTP body ("body.bands[2].start").
func Validate(p RatePlan) (RatePlan, error) {
	_, err := compile(p)
	if err != nil {
		return RatePlan{}, err
	}
	return normalise(p), nil
}

// fieldErrors collects the problems of one input so the caller sees them all at once.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: message})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
}

// text checks a free-text field: trimmed, at most max characters.
func (f *fieldErrors) text(field, value string, max int) string {
	v := strings.TrimSpace(value)
	switch {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "must have at most "+strconv.Itoa(max)+" characters")
	}
	return v
}

// parseClock reads "HH:MM" as minutes after midnight; "24:00" only when end is true.
func parseClock(s string, end bool) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	switch {
	case m > 59:
		return 0, false
	case h == 24 && m == 0 && end:
		return 24 * 60, true
	case h > 23:
		return 0, false
	}
	return h*60 + m, true
}

// formatClock writes minutes after midnight as "HH:MM" (1440 is "24:00").
func formatClock(min int) string {
	return string([]byte{byte('0' + min/600), byte('0' + min/60%10), ':', byte('0' + min%60/10), byte('0' + min%10)})
}

// ValidRoomType accepts a room type: a lower-case slug of up to 32 characters (a-z, 0-9, - and _, not
// first), as the merchant module's rooms use; it appears in URLs.
func ValidRoomType(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_')
		if !ok {
			return false
		}
	}
	return true
}

// dateOnly parses a local date "YYYY-MM-DD" exactly as written.
func dateOnly(s string) (time.Time, bool) {
	t, err := time.ParseInLocation(time.DateOnly, s, Zone)
	return t, err == nil && t.Format(time.DateOnly) == s
}
