package inventory

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/goodgo/goodgo/internal/inventory/inventorydb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Options tune a Service.
type Options struct {
	// Nudge, if set, is called after a transaction that wrote events has committed (events.Relay.Nudge).
	Nudge func()
	// Shops checks that a shop is a live shop of the merchant (the merchant module). Without it the shop
	// routes are not offered and the service trusts shop ids.
	Shops Shops
	// Catalog checks products and modifier options (the catalog module). Without it the recipe routes are
	// not offered and the service trusts product and option ids.
	Catalog Catalog
}

// Service runs the module's use cases, each in one transaction of the merchant it concerns.
type Service struct {
	db      *db.DB
	clk     clock.Clock
	nudge   func()
	shops   Shops
	catalog Catalog
}

// New returns the service over d (migrated with Migrations and events.Migrations), telling time with clk.
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	nudge := opts.Nudge
	if nudge == nil {
		nudge = func() {}
	}
	return &Service{db: d, clk: clk, nudge: nudge, shops: opts.Shops, catalog: opts.Catalog}
}

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// checkShop answers NotFound unless shopID is a live shop of m.
func (s *Service) checkShop(ctx context.Context, m tenant.ID, shopID string) error {
	if shopID == "" || len(shopID) > 64 {
		return apperr.E(apperr.NotFound, "shop not found")
	}
	if s.shops == nil {
		return nil
	}
	if err := s.shops.CheckShop(ctx, m, shopID); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return apperr.Wrap(err, apperr.NotFound, "shop not found")
		}
		return fmt.Errorf("check shop %s: %w", shopID, err)
	}
	return nil
}

// write runs fn in a transaction of m with a txWriter and nudges the relay when it wrote events.
func (s *Service) write(ctx context.Context, m tenant.ID, fn func(w *txWriter) error) error {
	var w *txWriter
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		w = newTxWriter(tx, m, s.now())
		return fn(w)
	})
	if err == nil && w.events > 0 {
		s.nudge()
	}
	return err
}

// ---- stock items ----

// CreateStockItem creates merchant m's stock item named in.Name (or reuses the item of that name, compared
// case-insensitively after NFC) and its level with in.ReorderLevel in shop shopID. It returns an
// apperr.Invalid error listing bad fields (a reused item with another unit is one), NotFound for a shop that
// is not m's, and Conflict when the shop already stocks the item.
func (s *Service) CreateStockItem(ctx context.Context, m tenant.ID, shopID string, in ItemInput) (StockLevel, error) {
	var f fieldErrors
	name := f.text("name", in.Name, true, maxNameLen)
	unit := normUnit(in.Unit)
	if !baseUnits[unit] && !validUnitName(unit) {
		f.add("unit", "must be g, kg, ml, l, pcs or a counting unit's name (letters, up to 20)")
	}
	f.quantity("reorder_level", in.ReorderLevel, "nonnegative")
	if err := f.err(); err != nil {
		return StockLevel{}, err
	}
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return StockLevel{}, err
	}
	var out StockLevel
	err := s.write(ctx, m, func(w *txWriter) error {
		key := nameKey(name)
		row, err := w.q.GetStockItemByName(ctx, inventorydb.GetStockItemByNameParams{MerchantID: string(m), NameKey: key})
		switch {
		case errors.Is(err, sql.ErrNoRows):
			row = inventorydb.InventoryStockItem{ID: db.NewID(), MerchantID: string(m), Name: name, NameKey: key,
				Unit: unit, CreatedAt: w.now, UpdatedAt: w.now}
			if err := w.q.InsertStockItem(ctx, inventorydb.InsertStockItemParams{ID: row.ID, MerchantID: string(m),
				Name: name, NameKey: key, Unit: unit, CreatedAt: w.now}); err != nil {
				return conflictAs(err, "a stock item with this name was just created; retry")
			}
		case err != nil:
			return fmt.Errorf("find stock item: %w", err)
		case row.Unit != unit:
			return apperr.WithField("unit", fmt.Sprintf("the merchant's stock item %q is measured in %s", row.Name, row.Unit))
		}
		n, err := w.q.InsertLevel(ctx, inventorydb.InsertLevelParams{ShopID: shopID, StockItemID: row.ID,
			MerchantID: string(m), ReorderLevel: int64(in.ReorderLevel), CreatedAt: w.now})
		if err != nil {
			return fmt.Errorf("create level: %w", err)
		}
		if n == 0 {
			return apperr.E(apperr.Conflict, "this shop already stocks %q; change its reorder level instead", row.Name)
		}
		out = levelFrom(row.ID, row.Name, row.Unit, 0, int64(in.ReorderLevel))
		return nil
	})
	return out, err
}

