package booking

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/booking/bookingdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Options tune a Service.
type Options struct {
	// Nudge, if set, is called after a transaction that wrote events has committed (events.Relay.Nudge).
	Nudge func()
	// Floor resolves shops' tables and rooms (the merchant module); required.
	Floor Floor
	// Orders opens the order at check-in (the order module). Without it check-in only records the status.
	Orders Orders
}

// Service runs the module's use cases, each in one transaction of the merchant it concerns.
type Service struct {
	db     *db.DB
	clk    clock.Clock
	nudge  func()
	floor  Floor
	orders Orders
}

// New returns the service over d (migrated with Migrations and events.Migrations), telling time with clk.
// It panics without opts.Floor: no booking can be checked without it.
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	if opts.Floor == nil {
		panic("booking: Options.Floor is required")
	}
	nudge := opts.Nudge
	if nudge == nil {
		nudge = func() {}
	}
	return &Service{db: d, clk: clk, nudge: nudge, floor: opts.Floor, orders: opts.Orders}
}

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// record writes the event typ about b to the outbox twice: on Subject for other modules, and on the shop's
// subject for its screens.
func record(ctx context.Context, tx *sql.Tx, m tenant.ID, typ string, at time.Time, b Booking) error {
	data, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	ev := events.Event{Type: typ, MerchantID: m, ShopID: b.ShopID, OccurredAt: at, Data: data}
	domain, screens := ev, ev
	domain.ID, domain.Subject = db.NewID(), Subject
	screens.ID, screens.Subject = db.NewID(), ShopSubject(b.ShopID)
	return events.AddAt(ctx, tx, at, domain, screens)
}

// resourceFor finds the table or room a booking of shop shopID names. A shop that is not a live shop of m
// is apperr.NotFound, whatever else is wrong; a table or room that is not live in the shop is a field
// problem added to f. Without exactly one of tableID and roomID (a problem f already holds) it only
// checks the shop.
func (s *Service) resourceFor(ctx context.Context, m tenant.ID, shopID, tableID, roomID string, f *fieldErrors) (Resource, error) {
	if (tableID == "") == (roomID == "") {
		_, err := s.floor.Resources(ctx, m, shopID)
		return Resource{}, err
	}
	r, err := s.floor.Resource(ctx, m, shopID, tableID, roomID)
	if err == nil && (tableID != "") == (r.Kind == KindTable) {
		return r, nil
	}
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return Resource{}, fmt.Errorf("read the floor: %w", err)
	}
	// Not found: the shop's, or only the table's or room's?
	if _, err := s.floor.Resources(ctx, m, shopID); err != nil {
		return Resource{}, err
	}
	if tableID != "" {
		f.add("table_id", "is not a table of this shop")
	} else {
		f.add("room_id", "is not a room of this shop")
	}
	return Resource{}, nil
}

func depositStatusFor(amount money.VND) DepositStatus {
	if amount > 0 {
		return DepositPending
	}
	return DepositNone
}

