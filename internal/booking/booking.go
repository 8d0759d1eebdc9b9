// Package booking is the reservations module: a shop's bookings of one table or one karaoke room for a time
// slot, with the party's size, name and phone, an optional deposit, and the life of the booking from the
// phone call to the guests' arrival (check-in opens their order) or their absence. It also answers which
// tables and rooms are free for a slot.
//
// Invariants the module keeps:
//   - A booking holds exactly one table or room of its shop, live on the floor when it was booked, for the
//     slot [starts_at, ends_at): ends_at after starts_at, at most 24 hours, for 1 to 500 guests.
//   - Live bookings (pending, confirmed, checked_in) of one table or room never overlap; slots that touch
//     (one ends when the next starts) do not overlap, and cancelled and no-show bookings block nothing. Every
//     writer that could make two overlap (create, a change of time or resource) first takes the resource's
//     lock row (booking_resource_locks), then checks, then writes, in one transaction — so the rule holds
//     under concurrent requests on both engines.
//   - Status moves pending → confirmed → checked_in, and pending or confirmed → cancelled or no_show (no-show
//     once the slot has started); nothing else. Only pending and confirmed bookings may be changed.
//   - Check-in opens the guests' order through Orders inside the check-in transaction and records its id:
//     a booking is never checked in without its order, nor an order opened for a booking left unchanged.
//   - The deposit is whole đồng ≥ 0; its status is none (no deposit), pending, paid or refunded. Once paid,
//     the amount no longer changes; the payments module marks it paid (MarkDepositPaid) or refunded.
//   - Phones are stored in the domestic form (0 and nine digits); names and notes trimmed and NFC-normalised.
//   - Every change writes, in its transaction, a domain event on booking.events and the same event for the
//     shop's screens on shop.<shop_id>.bookings, with the booking as data.
//
// Cross-tenant path: MoveShop, the module's step of a shop transfer, runs inside the transfer's
// db.WithSystemTx transaction, which the system_transfer policies of the module's tables admit. Nothing
// else reads across tenants.
package booking

import (
	"context"
	"database/sql"
	"embed"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables (bookings and the per-resource lock rows) on either engine.
var Migrations = migrate.Embedded("booking", migrationFiles)

// Subject is the subject of the module's domain events; each is also written on ShopSubject for the shop's
// screens. Data is the Booking after the change.
const Subject = "booking.events"

// The event types.
const (
	EventCreated   = "booking.created"
	EventUpdated   = "booking.updated" // time, party, resource, customer or deposit changed
	EventConfirmed = "booking.confirmed"
	EventCancelled = "booking.cancelled"
	EventNoShow    = "booking.no_show"
	EventCheckedIn = "booking.checked_in"
)

// ShopSubject is the subject of the realtime booking events of shop shopID.
func ShopSubject(shopID string) string { return "shop." + shopID + ".bookings" }

// Status is where a booking is in its life.
type Status string

// The statuses.
const (
	Pending   Status = "pending"    // taken, not yet confirmed with the guest
	Confirmed Status = "confirmed"  // confirmed with the guest
	CheckedIn Status = "checked_in" // the guests arrived; their order is open
	Cancelled Status = "cancelled"
	NoShow    Status = "no_show"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Pending, Confirmed, CheckedIn, Cancelled, NoShow:
		return true
	}
	return false
}

// Live reports whether a booking in status s holds its table or room.
func (s Status) Live() bool { return s == Pending || s == Confirmed || s == CheckedIn }

// Changeable reports whether a booking in status s may still be changed or moved along.
func (s Status) Changeable() bool { return s == Pending || s == Confirmed }

// CanBecome reports whether a booking in status s may move to status to.
func (s Status) CanBecome(to Status) bool {
	switch to {
	case Confirmed:
		return s == Pending
	case CheckedIn, Cancelled, NoShow:
		return s.Changeable()
	}
	return false
}

// DepositStatus is where a booking's deposit is.
type DepositStatus string

// The deposit statuses.
const (
	DepositNone     DepositStatus = "none" // no deposit asked (amount 0)
	DepositPending  DepositStatus = "pending"
	DepositPaid     DepositStatus = "paid"
	DepositRefunded DepositStatus = "refunded"
)

// The kinds of resource a booking holds.
const (
	KindTable = "table"
	KindRoom  = "room"
)

