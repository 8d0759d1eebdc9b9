package shift

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/payment/shift/shiftdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Service runs shifts and their drawers, each use case in one transaction of the merchant it concerns;
// RecordCashIn and RecordCashRefund run in the payment module's transaction.
type Service struct {
	db    *db.DB
	clk   clock.Clock
	shops Shops
	nudge func()
}

// New returns the service over d (migrated with Migrations and events.Migrations), telling time with clk
// and checking shops and terminals with shops. nudge, if not nil, is called after a transaction that wrote
// events has committed (events.Relay.Nudge).
func New(d *db.DB, clk clock.Clock, shops Shops, nudge func()) *Service {
	if nudge == nil {
		nudge = func() {}
	}
	return &Service{db: d, clk: clk, shops: shops, nudge: nudge}
}

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// Open opens a shift for cashier cashierID in shop shopID with openingCash in the drawer, bound to the
// registered terminal deviceID ("" for none). It returns apperr.Invalid for a bad amount or id,
// apperr.NotFound for a shop or terminal that is not merchant m's, and apperr.Conflict when the cashier or
// the terminal already has an open shift in the shop (the cashier's own open shift comes with the error).
func (s *Service) Open(ctx context.Context, m tenant.ID, shopID, cashierID, deviceID string, openingCash money.VND) (Shift, error) {
	var f fieldErrors
	f.amount("body.opening_cash", openingCash, 0)
	deviceID = strings.TrimSpace(deviceID)
	if len(deviceID) > MaxID {
		f.add("body.device_id", "must have at most 64 characters")
	}
	if cashierID == "" {
		return Shift{}, errors.New("open shift: no cashier")
	}
	if err := f.err(); err != nil {
		return Shift{}, err
	}
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return Shift{}, err
	}
	if deviceID != "" {
		err := s.shops.CheckTerminal(ctx, m, shopID, deviceID)
		if apperr.Is(err, apperr.NotFound) {
			return Shift{}, apperr.WithField("body.device_id", "must be a registered terminal of this shop")
		}
		if err != nil {
			return Shift{}, err
		}
	}
	var out Shift
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := shiftdb.New(tx)
		now := s.now()
		id := db.NewID()
		n, err := q.InsertShift(ctx, shiftdb.InsertShiftParams{ID: id, MerchantID: string(m), ShopID: shopID,
			CashierID: cashierID, DeviceID: deviceID, OpeningCash: int64(openingCash), Now: now})
		if err != nil {
			return fmt.Errorf("insert shift: %w", err)
		}
		if n == 0 {
			return s.openConflict(ctx, q, m, shopID, cashierID, deviceID)
		}
		if err := insertMovement(ctx, q, m, shopID, id, KindOpening, openingCash, "", "", cashierID, now); err != nil {
			return err
		}
		row, err := q.GetShift(ctx, shiftdb.GetShiftParams{MerchantID: string(m), ID: id})
		if err != nil {
			return fmt.Errorf("read shift: %w", err)
		}
		out = shiftFromRow(row)
		return s.emit(ctx, tx, m, EventOpened, out.ShopID, out, now)
	})
	if err != nil {
		return Shift{}, fmt.Errorf("open shift in shop %s: %w", shopID, err)
	}
	s.nudge()
	return out, nil
}

// openConflict explains why a shift could not be opened: the cashier's open shift (returned with the
// error) or the terminal's.
func (s *Service) openConflict(ctx context.Context, q *shiftdb.Queries, m tenant.ID, shopID, cashierID, deviceID string) error {
	own, err := q.OpenShiftOfCashier(ctx, shiftdb.OpenShiftOfCashierParams{MerchantID: string(m), ShopID: shopID, CashierID: cashierID})
	if err == nil {
		return &apperr.Error{Kind: apperr.Conflict, Message: "you already have an open shift in this shop", Current: shiftFromRow(own)}
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read open shift: %w", err)
	}
	if deviceID != "" {
		if _, err := q.OpenShiftOfDevice(ctx, shiftdb.OpenShiftOfDeviceParams{MerchantID: string(m), ShopID: shopID, DeviceID: deviceID}); err == nil {
			return apperr.E(apperr.Conflict, "this terminal already has an open shift")
		}
	}
	// The other shift closed between the insert and the reads: still a conflict of the moment.
	return apperr.E(apperr.Conflict, "an open shift is in the way; try again")
}