// Create books a table or room of shop shopID for merchant m. The booking starts pending. It returns
// apperr.NotFound when the shop is not a live shop of m, apperr.Invalid listing bad fields (a table or room
// not live in the shop among them), and apperr.Conflict when a live booking of the same table or room
// overlaps the slot. The booking.created event is written with it.
func (s *Service) Create(ctx context.Context, m tenant.ID, shopID string, in Input) (Booking, error) {
	now := s.now()
	b, f := checkBooking(Booking{ShopID: shopID, TableID: in.TableID, RoomID: in.RoomID, StartsAt: in.StartsAt,
		EndsAt: in.EndsAt, PartySize: in.PartySize, CustomerName: in.CustomerName, CustomerPhone: in.CustomerPhone,
		Note: in.Note, DepositAmount: in.DepositAmount}, now, true)
	res, err := s.resourceFor(ctx, m, shopID, b.TableID, b.RoomID, &f)
	if err != nil {
		return Booking{}, fmt.Errorf("create booking: %w", err)
	}
	if err := f.err(); err != nil {
		return Booking{}, err
	}
	b.ID, b.Status, b.DepositStatus, b.Version = db.NewID(), Pending, depositStatusFor(b.DepositAmount), 1
	b.CreatedBy, b.CreatedAt, b.UpdatedAt = in.CreatedBy, now, now
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := bookingdb.New(tx)
		if err := claimSlot(ctx, q, m, b, res.Name); err != nil {
			return err
		}
		err := q.InsertBooking(ctx, bookingdb.InsertBookingParams{ID: b.ID, MerchantID: string(m), ShopID: shopID,
			ResourceKind: b.resourceKind(), ResourceID: b.resourceID(), StartsAt: b.StartsAt, EndsAt: b.EndsAt,
			PartySize: int32(b.PartySize), CustomerName: b.CustomerName, CustomerPhone: b.CustomerPhone,
			Note: b.Note, Status: string(b.Status), DepositAmount: int64(b.DepositAmount),
			DepositStatus: string(b.DepositStatus), CreatedBy: b.CreatedBy, CreatedAt: now})
		if err != nil {
			return fmt.Errorf("insert booking: %w", err)
		}
		return record(ctx, tx, m, EventCreated, now, b)
	})
	if err != nil {
		return Booking{}, fmt.Errorf("create booking: %w", err)
	}
	s.nudge()
	return b, nil
}

// Booking returns booking id of merchant m; another merchant's is apperr.NotFound.
func (s *Service) Booking(ctx context.Context, m tenant.ID, id string) (Booking, error) {
	var out Booking
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadBooking(ctx, bookingdb.New(tx), m, id)
		return err
	})
	return out, err
}

// Page sizes of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// ListQuery selects a page of a shop's bookings.
type ListQuery struct {
	// From and To keep the bookings whose slot overlaps [From, To); a zero time leaves that side open.
	From, To time.Time
	// Status keeps the bookings in that status; "" keeps all.
	Status Status
	// Limit is the page size (0: DefaultPageSize; at most MaxPageSize).
	Limit int
	// Cursor is the NextCursor of the previous page, "" for the first.
	Cursor string
}

// BookingPage is one page of bookings and the cursor of the next ("" at the end).
type BookingPage struct {
	Items      []Booking `json:"items"`
	NextCursor string    `json:"next_cursor"`
}

// The open ends of a list's time range.
var (
	beginningOfTime = time.Unix(0, 0).UTC()
	endOfTime       = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// List returns a page of shop shopID's bookings in slot order (starts_at, then id). It returns
// apperr.NotFound when the shop is not a live shop of m, and apperr.Invalid for a bad range, status, limit
// or cursor.
func (s *Service) List(ctx context.Context, m tenant.ID, shopID string, in ListQuery) (BookingPage, error) {
	if _, err := s.floor.Resources(ctx, m, shopID); err != nil {
		return BookingPage{}, fmt.Errorf("list bookings: %w", err)
	}
	var f fieldErrors
	from, to := in.From.UTC(), in.To.UTC()
	if in.From.IsZero() {
		from = beginningOfTime
	}
	if in.To.IsZero() {
		to = endOfTime
	}
	if !to.After(from) {
		f.add("to", "must be after from")
	}
	if in.Status != "" && !in.Status.Valid() {
		f.add("status", "must be one of pending, confirmed, checked_in, cancelled, no_show")
	}
	limit := in.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		f.add("limit", "must be between 1 and "+strconv.Itoa(MaxPageSize))
	}
	after, ok := decodeCursor(in.Cursor)
	if !ok {
		f.add("cursor", "is not a cursor this API returned")
	}
	if err := f.err(); err != nil {
		return BookingPage{}, err
	}
	var items []Booking
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := bookingdb.New(tx).ListBookings(ctx, bookingdb.ListBookingsParams{MerchantID: string(m),
			ShopID: shopID, ToTime: to, FromTime: from, Status: string(in.Status), AfterStartsAt: after.startsAt,
			AfterID: after.id, PageSize: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list bookings: %w", err)
		}
		items = fromRows(rows)
		return nil
	})
	if err != nil {
		return BookingPage{}, err
	}
	page := BookingPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCursor(cursor{startsAt: last.StartsAt, id: last.ID})
	}
	return page, nil
}