// StockItems lists merchant m's stock items with their pack units, by name.
func (s *Service) StockItems(ctx context.Context, m tenant.ID) ([]StockItem, error) {
	out := []StockItem{}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := inventorydb.New(tx)
		rows, err := q.ListStockItems(ctx, string(m))
		if err != nil {
			return fmt.Errorf("list stock items: %w", err)
		}
		units, err := q.ListMerchantUnits(ctx, string(m))
		if err != nil {
			return fmt.Errorf("list units: %w", err)
		}
		byItem := map[string][]inventorydb.InventoryItemUnit{}
		for _, u := range units {
			byItem[u.StockItemID] = append(byItem[u.StockItemID], u)
		}
		for _, r := range rows {
			out = append(out, itemFromRow(r, byItem[r.ID]))
		}
		return nil
	})
	return out, err
}

// RenameStockItem renames item id. It returns an apperr.Invalid error for a bad name, NotFound for another
// merchant's item and Conflict when another item has the name.
func (s *Service) RenameStockItem(ctx context.Context, m tenant.ID, id, newName string) (StockItem, error) {
	var f fieldErrors
	name := f.text("name", newName, true, maxNameLen)
	if err := f.err(); err != nil {
		return StockItem{}, err
	}
	var out StockItem
	err := s.write(ctx, m, func(w *txWriter) error {
		n, err := w.q.RenameStockItem(ctx, inventorydb.RenameStockItemParams{Name: name, NameKey: nameKey(name),
			UpdatedAt: w.now, MerchantID: string(m), ID: id})
		if err != nil {
			return conflictAs(err, "another stock item has this name")
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "stock item not found")
		}
		out, err = loadItem(ctx, w.q, m, id)
		return err
	})
	return out, err
}

// AddUnit gives item id a pack unit: 1 in.Name = in.Factor of the item's unit. It returns an apperr.Invalid
// error for a bad name or factor (a built-in unit's name is one), NotFound for another merchant's item and
// Conflict when the item has the unit already.
func (s *Service) AddUnit(ctx context.Context, m tenant.ID, id string, in UnitInput) (StockItem, error) {
	var f fieldErrors
	name := normUnit(in.Name)
	if !validUnitName(name) {
		f.add("name", "must be a unit name: letters, up to 20")
	} else if baseUnits[name] {
		f.add("name", "is a built-in unit")
	}
	f.quantity("factor", in.Factor, "positive")
	if err := f.err(); err != nil {
		return StockItem{}, err
	}
	var out StockItem
	err := s.write(ctx, m, func(w *txWriter) error {
		it, err := w.item(ctx, id)
		if err != nil {
			return err
		}
		if name == it.row.Unit {
			return apperr.WithField("name", "is the item's own unit")
		}
		if err := w.q.InsertItemUnit(ctx, inventorydb.InsertItemUnitParams{StockItemID: id, Name: name,
			MerchantID: string(m), Factor: int64(in.Factor), CreatedAt: w.now}); err != nil {
			return conflictAs(err, "the item has this unit already")
		}
		out, err = loadItem(ctx, w.q, m, id)
		return err
	})
	return out, err
}

func loadItem(ctx context.Context, q *inventorydb.Queries, m tenant.ID, id string) (StockItem, error) {
	row, err := q.GetStockItem(ctx, inventorydb.GetStockItemParams{MerchantID: string(m), ID: id})
	if err != nil {
		return StockItem{}, notFound(err, "stock item")
	}
	units, err := q.ListItemUnits(ctx, inventorydb.ListItemUnitsParams{MerchantID: string(m), StockItemID: id})
	if err != nil {
		return StockItem{}, fmt.Errorf("list units: %w", err)
	}
	return itemFromRow(row, units), nil
}