// Current returns cashier cashierID's open shift in shop shopID with its drawer's summary: apperr.NotFound
// when there is none or the shop is not merchant m's.
func (s *Service) Current(ctx context.Context, m tenant.ID, shopID, cashierID string) (ShiftDetail, error) {
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return ShiftDetail{}, err
	}
	var out ShiftDetail
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := shiftdb.New(tx)
		row, err := q.OpenShiftOfCashier(ctx, shiftdb.OpenShiftOfCashierParams{MerchantID: string(m), ShopID: shopID, CashierID: cashierID})
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.E(apperr.NotFound, "you have no open shift in this shop")
		}
		if err != nil {
			return fmt.Errorf("read open shift: %w", err)
		}
		out, err = detail(ctx, q, m, row)
		return err
	})
	return out, err
}

// Get returns shift id with its drawer's summary. access decides for the shift's shop: only the shift's
// cashier (actor) or a caller who manages shifts there may read it (apperr.Forbidden otherwise). It returns
// apperr.NotFound for another merchant's shift.
func (s *Service) Get(ctx context.Context, m tenant.ID, id, actor string, access Access) (ShiftDetail, error) {
	var out ShiftDetail
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := shiftdb.New(tx)
		row, err := loadShift(ctx, q, m, id)
		if err != nil {
			return err
		}
		if err := allowed(row, actor, access, "read"); err != nil {
			return err
		}
		out, err = detail(ctx, q, m, row)
		return err
	})
	return out, err
}

// List returns a page of at most limit (1–200) of shop shopID's shifts, newest first, narrowed by f, after
// cursor (the next_cursor of the previous page). It returns apperr.NotFound for another merchant's shop and
// apperr.Invalid for an unknown status or a bad limit.
func (s *Service) List(ctx context.Context, m tenant.ID, shopID string, f Filter, limit int, cursor string) (ShiftPage, error) {
	if f.Status != "" && f.Status != Open && f.Status != Closed {
		return ShiftPage{}, apperr.WithField("query.status", "must be open or closed")
	}
	if limit < 1 || limit > 200 {
		return ShiftPage{}, apperr.WithField("query.limit", "must be between 1 and 200")
	}
	if len(cursor) > MaxID {
		return ShiftPage{}, apperr.WithField("query.cursor", "must be the next_cursor of the previous page")
	}
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		return ShiftPage{}, err
	}
	out := ShiftPage{Items: []Shift{}}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := shiftdb.New(tx).ListShifts(ctx, shiftdb.ListShiftsParams{MerchantID: string(m), ShopID: shopID,
			Status: string(f.Status), CashierID: f.CashierID, Cursor: cursor, Lim: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list shifts: %w", err)
		}
		for i, r := range rows {
			if i == limit {
				out.NextCursor = rows[limit-1].ID
				break
			}
			out.Items = append(out.Items, shiftFromRow(r))
		}
		return nil
	})
	return out, err
}

// Movements returns a page of at most limit (1–200) of shift id's movements in the order they happened,
// after cursor. Access is as for Get.
func (s *Service) Movements(ctx context.Context, m tenant.ID, id, actor string, access Access, limit int, cursor string) (ShiftMovementPage, error) {
	if limit < 1 || limit > 200 {
		return ShiftMovementPage{}, apperr.WithField("query.limit", "must be between 1 and 200")
	}
	if len(cursor) > MaxID {
		return ShiftMovementPage{}, apperr.WithField("query.cursor", "must be the next_cursor of the previous page")
	}
	out := ShiftMovementPage{Items: []ShiftMovement{}}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := shiftdb.New(tx)
		row, err := loadShift(ctx, q, m, id)
		if err != nil {
			return err
		}
		if err := allowed(row, actor, access, "read"); err != nil {
			return err
		}
		rows, err := q.ListMovements(ctx, shiftdb.ListMovementsParams{MerchantID: string(m), ShiftID: id, Cursor: cursor,
			Lim: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list movements: %w", err)
		}
		for i, r := range rows {
			if i == limit {
				out.NextCursor = rows[limit-1].ID
				break
			}
			out.Items = append(out.Items, movementFromRow(r))
		}
		return nil
	})
	return out, err
}

