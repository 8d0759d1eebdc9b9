package booking

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Routes registers the module's operations on api. Every shop role takes bookings (rbac.FloorRead).
// Operations on /shops/{shop_id}/… are checked by rbac.Guard (a shop the caller cannot reach is 404) and the
// service checks through Floor that the shop is the caller's merchant's. Operations on
// /bookings/{booking_id} have no shop in the path: the handler loads the booking in the caller's merchant
// (404 otherwise) and checks the caller's roles in the booking's shop (rbac.CheckShop: 404 when the caller
// cannot reach it) before anything changes.
func (s *Service) Routes(api huma.API) {
	tags := []string{"Bookings"}
	huma.Register(api, op("create-booking", http.MethodPost, "/api/v1/shops/{shop_id}/bookings",
		"Book a table or room for a slot; 409 when a live booking of it overlaps", tags, http.StatusCreated),
		func(ctx context.Context, in *bookingCreateInput) (*bookingOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			out, err := s.Create(ctx, m, in.ShopID, Input{TableID: b.TableID, RoomID: b.RoomID, StartsAt: b.StartsAt,
				EndsAt: b.EndsAt, PartySize: b.PartySize, CustomerName: b.CustomerName, CustomerPhone: b.CustomerPhone,
				Note: b.Note, DepositAmount: money.VND(b.DepositAmount), CreatedBy: p.UserID})
			return &bookingOutput{Body: out}, apperr.Located(err, "body")
		})
	huma.Register(api, op("list-bookings", http.MethodGet, "/api/v1/shops/{shop_id}/bookings",
		"A shop's bookings whose slot overlaps [from, to), in slot order", tags, 0),
		func(ctx context.Context, in *bookingListInput) (*bookingPageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.List(ctx, m, in.ShopID, ListQuery{From: in.From, To: in.To, Status: Status(in.Status),
				Limit: in.Limit, Cursor: in.Cursor})
			if page.Items == nil {
				page.Items = []Booking{}
			}
			return &bookingPageOutput{Body: page}, apperr.Located(err, "query")
		})
	huma.Register(api, op("get-booking-availability", http.MethodGet, "/api/v1/shops/{shop_id}/availability",
		"The tables and rooms free for a whole slot that seat the party", tags, 0),
		func(ctx context.Context, in *bookingAvailabilityInput) (*bookingAvailabilityOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			a, err := s.Availability(ctx, m, in.ShopID, AvailabilityQuery{StartsAt: in.StartsAt, EndsAt: in.EndsAt,
				PartySize: in.PartySize})
			return &bookingAvailabilityOutput{Body: a}, apperr.Located(err, "query")
		})

	huma.Register(api, op("get-booking", http.MethodGet, "/api/v1/bookings/{booking_id}", "A booking", tags, 0),
		func(ctx context.Context, in *bookingPath) (*bookingOutput, error) {
			_, b, err := s.reach(ctx, in.BookingID)
			return &bookingOutput{Body: b}, err
		})
	huma.Register(api, op("update-booking", http.MethodPatch, "/api/v1/bookings/{booking_id}",
		"Change a pending or confirmed booking (table or room, slot, party, customer, deposit); a new slot or "+
			"resource is checked for overlaps", tags, 0),
		func(ctx context.Context, in *bookingPatchInput) (*bookingOutput, error) {
			m, _, err := s.reach(ctx, in.BookingID)
			if err != nil {
				return nil, err
			}
			b := in.Body
			expected := b.ExpectedVersion
			if in.IfMatch != "" {
				v, err := parseIfMatch(in.IfMatch)
				if err != nil {
					return nil, err
				}
				expected = &v
			}
			var deposit *money.VND
			if b.DepositAmount != nil {
				d := money.VND(*b.DepositAmount)
				deposit = &d
			}
			out, err := s.Update(ctx, m, in.BookingID, Patch{TableID: b.TableID, RoomID: b.RoomID,
				StartsAt: b.StartsAt, EndsAt: b.EndsAt, PartySize: b.PartySize, CustomerName: b.CustomerName,
				CustomerPhone: b.CustomerPhone, Note: b.Note, DepositAmount: deposit, ExpectedVersion: expected})
			return &bookingOutput{Body: out}, apperr.Located(err, "body")
		})
	s.transitionRoute(api, "confirm-booking", "confirm", "Confirm a pending booking with the guest",
		func(ctx context.Context, m tenant.ID, id string, _ *bookingCancelBody) (Booking, error) {
			return s.Confirm(ctx, m, id)
		})
	s.transitionRoute(api, "cancel-booking", "cancel",
		"Cancel a pending or confirmed booking (optional reason); its table or room is free again",
		func(ctx context.Context, m tenant.ID, id string, body *bookingCancelBody) (Booking, error) {
			reason := ""
			if body != nil {
				reason = body.Reason
			}
			b, err := s.Cancel(ctx, m, id, reason)
			return b, apperr.Located(err, "body")
		})
	s.transitionRoute(api, "mark-booking-no-show", "no-show",
		"Record that the guests of a pending or confirmed booking did not come (once the slot has started)",
		func(ctx context.Context, m tenant.ID, id string, _ *bookingCancelBody) (Booking, error) {
			return s.NoShow(ctx, m, id)
		})
	s.transitionRoute(api, "check-in-booking", "check-in",
		"The guests of a pending or confirmed booking arrived: opens their order at the booked table or room",
		func(ctx context.Context, m tenant.ID, id string, _ *bookingCancelBody) (Booking, error) {
			return s.CheckIn(ctx, m, id)
		})
}