// SetReorderLevel changes the reorder level of item itemID in shop shopID. It returns NotFound when the shop
// does not stock the item (or either is another merchant's). Changing the threshold writes no alert: alerts
// follow movements.
func (s *Service) SetReorderLevel(ctx context.Context, m tenant.ID, shopID, itemID string, level Quantity) (StockLevel, error) {
	var f fieldErrors
	f.quantity("reorder_level", level, "nonnegative")
	if err := f.err(); err != nil {
		return StockLevel{}, err
	}
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return StockLevel{}, err
	}
	var out StockLevel
	err := s.write(ctx, m, func(w *txWriter) error {
		n, err := w.q.SetReorderLevel(ctx, inventorydb.SetReorderLevelParams{ReorderLevel: int64(level),
			UpdatedAt: w.now, MerchantID: string(m), ShopID: shopID, StockItemID: itemID})
		if err != nil {
			return fmt.Errorf("set reorder level: %w", err)
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "the shop does not stock this item")
		}
		r, err := w.q.GetLevel(ctx, inventorydb.GetLevelParams{MerchantID: string(m), ShopID: shopID, StockItemID: itemID})
		if err != nil {
			return notFound(err, "stock level")
		}
		out = levelFrom(r.StockItemID, r.Name, r.Unit, r.Quantity, r.ReorderLevel)
		return nil
	})
	return out, err
}

// ---- movements ----

// RecordMovement records a receipt, waste or adjustment in shop shopID by actor. Receipts and waste take a
// positive quantity (waste deducts); an adjustment is a signed delta other than 0. A receipt's unit cost
// (đồng per item unit) updates the weighted average cost. It returns an apperr.Invalid error listing bad
// fields (another merchant's item is one), NotFound for a shop that is not m's.
func (s *Service) RecordMovement(ctx context.Context, m tenant.ID, shopID, actor string, in MovementInput) (StockMovement, error) {
	var f fieldErrors
	switch in.Kind {
	case Receipt, Waste:
		f.quantity("quantity", in.Quantity, "positive")
	case Adjustment:
		f.quantity("quantity", in.Quantity, "nonzero")
	default:
		f.add("kind", "must be one of receipt, waste, adjustment")
	}
	if in.UnitCost != nil && (in.Kind != Receipt || *in.UnitCost < 0 || *in.UnitCost > maxUnitCost) {
		f.add("unit_cost", "is a receipt's cost per item unit in đồng, 0 to 1000000000000")
	}
	supplier := f.text("supplier", in.Supplier, false, maxSupplierLen)
	note := f.text("note", in.Note, false, maxNoteLen)
	if err := f.err(); err != nil {
		return StockMovement{}, err
	}
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return StockMovement{}, err
	}
	var out StockMovement
	err := s.write(ctx, m, func(w *txWriter) error {
		_, q, ok, err := w.line(ctx, &f, "", "quantity", QuantityLine{StockItemID: in.StockItemID, Quantity: in.Quantity, Unit: in.Unit})
		if err != nil || !ok {
			return cmp.Or(err, f.err())
		}
		if in.Kind == Waste {
			q = -q
		}
		out, _, err = w.apply(ctx, movementRecord{shopID: shopID, itemID: in.StockItemID, kind: in.Kind, delta: q,
			unitCost: in.UnitCost, supplier: supplier, note: note, actor: actor})
		return err
	})
	return out, err
}

// Page sizes of Movements.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// MovementQuery selects a page of a shop's movements.
type MovementQuery struct {
	StockItemID string // only this item's, when set
	Limit       int    // 0: DefaultPageSize
	Cursor      string // NextCursor of the previous page
}

// Movements returns a page of shop shopID's movements, newest first. It returns an apperr.Invalid error for a
// bad limit or a cursor it did not make, NotFound for a shop that is not m's.
func (s *Service) Movements(ctx context.Context, m tenant.ID, shopID string, in MovementQuery) (StockMovementPage, error) {
	limit := cmp.Or(in.Limit, DefaultPageSize)
	if limit < 1 || limit > MaxPageSize {
		return StockMovementPage{}, apperr.WithField("limit", "must be between 1 and "+strconv.Itoa(MaxPageSize))
	}
	before := "~" // above every id: the newest first
	if in.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.Cursor)
		if err != nil || len(b) == 0 || len(b) > 64 {
			return StockMovementPage{}, apperr.WithField("cursor", "is not a cursor this API returned")
		}
		before = string(b)
	}
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return StockMovementPage{}, err
	}
	page := StockMovementPage{Items: []StockMovement{}}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := inventorydb.New(tx)
		var rows []inventorydb.InventoryMovement
		var err error
		if in.StockItemID != "" {
			rows, err = q.ListItemMovements(ctx, inventorydb.ListItemMovementsParams{MerchantID: string(m), ShopID: shopID,
				StockItemID: in.StockItemID, BeforeID: before, PageSize: int32(limit + 1)})
		} else {
			rows, err = q.ListMovements(ctx, inventorydb.ListMovementsParams{MerchantID: string(m), ShopID: shopID,
				BeforeID: before, PageSize: int32(limit + 1)})
		}
		if err != nil {
			return fmt.Errorf("list movements: %w", err)
		}
		for _, r := range rows {
			page.Items = append(page.Items, movementFromRow(r))
		}
		return nil
	})
	if err != nil {
		return StockMovementPage{}, err
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(page.Items[limit-1].ID))
	}
	return page, nil
}