// cursor is a position in slot order: after the booking (startsAt, id).
type cursor struct {
	startsAt time.Time
	id       string
}

func encodeCursor(c cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.startsAt.UnixMicro(), 10) + ":" + c.id))
}

// decodeCursor reads a cursor encodeCursor made; "" is the start of the list.
func decodeCursor(s string) (cursor, bool) {
	if s == "" {
		return cursor{startsAt: beginningOfTime.Add(-time.Microsecond)}, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	micros, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 {
		return cursor{}, false
	}
	return cursor{startsAt: time.UnixMicro(n).UTC(), id: id}, true
}

// errUnchanged rolls back a change that turned out to change nothing (a replayed payment callback), so the
// booking's version is not bumped.
var errUnchanged = errors.New("booking unchanged")

// change runs fn on booking id of merchant m, locked, in one transaction, then writes the booking and the
// event whose type fn returns. fn returns "" to leave the booking as it was. Another merchant's booking is
// apperr.NotFound.
func (s *Service) change(ctx context.Context, m tenant.ID, id string,
	fn func(tx *sql.Tx, q *bookingdb.Queries, b *Booking, now time.Time) (string, error)) (Booking, error) {
	var out Booking
	now := s.now()
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := bookingdb.New(tx)
		b, err := lockBooking(ctx, q, m, id)
		if err != nil {
			return err
		}
		typ, err := fn(tx, q, &b, now)
		if err != nil {
			return err
		}
		if typ == "" {
			b.Version-- // as committed: this transaction rolls back
			out = b
			return errUnchanged
		}
		b.UpdatedAt = now
		if err := updateBooking(ctx, q, m, b); err != nil {
			return err
		}
		out = b
		return record(ctx, tx, m, typ, now, b)
	})
	if errors.Is(err, errUnchanged) {
		return out, nil
	}
	if err != nil {
		return Booking{}, err
	}
	s.nudge()
	return out, nil
}

// applyPatch returns b with p applied, normalised, and the problems of the result.
func applyPatch(b Booking, p Patch, now time.Time) (Booking, fieldErrors) {
	next := b
	if p.TableID != nil {
		next.TableID = *p.TableID
		if p.RoomID == nil {
			next.RoomID = ""
		}
	}
	if p.RoomID != nil {
		next.RoomID = *p.RoomID
		if p.TableID == nil {
			next.TableID = ""
		}
	}
	setIf(&next.StartsAt, p.StartsAt)
	setIf(&next.EndsAt, p.EndsAt)
	setIf(&next.PartySize, p.PartySize)
	setIf(&next.CustomerName, p.CustomerName)
	setIf(&next.CustomerPhone, p.CustomerPhone)
	setIf(&next.Note, p.Note)
	setIf(&next.DepositAmount, p.DepositAmount)
	timesChanged := p.StartsAt != nil && !p.StartsAt.Equal(b.StartsAt)
	return checkBooking(next, now, timesChanged)
}

// slotMoves reports whether next holds another resource or another slot than b, so overlaps must be checked.
func slotMoves(b, next Booking) bool {
	return b.TableID != next.TableID || b.RoomID != next.RoomID || !b.StartsAt.Equal(next.StartsAt) ||
		!b.EndsAt.Equal(next.EndsAt)
}