// transitionRoute registers POST /api/v1/bookings/{booking_id}/<action> running fn after the access check.
// Only cancel reads a body (optional).
func (s *Service) transitionRoute(api huma.API, id, action, summary string,
	fn func(ctx context.Context, m tenant.ID, bookingID string, body *bookingCancelBody) (Booking, error)) {
	path := "/api/v1/bookings/{booking_id}/" + action
	handler := func(ctx context.Context, bookingID string, body *bookingCancelBody) (*bookingOutput, error) {
		m, _, err := s.reach(ctx, bookingID)
		if err != nil {
			return nil, err
		}
		b, err := fn(ctx, m, bookingID, body)
		return &bookingOutput{Body: b}, err
	}
	o := op(id, http.MethodPost, path, summary, []string{"Bookings"}, 0)
	if action == "cancel" {
		huma.Register(api, o, func(ctx context.Context, in *bookingCancelInput) (*bookingOutput, error) {
			return handler(ctx, in.BookingID, in.Body)
		})
		return
	}
	huma.Register(api, o, func(ctx context.Context, in *bookingPath) (*bookingOutput, error) {
		return handler(ctx, in.BookingID, nil)
	})
}

// reach loads booking id in the caller's merchant and checks that the caller may work in its shop.
// Another merchant's booking, and one of a shop the caller cannot reach, are apperr.NotFound.
func (s *Service) reach(ctx context.Context, id string) (tenant.ID, Booking, error) {
	p, m, err := httpapi.Caller(ctx)
	if err != nil {
		return "", Booking{}, err
	}
	b, err := s.Booking(ctx, m, id)
	if err != nil {
		return "", Booking{}, err
	}
	if err := rbac.CheckShop(p, b.ShopID, rbac.FloorRead); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return "", Booking{}, apperr.E(apperr.NotFound, "booking not found")
		}
		return "", Booking{}, err
	}
	return m, b, nil
}