// Booking is a reservation of one table or (exclusive) one room of a shop.
type Booking struct {
	ID               string        `json:"id"`
	ShopID           string        `json:"shop_id"`
	TableID          string        `json:"table_id" doc:"The booked table; empty when a room is booked."`
	RoomID           string        `json:"room_id" doc:"The booked karaoke room; empty when a table is booked."`
	StartsAt         time.Time     `json:"starts_at"`
	EndsAt           time.Time     `json:"ends_at" doc:"End of the slot (exclusive): a booking may start when another ends."`
	PartySize        int           `json:"party_size"`
	CustomerName     string        `json:"customer_name"`
	CustomerPhone    string        `json:"customer_phone" doc:"Domestic form: 0 and nine digits."`
	Note             string        `json:"note"`
	Status           Status        `json:"status" enum:"pending,confirmed,checked_in,cancelled,no_show"`
	DepositAmount    money.VND     `json:"deposit_amount" doc:"Deposit asked, in đồng (0: none)."`
	DepositStatus    DepositStatus `json:"deposit_status" enum:"none,pending,paid,refunded"`
	DepositPaymentID string        `json:"deposit_payment_id" doc:"The payment that paid (or refunded) the deposit."`
	OrderID          string        `json:"order_id" doc:"The order check-in opened; empty before."`
	CancelReason     string        `json:"cancel_reason"`
	CreatedBy        string        `json:"created_by" doc:"The user who took the booking."`
	Version          int64         `json:"version" doc:"Grows with every change; send it as expected_version or If-Match."`
	CreatedAt        time.Time     `json:"created_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
}

// resourceID is the table or room the booking holds.
func (b Booking) resourceID() string {
	if b.TableID != "" {
		return b.TableID
	}
	return b.RoomID
}

func (b Booking) resourceKind() string {
	if b.TableID != "" {
		return KindTable
	}
	return KindRoom
}

// Input is a new booking.
type Input struct {
	// TableID or (exclusive) RoomID names what is booked.
	TableID, RoomID  string
	StartsAt, EndsAt time.Time
	PartySize        int
	CustomerName     string
	CustomerPhone    string
	Note             string
	DepositAmount    money.VND
	// CreatedBy is the user taking the booking (for the record).
	CreatedBy string
}

// Patch changes a booking; nil fields keep their value. Setting TableID moves the booking to that table
// (leaving its room, if any); RoomID likewise.
type Patch struct {
	TableID, RoomID  *string
	StartsAt, EndsAt *time.Time
	PartySize        *int
	CustomerName     *string
	CustomerPhone    *string
	Note             *string
	DepositAmount    *money.VND
	// ExpectedVersion, when set, refuses the change with a Conflict unless the booking is at that version.
	ExpectedVersion *int64
}

// Resource is a table or room of a shop's floor, as the merchant module describes it.
type Resource struct {
	ID   string
	Kind string // KindTable or KindRoom
	Name string
	// AreaID and Seats describe a table.
	AreaID string
	Seats  int
	// RoomType and Capacity describe a room; Capacity 0 means unknown.
	RoomType string
	Capacity int
}

// Floor is what the module needs of the merchant module's floor (wired by the composition root). Neither
// method runs inside a booking transaction.
type Floor interface {
	// Resource returns the live table (tableID set) or live room (roomID set) of live shop shopID of
	// merchant m. It returns an apperr.NotFound error when there is none: an unknown or deleted table or
	// room, one of another shop, or a shop that is unknown, archived or another merchant's.
	Resource(ctx context.Context, m tenant.ID, shopID, tableID, roomID string) (Resource, error)
	// Resources lists the live tables and rooms of live shop shopID of merchant m, in floor order. It
	// returns an apperr.NotFound error when shopID is not a live shop of m.
	Resources(ctx context.Context, m tenant.ID, shopID string) ([]Resource, error)
}

// Orders is what check-in needs of the order module (wired by the composition root).
type Orders interface {
	// OpenForBooking opens the order of booking bookingID's guests at the table (tableID) or room (roomID)
	// of shop shopID, inside tx — the check-in's tenant transaction of merchant m, so the order and the
	// checked-in booking commit or roll back together — and returns the order's id. Its error kinds reach
	// the caller as they are (e.g. apperr.Conflict when the table's order is already open).
	OpenForBooking(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, tableID, roomID string, guests int,
		bookingID string) (orderID string, err error)
}

// BookingAvailability lists a shop's tables and rooms free for a slot and a party.
type BookingAvailability struct {
	Tables []BookingFreeTable `json:"tables"`
	Rooms  []BookingFreeRoom  `json:"rooms"`
}

// BookingFreeTable is a table free for the slot with enough seats.
type BookingFreeTable struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Seats  int    `json:"seats"`
	AreaID string `json:"area_id"`
}

// BookingFreeRoom is a room free for the slot whose capacity fits the party (or is unknown: 0).
type BookingFreeRoom struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	RoomType string `json:"room_type"`
	Capacity int    `json:"capacity"`
}

// Rules of a booking.
const (
	MaxDuration  = 24 * time.Hour
	MaxPartySize = 500
	// PastTolerance is how far in the past a slot may start when it is booked or moved (a walk-in booked a
	// few minutes late).
	PastTolerance = 5 * time.Minute
	// MaxAhead is how far ahead a slot may start.
	MaxAhead = 366 * 24 * time.Hour
	// MaxDeposit bounds a deposit (one billion đồng), so sums never come near overflow.
	MaxDeposit   money.VND = 1_000_000_000
	maxNameLen             = 100
	maxNoteLen             = 500
	maxReasonLen           = 500
)

// fieldErrors collects the problems of one input so the caller sees them all at once.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: message})
}

// text checks a free-text field and returns it trimmed and NFC-normalised (Vietnamese typed on different
// keyboards compares equal).
func (f *fieldErrors) text(field, value string, required bool, max int) string {
	if !utf8.ValidString(value) {
		f.add(field, "must be valid UTF-8")
		return value
	}
	v := norm.NFC.String(strings.TrimSpace(value))
	switch {
	case required && v == "":
		f.add(field, "must not be empty")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "must have at most "+strconv.Itoa(max)+" characters")
	}
	return v
}

// err returns the Invalid error listing every problem, or nil.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
}

// checkBooking checks b as it would be stored and returns it normalised. now is the current time;
// timesChanged says whether the slot is new or moved, so that it must not start in the past.
func checkBooking(b Booking, now time.Time, timesChanged bool) (Booking, fieldErrors) {
	var f fieldErrors
	b.TableID, b.RoomID = strings.TrimSpace(b.TableID), strings.TrimSpace(b.RoomID)
	if (b.TableID == "") == (b.RoomID == "") {
		f.add("table_id", "give exactly one of table_id and room_id")
	}
	f.slot(b.StartsAt, b.EndsAt)
	b.StartsAt, b.EndsAt = b.StartsAt.UTC().Truncate(time.Microsecond), b.EndsAt.UTC().Truncate(time.Microsecond)
	if timesChanged && !b.StartsAt.IsZero() {
		switch {
		case b.StartsAt.Before(now.Add(-PastTolerance)):
			f.add("starts_at", "must not be in the past")
		case b.StartsAt.After(now.Add(MaxAhead)):
			f.add("starts_at", "must be within a year from now")
		}
	}
	f.partySize("party_size", b.PartySize)
	b.CustomerName = f.text("customer_name", b.CustomerName, true, maxNameLen)
	if phone, ok := canonicalPhone(b.CustomerPhone); ok {
		b.CustomerPhone = phone
	} else {
		f.add("customer_phone", "must be a Vietnamese phone number: 10 digits starting with 0, or +84 and 9 digits")
	}
	b.Note = f.text("note", b.Note, false, maxNoteLen)
	if b.DepositAmount < 0 || b.DepositAmount > MaxDeposit {
		f.add("deposit_amount", "must be between 0 and "+strconv.FormatInt(int64(MaxDeposit), 10)+" đồng")
	}
	return b, f
}

// slot checks a time slot: both ends given, the end after the start, at most MaxDuration long.
func (f *fieldErrors) slot(start, end time.Time) {
	switch {
	case start.IsZero():
		f.add("starts_at", "must be a time (RFC 3339)")
	case end.IsZero():
		f.add("ends_at", "must be a time (RFC 3339)")
	case !end.After(start):
		f.add("ends_at", "must be after starts_at")
	case end.Sub(start) > MaxDuration:
		f.add("ends_at", "must be at most 24 hours after starts_at")
	}
}

func (f *fieldErrors) partySize(field string, n int) {
	if n < 1 || n > MaxPartySize {
		f.add(field, "must be between 1 and "+strconv.Itoa(MaxPartySize))
	}
}

// canonicalPhone reads a Vietnamese phone number — 10 digits starting with 0 (not 00, an international
// prefix), or +84 and the same number without its 0 — allowing spaces, dots and dashes between digits, and returns its domestic form.
func canonicalPhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-':
		default:
			return "", false
		}
	}
	d := b.String()
	if rest, ok := strings.CutPrefix(d, "+84"); ok {
		d = "0" + rest
	}
	if len(d) != 10 || d[0] != '0' || d[1] == '0' || strings.Contains(d, "+") {
		return "", false
	}
	return d, true
}