// ---- stock views ----

// Stock returns shop shopID's levels by item name.
func (s *Service) Stock(ctx context.Context, m tenant.ID, shopID string) (ShopStock, error) {
	rows, err := s.levels(ctx, m, shopID)
	out := ShopStock{Items: []StockLevel{}}
	for _, r := range rows {
		out.Items = append(out.Items, levelFrom(r.StockItemID, r.Name, r.Unit, r.Quantity, r.ReorderLevel))
	}
	return out, err
}

// ReorderList returns the items of shop shopID below their reorder level, each with the quantity that
// brings it to twice its reorder level.
func (s *Service) ReorderList(ctx context.Context, m tenant.ID, shopID string) (StockReorderList, error) {
	rows, err := s.levels(ctx, m, shopID)
	out := StockReorderList{Items: []StockReorderLine{}}
	for _, r := range rows {
		if r.Quantity < r.ReorderLevel {
			out.Items = append(out.Items, StockReorderLine{
				StockLevel:        levelFrom(r.StockItemID, r.Name, r.Unit, r.Quantity, r.ReorderLevel),
				SuggestedQuantity: Quantity(2*r.ReorderLevel - r.Quantity)})
		}
	}
	return out, err
}

// Valuation returns shop shopID's stock value: per item quantity × weighted average cost (đồng, rounded
// half-up), and the total. Negative levels count negatively: the value is what the books say.
func (s *Service) Valuation(ctx context.Context, m tenant.ID, shopID string) (StockValuation, error) {
	rows, err := s.levels(ctx, m, shopID)
	if err != nil {
		return StockValuation{}, err
	}
	out := StockValuation{Items: []StockValuationLine{}}
	for _, r := range rows {
		v, ok := valueOf(Quantity(r.Quantity), r.AvgCost)
		if !ok {
			return StockValuation{}, fmt.Errorf("value of %s overflows", r.StockItemID)
		}
		out.Items = append(out.Items, StockValuationLine{StockItemID: r.StockItemID, Name: r.Name, Unit: r.Unit,
			Quantity: Quantity(r.Quantity), AverageCost: money.VND(r.AvgCost), Value: v})
		out.Total += v
	}
	return out, nil
}

func (s *Service) levels(ctx context.Context, m tenant.ID, shopID string) ([]inventorydb.ListLevelsRow, error) {
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return nil, err
	}
	var rows []inventorydb.ListLevelsRow
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		rows, err = inventorydb.New(tx).ListLevels(ctx, inventorydb.ListLevelsParams{MerchantID: string(m), ShopID: shopID})
		if err != nil {
			return fmt.Errorf("list levels: %w", err)
		}
		return nil
	})
	return rows, err
}

// ---- transfers and stocktakes ----

