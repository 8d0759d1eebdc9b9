package booking_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/booking"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// sources are the migrations the module's tests need: the module's own, the outbox it writes events to, and
// the idempotency keys of the HTTP layer.
var sources = []migrate.Source{events.Migrations, httpapi.Migrations, booking.Migrations}

// t0 is "now" in the tests: 08:30 in Vietnam. evening is 18:00 the next day in Vietnam (11:00 UTC).
var (
	t0      = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	evening = time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)
)

// at is evening plus h hours (h may be fractional).
func at(h float64) time.Time { return evening.Add(time.Duration(h * float64(time.Hour))) }

// env is a service over a fresh database, a fake floor and fake orders: merchant A with shops A1 (tables of
// 2, 4 and 6 seats, a karaoke room of unknown capacity and a VIP room for 10) and A2 (one table), merchant B
// with shop B1 (one table).
type env struct {
	d      *db.DB
	clk    *clock.Fake
	floor  *fakeFloor
	orders *fakeOrders
	svc    *booking.Service

	a, b                tenant.ID
	a1, a2, b1          string
	t2, t4, t6, ta2, tb booking.Resource
	karaoke, vip        booking.Resource
}

func newEnv(t *testing.T, d *db.DB) *env { return newEnvWith(t, d, true) }

// newEnvWith is newEnv; withOrders false leaves Options.Orders nil.
func newEnvWith(t *testing.T, d *db.DB, withOrders bool) *env {
	t.Helper()
	e := &env{d: d, clk: clock.NewFake(t0), floor: newFakeFloor(), orders: &fakeOrders{}}
	e.a, e.b = tenant.ID(db.NewID()), tenant.ID(db.NewID())
	e.a1, e.a2, e.b1 = db.NewID(), db.NewID(), db.NewID()
	e.floor.addShop(e.a, e.a1)
	e.floor.addShop(e.a, e.a2)
	e.floor.addShop(e.b, e.b1)
	area := db.NewID()
	table := func(shop, name string, seats int) booking.Resource {
		return e.floor.add(shop, booking.Resource{ID: db.NewID(), Kind: booking.KindTable, Name: name, AreaID: area, Seats: seats})
	}
	e.t2, e.t4, e.t6 = table(e.a1, "B2", 2), table(e.a1, "B4", 4), table(e.a1, "B6", 6)
	e.karaoke = e.floor.add(e.a1, booking.Resource{ID: db.NewID(), Kind: booking.KindRoom, Name: "P1", RoomType: "small"})
	e.vip = e.floor.add(e.a1, booking.Resource{ID: db.NewID(), Kind: booking.KindRoom, Name: "VIP", RoomType: "vip", Capacity: 10})
	e.ta2, e.tb = table(e.a2, "A2-1", 4), table(e.b1, "B1-1", 4)
	opts := booking.Options{Floor: e.floor}
	if withOrders {
		opts.Orders = e.orders
	}
	e.svc = booking.New(d, e.clk, opts)
	return e
}

// input is a valid booking of resource r (a table or room) for [start, end).
func input(r booking.Resource, start, end time.Time) booking.Input {
	in := booking.Input{StartsAt: start, EndsAt: end, PartySize: 2, CustomerName: "Nguyễn Văn An",
		CustomerPhone: "0912 345 678", CreatedBy: "u1"}
	if r.Kind == booking.KindRoom {
		in.RoomID = r.ID
	} else {
		in.TableID = r.ID
	}
	return in
}

// book creates a booking of r for [start, end) in shop A1 or fails the test.
func (e *env) book(t *testing.T, r booking.Resource, start, end time.Time) booking.Booking {
	t.Helper()
	b, err := e.svc.Create(context.Background(), e.a, e.a1, input(r, start, end))
	if err != nil {
		t.Fatalf("book %s %v–%v: %v", r.Name, start, end, err)
	}
	return b
}

func wantKind(t *testing.T, err error, want apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); got != want {
		t.Fatalf("error kind = %v (%v), want %v", got, err, want)
	}
}