// CashDirection says whether cash goes into the drawer or out of it.
type CashDirection string

// The directions of a cash movement by hand.
const (
	CashIn  CashDirection = "in"
	CashOut CashDirection = "out"
)

// MoveCash puts amount into (CashIn) or takes it out of (CashOut) open shift id's drawer, for reason (petty
// cash, a bank drop …). Only the shift's cashier (actor) or a caller who manages shifts in its shop may.
// It returns apperr.Invalid for a bad direction, amount or reason, apperr.NotFound for another merchant's
// shift, apperr.Forbidden for someone else's shift, and apperr.Conflict for a closed shift or when taking
// out more than the drawer should hold.
func (s *Service) MoveCash(ctx context.Context, m tenant.ID, id string, dir CashDirection, amount money.VND, reason, actor string, access Access) (ShiftMovement, error) {
	var f fieldErrors
	kind := KindCashIn
	switch dir {
	case CashIn:
	case CashOut:
		kind = KindCashOut
	default:
		f.add("body.type", "must be in or out")
	}
	f.amount("body.amount", amount, 1)
	reason = f.text("body.reason", reason, 1, MaxReason)
	if err := f.err(); err != nil {
		return ShiftMovement{}, err
	}
	var out ShiftMovement
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := shiftdb.New(tx)
		row, err := s.lockForChange(ctx, q, m, id, actor, access, "move cash of")
		if err != nil {
			return err
		}
		now := s.now()
		signed := amount
		if kind == KindCashOut {
			sum, err := expected(ctx, q, m, id)
			if err != nil {
				return err
			}
			if amount > sum {
				return apperr.E(apperr.Conflict, "the drawer should hold only %s; cannot take out %s", sum, amount)
			}
			signed = -amount
		}
		mv := ShiftMovement{ID: db.NewID(), ShiftID: id, ShopID: row.ShopID, Kind: kind, Amount: signed, Reason: reason,
			CreatedBy: actor, CreatedAt: now}
		n, err := q.InsertMovement(ctx, shiftdb.InsertMovementParams{ID: mv.ID, MerchantID: string(m), ShopID: mv.ShopID,
			ShiftID: id, Kind: string(kind), Amount: int64(signed), Reason: reason, CreatedBy: actor, CreatedAt: now})
		if err != nil {
			return fmt.Errorf("insert movement: %w", err)
		}
		if n != 1 {
			return fmt.Errorf("insert movement: %d rows", n)
		}
		out = mv
		return s.emit(ctx, tx, m, EventCashMove, mv.ShopID, mv, now)
	})
	if err != nil {
		return ShiftMovement{}, fmt.Errorf("cash %s on shift %s: %w", dir, id, err)
	}
	s.nudge()
	return out, nil
}

// Close closes open shift id with countedCash found in the drawer and an optional note, computing the
// expected cash from its movements and the variance (counted − expected). Only the shift's cashier (actor)
// or a caller who manages shifts in its shop may. It returns apperr.Invalid for a bad amount or note,
// apperr.NotFound for another merchant's shift, apperr.Forbidden for someone else's shift, and
// apperr.Conflict (with the shift) when it is already closed.
func (s *Service) Close(ctx context.Context, m tenant.ID, id string, countedCash money.VND, note, actor string, access Access) (ShiftCloseResult, error) {
	var f fieldErrors
	f.amount("body.counted_cash", countedCash, 0)
	note = f.text("body.note", note, 0, MaxNote)
	if err := f.err(); err != nil {
		return ShiftCloseResult{}, err
	}
	var out ShiftCloseResult
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := shiftdb.New(tx)
		if _, err := s.lockForChange(ctx, q, m, id, actor, access, "close"); err != nil {
			return err
		}
		totals, err := totalsOf(ctx, q, m, id)
		if err != nil {
			return err
		}
		sum := Summarize(totals)
		now := s.now()
		variance := countedCash - sum.ExpectedCash
		n, err := q.CloseShift(ctx, shiftdb.CloseShiftParams{Now: sql.NullTime{Time: now, Valid: true}, ClosedBy: actor,
			CountedCash: nullVND(countedCash), ExpectedCash: nullVND(sum.ExpectedCash), Variance: nullVND(variance),
			Note: note, MerchantID: string(m), ID: id})
		if err != nil {
			return fmt.Errorf("close shift: %w", err)
		}
		if n != 1 { // impossible while we hold the lock taken by lockForChange
			return fmt.Errorf("close shift: %d rows", n)
		}
		row, err := loadShift(ctx, q, m, id)
		if err != nil {
			return err
		}
		out = ShiftCloseResult{Shift: shiftFromRow(row), ExpectedCash: sum.ExpectedCash, Variance: variance, Summary: sum}
		return s.emit(ctx, tx, m, EventClosed, row.ShopID, out, now)
	})
	if err != nil {
		return ShiftCloseResult{}, fmt.Errorf("close shift %s: %w", id, err)
	}
	s.nudge()
	return out, nil
}

