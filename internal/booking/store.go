package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/booking/bookingdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// This file holds the module's data access on top of the sqlc queries (queries/*.sql → bookingdb): the
// reads and checks several use cases share, and the mapping from rows to domain types. Every function takes
// the merchant explicitly and runs inside the caller's transaction.

// loadBooking reads booking id of merchant m; another merchant's booking is NotFound.
func loadBooking(ctx context.Context, q *bookingdb.Queries, m tenant.ID, id string) (Booking, error) {
	row, err := q.GetBooking(ctx, bookingdb.GetBookingParams{MerchantID: string(m), ID: id})
	if errors.Is(err, sql.ErrNoRows) {
		return Booking{}, apperr.Wrap(err, apperr.NotFound, "booking not found")
	}
	if err != nil {
		return Booking{}, fmt.Errorf("read booking: %w", err)
	}
	return fromRow(row), nil
}

// lockBooking serialises the changes of one booking (the version bump takes the row lock on PostgreSQL)
// and returns the booking as it is once locked.
func lockBooking(ctx context.Context, q *bookingdb.Queries, m tenant.ID, id string) (Booking, error) {
	n, err := q.LockBooking(ctx, bookingdb.LockBookingParams{MerchantID: string(m), ID: id})
	if err != nil {
		return Booking{}, fmt.Errorf("lock booking: %w", err)
	}
	if n == 0 {
		return Booking{}, apperr.E(apperr.NotFound, "booking not found")
	}
	return loadBooking(ctx, q, m, id)
}

// claimSlot takes the lock of b's table or room, then refuses with a Conflict when another live booking of
// it overlaps b's slot. Holding the lock until commit keeps the answer true until b is written.
func claimSlot(ctx context.Context, q *bookingdb.Queries, m tenant.ID, b Booking, name string) error {
	err := q.LockResource(ctx, bookingdb.LockResourceParams{MerchantID: string(m), ResourceID: b.resourceID(),
		ShopID: b.ShopID})
	if err != nil {
		return fmt.Errorf("lock %s %s: %w", b.resourceKind(), b.resourceID(), err)
	}
	n, err := q.CountOverlapping(ctx, bookingdb.CountOverlappingParams{MerchantID: string(m),
		ResourceID: b.resourceID(), EarliestStart: b.StartsAt.Add(-MaxDuration), EndsAt: b.EndsAt,
		StartsAt: b.StartsAt, ExceptID: b.ID})
	if err != nil {
		return fmt.Errorf("check overlapping bookings: %w", err)
	}
	if n > 0 {
		return apperr.E(apperr.Conflict, "%s %s is already booked for part of %s–%s", kindWord(b.resourceKind()),
			name, b.StartsAt.Format(time.RFC3339), b.EndsAt.Format(time.RFC3339))
	}
	return nil
}

func kindWord(kind string) string {
	if kind == KindRoom {
		return "room"
	}
	return "table"
}

// updateBooking writes every changeable column of b.
func updateBooking(ctx context.Context, q *bookingdb.Queries, m tenant.ID, b Booking) error {
	err := q.UpdateBooking(ctx, bookingdb.UpdateBookingParams{
		ResourceKind: b.resourceKind(), ResourceID: b.resourceID(), StartsAt: b.StartsAt, EndsAt: b.EndsAt,
		PartySize: int32(b.PartySize), CustomerName: b.CustomerName, CustomerPhone: b.CustomerPhone, Note: b.Note,
		Status: string(b.Status), DepositAmount: int64(b.DepositAmount), DepositStatus: string(b.DepositStatus),
		DepositPaymentID: b.DepositPaymentID, OrderID: b.OrderID, CancelReason: b.CancelReason,
		UpdatedAt: b.UpdatedAt, MerchantID: string(m), ID: b.ID,
	})
	if err != nil {
		return fmt.Errorf("update booking: %w", err)
	}
	return nil
}

func fromRow(r bookingdb.Booking) Booking {
	b := Booking{
		ID:               r.ID,
		ShopID:           r.ShopID,
		StartsAt:         r.StartsAt.UTC(),
		EndsAt:           r.EndsAt.UTC(),
		PartySize:        int(r.PartySize),
		CustomerName:     r.CustomerName,
		CustomerPhone:    r.CustomerPhone,
		Note:             r.Note,
		Status:           Status(r.Status),
		DepositAmount:    money.VND(r.DepositAmount),
		DepositStatus:    DepositStatus(r.DepositStatus),
		DepositPaymentID: r.DepositPaymentID,
		OrderID:          r.OrderID,
		CancelReason:     r.CancelReason,
		CreatedBy:        r.CreatedBy,
		Version:          r.Version,
		CreatedAt:        r.CreatedAt.UTC(),
		UpdatedAt:        r.UpdatedAt.UTC(),
	}
	if r.ResourceKind == KindRoom {
		b.RoomID = r.ResourceID
	} else {
		b.TableID = r.ResourceID
	}
	return b
}

func fromRows(rows []bookingdb.Booking) []Booking {
	out := make([]Booking, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out
}