// outbox returns "subject type" of merchant m's events, oldest first.
func outbox(t *testing.T, d *db.DB, m tenant.ID) []string {
	t.Helper()
	var out []string
	err := d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT subject, type FROM outbox WHERE merchant_id = $1 ORDER BY seq", string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var subject, typ string
			if err := rows.Scan(&subject, &typ); err != nil {
				return err
			}
			out = append(out, subject+" "+typ)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCreateRefusesOverlapsOfLiveBookingsOnly(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		first := e.book(t, e.t4, at(1), at(3)) // 19:00–21:00
		if first.Status != booking.Pending || first.Version != 1 || first.TableID != e.t4.ID || first.RoomID != "" ||
			first.CustomerPhone != "0912345678" || first.DepositStatus != booking.DepositNone {
			t.Fatalf("created %+v", first)
		}
		e.book(t, e.karaoke, at(1), at(3))
		tests := []struct {
			name       string
			r          booking.Resource
			start, end float64
			want       apperr.Kind // Unknown: created
		}{
			{"same slot", e.t4, 1, 3, apperr.Conflict},
			{"inside", e.t4, 1.5, 2, apperr.Conflict},
			{"around", e.t4, 0, 4, apperr.Conflict},
			{"overlapping the start", e.t4, 0.5, 1.01, apperr.Conflict},
			{"overlapping the end", e.t4, 2.99, 5, apperr.Conflict},
			{"same room", e.karaoke, 2, 4, apperr.Conflict},
			{"ending when it starts", e.t4, 0, 1, apperr.Unknown},
			{"starting when it ends", e.t4, 3, 4, apperr.Unknown},
			{"another table at the same time", e.t6, 1, 3, apperr.Unknown},
			{"another room at the same time", e.vip, 1, 3, apperr.Unknown},
		}
		for _, tt := range tests {
			_, err := e.svc.Create(ctx, e.a, e.a1, input(tt.r, at(tt.start), at(tt.end)))
			if got := apperr.KindOf(err); got != tt.want {
				t.Errorf("%s: error %v (%v), want %v", tt.name, got, err, tt.want)
			}
		}
		// Sub-second times compare as times on both engines (SQLite compares the stored text).
		ms := func(h float64, d time.Duration) time.Time { return at(h).Add(d * time.Millisecond) }
		e.book(t, e.t6, ms(5, 0), ms(6, 250))
		subSecond := []struct {
			name       string
			start, end time.Time
			want       apperr.Kind
		}{
			{"half a second before the end", ms(6, -250), ms(7, 0), apperr.Conflict},
			{"at the end", ms(6, 250), ms(7, 0), apperr.Unknown},
			{"a millisecond after the end", ms(6, 251), ms(7, 0), apperr.Unknown},
			{"ending 1 µs after the start", ms(4, 0), ms(5, 0).Add(time.Microsecond), apperr.Conflict},
		}
		for i, tt := range subSecond {
			r := []booking.Resource{e.t6, e.t6, e.t2, e.t6}[i] // the two free slots go to different tables
			_, err := e.svc.Create(ctx, e.a, e.a1, input(r, tt.start, tt.end))
			if got := apperr.KindOf(err); got != tt.want {
				t.Errorf("%s: error %v (%v), want %v", tt.name, got, err, tt.want)
			}
		}
		// Cancelled and no-show bookings free their slot.
		if _, err := e.svc.Cancel(ctx, e.a, first.ID, "khách đổi ý"); err != nil {
			t.Fatal(err)
		}
		second := e.book(t, e.t4, at(1), at(3))
		e.clk.Set(at(1.5))
		if _, err := e.svc.NoShow(ctx, e.a, second.ID); err != nil {
			t.Fatal(err)
		}
		e.book(t, e.t4, at(1.5), at(3))
	})
}

func TestConcurrentBookingsOfOneSlotLeaveExactlyOne(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// Each request asks for a different slot, all of which overlap one another (19:00 + i min, 2 hours).
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				start := at(1).Add(time.Duration(i) * time.Minute)
				_, errs[i] = e.svc.Create(ctx, e.a, e.a1, input(e.t4, start, start.Add(2*time.Hour)))
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case !apperr.Is(err, apperr.Conflict):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if created != 1 {
			t.Fatalf("%d overlapping bookings created concurrently, want 1", created)
		}
		page, err := e.svc.List(ctx, e.a, e.a1, booking.ListQuery{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("bookings of A1: %+v, %v", page.Items, err)
		}
	})
}

func TestAvailabilityListsFreeTablesAndRoomsThatSeatTheParty(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.book(t, e.t6, at(1), at(3))
		cancelled := e.book(t, e.vip, at(1), at(3))
		if _, err := e.svc.Cancel(ctx, e.a, cancelled.ID, ""); err != nil {
			t.Fatal(err)
		}
		e.book(t, e.t2, at(0), at(1)) // ends when the slot below starts
		if _, err := e.svc.Create(ctx, e.a, e.a2, input(e.ta2, at(1), at(3))); err != nil {
			t.Fatal(err)
		}
		names := func(a booking.BookingAvailability) (tables, rooms []string) {
			for _, x := range a.Tables {
				tables = append(tables, x.Name)
			}
			for _, x := range a.Rooms {
				rooms = append(rooms, x.Name)
			}
			return tables, rooms
		}
		tests := []struct {
			start, end         float64
			party              int
			wantTables, wantRm []string
		}{
			{1, 3, 2, []string{"B2", "B4"}, []string{"P1", "VIP"}},
			{1, 3, 5, nil, []string{"P1", "VIP"}},
			{1, 3, 11, nil, []string{"P1"}}, // capacity 0 is unknown: offered
			{3, 4, 6, []string{"B6"}, []string{"P1", "VIP"}},
			{0.5, 1.5, 1, []string{"B4"}, []string{"P1", "VIP"}},
		}
		for _, tt := range tests {
			a, err := e.svc.Availability(ctx, e.a, e.a1, booking.AvailabilityQuery{StartsAt: at(tt.start),
				EndsAt: at(tt.end), PartySize: tt.party})
			if err != nil {
				t.Fatal(err)
			}
			tables, rooms := names(a)
			if !slices.Equal(tables, tt.wantTables) || !slices.Equal(rooms, tt.wantRm) {
				t.Errorf("%v–%v for %d: tables %v rooms %v, want %v %v", tt.start, tt.end, tt.party, tables, rooms,
					tt.wantTables, tt.wantRm)
			}
		}
		a, err := e.svc.Availability(ctx, e.a, e.a1, booking.AvailabilityQuery{StartsAt: at(1), EndsAt: at(3), PartySize: 4})
		if err != nil || len(a.Tables) != 1 || a.Tables[0] != (booking.BookingFreeTable{ID: e.t4.ID, Name: "B4", Seats: 4,
			AreaID: e.t4.AreaID}) {
			t.Fatalf("free table for 4: %+v, %v", a.Tables, err)
		}
		_, err = e.svc.Availability(ctx, e.b, e.a1, booking.AvailabilityQuery{StartsAt: at(1), EndsAt: at(3), PartySize: 2})
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.Availability(ctx, e.a, e.a1, booking.AvailabilityQuery{StartsAt: at(3), EndsAt: at(1), PartySize: 2})
		if f := apperr.Fields(err); len(f) != 1 || f[0].Field != "ends_at" {
			t.Fatalf("reversed slot: %v %+v", err, f)
		}
	})
}

