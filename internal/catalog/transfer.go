package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/goodgo/goodgo/internal/catalog/catalogdb"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// CopyForShopTransfer gives merchant to what shop shopID sells when it moves from merchant from. It runs in
// the caller's transaction tx, which must be a db.WithSystemTx transaction (the catalog tables' system_transfer
// policies admit it on PostgreSQL).
//
// from's live categories, modifier groups (with options) and products (with variants, groups and combo
// components) are copied into to's catalog, reusing to's live ones with the same name: a category by name,
// a group by name, a product by name within its (mapped) category, a variant or option by name within its
// product or group (missing ones are added to the reused product or group). Every old id → new id
// (categories, groups, options, products, variants) is recorded in ids. Copies carry no SKU that to already
// uses and no image (files belong to from). The shop's overrides move to to with remapped product ids, and
// a menu.changed event for the shop is written.
//
// After the commit the caller must call ShopChanged(ctx, shopID, from, to) so cached menus are dropped.
func (s *Service) CopyForShopTransfer(ctx context.Context, tx *sql.Tx, shopID string, from, to tenant.ID, ids map[string]string) error {
	if from == to || from == "" || to == "" {
		return fmt.Errorf("copy catalog for shop transfer: bad merchants %q → %q", from, to)
	}
	q := catalogdb.New(tx)
	if err := q.LockCatalog(ctx, string(to)); err != nil {
		return fmt.Errorf("copy catalog: lock: %w", err)
	}
	src, err := loadSnapshot(ctx, q, from)
	if err != nil {
		return fmt.Errorf("copy catalog: read %s: %w", from, err)
	}
	dst, err := loadSnapshot(ctx, q, to)
	if err != nil {
		return fmt.Errorf("copy catalog: read %s: %w", to, err)
	}
	now := s.now()
	if _, err := mergeSnapshot(ctx, q, src, dst, to, ids, now, true); err != nil {
		return fmt.Errorf("copy catalog: %w", err)
	}

	// Move the shop's overrides.
	ov, err := loadOverrides(ctx, q, from, shopID)
	if err != nil {
		return fmt.Errorf("copy catalog: %w", err)
	}
	if err := q.DeleteShopProducts(ctx, catalogdb.DeleteShopProductsParams{MerchantID: string(from), ShopID: shopID}); err != nil {
		return fmt.Errorf("copy catalog: remove overrides: %w", err)
	}
	moved := []string{}
	for product, o := range ov {
		newID, ok := ids[product]
		if !ok {
			continue // an override of an archived product: nothing to sell any more
		}
		var price sql.NullInt64
		if o.price != nil {
			price = sql.NullInt64{Int64: int64(*o.price), Valid: true}
		}
		if err := q.UpsertShopProduct(ctx, catalogdb.UpsertShopProductParams{MerchantID: string(to), ShopID: shopID,
			ProductID: newID, Price: price, Available: o.available, UpdatedAt: now}); err != nil {
			return fmt.Errorf("copy catalog: move override: %w", err)
		}
		moved = append(moved, newID)
	}
	ev, err := newEvent(to, MenuSubject(shopID), shopID, EventMenuChanged, now, MenuChange{ShopID: shopID, ProductIDs: uniqueSorted(moved)})
	if err != nil {
		return err
	}
	return events.Add(ctx, tx, ev)
}

// merged counts what mergeSnapshot created.
type merged struct {
	Categories     int `json:"categories_created"`
	Products       int `json:"products_created"`
	ModifierGroups int `json:"modifier_groups_created"`
}