// Update changes a pending or confirmed booking: its table or room, slot, party, customer, note or deposit.
// A new slot or resource is checked for overlaps as Create checks it, and a slot moved to start earlier
// than 5 minutes ago is refused. It returns apperr.NotFound for another merchant's booking,
// apperr.Invalid listing bad fields, and apperr.Conflict for an overlap, a booking no longer changeable, a
// paid deposit's amount, or a stale ExpectedVersion (with the booking as it is). The booking.updated
// event is written with it.
func (s *Service) Update(ctx context.Context, m tenant.ID, id string, p Patch) (Booking, error) {
	// The floor is read before the write transaction (it has its own); the transaction then checks that
	// the booking still needs the table or room that was read.
	cur, err := s.Booking(ctx, m, id)
	if err != nil {
		return Booking{}, fmt.Errorf("update booking %s: %w", id, err)
	}
	next, f := applyPatch(cur, p, s.now())
	var res Resource
	if slotMoves(cur, next) {
		if res, err = s.resourceFor(ctx, m, cur.ShopID, next.TableID, next.RoomID, &f); err != nil {
			return Booking{}, fmt.Errorf("update booking %s: %w", id, err)
		}
	}
	if err := f.err(); err != nil {
		return Booking{}, err
	}
	out, err := s.change(ctx, m, id, func(_ *sql.Tx, q *bookingdb.Queries, b *Booking, now time.Time) (string, error) {
		if p.ExpectedVersion != nil && *p.ExpectedVersion != b.Version-1 {
			current := *b
			current.Version--
			return "", apperr.Stale("the booking has changed since version "+strconv.FormatInt(*p.ExpectedVersion, 10), current)
		}
		if !b.Status.Changeable() {
			return "", apperr.E(apperr.Conflict, "a %s booking cannot be changed", b.Status)
		}
		next, f := applyPatch(*b, p, now)
		if err := f.err(); err != nil {
			return "", err
		}
		if next.DepositAmount != b.DepositAmount {
			if b.DepositStatus == DepositPaid || b.DepositStatus == DepositRefunded {
				return "", apperr.E(apperr.Conflict, "the deposit is %s: its amount cannot change", b.DepositStatus)
			}
			next.DepositStatus = depositStatusFor(next.DepositAmount)
		}
		if slotMoves(*b, next) {
			if next.TableID+next.RoomID != res.ID {
				return "", apperr.Stale("the booking changed while it was being edited; try again", *b)
			}
			if err := claimSlot(ctx, q, m, next, res.Name); err != nil {
				return "", err
			}
		}
		*b = next
		return EventUpdated, nil
	})
	if err != nil {
		return Booking{}, fmt.Errorf("update booking %s: %w", id, err)
	}
	return out, nil
}

// transition moves booking id to status to, after check (nil: none) has accepted it inside the transaction.
// A booking whose status may not become to is apperr.Conflict.
func (s *Service) transition(ctx context.Context, m tenant.ID, id string, to Status, typ string,
	check func(tx *sql.Tx, b *Booking, now time.Time) error) (Booking, error) {
	out, err := s.change(ctx, m, id, func(tx *sql.Tx, _ *bookingdb.Queries, b *Booking, now time.Time) (string, error) {
		if !b.Status.CanBecome(to) {
			return "", apperr.E(apperr.Conflict, "a %s booking cannot become %s", b.Status, to)
		}
		if check != nil {
			if err := check(tx, b, now); err != nil {
				return "", err
			}
		}
		b.Status = to
		return typ, nil
	})
	if err != nil {
		return Booking{}, fmt.Errorf("booking %s → %s: %w", id, to, err)
	}
	return out, nil
}

// Confirm confirms a pending booking with the guest (apperr.Conflict from any other status).
func (s *Service) Confirm(ctx context.Context, m tenant.ID, id string) (Booking, error) {
	return s.transition(ctx, m, id, Confirmed, EventConfirmed, nil)
}

// Cancel cancels a pending or confirmed booking, with an optional reason; its table or room is free again.
// Other statuses are apperr.Conflict, a reason over 500 characters apperr.Invalid ("reason").
func (s *Service) Cancel(ctx context.Context, m tenant.ID, id, reason string) (Booking, error) {
	var f fieldErrors
	reason = f.text("reason", reason, false, maxReasonLen)
	if err := f.err(); err != nil {
		return Booking{}, err
	}
	return s.transition(ctx, m, id, Cancelled, EventCancelled, func(_ *sql.Tx, b *Booking, _ time.Time) error {
		b.CancelReason = reason
		return nil
	})
}

