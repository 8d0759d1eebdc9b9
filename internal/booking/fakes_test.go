package booking_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"sync"

	"github.com/goodgo/goodgo/internal/booking"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// fakeFloor is the merchant module's floor as the booking module sees it: shops of merchants, each with
// its live tables and rooms, in the order they were added.
type fakeFloor struct {
	mu    sync.Mutex
	shops map[string]*fakeShop
}

type fakeShop struct {
	merchant  tenant.ID
	resources []booking.Resource
}

func newFakeFloor() *fakeFloor { return &fakeFloor{shops: map[string]*fakeShop{}} }

func (f *fakeFloor) addShop(m tenant.ID, shopID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shops[shopID] = &fakeShop{merchant: m}
}

func (f *fakeFloor) add(shopID string, r booking.Resource) booking.Resource {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shops[shopID].resources = append(f.shops[shopID].resources, r)
	return r
}

// remove takes a table or room off the floor (deleted).
func (f *fakeFloor) remove(shopID, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.shops[shopID]
	s.resources = slices.DeleteFunc(s.resources, func(r booking.Resource) bool { return r.ID == id })
}

// transfer gives a shop to another merchant.
func (f *fakeFloor) transfer(shopID string, to tenant.ID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shops[shopID].merchant = to
}

func (f *fakeFloor) Resource(_ context.Context, m tenant.ID, shopID, tableID, roomID string) (booking.Resource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.shops[shopID]
	if !ok || s.merchant != m {
		return booking.Resource{}, apperr.E(apperr.NotFound, "shop not found")
	}
	for _, r := range s.resources {
		if tableID != "" && r.Kind == booking.KindTable && r.ID == tableID ||
			roomID != "" && r.Kind == booking.KindRoom && r.ID == roomID {
			return r, nil
		}
	}
	return booking.Resource{}, apperr.E(apperr.NotFound, "not found")
}

func (f *fakeFloor) Resources(_ context.Context, m tenant.ID, shopID string) ([]booking.Resource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.shops[shopID]
	if !ok || s.merchant != m {
		return nil, apperr.E(apperr.NotFound, "shop not found")
	}
	return slices.Clone(s.resources), nil
}

// fakeOrders opens orders by writing an order.opened event to the outbox through the transaction it is
// given, so a test sees whether that write committed with the check-in. With fail set it writes the event,
// then fails with fail.
type fakeOrders struct {
	mu    sync.Mutex
	fail  error
	calls []openCall
}

type openCall struct {
	ShopID, TableID, RoomID string
	Guests                  int
	BookingID               string
}

var errTableBusy = apperr.E(apperr.Conflict, "the table already has an open order")

func (o *fakeOrders) OpenForBooking(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, tableID, roomID string,
	guests int, bookingID string) (string, error) {
	if tx == nil {
		return "", errors.New("OpenForBooking without a transaction")
	}
	o.mu.Lock()
	o.calls = append(o.calls, openCall{shopID, tableID, roomID, guests, bookingID})
	fail := o.fail
	o.mu.Unlock()
	orderID := "order-of-" + bookingID
	data, _ := json.Marshal(map[string]string{"id": orderID, "booking_id": bookingID})
	if err := events.Add(ctx, tx, events.Event{Type: "order.opened", Subject: "order.events", MerchantID: m,
		ShopID: shopID, Data: data}); err != nil {
		return "", err
	}
	if fail != nil {
		return "", fail
	}
	return orderID, nil
}