// mergeSnapshot copies src into merchant to, whose live catalog is dst, recording every src id → to's id in
// ids. It reuses dst's rows by name (categories, groups, products within their category) and creates what
// is missing. With extend, a reused product or group also gets the variants or options it lacks, so that
// every src id is mapped (a shop transfer); without, reused rows are left alone (a template).
func mergeSnapshot(ctx context.Context, q *catalogdb.Queries, src, dst *snapshot, to tenant.ID, ids map[string]string, now time.Time, extend bool) (merged, error) {
	var n merged
	cats := map[string]CatalogCategory{}
	nextSort := 0
	for _, c := range dst.categories {
		cats[c.Name] = c
		nextSort = max(nextSort, c.SortOrder+1)
	}
	for _, c := range src.categories {
		if d, ok := cats[c.Name]; ok {
			ids[c.ID] = d.ID
			continue
		}
		nc := c
		nc.SortOrder = min(nextSort, maxSortOrder)
		nextSort++
		nc, err := insertCategory(ctx, q, to, nc, false, now)
		if err != nil {
			return n, err
		}
		cats[nc.Name] = nc
		ids[c.ID] = nc.ID
		n.Categories++
	}

	groups := map[string]CatalogModifierGroup{}
	for _, g := range dst.groups {
		groups[g.Name] = g
	}
	for _, g := range src.groups {
		d, ok := groups[g.Name]
		if !ok {
			ng, err := insertGroup(ctx, q, to, g, now)
			if err != nil {
				return n, err
			}
			for i, o := range g.Options {
				ids[o.ID] = ng.Options[i].ID
			}
			groups[ng.Name] = ng
			ids[g.ID] = ng.ID
			n.ModifierGroups++
			continue
		}
		ids[g.ID] = d.ID
		byName := map[string]string{}
		for _, o := range d.Options {
			byName[o.Name] = o.ID
		}
		for _, o := range g.Options {
			if id, ok := byName[o.Name]; ok {
				ids[o.ID] = id
				continue
			}
			if !extend {
				continue
			}
			id := db.NewID()
			if err := q.InsertOption(ctx, catalogdb.InsertOptionParams{ID: id, MerchantID: string(to), GroupID: d.ID,
				Name: o.Name, PriceDelta: int64(o.PriceDelta), SortOrder: int32(len(byName))}); err != nil {
				return n, fmt.Errorf("add option: %w", err)
			}
			byName[o.Name] = id
			ids[o.ID] = id
		}
	}

	type key struct{ category, name string }
	products := map[key]CatalogProduct{}
	skus := map[string]bool{}
	for _, p := range dst.products {
		products[key{p.CategoryID, p.Name}] = p
		skus[p.SKU] = true
	}
	// Single products first: combos point at them.
	ordered := make([]CatalogProduct, 0, len(src.products))
	for _, p := range src.products {
		if p.Kind != KindCombo {
			ordered = append(ordered, p)
		}
	}
	for _, p := range src.products {
		if p.Kind == KindCombo {
			ordered = append(ordered, p)
		}
	}
	for _, p := range ordered {
		category, ok := ids[p.CategoryID]
		if !ok {
			continue // the category is not live: neither is the product on any menu
		}
		if d, ok := products[key{category, p.Name}]; ok {
			ids[p.ID] = d.ID
			if err := mapVariants(ctx, q, to, p, d, ids, extend); err != nil {
				return n, err
			}
			continue
		}
		np := p
		np.CategoryID, np.ImageFileID = category, ""
		if skus[np.SKU] {
			np.SKU = ""
		}
		np.ModifierGroupIDs = nil
		for _, g := range p.ModifierGroupIDs {
			if id, ok := ids[g]; ok {
				np.ModifierGroupIDs = append(np.ModifierGroupIDs, id)
			}
		}
		np.Components = nil
		for _, c := range p.Components {
			if id, ok := ids[c.ProductID]; ok {
				np.Components = append(np.Components, CatalogComponent{ProductID: id, Quantity: c.Quantity})
			}
		}
		if np.Kind == KindCombo && len(np.Components) == 0 {
			continue
		}
		stored, err := insertProduct(ctx, q, to, np, now)
		if err != nil {
			return n, err
		}
		for i, v := range p.Variants {
			ids[v.ID] = stored.Variants[i].ID
		}
		products[key{category, stored.Name}] = stored
		skus[stored.SKU] = true
		ids[p.ID] = stored.ID
		n.Products++
	}
	return n, nil
}

// mapVariants maps src product p's variants onto reused product d's by name, adding missing ones with extend.
func mapVariants(ctx context.Context, q *catalogdb.Queries, to tenant.ID, p, d CatalogProduct, ids map[string]string, extend bool) error {
	byName := map[string]string{}
	for _, v := range d.Variants {
		byName[v.Name] = v.ID
	}
	for _, v := range p.Variants {
		if id, ok := byName[v.Name]; ok {
			ids[v.ID] = id
			continue
		}
		if !extend {
			continue
		}
		id := db.NewID()
		if err := q.InsertVariant(ctx, catalogdb.InsertVariantParams{ID: id, MerchantID: string(to), ProductID: d.ID,
			Name: v.Name, Price: int64(v.Price), SortOrder: int32(len(byName))}); err != nil {
			return fmt.Errorf("add variant: %w", err)
		}
		byName[v.Name] = id
		ids[v.ID] = id
	}
	return nil
}
