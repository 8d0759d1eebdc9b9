package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/goodgo/goodgo/internal/inventory/inventorydb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// This file holds the module's data access on top of the sqlc queries (queries/*.sql → inventorydb): the one
// way a level changes (txWriter.apply), the item lookups several use cases share, and row mapping. Every
// function takes the merchant explicitly and runs inside the caller's transaction.

// notFound turns "no row" into a NotFound error naming what was looked for; other errors are wrapped.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Wrap(err, apperr.NotFound, what+" not found")
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// movementRecord is a change of one level to record.
type movementRecord struct {
	shopID, itemID string
	kind           MovementKind
	delta          Quantity
	unitCost       *money.VND
	supplier, note string
	actor          string
	reference      string
}

// txWriter carries one transaction of merchant m: its queries, its time, the items it has read, and how many
// events it wrote (so the service nudges the relay after the commit).
type txWriter struct {
	tx     *sql.Tx
	q      *inventorydb.Queries
	m      tenant.ID
	now    time.Time
	items  map[string]*itemInfo
	events int
}

// itemInfo is a stock item with its pack units, as conversions need it.
type itemInfo struct {
	row   inventorydb.InventoryStockItem
	packs map[string]Quantity
}

func newTxWriter(tx *sql.Tx, m tenant.ID, now time.Time) *txWriter {
	return &txWriter{tx: tx, q: inventorydb.New(tx), m: m, now: now, items: map[string]*itemInfo{}}
}

// item reads stock item id of the merchant with its pack units (NotFound for another merchant's).
func (w *txWriter) item(ctx context.Context, id string) (*itemInfo, error) {
	if it, ok := w.items[id]; ok {
		return it, nil
	}
	row, err := w.q.GetStockItem(ctx, inventorydb.GetStockItemParams{MerchantID: string(w.m), ID: id})
	if err != nil {
		return nil, notFound(err, "stock item")
	}
	units, err := w.q.ListItemUnits(ctx, inventorydb.ListItemUnitsParams{MerchantID: string(w.m), StockItemID: id})
	if err != nil {
		return nil, fmt.Errorf("list units of %s: %w", id, err)
	}
	it := &itemInfo{row: row, packs: make(map[string]Quantity, len(units))}
	for _, u := range units {
		it.packs[u.Name] = Quantity(u.Factor)
	}
	w.items[id] = it
	return it, nil
}

// line resolves one input line: the item must be the merchant's (a field error on <field>.stock_item_id
// otherwise) and the quantity is converted to its unit (errors on <field>.<qtyField> and <field>.unit).
// It returns ok false after recording a field error.
func (w *txWriter) line(ctx context.Context, f *fieldErrors, field, qtyField string, l QuantityLine) (*itemInfo, Quantity, bool, error) {
	prefix := field
	if prefix != "" {
		prefix += "."
	}
	if l.StockItemID == "" || len(l.StockItemID) > 64 {
		f.add(prefix+"stock_item_id", "must name a stock item")
		return nil, 0, false, nil
	}
	it, err := w.item(ctx, l.StockItemID)
	if apperr.Is(err, apperr.NotFound) {
		f.add(prefix+"stock_item_id", "is not one of the merchant's stock items")
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	if l.Unit != "" && normUnit(l.Unit) != it.row.Unit {
		u := normUnit(l.Unit)
		if _, ok := it.packs[u]; !ok && !baseUnits[u] {
			f.add(prefix+"unit", "unknown unit "+fmt.Sprintf("%q", l.Unit)+" for this item")
			return nil, 0, false, nil
		}
	}
	q, msg := convert(l.Quantity, l.Unit, it.row.Unit, it.packs)
	if msg != "" {
		where := prefix + qtyField
		if l.Unit != "" && msg[0] == 'u' { // "unit … does not convert"
			where = prefix + "unit"
		}
		f.add(where, msg)
		return nil, 0, false, nil
	}
	return it, q, true, nil
}

// apply changes a level by rec.delta and records the movement with the level after it, creating the level
// when the shop has none. The UPDATE comes first so that it takes the level's row lock (PostgreSQL) before
// anything is read. A sale or reversal the unique index has seen already is undone and reported with
// applied false. Crossing the reorder level writes the alert events.
func (w *txWriter) apply(ctx context.Context, rec movementRecord) (mv StockMovement, applied bool, err error) {
	p := inventorydb.AddToLevelParams{Delta: int64(rec.delta), UpdatedAt: w.now, MerchantID: string(w.m),
		ShopID: rec.shopID, StockItemID: rec.itemID}
	row, err := w.q.AddToLevel(ctx, p)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := w.q.InsertLevel(ctx, inventorydb.InsertLevelParams{ShopID: rec.shopID, StockItemID: rec.itemID,
			MerchantID: string(w.m), CreatedAt: w.now}); err != nil {
			return StockMovement{}, false, fmt.Errorf("create level: %w", err)
		}
		row, err = w.q.AddToLevel(ctx, p)
	}
	if err != nil {
		return StockMovement{}, false, fmt.Errorf("change level: %w", err)
	}
	mv = StockMovement{ID: db.NewID(), ShopID: rec.shopID, StockItemID: rec.itemID, Kind: rec.kind, Quantity: rec.delta,
		QuantityAfter: Quantity(row.Quantity), UnitCost: rec.unitCost, Supplier: rec.supplier, Note: rec.note,
		Actor: rec.actor, Reference: rec.reference, CreatedAt: w.now, NegativeStock: row.Quantity < 0}
	var cost sql.NullInt64
	if rec.unitCost != nil {
		cost = sql.NullInt64{Int64: int64(*rec.unitCost), Valid: true}
	}
	n, err := w.q.InsertMovement(ctx, inventorydb.InsertMovementParams{ID: mv.ID, MerchantID: string(w.m),
		ShopID: rec.shopID, StockItemID: rec.itemID, Kind: string(rec.kind), Delta: int64(rec.delta),
		QuantityAfter: row.Quantity, UnitCost: cost, Supplier: rec.supplier, Note: rec.note, Actor: rec.actor,
		Reference: rec.reference, CreatedAt: w.now})
	if err != nil {
		return StockMovement{}, false, fmt.Errorf("record movement: %w", err)
	}
	if n == 0 { // this order line already moved this item: put the level back
		p.Delta = -p.Delta
		if _, err := w.q.AddToLevel(ctx, p); err != nil {
			return StockMovement{}, false, fmt.Errorf("undo level change: %w", err)
		}
		return StockMovement{}, false, nil
	}
	before := row.Quantity - int64(rec.delta)
	if rec.unitCost != nil && rec.delta > 0 && (rec.kind == Receipt || rec.kind == TransferIn) {
		avg := weightedAverage(max(before, 0), row.AvgCost, int64(rec.delta), int64(*rec.unitCost))
		if err := w.q.SetAverageCost(ctx, inventorydb.SetAverageCostParams{AvgCost: avg, MerchantID: string(w.m),
			ShopID: rec.shopID, StockItemID: rec.itemID}); err != nil {
			return StockMovement{}, false, fmt.Errorf("update average cost: %w", err)
		}
	}
	var alert string
	switch {
	case before >= row.ReorderLevel && row.Quantity < row.ReorderLevel:
		alert = EventBelowReorderLevel
	case before < row.ReorderLevel && row.Quantity >= row.ReorderLevel:
		alert = EventRestored
	}
	if alert != "" {
		if err := w.alert(ctx, alert, rec.shopID, rec.itemID, Quantity(row.Quantity), Quantity(row.ReorderLevel)); err != nil {
			return StockMovement{}, false, err
		}
	}
	return mv, true, nil
}