// lockForChange reads shift id, checks that actor may change it (its cashier, or a manager of its shop)
// and that it is open, and takes its row lock. The check comes before any write; the transaction is the
// service's own, so an error rolls the lock back with everything else.
func (s *Service) lockForChange(ctx context.Context, q *shiftdb.Queries, m tenant.ID, id, actor string, access Access, what string) (shiftdb.Shift, error) {
	row, err := loadShift(ctx, q, m, id)
	if err != nil {
		return shiftdb.Shift{}, err
	}
	if err := allowed(row, actor, access, what); err != nil {
		return shiftdb.Shift{}, err
	}
	if row.ClosedAt.Valid {
		return shiftdb.Shift{}, &apperr.Error{Kind: apperr.Conflict, Message: "the shift is closed", Current: shiftFromRow(row)}
	}
	n, err := q.LockOpenShift(ctx, shiftdb.LockOpenShiftParams{Now: s.now(), MerchantID: string(m), ID: id})
	if err != nil {
		return shiftdb.Shift{}, fmt.Errorf("lock shift: %w", err)
	}
	if n == 0 { // closed by a concurrent request after the read
		row, err = loadShift(ctx, q, m, id)
		if err != nil {
			return shiftdb.Shift{}, err
		}
		return shiftdb.Shift{}, &apperr.Error{Kind: apperr.Conflict, Message: "the shift is closed", Current: shiftFromRow(row)}
	}
	return row, nil
}

// allowed checks that actor may act on shift row: NotFound/Forbidden from access for its shop, and
// Forbidden for another cashier's shift unless the actor manages shifts there.
func allowed(row shiftdb.Shift, actor string, access Access, what string) error {
	manage, err := access(row.ShopID)
	if err != nil {
		return err
	}
	if row.CashierID != actor && !manage {
		return apperr.E(apperr.Forbidden, "only the shift's cashier or a manager may %s this shift", what)
	}
	return nil
}

// ---- for the payment module ----

// RecordCashIn records cash payment paymentID of amount, taken by cashier cashierID in shop shopID, on
// the cashier's open shift there, inside tx, the payment module's transaction of merchant m. It returns
// the shift's id, or "" and no error when the cashier has no open shift in the shop (the payment stands;
// the drawer does not know it). Recording the same payment again changes nothing and returns the same
// shift; the same payment id with another amount or shop is an apperr.Conflict. It returns apperr.Invalid
// for an amount ≤ 0 or an empty id. On an error the caller must roll tx back.
func (s *Service) RecordCashIn(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, cashierID, paymentID string, amount money.VND) (string, error) {
	id, err := s.record(ctx, tx, m, shopID, cashierID, paymentID, KindSale, amount)
	if err != nil {
		return "", fmt.Errorf("record cash payment %s in the drawer: %w", paymentID, err)
	}
	return id, nil
}

// RecordCashRefund records cash refund refundID of amount, handed back by cashier cashierID in shop
// shopID, on the cashier's open shift there (a refund movement: the drawer holds amount less), inside tx,
// the payment module's transaction of merchant m. Its answers are those of RecordCashIn.
func (s *Service) RecordCashRefund(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, cashierID, refundID string, amount money.VND) (string, error) {
	id, err := s.record(ctx, tx, m, shopID, cashierID, refundID, KindRefund, amount)
	if err != nil {
		return "", fmt.Errorf("record cash refund %s in the drawer: %w", refundID, err)
	}
	return id, nil
}