func TestStatusMachine(t *testing.T) {
	type action struct {
		name string
		run  func(*env, string) (booking.Booking, error)
	}
	ctx := context.Background()
	confirm := action{"confirm", func(e *env, id string) (booking.Booking, error) { return e.svc.Confirm(ctx, e.a, id) }}
	cancel := action{"cancel", func(e *env, id string) (booking.Booking, error) { return e.svc.Cancel(ctx, e.a, id, "") }}
	noShow := action{"no-show", func(e *env, id string) (booking.Booking, error) { return e.svc.NoShow(ctx, e.a, id) }}
	checkIn := action{"check-in", func(e *env, id string) (booking.Booking, error) { return e.svc.CheckIn(ctx, e.a, id) }}
	tests := []struct {
		path    []action // reaches the starting status from pending
		do      action
		want    booking.Status // "" when refused with a Conflict
		wantEvt string
	}{
		{nil, confirm, booking.Confirmed, booking.EventConfirmed},
		{nil, cancel, booking.Cancelled, booking.EventCancelled},
		{nil, noShow, booking.NoShow, booking.EventNoShow},
		{nil, checkIn, booking.CheckedIn, booking.EventCheckedIn},
		{[]action{confirm}, confirm, "", ""},
		{[]action{confirm}, cancel, booking.Cancelled, booking.EventCancelled},
		{[]action{confirm}, noShow, booking.NoShow, booking.EventNoShow},
		{[]action{confirm}, checkIn, booking.CheckedIn, booking.EventCheckedIn},
		{[]action{checkIn}, confirm, "", ""},
		{[]action{checkIn}, cancel, "", ""},
		{[]action{checkIn}, noShow, "", ""},
		{[]action{checkIn}, checkIn, "", ""},
		{[]action{cancel}, confirm, "", ""},
		{[]action{cancel}, cancel, "", ""},
		{[]action{cancel}, checkIn, "", ""},
		{[]action{cancel}, noShow, "", ""},
		{[]action{noShow}, confirm, "", ""},
		{[]action{noShow}, checkIn, "", ""},
		{[]action{noShow}, cancel, "", ""},
	}
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.clk.Set(at(0)) // the slots below start now, so no-show is allowed
		for i, tt := range tests {
			var names []string
			for _, a := range tt.path {
				names = append(names, a.name)
			}
			name := strings.Join(append(names, tt.do.name), " → ")
			start := at(float64(2 * i)) // one table, slots far apart
			e.clk.Set(start)
			b := e.book(t, e.t4, start, start.Add(time.Hour))
			for _, a := range tt.path {
				if _, err := a.run(e, b.ID); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			before, _ := e.svc.Booking(ctx, e.a, b.ID)
			events := len(outbox(t, d, e.a))
			got, err := tt.do.run(e, b.ID)
			after, _ := e.svc.Booking(ctx, e.a, b.ID)
			if tt.want == "" {
				if !apperr.Is(err, apperr.Conflict) {
					t.Errorf("%s: %v, want a conflict", name, err)
				}
				if after != before || len(outbox(t, d, e.a)) != events {
					t.Errorf("%s: a refused change changed the booking or wrote events: %+v → %+v", name, before, after)
				}
				continue
			}
			if err != nil || got.Status != tt.want || after != got || got.Version != before.Version+1 {
				t.Errorf("%s: %+v, %v; stored %+v; want %s at version %d", name, got, err, after, tt.want, before.Version+1)
			}
			evs := outbox(t, d, e.a)[events:] // check-in's order.opened comes first
			if n := len(evs); n < 2 || evs[n-2] != "booking.events "+tt.wantEvt ||
				evs[n-1] != "shop."+e.a1+".bookings "+tt.wantEvt {
				t.Errorf("%s: events %v, want %s on booking.events and the shop's subject", name, evs, tt.wantEvt)
			}
		}
	})
}