// NoShow records that the guests of a pending or confirmed booking did not come; its table or room is free
// again. Before the slot starts it is apperr.Conflict, as are other statuses.
func (s *Service) NoShow(ctx context.Context, m tenant.ID, id string) (Booking, error) {
	return s.transition(ctx, m, id, NoShow, EventNoShow, func(_ *sql.Tx, b *Booking, now time.Time) error {
		if now.Before(b.StartsAt) {
			return apperr.E(apperr.Conflict, "the booking starts at %s: the guests cannot be absent yet",
				b.StartsAt.Format(time.RFC3339))
		}
		return nil
	})
}

// CheckIn records that the guests of a pending or confirmed booking arrived and, with Options.Orders,
// opens their order at the booked table or room in the same transaction and records its id. When the order
// cannot be opened nothing changes and its error is returned (e.g. apperr.Conflict: the table's order is
// open). Other statuses are apperr.Conflict.
func (s *Service) CheckIn(ctx context.Context, m tenant.ID, id string) (Booking, error) {
	return s.transition(ctx, m, id, CheckedIn, EventCheckedIn, func(tx *sql.Tx, b *Booking, _ time.Time) error {
		if s.orders == nil {
			return nil
		}
		orderID, err := s.orders.OpenForBooking(ctx, tx, m, b.ShopID, b.TableID, b.RoomID, b.PartySize, b.ID)
		if err != nil {
			return fmt.Errorf("open the order: %w", err)
		}
		if orderID == "" {
			return errors.New("open the order: no order id")
		}
		b.OrderID = orderID
		return nil
	})
}

// MarkDepositPaid records that payment paymentID paid booking id's pending deposit (the payments module
// calls it, whatever the booking's status: money received is never lost). A replay with the same payment
// changes nothing. It returns apperr.NotFound for another merchant's booking, apperr.Invalid for an empty
// payment id, and apperr.Conflict when no deposit is pending or another payment paid it.
func (s *Service) MarkDepositPaid(ctx context.Context, m tenant.ID, id, paymentID string) (Booking, error) {
	paymentID = strings.TrimSpace(paymentID)
	if paymentID == "" {
		return Booking{}, apperr.WithField("payment_id", "must not be empty")
	}
	out, err := s.change(ctx, m, id, func(_ *sql.Tx, _ *bookingdb.Queries, b *Booking, _ time.Time) (string, error) {
		switch {
		case b.DepositStatus == DepositPending:
			b.DepositStatus, b.DepositPaymentID = DepositPaid, paymentID
			return EventUpdated, nil
		case b.DepositStatus == DepositPaid && b.DepositPaymentID == paymentID:
			return "", nil
		}
		return "", apperr.E(apperr.Conflict, "the booking's deposit is %s, not pending", b.DepositStatus)
	})
	if err != nil {
		return Booking{}, fmt.Errorf("mark deposit of booking %s paid: %w", id, err)
	}
	return out, nil
}

// MarkDepositRefunded records that the deposit paid by payment paymentID was refunded. A replay changes
// nothing. It returns apperr.NotFound for another merchant's booking and apperr.Conflict when the deposit
// is not paid or was paid by another payment.
func (s *Service) MarkDepositRefunded(ctx context.Context, m tenant.ID, id, paymentID string) (Booking, error) {
	paymentID = strings.TrimSpace(paymentID)
	out, err := s.change(ctx, m, id, func(_ *sql.Tx, _ *bookingdb.Queries, b *Booking, _ time.Time) (string, error) {
		if b.DepositPaymentID != paymentID || paymentID == "" {
			return "", apperr.E(apperr.Conflict, "payment %q did not pay this booking's deposit", paymentID)
		}
		switch b.DepositStatus {
		case DepositPaid:
			b.DepositStatus = DepositRefunded
			return EventUpdated, nil
		case DepositRefunded:
			return "", nil
		}
		return "", apperr.E(apperr.Conflict, "the booking's deposit is %s, not paid", b.DepositStatus)
	})
	if err != nil {
		return Booking{}, fmt.Errorf("mark deposit of booking %s refunded: %w", id, err)
	}
	return out, nil
}