// parseIfMatch reads the booking version of an If-Match header: 7, "7" or W/"7".
func parseIfMatch(h string) (int64, error) {
	v := strings.Trim(strings.TrimPrefix(strings.TrimSpace(h), "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, apperr.WithField("header.If-Match", "must be the booking's version, e.g. \"3\"")
	}
	return n, nil
}

// op describes an operation; every booking operation needs rbac.FloorRead, which every shop role holds.
func op(id, method, path, summary string, tags []string, status int) huma.Operation {
	return rbac.Operation(id, method, path, summary, tags, rbac.FloorRead, status)
}

type bookingOutput struct{ Body Booking }

type bookingPageOutput struct{ Body BookingPage }

type bookingAvailabilityOutput struct{ Body BookingAvailability }

type bookingPath struct {
	BookingID string `path:"booking_id" maxLength:"64"`
}

type bookingCreateBody struct {
	TableID       string    `json:"table_id,omitempty" maxLength:"64" doc:"The table to book; or give room_id."`
	RoomID        string    `json:"room_id,omitempty" maxLength:"64" doc:"The karaoke room to book; or give table_id."`
	StartsAt      time.Time `json:"starts_at" doc:"Start of the slot (RFC 3339, any offset); at most 5 minutes ago."`
	EndsAt        time.Time `json:"ends_at" doc:"End of the slot (exclusive), after starts_at, at most 24 hours later."`
	PartySize     int       `json:"party_size" minimum:"1" maximum:"500"`
	CustomerName  string    `json:"customer_name" maxLength:"200"`
	CustomerPhone string    `json:"customer_phone" maxLength:"30" doc:"0 and 9 digits, or +84 and 9 digits."`
	Note          string    `json:"note,omitempty" maxLength:"1000"`
	DepositAmount int64     `json:"deposit_amount,omitempty" minimum:"0" doc:"Deposit to ask, in đồng (0: none)."`
}

type bookingCreateInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   bookingCreateBody
}

type bookingPatchBody struct {
	TableID         *string    `json:"table_id,omitempty" maxLength:"64" doc:"Move the booking to this table."`
	RoomID          *string    `json:"room_id,omitempty" maxLength:"64" doc:"Move the booking to this room."`
	StartsAt        *time.Time `json:"starts_at,omitempty"`
	EndsAt          *time.Time `json:"ends_at,omitempty"`
	PartySize       *int       `json:"party_size,omitempty" minimum:"1" maximum:"500"`
	CustomerName    *string    `json:"customer_name,omitempty" maxLength:"200"`
	CustomerPhone   *string    `json:"customer_phone,omitempty" maxLength:"30"`
	Note            *string    `json:"note,omitempty" maxLength:"1000"`
	DepositAmount   *int64     `json:"deposit_amount,omitempty" minimum:"0" doc:"Only while the deposit is not paid."`
	ExpectedVersion *int64     `json:"expected_version,omitempty" minimum:"1" doc:"Refuse (409) unless the booking is at this version."`
}

type bookingPatchInput struct {
	BookingID string `path:"booking_id" maxLength:"64"`
	IfMatch   string `header:"If-Match" maxLength:"40" doc:"The booking's version, as expected_version."`
	Body      bookingPatchBody
}

type bookingCancelBody struct {
	Reason string `json:"reason,omitempty" maxLength:"1000"`
}

type bookingCancelInput struct {
	BookingID string             `path:"booking_id" maxLength:"64"`
	Body      *bookingCancelBody `doc:"Optional."`
}

type bookingListInput struct {
	ShopID string    `path:"shop_id" maxLength:"64"`
	From   time.Time `query:"from" doc:"Keep bookings whose slot ends after this time (RFC 3339)."`
	To     time.Time `query:"to" doc:"Keep bookings whose slot starts before this time (RFC 3339)."`
	Status string    `query:"status" enum:"pending,confirmed,checked_in,cancelled,no_show" doc:"Keep bookings in this status."`
	Limit  int       `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size."`
	Cursor string    `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
}

type bookingAvailabilityInput struct {
	ShopID    string    `path:"shop_id" maxLength:"64"`
	StartsAt  time.Time `query:"starts_at" required:"true" doc:"Start of the slot (RFC 3339)."`
	EndsAt    time.Time `query:"ends_at" required:"true" doc:"End of the slot (exclusive)."`
	PartySize int       `query:"party_size" required:"true" minimum:"1" maximum:"500"`
}