func TestNoShowOnlyOnceTheSlotHasStarted(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		b := e.book(t, e.t4, at(1), at(3))
		_, err := e.svc.NoShow(ctx, e.a, b.ID)
		wantKind(t, err, apperr.Conflict)
		e.clk.Set(at(1))
		if got, err := e.svc.NoShow(ctx, e.a, b.ID); err != nil || got.Status != booking.NoShow {
			t.Fatalf("no-show at the start: %+v, %v", got, err)
		}
	})
}

func TestCheckInOpensTheOrderInTheSameTransaction(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		b := e.book(t, e.t4, at(1), at(3))
		if _, err := e.svc.Confirm(ctx, e.a, b.ID); err != nil {
			t.Fatal(err)
		}
		confirmed, _ := e.svc.Booking(ctx, e.a, b.ID)
		events := outbox(t, d, e.a)

		// The order cannot be opened: its write rolls back with the booking's, which stays confirmed.
		e.orders.fail = errTableBusy
		_, err := e.svc.CheckIn(ctx, e.a, b.ID)
		wantKind(t, err, apperr.Conflict)
		if got, _ := e.svc.Booking(ctx, e.a, b.ID); got != confirmed {
			t.Fatalf("after a failed check-in: %+v, want %+v", got, confirmed)
		}
		if got := outbox(t, d, e.a); !slices.Equal(got, events) {
			t.Fatalf("a failed check-in left events: %v", got[len(events):])
		}

		e.orders.fail = nil
		got, err := e.svc.CheckIn(ctx, e.a, b.ID)
		if err != nil || got.Status != booking.CheckedIn || got.OrderID != "order-of-"+b.ID {
			t.Fatalf("check-in: %+v, %v", got, err)
		}
		want := []openCall{{e.a1, e.t4.ID, "", 2, b.ID}, {e.a1, e.t4.ID, "", 2, b.ID}}
		if !slices.Equal(e.orders.calls, want) {
			t.Fatalf("orders opened %+v, want %+v", e.orders.calls, want)
		}
		if got := outbox(t, d, e.a)[len(events):]; !slices.Equal(got, []string{"order.events order.opened",
			"booking.events booking.checked_in", "shop." + e.a1 + ".bookings booking.checked_in"}) {
			t.Fatalf("check-in events: %v", got)
		}
		if stored, _ := e.svc.Booking(ctx, e.a, b.ID); stored != got {
			t.Fatalf("stored %+v, returned %+v", stored, got)
		}
	})
}

func TestCheckInWithoutOrdersRecordsTheStatus(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnvWith(t, d, false)
		b := e.book(t, e.vip, at(1), at(3))
		got, err := e.svc.CheckIn(context.Background(), e.a, b.ID)
		if err != nil || got.Status != booking.CheckedIn || got.OrderID != "" {
			t.Fatalf("check-in: %+v, %v", got, err)
		}
	})
}