// AvailabilityQuery is a slot and a party to seat.
type AvailabilityQuery struct {
	StartsAt, EndsAt time.Time
	PartySize        int
}

// Availability lists shop shopID's tables with at least PartySize seats, and rooms whose capacity fits the
// party or is unknown (0), that no live booking holds for any part of the slot. It returns apperr.NotFound
// when the shop is not a live shop of m, and apperr.Invalid for a bad slot or party size.
func (s *Service) Availability(ctx context.Context, m tenant.ID, shopID string, in AvailabilityQuery) (BookingAvailability, error) {
	resources, err := s.floor.Resources(ctx, m, shopID)
	if err != nil {
		return BookingAvailability{}, fmt.Errorf("availability: %w", err)
	}
	var f fieldErrors
	f.slot(in.StartsAt, in.EndsAt)
	f.partySize("party_size", in.PartySize)
	if err := f.err(); err != nil {
		return BookingAvailability{}, err
	}
	start, end := in.StartsAt.UTC().Truncate(time.Microsecond), in.EndsAt.UTC().Truncate(time.Microsecond)
	busy := map[string]bool{}
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		ids, err := bookingdb.New(tx).BusyResources(ctx, bookingdb.BusyResourcesParams{MerchantID: string(m),
			ShopID: shopID, EarliestStart: start.Add(-MaxDuration), EndsAt: end, StartsAt: start})
		for _, id := range ids {
			busy[id] = true
		}
		return err
	})
	if err != nil {
		return BookingAvailability{}, fmt.Errorf("availability: %w", err)
	}
	out := BookingAvailability{Tables: []BookingFreeTable{}, Rooms: []BookingFreeRoom{}}
	for _, r := range resources {
		switch {
		case busy[r.ID]:
		case r.Kind == KindTable && r.Seats >= in.PartySize:
			out.Tables = append(out.Tables, BookingFreeTable{ID: r.ID, Name: r.Name, Seats: r.Seats, AreaID: r.AreaID})
		case r.Kind == KindRoom && (r.Capacity == 0 || r.Capacity >= in.PartySize):
			out.Rooms = append(out.Rooms, BookingFreeRoom{ID: r.ID, Name: r.Name, RoomType: r.RoomType, Capacity: r.Capacity})
		}
	}
	return out, nil
}

// MoveShop is the module's step of a shop transfer: shop shopID's bookings (and their lock rows) move from
// merchant from to merchant to. It runs in the caller's transaction tx, which must be a db.WithSystemTx
// transaction (the system_transfer policies admit it on PostgreSQL). Bookings point at the shop's tables,
// rooms and orders, which keep their ids when they move, so ids (old → new id of copied merchant-level
// records) has nothing for them.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID, _ map[string]string) error {
	if from == to || from == "" || to == "" || shopID == "" {
		return fmt.Errorf("move bookings of shop %s: bad transfer %q → %q", shopID, from, to)
	}
	q := bookingdb.New(tx)
	p := bookingdb.MoveShopBookingsParams{ToMerchantID: string(to), ShopID: shopID, FromMerchantID: string(from)}
	if err := q.MoveShopBookings(ctx, p); err != nil {
		return fmt.Errorf("move bookings of shop %s: %w", shopID, err)
	}
	if err := q.MoveShopResourceLocks(ctx, bookingdb.MoveShopResourceLocksParams(p)); err != nil {
		return fmt.Errorf("move booking locks of shop %s: %w", shopID, err)
	}
	return nil
}

// setIf copies *v into *dst when v is set (a PATCH field that was sent).
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