func (s *Service) record(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID, cashierID, ref string, kind Kind, amount money.VND) (string, error) {
	if amount <= 0 || amount > MaxAmount {
		return "", apperr.WithField("amount", "must be between 1 and 1,000,000,000")
	}
	if shopID == "" || cashierID == "" || ref == "" || len(ref) > MaxID {
		return "", apperr.E(apperr.Invalid, "a shop, a cashier and a reference of at most 64 characters are needed")
	}
	signed := amount
	if kind == KindRefund {
		signed = -amount
	}
	q := shiftdb.New(tx)
	// Lock the cashier's open shift first: a close of it waits for this transaction (and then counts the
	// movement), or has already committed (and then there is no open shift to record on).
	shiftID, err := q.LockOpenShiftOfCashier(ctx, shiftdb.LockOpenShiftOfCashierParams{Now: s.now(), MerchantID: string(m),
		ShopID: shopID, CashierID: cashierID})
	if errors.Is(err, sql.ErrNoRows) {
		shiftID = ""
	} else if err != nil {
		return "", fmt.Errorf("lock open shift: %w", err)
	}
	if prev, ok, err := recorded(ctx, q, m, kind, ref, shopID, signed); err != nil || ok {
		return prev, err
	}
	if shiftID == "" {
		return "", nil
	}
	n, err := q.InsertMovement(ctx, shiftdb.InsertMovementParams{ID: db.NewID(), MerchantID: string(m), ShopID: shopID,
		ShiftID: shiftID, Kind: string(kind), Amount: int64(signed), Reference: ref, CreatedBy: cashierID, CreatedAt: s.now()})
	if err != nil {
		return "", fmt.Errorf("insert movement: %w", err)
	}
	if n == 0 { // recorded by a concurrent transaction on another shift since the check
		prev, _, err := recorded(ctx, q, m, kind, ref, shopID, signed)
		return prev, err
	}
	return shiftID, nil
}

// recorded finds the movement of kind that already records ref: its shift and true, a Conflict when it
// records another amount or shop, or false when there is none.
func recorded(ctx context.Context, q *shiftdb.Queries, m tenant.ID, kind Kind, ref, shopID string, signed money.VND) (string, bool, error) {
	mv, err := q.MovementByReference(ctx, shiftdb.MovementByReferenceParams{MerchantID: string(m), Kind: string(kind), Reference: ref})
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read movement of %s: %w", ref, err)
	}
	if money.VND(mv.Amount) != signed || mv.ShopID != shopID {
		return "", false, apperr.E(apperr.Conflict, "%s %s is already recorded with another amount or shop", kind, ref)
	}
	return mv.ShiftID, true, nil
}

// ---- shop transfer ----