func TestUpdateRechecksOverlapsAndState(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		other := e.book(t, e.t4, at(3), at(5))
		b := e.book(t, e.t4, at(1), at(3))
		ptr := func(h float64) *time.Time { v := at(h); return &v }
		str := func(s string) *string { return &s }

		// Longer, into the other booking: refused, nothing changed.
		_, err := e.svc.Update(ctx, e.a, b.ID, booking.Patch{EndsAt: ptr(3.5)})
		wantKind(t, err, apperr.Conflict)
		// Moved to a free table for the longer slot: fine; the old table is free again.
		got, err := e.svc.Update(ctx, e.a, b.ID, booking.Patch{TableID: str(e.t6.ID), EndsAt: ptr(3.5), PartySize: new(5)})
		if err != nil || got.TableID != e.t6.ID || !got.EndsAt.Equal(at(3.5)) || got.PartySize != 5 || got.Version != 2 {
			t.Fatalf("move to B6: %+v, %v", got, err)
		}
		e.book(t, e.t4, at(1), at(3))
		// Moved to a room: the table is left.
		got, err = e.svc.Update(ctx, e.a, b.ID, booking.Patch{RoomID: str(e.vip.ID)})
		if err != nil || got.RoomID != e.vip.ID || got.TableID != "" {
			t.Fatalf("move to VIP: %+v, %v", got, err)
		}
		// A change of the booking's own slot does not collide with itself.
		if _, err = e.svc.Update(ctx, e.a, b.ID, booking.Patch{StartsAt: ptr(1.5)}); err != nil {
			t.Fatal(err)
		}
		// A stale version is refused with the booking as it is.
		stale := int64(1)
		_, err = e.svc.Update(ctx, e.a, b.ID, booking.Patch{Note: str("cửa sổ"), ExpectedVersion: &stale})
		wantKind(t, err, apperr.Conflict)
		if cur, ok := apperr.CurrentOf(err).(booking.Booking); !ok || cur.Version != 4 {
			t.Fatalf("stale update: current %+v", apperr.CurrentOf(err))
		}
		fresh := int64(4)
		if got, err = e.svc.Update(ctx, e.a, b.ID, booking.Patch{Note: str(" cửa sổ "), ExpectedVersion: &fresh}); err != nil ||
			got.Note != "cửa sổ" || got.Version != 5 {
			t.Fatalf("update at version 4: %+v, %v", got, err)
		}
		// Fields that cannot be saved.
		past := t0.Add(-time.Hour)
		bad := []struct {
			p     booking.Patch
			field string
		}{
			{booking.Patch{TableID: str(e.tb.ID)}, "table_id"}, // merchant B's table
			{booking.Patch{RoomID: str("nope")}, "room_id"},
			{booking.Patch{TableID: str(e.t2.ID), RoomID: str(e.vip.ID)}, "table_id"},
			{booking.Patch{StartsAt: &past, EndsAt: &t0}, "starts_at"},
			{booking.Patch{EndsAt: ptr(0)}, "ends_at"},
			{booking.Patch{CustomerPhone: str("12345")}, "customer_phone"},
			{booking.Patch{PartySize: new(0)}, "party_size"},
		}
		before, _ := e.svc.Booking(ctx, e.a, b.ID)
		for _, tt := range bad {
			_, err := e.svc.Update(ctx, e.a, b.ID, tt.p)
			if f := apperr.Fields(err); len(f) != 1 || f[0].Field != tt.field {
				t.Errorf("patch %+v: %v %+v, want a problem with %s", tt.p, err, f, tt.field)
			}
		}
		if after, _ := e.svc.Booking(ctx, e.a, b.ID); after != before {
			t.Fatalf("refused patches changed the booking: %+v → %+v", before, after)
		}
		// Checked-in, cancelled and no-show bookings are not changed.
		if _, err := e.svc.CheckIn(ctx, e.a, b.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Update(ctx, e.a, b.ID, booking.Patch{Note: str("x")})
		wantKind(t, err, apperr.Conflict)
		// Another merchant's booking is not found.
		_, err = e.svc.Update(ctx, e.b, other.ID, booking.Patch{Note: str("x")})
		wantKind(t, err, apperr.NotFound)
	})
}

func TestAMovedBookingNeedsALiveTable(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		b := e.book(t, e.t2, at(1), at(3))
		e.floor.remove(e.a1, e.t2.ID)
		later := at(2)
		_, err := e.svc.Update(ctx, e.a, b.ID, booking.Patch{StartsAt: &later})
		if f := apperr.Fields(err); len(f) != 1 || f[0].Field != "table_id" {
			t.Fatalf("moving a booking of a deleted table: %v %+v", err, f)
		}
		party := 1
		if _, err := e.svc.Update(ctx, e.a, b.ID, booking.Patch{PartySize: &party}); err != nil {
			t.Fatalf("a change that keeps the slot: %v", err)
		}
		_, err = e.svc.Create(ctx, e.a, e.a1, input(e.t2, at(5), at(6)))
		if f := apperr.Fields(err); len(f) != 1 || f[0].Field != "table_id" {
			t.Fatalf("booking a deleted table: %v %+v", err, f)
		}
	})
}

func TestDeposit(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		in := input(e.vip, at(1), at(4))
		in.DepositAmount = 500_000
		b, err := e.svc.Create(ctx, e.a, e.a1, in)
		if err != nil || b.DepositAmount != 500_000 || b.DepositStatus != booking.DepositPending {
			t.Fatalf("create with a deposit: %+v, %v", b, err)
		}
		amount := money.VND(300_000)
		if b, err = e.svc.Update(ctx, e.a, b.ID, booking.Patch{DepositAmount: &amount}); err != nil ||
			b.DepositAmount != 300_000 || b.DepositStatus != booking.DepositPending {
			t.Fatalf("change a pending deposit: %+v, %v", b, err)
		}
		_, err = e.svc.MarkDepositPaid(ctx, e.a, b.ID, " ")
		wantKind(t, err, apperr.Invalid)
		paid, err := e.svc.MarkDepositPaid(ctx, e.a, b.ID, "pay-1")
		if err != nil || paid.DepositStatus != booking.DepositPaid || paid.DepositPaymentID != "pay-1" || paid.Version != b.Version+1 {
			t.Fatalf("mark paid: %+v, %v", paid, err)
		}
		events := len(outbox(t, d, e.a))
		again, err := e.svc.MarkDepositPaid(ctx, e.a, b.ID, "pay-1") // a replayed callback
		if err != nil || again != paid || len(outbox(t, d, e.a)) != events {
			t.Fatalf("replay: %+v, %v, want %+v and no event", again, err, paid)
		}
		if stored, _ := e.svc.Booking(ctx, e.a, b.ID); stored != paid {
			t.Fatalf("stored after replay %+v, want %+v", stored, paid)
		}
		_, err = e.svc.MarkDepositPaid(ctx, e.a, b.ID, "pay-2")
		wantKind(t, err, apperr.Conflict)
		amount = 1
		_, err = e.svc.Update(ctx, e.a, b.ID, booking.Patch{DepositAmount: &amount})
		wantKind(t, err, apperr.Conflict)
		_, err = e.svc.MarkDepositRefunded(ctx, e.a, b.ID, "pay-2")
		wantKind(t, err, apperr.Conflict)
		if r, err := e.svc.MarkDepositRefunded(ctx, e.a, b.ID, "pay-1"); err != nil || r.DepositStatus != booking.DepositRefunded {
			t.Fatalf("refund: %+v, %v", r, err)
		}

		plain := e.book(t, e.t4, at(1), at(2))
		_, err = e.svc.MarkDepositPaid(ctx, e.a, plain.ID, "pay-3")
		wantKind(t, err, apperr.Conflict)
		_, err = e.svc.MarkDepositPaid(ctx, e.b, plain.ID, "pay-3")
		wantKind(t, err, apperr.NotFound)
	})
}