// alert writes a reorder event on the shop's stock topic (its screens show it: that is the notification)
// and on the module's subject.
func (w *txWriter) alert(ctx context.Context, typ, shopID, itemID string, q, reorder Quantity) error {
	it, err := w.item(ctx, itemID)
	if err != nil {
		return err
	}
	data := encodeJSON(ReorderAlert{ShopID: shopID, StockItemID: itemID, Name: it.row.Name, Unit: it.row.Unit,
		Quantity: q, ReorderLevel: reorder})
	evs := []events.Event{
		{ID: db.NewID(), Type: typ, Subject: ShopSubject(shopID), MerchantID: w.m, ShopID: shopID, OccurredAt: w.now, Data: data},
		{ID: db.NewID(), Type: typ, Subject: Subject, MerchantID: w.m, ShopID: shopID, OccurredAt: w.now, Data: data},
	}
	if err := events.AddAt(ctx, w.tx, w.now, evs...); err != nil {
		return err
	}
	w.events += len(evs)
	return nil
}

// weightedAverage is the average cost after receiving q at cost onto stock held at avg, rounded half-up.
func weightedAverage(held, avg, q, cost int64) int64 {
	num := new(big.Int).Mul(big.NewInt(held), big.NewInt(avg))
	num.Add(num, new(big.Int).Mul(big.NewInt(q), big.NewInt(cost)))
	v, _ := divHalfUp(num, big.NewInt(held+q))
	return v
}

// valueOf is quantity (thousandths) × cost per unit in đồng, rounded half-up; ok false when it overflows.
func valueOf(q Quantity, cost int64) (money.VND, bool) {
	v, ok := divHalfUp(new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(cost)), big.NewInt(QuantityScale))
	return money.VND(v), ok
}

// divHalfUp divides rounding half away from zero (den > 0).
func divHalfUp(num, den *big.Int) (int64, bool) {
	q, r := new(big.Int), new(big.Int)
	q.QuoRem(num, den, r)
	if r.Abs(r).Lsh(r, 1).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64(), q.IsInt64()
}

func levelFrom(itemID, name, unit string, quantity, reorder int64) StockLevel {
	return StockLevel{StockItemID: itemID, Name: name, Unit: unit, Quantity: Quantity(quantity),
		ReorderLevel: Quantity(reorder), BelowReorderLevel: quantity < reorder}
}

func movementFromRow(r inventorydb.InventoryMovement) StockMovement {
	mv := StockMovement{ID: r.ID, ShopID: r.ShopID, StockItemID: r.StockItemID, Kind: MovementKind(r.Kind),
		Quantity: Quantity(r.Delta), QuantityAfter: Quantity(r.QuantityAfter), Supplier: r.Supplier, Note: r.Note,
		Actor: r.Actor, Reference: r.Reference, CreatedAt: r.CreatedAt.UTC(), NegativeStock: r.QuantityAfter < 0}
	if r.UnitCost.Valid {
		c := money.VND(r.UnitCost.Int64)
		mv.UnitCost = &c
	}
	return mv
}

func itemFromRow(r inventorydb.InventoryStockItem, units []inventorydb.InventoryItemUnit) StockItem {
	it := StockItem{ID: r.ID, Name: r.Name, Unit: r.Unit, Units: []StockUnit{}, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC()}
	for _, u := range units {
		it.Units = append(it.Units, StockUnit{Name: u.Name, Factor: Quantity(u.Factor)})
	}
	return it
}