// MoveShop moves shop shopID's shifts and their movements from merchant from to merchant to, inside tx,
// the shop transfer's transaction opened with db.WithSystemTx (the tables' system_path policies admit it on
// PostgreSQL). Shifts are shop-level, so nothing is copied; open shifts move as they are.
func (s *Service) MoveShop(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID) error {
	if shopID == "" || from == "" || to == "" || from == to {
		return fmt.Errorf("move shifts of shop %q: bad arguments (from %q, to %q)", shopID, from, to)
	}
	q := shiftdb.New(tx)
	if err := q.MoveShopShifts(ctx, shiftdb.MoveShopShiftsParams{ToMerchantID: string(to), ShopID: shopID, FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move shifts of shop %s: %w", shopID, err)
	}
	if err := q.MoveShopMovements(ctx, shiftdb.MoveShopMovementsParams{ToMerchantID: string(to), ShopID: shopID, FromMerchantID: string(from)}); err != nil {
		return fmt.Errorf("move drawer movements of shop %s: %w", shopID, err)
	}
	return nil
}

// ---- data access ----

func loadShift(ctx context.Context, q *shiftdb.Queries, m tenant.ID, id string) (shiftdb.Shift, error) {
	row, err := q.GetShift(ctx, shiftdb.GetShiftParams{MerchantID: string(m), ID: id})
	if errors.Is(err, sql.ErrNoRows) {
		return shiftdb.Shift{}, apperr.E(apperr.NotFound, "shift not found")
	}
	if err != nil {
		return shiftdb.Shift{}, fmt.Errorf("read shift: %w", err)
	}
	return row, nil
}

func totalsOf(ctx context.Context, q *shiftdb.Queries, m tenant.ID, id string) ([]Total, error) {
	rows, err := q.ShiftTotals(ctx, shiftdb.ShiftTotalsParams{MerchantID: string(m), ShiftID: id})
	if err != nil {
		return nil, fmt.Errorf("sum drawer movements: %w", err)
	}
	out := make([]Total, len(rows))
	for i, r := range rows {
		out[i] = Total{Kind: Kind(r.Kind), Count: int(r.Movements), Sum: money.VND(r.Total)}
	}
	return out, nil
}

// expected is the cash the shift's drawer should hold now.
func expected(ctx context.Context, q *shiftdb.Queries, m tenant.ID, id string) (money.VND, error) {
	totals, err := totalsOf(ctx, q, m, id)
	if err != nil {
		return 0, err
	}
	return Summarize(totals).ExpectedCash, nil
}

func detail(ctx context.Context, q *shiftdb.Queries, m tenant.ID, row shiftdb.Shift) (ShiftDetail, error) {
	totals, err := totalsOf(ctx, q, m, row.ID)
	if err != nil {
		return ShiftDetail{}, err
	}
	return ShiftDetail{Shift: shiftFromRow(row), Summary: Summarize(totals)}, nil
}

func insertMovement(ctx context.Context, q *shiftdb.Queries, m tenant.ID, shopID, shiftID string, kind Kind, amount money.VND,
	ref, reason, actor string, now time.Time) error {
	n, err := q.InsertMovement(ctx, shiftdb.InsertMovementParams{ID: db.NewID(), MerchantID: string(m), ShopID: shopID,
		ShiftID: shiftID, Kind: string(kind), Amount: int64(amount), Reference: ref, Reason: reason, CreatedBy: actor, CreatedAt: now})
	if err != nil {
		return fmt.Errorf("insert %s movement: %w", kind, err)
	}
	if n != 1 {
		return fmt.Errorf("insert %s movement: %d rows", kind, n)
	}
	return nil
}

func (s *Service) emit(ctx context.Context, tx *sql.Tx, m tenant.ID, typ, shopID string, v any, now time.Time) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	return events.AddAt(ctx, tx, now, events.Event{Type: typ, Subject: Subject, MerchantID: m, ShopID: shopID, Data: data})
}

func shiftFromRow(r shiftdb.Shift) Shift {
	out := Shift{ID: r.ID, ShopID: r.ShopID, CashierID: r.CashierID, DeviceID: r.DeviceID, Status: Open,
		OpeningCash: money.VND(r.OpeningCash), OpenedAt: r.OpenedAt.UTC(), ClosedBy: r.ClosedBy, Note: r.CloseNote}
	if r.ClosedAt.Valid {
		at := r.ClosedAt.Time.UTC()
		out.Status, out.ClosedAt = Closed, &at
		out.CountedCash, out.ExpectedCash, out.Variance = vndPtr(r.CountedCash), vndPtr(r.ExpectedCash), vndPtr(r.Variance)
	}
	return out
}

func movementFromRow(r shiftdb.ShiftMovement) ShiftMovement {
	return ShiftMovement{ID: r.ID, ShiftID: r.ShiftID, ShopID: r.ShopID, Kind: Kind(r.Kind), Amount: money.VND(r.Amount),
		Reference: r.Reference, Reason: r.Reason, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
}

func nullVND(v money.VND) sql.NullInt64 { return sql.NullInt64{Int64: int64(v), Valid: true} }

func vndPtr(n sql.NullInt64) *money.VND {
	if !n.Valid {
		return nil
	}
	v := money.VND(n.Int64)
	return &v
}

// fieldErrors collects the problems of a request's fields.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, msg string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: msg})
}

func (f *fieldErrors) amount(field string, v, minimum money.VND) {
	if v < minimum || v > MaxAmount {
		f.add(field, fmt.Sprintf("must be between %d and %d", minimum, MaxAmount))
	}
}

// text trims s and checks its length in characters.
func (f *fieldErrors) text(field, s string, minLen, maxLen int) string {
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n < minLen || n > maxLen || !utf8.ValidString(s) {
		f.add(field, fmt.Sprintf("must be %d to %d characters", minLen, maxLen))
	}
	return s
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
}