// TransferStock moves stock from shop fromShop to in.ToShopID, both of merchant m, in one transaction: a
// transfer_out and a transfer_in movement per line, sharing the transfer's id as their reference. The
// receiving level's average cost takes in the sender's. It returns an apperr.Invalid error listing bad fields
// (the same shop, another merchant's item, a quantity ≤ 0), NotFound when either shop is not m's.
// Authorising the caller in the receiving shop is the caller's business.
func (s *Service) TransferStock(ctx context.Context, m tenant.ID, fromShop, actor string, in TransferInput) (StockTransfer, error) {
	var f fieldErrors
	switch {
	case in.ToShopID == "":
		f.add("to_shop_id", "must name a shop")
	case in.ToShopID == fromShop:
		f.add("to_shop_id", "must be another shop than the one stock leaves")
	}
	note := f.text("note", in.Note, false, maxNoteLen)
	checkLines(&f, "lines", len(in.Lines))
	for i, l := range in.Lines {
		f.quantity(fmt.Sprintf("lines[%d].quantity", i), l.Quantity, "positive")
	}
	if err := f.err(); err != nil {
		return StockTransfer{}, err
	}
	if err := s.checkShop(ctx, m, fromShop); err != nil {
		return StockTransfer{}, err
	}
	if err := s.checkShop(ctx, m, in.ToShopID); err != nil {
		return StockTransfer{}, err
	}
	out := StockTransfer{ID: db.NewID(), FromShopID: fromShop, ToShopID: in.ToShopID, Note: note}
	err := s.write(ctx, m, func(w *txWriter) error {
		out.CreatedAt = w.now
		out.Lines = out.Lines[:0]
		seen := map[string]bool{}
		for i, l := range in.Lines {
			field := fmt.Sprintf("lines[%d]", i)
			_, q, ok, err := w.line(ctx, &f, field, "quantity", l)
			if err != nil {
				return err
			}
			if ok && seen[l.StockItemID] {
				f.add(field+".stock_item_id", "appears in two lines")
			}
			seen[l.StockItemID] = true
			out.Lines = append(out.Lines, StockTransferLine{StockItemID: l.StockItemID, Quantity: q})
		}
		if err := f.err(); err != nil {
			return err
		}
		var recs []movementRecord
		for _, l := range out.Lines {
			var cost *money.VND
			src, err := w.q.GetLevel(ctx, inventorydb.GetLevelParams{MerchantID: string(m), ShopID: fromShop, StockItemID: l.StockItemID})
			if err == nil && src.AvgCost > 0 {
				c := money.VND(src.AvgCost)
				cost = &c
			} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read source level: %w", err)
			}
			recs = append(recs,
				movementRecord{shopID: fromShop, itemID: l.StockItemID, kind: TransferOut, delta: -l.Quantity, note: note,
					actor: actor, reference: out.ID},
				movementRecord{shopID: in.ToShopID, itemID: l.StockItemID, kind: TransferIn, delta: l.Quantity, note: note,
					actor: actor, reference: out.ID, unitCost: cost})
		}
		return w.applyAll(ctx, recs)
	})
	if err != nil {
		return StockTransfer{}, err
	}
	return out, nil
}