func TestCreateValidation(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		ok := input(e.t4, at(1), at(3))
		tests := []struct {
			name  string
			tune  func(*booking.Input)
			shop  string
			field string
		}{
			{"no table or room", func(in *booking.Input) { in.TableID = "" }, e.a1, "table_id"},
			{"table and room", func(in *booking.Input) { in.RoomID = e.vip.ID }, e.a1, "table_id"},
			{"a room id as table", func(in *booking.Input) { in.TableID = e.vip.ID }, e.a1, "table_id"},
			{"another shop's table", func(in *booking.Input) { in.TableID = e.ta2.ID }, e.a1, "table_id"},
			{"another merchant's table", func(in *booking.Input) { in.TableID = e.tb.ID }, e.a1, "table_id"},
			{"unknown room", func(in *booking.Input) { in.TableID, in.RoomID = "", "r0" }, e.a1, "room_id"},
			{"end before start", func(in *booking.Input) { in.EndsAt = at(0) }, e.a1, "ends_at"},
			{"empty slot", func(in *booking.Input) { in.EndsAt = in.StartsAt }, e.a1, "ends_at"},
			{"no start", func(in *booking.Input) { in.StartsAt = time.Time{} }, e.a1, "starts_at"},
			{"over 24 hours", func(in *booking.Input) { in.EndsAt = at(25.01) }, e.a1, "ends_at"},
			{"started 6 minutes ago", func(in *booking.Input) {
				in.StartsAt, in.EndsAt = t0.Add(-6*time.Minute), t0.Add(time.Hour)
			}, e.a1, "starts_at"},
			{"over a year ahead", func(in *booking.Input) {
				in.StartsAt, in.EndsAt = t0.AddDate(1, 0, 2), t0.AddDate(1, 0, 2).Add(time.Hour)
			}, e.a1, "starts_at"},
			{"party 0", func(in *booking.Input) { in.PartySize = 0 }, e.a1, "party_size"},
			{"party 501", func(in *booking.Input) { in.PartySize = 501 }, e.a1, "party_size"},
			{"blank name", func(in *booking.Input) { in.CustomerName = "  " }, e.a1, "customer_name"},
			{"long name", func(in *booking.Input) { in.CustomerName = strings.Repeat("á", 101) }, e.a1, "customer_name"},
			{"9-digit phone", func(in *booking.Input) { in.CustomerPhone = "091234567" }, e.a1, "customer_phone"},
			{"phone without 0", func(in *booking.Input) { in.CustomerPhone = "9123456789" }, e.a1, "customer_phone"},
			{"phone with letters", func(in *booking.Input) { in.CustomerPhone = "09123x5678" }, e.a1, "customer_phone"},
			{"long note", func(in *booking.Input) { in.Note = strings.Repeat("x", 501) }, e.a1, "note"},
			{"negative deposit", func(in *booking.Input) { in.DepositAmount = -1 }, e.a1, "deposit_amount"},
		}
		for _, tt := range tests {
			in := ok
			tt.tune(&in)
			_, err := e.svc.Create(ctx, e.a, tt.shop, in)
			if f := apperr.Fields(err); !apperr.Is(err, apperr.Invalid) || len(f) != 1 || f[0].Field != tt.field {
				t.Errorf("%s: %v %+v, want one problem with %s", tt.name, err, f, tt.field)
			}
		}
		// Another merchant's or an unknown shop is not found, even with bad input.
		bad := ok
		bad.PartySize = 0
		for _, in := range []booking.Input{ok, bad} {
			_, err := e.svc.Create(ctx, e.a, e.b1, in)
			wantKind(t, err, apperr.NotFound)
			_, err = e.svc.Create(ctx, e.a, "no-such-shop", in)
			wantKind(t, err, apperr.NotFound)
		}
		if page, _ := e.svc.List(ctx, e.a, e.a1, booking.ListQuery{}); len(page.Items) != 0 {
			t.Fatalf("refused bookings were stored: %+v", page.Items)
		}
		// Edge values that are fine.
		in := ok
		in.StartsAt, in.EndsAt, in.PartySize = t0.Add(-5*time.Minute), t0.Add(-5*time.Minute+24*time.Hour), 500
		in.CustomerPhone, in.CustomerName = "+84 912-345-678", strings.Repeat("á", 100)
		b, err := e.svc.Create(ctx, e.a, e.a1, in)
		if err != nil || b.CustomerPhone != "0912345678" {
			t.Fatalf("edge values: %+v, %v", b, err)
		}
	})
}

