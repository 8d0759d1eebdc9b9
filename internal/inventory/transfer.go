package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/goodgo/goodgo/internal/inventory/inventorydb"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// MoveShopStock moves shop shopID's stock from merchant from to merchant to, inside tx, the shop-transfer
// transaction opened with db.WithSystemTx after the catalog module has put its old→new product and option
// ids in ids. It:
//   - copies into to the stock items the shop's levels, movements and stocktakes use, and those the copied
//     recipes use, reusing to's item of the same name and unit (an item of the same name in another unit is
//     copied as "<name> (<unit>)"); pack units are copied where missing; old→new item ids are added to ids;
//   - copies from's recipe of every mapped product and option to its new id, unless to already has one;
//   - moves the shop's levels, movements, stocktakes and settings to to, with the new item ids.
//
// The shop's history stays whole: for every level the sum of its movements is still its quantity.
func (s *Service) MoveShopStock(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID, ids map[string]string) error {
	if from == "" || to == "" || from == to || shopID == "" {
		return fmt.Errorf("move shop stock: bad arguments (shop %q, from %q, to %q)", shopID, from, to)
	}
	mv := &stockMover{q: inventorydb.New(tx), from: from, to: to, now: s.now(), ids: ids, copied: map[string]bool{}}
	owners := slices.Sorted(maps.Keys(ids)) // the catalog's ids, before stock items join them

	var used []string
	for _, list := range []func(context.Context, inventorydb.ShopLevelItemsParams) ([]string, error){
		mv.q.ShopLevelItems,
		func(ctx context.Context, p inventorydb.ShopLevelItemsParams) ([]string, error) {
			return mv.q.ShopMovementItems(ctx, inventorydb.ShopMovementItemsParams(p))
		},
		func(ctx context.Context, p inventorydb.ShopLevelItemsParams) ([]string, error) {
			return mv.q.ShopStocktakeItems(ctx, inventorydb.ShopStocktakeItemsParams(p))
		},
	} {
		items, err := list(ctx, inventorydb.ShopLevelItemsParams{MerchantID: string(from), ShopID: shopID})
		if err != nil {
			return fmt.Errorf("move shop stock: list items: %w", err)
		}
		used = append(used, items...)
	}
	slices.Sort(used)
	used = slices.Compact(used)
	for _, old := range used {
		if _, err := mv.item(ctx, old); err != nil {
			return err
		}
	}

	for _, old := range owners {
		if err := mv.recipes(ctx, old, ids[old]); err != nil {
			return err
		}
	}

	for _, old := range used {
		p := inventorydb.MoveLevelsParams{ToMerchantID: string(to), ToItemID: ids[old], FromMerchantID: string(from),
			ShopID: shopID, FromItemID: old}
		if err := mv.q.MoveLevels(ctx, p); err != nil {
			return fmt.Errorf("move shop stock: levels of %s: %w", old, err)
		}
		if err := mv.q.MoveMovements(ctx, inventorydb.MoveMovementsParams(p)); err != nil {
			return fmt.Errorf("move shop stock: movements of %s: %w", old, err)
		}
		if err := mv.q.MoveStocktakeLines(ctx, inventorydb.MoveStocktakeLinesParams{ToMerchantID: string(to),
			ToItemID: ids[old], FromMerchantID: string(from), FromItemID: old, ShopID: shopID}); err != nil {
			return fmt.Errorf("move shop stock: stocktake lines of %s: %w", old, err)
		}
	}
	mp := inventorydb.MoveStocktakesParams{ToMerchantID: string(to), FromMerchantID: string(from), ShopID: shopID}
	if err := mv.q.MoveStocktakes(ctx, mp); err != nil {
		return fmt.Errorf("move shop stock: stocktakes: %w", err)
	}
	if err := mv.q.MoveSettings(ctx, inventorydb.MoveSettingsParams(mp)); err != nil {
		return fmt.Errorf("move shop stock: settings: %w", err)
	}
	return nil
}

// stockMover copies stock items and recipes from one merchant to another during a shop transfer.
type stockMover struct {
	q        *inventorydb.Queries
	from, to tenant.ID
	now      time.Time
	ids      map[string]string
	copied   map[string]bool
}