// applyAll applies records in (shop, item) order, the one order every multi-level writer takes its row
// locks in, so two of them never wait on each other in a cycle.
func (w *txWriter) applyAll(ctx context.Context, recs []movementRecord) error {
	slices.SortStableFunc(recs, func(a, b movementRecord) int {
		return cmp.Or(cmp.Compare(a.shopID, b.shopID), cmp.Compare(a.itemID, b.itemID))
	})
	for _, r := range recs {
		if _, _, err := w.apply(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

func checkLines(f *fieldErrors, field string, n int) {
	switch {
	case n == 0:
		f.add(field, "must have at least one line")
	case n > maxLines:
		f.add(field, "must have at most "+strconv.Itoa(maxLines)+" lines")
	}
}

// TakeStock applies a stocktake in shop shopID: for each count, the level is locked and read, and a
// stocktake movement of (counted − level) is recorded unless that is zero; every count is listed with its
// expected level and variance. It returns an apperr.Invalid error listing bad fields (a negative count,
// another merchant's item, an item counted twice), NotFound for a shop that is not m's.
func (s *Service) TakeStock(ctx context.Context, m tenant.ID, shopID, actor string, in StocktakeInput) (Stocktake, error) {
	var f fieldErrors
	note := f.text("note", in.Note, false, maxNoteLen)
	checkLines(&f, "counts", len(in.Counts))
	for i, c := range in.Counts {
		f.quantity(fmt.Sprintf("counts[%d].counted", i), c.Quantity, "nonnegative")
	}
	if err := f.err(); err != nil {
		return Stocktake{}, err
	}
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return Stocktake{}, err
	}
	out := Stocktake{ID: db.NewID(), ShopID: shopID, Note: note}
	err := s.write(ctx, m, func(w *txWriter) error {
		out.CreatedAt = w.now
		out.Lines = out.Lines[:0]
		seen := map[string]bool{}
		for i, c := range in.Counts {
			field := fmt.Sprintf("counts[%d]", i)
			_, q, ok, err := w.line(ctx, &f, field, "counted", c)
			if err != nil {
				return err
			}
			if ok && seen[c.StockItemID] {
				f.add(field+".stock_item_id", "is counted twice")
			}
			seen[c.StockItemID] = true
			out.Lines = append(out.Lines, StocktakeLine{StockItemID: c.StockItemID, Counted: q})
		}
		if err := f.err(); err != nil {
			return err
		}
		if err := w.q.InsertStocktake(ctx, inventorydb.InsertStocktakeParams{ID: out.ID, MerchantID: string(m),
			ShopID: shopID, Note: note, Actor: actor, CreatedAt: w.now}); err != nil {
			return fmt.Errorf("record stocktake: %w", err)
		}
		// Lock levels in item order, as every multi-level writer does.
		order := make([]int, len(out.Lines))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(out.Lines[a].StockItemID, out.Lines[b].StockItemID) })
		for _, i := range order {
			l := &out.Lines[i]
			expected, err := w.lockLevel(ctx, shopID, l.StockItemID)
			if err != nil {
				return err
			}
			l.Expected, l.Variance = expected, l.Counted-expected
			if l.Variance != 0 {
				if _, _, err := w.apply(ctx, movementRecord{shopID: shopID, itemID: l.StockItemID, kind: StocktakeAdj,
					delta: l.Variance, note: note, actor: actor, reference: out.ID}); err != nil {
					return err
				}
			}
			if err := w.q.InsertStocktakeLine(ctx, inventorydb.InsertStocktakeLineParams{StocktakeID: out.ID,
				StockItemID: l.StockItemID, MerchantID: string(m), Expected: int64(l.Expected), Counted: int64(l.Counted),
				Variance: int64(l.Variance)}); err != nil {
				return fmt.Errorf("record stocktake line: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Stocktake{}, err
	}
	return out, nil
}

// lockLevel takes the row lock of a level (creating it empty when missing) and returns its quantity, which
// no other transaction can change until this one ends.
func (w *txWriter) lockLevel(ctx context.Context, shopID, itemID string) (Quantity, error) {
	p := inventorydb.LockLevelParams{MerchantID: string(w.m), ShopID: shopID, StockItemID: itemID}
	row, err := w.q.LockLevel(ctx, p)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := w.q.InsertLevel(ctx, inventorydb.InsertLevelParams{ShopID: shopID, StockItemID: itemID,
			MerchantID: string(w.m), CreatedAt: w.now}); err != nil {
			return 0, fmt.Errorf("create level: %w", err)
		}
		row, err = w.q.LockLevel(ctx, p)
	}
	if err != nil {
		return 0, fmt.Errorf("lock level: %w", err)
	}
	return Quantity(row.Quantity), nil
}

// ---- settings ----

// Settings returns shop shopID's inventory settings (the defaults when never set).
func (s *Service) Settings(ctx context.Context, m tenant.ID, shopID string) (InventorySettings, error) {
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return InventorySettings{}, err
	}
	var out InventorySettings
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		d, err := deductOn(ctx, inventorydb.New(tx), m, shopID)
		out = InventorySettings{ShopID: shopID, DeductOn: d}
		return err
	})
	return out, err
}

// SetSettings changes shop shopID's inventory settings. It returns an apperr.Invalid error for an unknown
// deduct_on, NotFound for a shop that is not m's.
func (s *Service) SetSettings(ctx context.Context, m tenant.ID, shopID string, in InventorySettings) (InventorySettings, error) {
	if in.DeductOn != DeductOnSubmit && in.DeductOn != DeductOnPaid {
		return InventorySettings{}, apperr.WithField("deduct_on", "must be submit or paid")
	}
	if err := s.checkShop(ctx, m, shopID); err != nil {
		return InventorySettings{}, err
	}
	err := s.write(ctx, m, func(w *txWriter) error {
		return w.q.UpsertSettings(ctx, inventorydb.UpsertSettingsParams{ShopID: shopID, MerchantID: string(m),
			DeductOn: string(in.DeductOn), UpdatedAt: w.now})
	})
	return InventorySettings{ShopID: shopID, DeductOn: in.DeductOn}, err
}

func deductOn(ctx context.Context, q *inventorydb.Queries, m tenant.ID, shopID string) (DeductOn, error) {
	row, err := q.GetSettings(ctx, inventorydb.GetSettingsParams{MerchantID: string(m), ShopID: shopID})
	if errors.Is(err, sql.ErrNoRows) {
		return DeductOnSubmit, nil
	}
	if err != nil {
		return "", fmt.Errorf("read inventory settings: %w", err)
	}
	return DeductOn(row.DeductOn), nil
}

// conflictAs gives a unique-constraint violation a message the caller understands; other errors pass.
func conflictAs(err error, message string) error {
	if err == nil {
		return nil
	}
	if mapped := db.MapError(err); apperr.Is(mapped, apperr.Conflict) {
		return apperr.Wrap(err, apperr.Conflict, message)
	}
	return err
}