func TestListPagesInSlotOrderWithFilters(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var ids []string
		for i := range 7 {
			r := []booking.Resource{e.t2, e.t4, e.t6}[i%3]
			ids = append(ids, e.book(t, r, at(float64(i)), at(float64(i)+1)).ID)
		}
		if _, err := e.svc.Confirm(ctx, e.a, ids[2]); err != nil {
			t.Fatal(err)
		}
		e.svc.Create(ctx, e.a, e.a2, input(e.ta2, at(1), at(2))) //nolint:errcheck // another shop's: never listed
		var got []string
		q := booking.ListQuery{Limit: 3}
		for range 5 {
			page, err := e.svc.List(ctx, e.a, e.a1, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range page.Items {
				got = append(got, b.ID)
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("paged %v, want %v", got, ids)
		}
		tests := []struct {
			q    booking.ListQuery
			want []string
		}{
			{booking.ListQuery{From: at(2), To: at(4)}, ids[2:4]},
			{booking.ListQuery{From: at(2.5)}, ids[2:]},
			{booking.ListQuery{To: at(1)}, ids[:1]},
			{booking.ListQuery{Status: booking.Confirmed}, ids[2:3]},
		}
		for _, tt := range tests {
			page, err := e.svc.List(ctx, e.a, e.a1, tt.q)
			var got []string
			for _, b := range page.Items {
				got = append(got, b.ID)
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("%+v: %v, %v; want %v", tt.q, got, err, tt.want)
			}
		}
		for _, q := range []booking.ListQuery{{Cursor: "zzz"}, {Limit: 201}, {Status: "done"}, {From: at(2), To: at(1)}} {
			_, err := e.svc.List(ctx, e.a, e.a1, q)
			wantKind(t, err, apperr.Invalid)
		}
		_, err := e.svc.List(ctx, e.b, e.a1, booking.ListQuery{})
		wantKind(t, err, apperr.NotFound)
	})
}

func TestAnotherMerchantsBookingIsNotFound(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		b := e.book(t, e.t4, at(1), at(3))
		e.clk.Set(at(2))
		ops := map[string]func() (booking.Booking, error){
			"get":      func() (booking.Booking, error) { return e.svc.Booking(ctx, e.b, b.ID) },
			"confirm":  func() (booking.Booking, error) { return e.svc.Confirm(ctx, e.b, b.ID) },
			"cancel":   func() (booking.Booking, error) { return e.svc.Cancel(ctx, e.b, b.ID, "") },
			"no-show":  func() (booking.Booking, error) { return e.svc.NoShow(ctx, e.b, b.ID) },
			"check-in": func() (booking.Booking, error) { return e.svc.CheckIn(ctx, e.b, b.ID) },
			"update": func() (booking.Booking, error) {
				return e.svc.Update(ctx, e.b, b.ID, booking.Patch{PartySize: new(3)})
			},
			"deposit": func() (booking.Booking, error) { return e.svc.MarkDepositPaid(ctx, e.b, b.ID, "p") },
		}
		for name, op := range ops {
			if _, err := op(); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s by merchant B: %v, want not found", name, err)
			}
		}
		if got, _ := e.svc.Booking(ctx, e.a, b.ID); got != b {
			t.Fatalf("merchant B's attempts changed the booking: %+v", got)
		}
		if len(e.orders.calls) != 0 {
			t.Fatalf("merchant B opened orders: %+v", e.orders.calls)
		}
	})
}