// item returns the receiving merchant's id for from's stock item old, copying the item when needed.
func (mv *stockMover) item(ctx context.Context, old string) (string, error) {
	if id, ok := mv.ids[old]; ok && mv.copied[old] {
		return id, nil
	}
	row, err := mv.q.GetStockItem(ctx, inventorydb.GetStockItemParams{MerchantID: string(mv.from), ID: old})
	if err != nil {
		return "", fmt.Errorf("move shop stock: read item %s: %w", old, err)
	}
	name := row.Name
	target, err := mv.q.GetStockItemByName(ctx, inventorydb.GetStockItemByNameParams{MerchantID: string(mv.to), NameKey: row.NameKey})
	if err == nil && target.Unit != row.Unit {
		name = row.Name + " (" + row.Unit + ")"
		target, err = mv.q.GetStockItemByName(ctx, inventorydb.GetStockItemByNameParams{MerchantID: string(mv.to), NameKey: nameKey(name)})
		if err == nil && target.Unit != row.Unit {
			return "", fmt.Errorf("move shop stock: the receiving merchant has %q in another unit than %s", name, row.Unit)
		}
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		target = inventorydb.InventoryStockItem{ID: db.NewID(), Unit: row.Unit}
		if err := mv.q.InsertStockItem(ctx, inventorydb.InsertStockItemParams{ID: target.ID, MerchantID: string(mv.to),
			Name: name, NameKey: nameKey(name), Unit: row.Unit, CreatedAt: mv.now}); err != nil {
			return "", fmt.Errorf("move shop stock: copy item %s: %w", old, err)
		}
	case err != nil:
		return "", fmt.Errorf("move shop stock: find item %q: %w", name, err)
	}
	have, err := mv.q.ListItemUnits(ctx, inventorydb.ListItemUnitsParams{MerchantID: string(mv.to), StockItemID: target.ID})
	if err != nil {
		return "", fmt.Errorf("move shop stock: units: %w", err)
	}
	units, err := mv.q.ListItemUnits(ctx, inventorydb.ListItemUnitsParams{MerchantID: string(mv.from), StockItemID: old})
	if err != nil {
		return "", fmt.Errorf("move shop stock: units: %w", err)
	}
	for _, u := range units {
		if slices.ContainsFunc(have, func(h inventorydb.InventoryItemUnit) bool { return h.Name == u.Name }) {
			continue
		}
		if err := mv.q.InsertItemUnit(ctx, inventorydb.InsertItemUnitParams{StockItemID: target.ID, Name: u.Name,
			MerchantID: string(mv.to), Factor: u.Factor, CreatedAt: mv.now}); err != nil {
			return "", fmt.Errorf("move shop stock: copy unit %s: %w", u.Name, err)
		}
	}
	mv.ids[old], mv.copied[old] = target.ID, true
	return target.ID, nil
}

// recipes copies from's recipes of owner old (a product or option) to owner new unless to has one.
func (mv *stockMover) recipes(ctx context.Context, old, new string) error {
	rows, err := mv.q.RecipesOfOwner(ctx, inventorydb.RecipesOfOwnerParams{MerchantID: string(mv.from), OwnerID: old})
	if err != nil {
		return fmt.Errorf("move shop stock: recipes of %s: %w", old, err)
	}
	skip := map[string]bool{}
	for _, r := range rows {
		if _, decided := skip[r.OwnerKind]; !decided {
			n, err := mv.q.CountRecipeLines(ctx, inventorydb.CountRecipeLinesParams{MerchantID: string(mv.to),
				OwnerKind: r.OwnerKind, OwnerID: new})
			if err != nil {
				return fmt.Errorf("move shop stock: recipe of %s: %w", new, err)
			}
			skip[r.OwnerKind] = n > 0
		}
		if skip[r.OwnerKind] {
			continue
		}
		item, err := mv.item(ctx, r.StockItemID)
		if err != nil {
			return err
		}
		if err := mv.q.InsertRecipeLine(ctx, inventorydb.InsertRecipeLineParams{OwnerKind: r.OwnerKind, OwnerID: new,
			StockItemID: item, MerchantID: string(mv.to), Quantity: r.Quantity, Position: r.Position,
			CreatedAt: mv.now}); err != nil {
			return fmt.Errorf("move shop stock: copy recipe of %s: %w", old, err)
		}
	}
	return nil
}