func TestMoveShopGivesTheBookingsToTheNewMerchant(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		moved := e.book(t, e.t4, at(1), at(3))
		stays, err := e.svc.Create(ctx, e.a, e.a2, input(e.ta2, at(1), at(3)))
		if err != nil {
			t.Fatal(err)
		}
		// A tenant transaction cannot move them (on PostgreSQL the policies refuse other merchants' rows).
		err = d.WithTx(ctx, e.a, func(tx *sql.Tx) error { return e.svc.MoveShop(ctx, tx, e.a1, e.a, e.a, nil) })
		if err == nil {
			t.Fatal("a transfer to the same merchant was accepted")
		}
		err = d.WithSystemTx(ctx, "test: shop transfer", func(tx *sql.Tx) error {
			return e.svc.MoveShop(ctx, tx, e.a1, e.a, e.b, map[string]string{})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.floor.transfer(e.a1, e.b)
		_, err = e.svc.Booking(ctx, e.a, moved.ID)
		wantKind(t, err, apperr.NotFound)
		if got, err := e.svc.Booking(ctx, e.b, moved.ID); err != nil || got != moved {
			t.Fatalf("moved booking under B: %+v, %v", got, err)
		}
		if got, err := e.svc.Booking(ctx, e.a, stays.ID); err != nil || got != stays {
			t.Fatalf("A2's booking: %+v, %v", got, err)
		}
		// The moved slot still blocks, now for merchant B, and B can move the booking along.
		in := input(e.t4, at(2), at(4))
		_, err = e.svc.Create(ctx, e.b, e.a1, in)
		wantKind(t, err, apperr.Conflict)
		if _, err := e.svc.Confirm(ctx, e.b, moved.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSchemaIsolatesEveryTenantTable checks the migrations: the same tables and columns on both engines, and
// on PostgreSQL row-level security enabled and forced, with the tenant and the shop-transfer policies.
func TestSchemaIsolatesEveryTenantTable(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, []migrate.Source{booking.Migrations}, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for _, name := range []string{"bookings", "booking_resource_locks"} {
			table, ok := s[name]
			if !ok {
				t.Fatalf("no table %s", name)
			}
			if d.Dialect() == db.Postgres && (!table.RLS || !table.ForceRLS || table.Policies != 2) {
				t.Errorf("%s: rls %v force %v policies %d, want tenant_isolation and system_transfer", name,
					table.RLS, table.ForceRLS, table.Policies)
			}
		}
	})
	lite, pg := schemas[db.SQLite], schemas[db.Postgres]
	if pg == nil {
		return
	}
	for name, table := range lite {
		if !slices.Equal(table.Columns, pg[name].Columns) {
			t.Errorf("table %s: sqlite columns %v, postgres %v", name, table.Columns, pg[name].Columns)
		}
	}
	if len(lite) != len(pg) {
		t.Errorf("sqlite has %d tables, postgres %d", len(lite), len(pg))
	}
}

// TestTenantTransactionsSeeOnlyTheirBookings checks the database itself, below the service's filters: on
// PostgreSQL, merchant B's transaction sees none of A's rows even without a merchant filter.
func TestTenantTransactionsSeeOnlyTheirBookings(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		if d.Dialect() != db.Postgres {
			t.Skip("SQLite has no row-level security; every query filters by merchant")
		}
		e := newEnv(t, d)
		e.book(t, e.t4, at(1), at(3))
		for _, table := range []string{"bookings", "booking_resource_locks"} {
			var n int
			err := d.ReadTx(context.Background(), e.b, func(tx *sql.Tx) error {
				return tx.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n)
			})
			if err != nil || n != 0 {
				t.Errorf("merchant B sees %d rows of %s (%v)", n, table, err)
			}
		}
	})
}

func TestStatusTransitionsTable(t *testing.T) {
	all := []booking.Status{booking.Pending, booking.Confirmed, booking.CheckedIn, booking.Cancelled, booking.NoShow}
	allowed := map[[2]booking.Status]bool{
		{booking.Pending, booking.Confirmed}:   true,
		{booking.Pending, booking.CheckedIn}:   true,
		{booking.Pending, booking.Cancelled}:   true,
		{booking.Pending, booking.NoShow}:      true,
		{booking.Confirmed, booking.CheckedIn}: true,
		{booking.Confirmed, booking.Cancelled}: true,
		{booking.Confirmed, booking.NoShow}:    true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := from.CanBecome(to); got != allowed[[2]booking.Status{from, to}] {
				t.Errorf("%s → %s: %v", from, to, got)
			}
		}
		if want := from != booking.Cancelled && from != booking.NoShow; from.Live() != want {
			t.Errorf("%s live: %v, want %v", from, from.Live(), want)
		}
	}
}

// TestServiceErrorsKeepTheirKind checks that the context the service wraps errors in keeps their kind.
func TestServiceErrorsKeepTheirKind(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, err := e.svc.Confirm(context.Background(), e.a, "missing")
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.NotFound || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("confirm a missing booking: %v", err)
		}
	})
}

func TestPhoneNumbersAreStoredInTheDomesticForm(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		tests := []struct{ in, want string }{
			{"0912345678", "0912345678"},
			{"091 234 5678", "0912345678"},
			{"091.234.5678", "0912345678"},
			{"+84912345678", "0912345678"},
			{" +84 91-234-5678 ", "0912345678"},
			{"0281234567", "0281234567"},
			{"+840912345678", ""}, // +84 drops the 0
			{"0012345678", ""},    // an international prefix
			{"84912345678", ""},
			{"+1 912345678", ""},
			{"09123456789", ""},
			{"(091) 2345678", ""},
			{"", ""},
		}
		for i, tt := range tests {
			in := input(e.t4, at(float64(i)), at(float64(i)+1))
			in.CustomerPhone = tt.in
			b, err := e.svc.Create(context.Background(), e.a, e.a1, in)
			if tt.want == "" {
				if f := apperr.Fields(err); len(f) != 1 || f[0].Field != "customer_phone" {
					t.Errorf("%q: %v, want refused", tt.in, err)
				}
				continue
			}
			if err != nil || b.CustomerPhone != tt.want {
				t.Errorf("%q: stored %q (%v), want %q", tt.in, b.CustomerPhone, err, tt.want)
			}
		}
	})
}
