package inventory

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/goodgo/goodgo/internal/inventory/inventorydb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// StockRecipe owners.
const (
	ownerProduct = "product"
	ownerOption  = "option"
)

// maxSoldQuantity bounds an order line's quantity: beyond it the event is refused as malformed.
const maxSoldQuantity = 1_000_000

// SetProductRecipe replaces the recipe of product productID: what one unit sold consumes. An empty list
// clears it. It returns NotFound for a product that is not m's, an apperr.Invalid error listing bad fields
// (another merchant's item at ingredients[i].stock_item_id, a quantity ≤ 0, an item listed twice).
func (s *Service) SetProductRecipe(ctx context.Context, m tenant.ID, productID string, lines []QuantityLine) (StockRecipe, error) {
	return s.setRecipe(ctx, m, ownerProduct, productID, lines)
}

// SetOptionRecipe is SetProductRecipe for modifier option optionID (a topping consumes its ingredients
// for every unit of the line it is chosen on).
func (s *Service) SetOptionRecipe(ctx context.Context, m tenant.ID, optionID string, lines []QuantityLine) (StockRecipe, error) {
	return s.setRecipe(ctx, m, ownerOption, optionID, lines)
}

// ProductRecipe returns product productID's recipe (no ingredients when it has none).
func (s *Service) ProductRecipe(ctx context.Context, m tenant.ID, productID string) (StockRecipe, error) {
	return s.recipe(ctx, m, ownerProduct, productID)
}

// OptionRecipe returns modifier option optionID's recipe.
func (s *Service) OptionRecipe(ctx context.Context, m tenant.ID, optionID string) (StockRecipe, error) {
	return s.recipe(ctx, m, ownerOption, optionID)
}

func (s *Service) checkOwner(ctx context.Context, m tenant.ID, kind, id string) error {
	what := "product"
	if kind == ownerOption {
		what = "modifier option"
	}
	if id == "" || len(id) > 64 {
		return apperr.E(apperr.NotFound, "%s not found", what)
	}
	if s.catalog == nil {
		return nil
	}
	var err error
	if kind == ownerProduct {
		err = s.catalog.CheckProduct(ctx, m, id)
	} else {
		err = s.catalog.CheckModifierOption(ctx, m, id)
	}
	if apperr.Is(err, apperr.NotFound) {
		return apperr.Wrap(err, apperr.NotFound, what+" not found")
	}
	if err != nil {
		return fmt.Errorf("check %s %s: %w", what, id, err)
	}
	return nil
}

func (s *Service) setRecipe(ctx context.Context, m tenant.ID, kind, owner string, lines []QuantityLine) (StockRecipe, error) {
	var f fieldErrors
	if len(lines) > maxLines {
		f.add("ingredients", fmt.Sprintf("must have at most %d lines", maxLines))
	}
	for i, l := range lines {
		f.quantity(fmt.Sprintf("ingredients[%d].quantity", i), l.Quantity, "positive")
	}
	if err := f.err(); err != nil {
		return StockRecipe{}, err
	}
	if err := s.checkOwner(ctx, m, kind, owner); err != nil {
		return StockRecipe{}, err
	}
	var out StockRecipe
	err := s.write(ctx, m, func(w *txWriter) error {
		seen := map[string]bool{}
		var resolved []StockRecipeLine
		for i, l := range lines {
			field := fmt.Sprintf("ingredients[%d]", i)
			it, q, ok, err := w.line(ctx, &f, field, "quantity", l)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if seen[l.StockItemID] {
				f.add(field+".stock_item_id", "appears twice: give one line per item")
			}
			seen[l.StockItemID] = true
			resolved = append(resolved, StockRecipeLine{StockItemID: l.StockItemID, Name: it.row.Name, Unit: it.row.Unit, Quantity: q})
		}
		if err := f.err(); err != nil {
			return err
		}
		if err := w.q.DeleteRecipe(ctx, inventorydb.DeleteRecipeParams{MerchantID: string(m), OwnerKind: kind, OwnerID: owner}); err != nil {
			return fmt.Errorf("clear recipe: %w", err)
		}
		for i, l := range resolved {
			if err := w.q.InsertRecipeLine(ctx, inventorydb.InsertRecipeLineParams{OwnerKind: kind, OwnerID: owner,
				StockItemID: l.StockItemID, MerchantID: string(m), Quantity: int64(l.Quantity), Position: int32(i),
				CreatedAt: w.now}); err != nil {
				return fmt.Errorf("insert recipe line: %w", err)
			}
		}
		out = recipeOf(kind, owner, resolved)
		return nil
	})
	return out, err
}

func (s *Service) recipe(ctx context.Context, m tenant.ID, kind, owner string) (StockRecipe, error) {
	if err := s.checkOwner(ctx, m, kind, owner); err != nil {
		return StockRecipe{}, err
	}
	var lines []StockRecipeLine
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := inventorydb.New(tx).ListRecipe(ctx, inventorydb.ListRecipeParams{MerchantID: string(m), OwnerKind: kind, OwnerID: owner})
		if err != nil {
			return fmt.Errorf("read recipe: %w", err)
		}
		for _, r := range rows {
			lines = append(lines, StockRecipeLine{StockItemID: r.StockItemID, Name: r.Name, Unit: r.Unit, Quantity: Quantity(r.Quantity)})
		}
		return nil
	})
	return recipeOf(kind, owner, lines), err
}

func recipeOf(kind, owner string, lines []StockRecipeLine) StockRecipe {
	r := StockRecipe{Ingredients: lines}
	if r.Ingredients == nil {
		r.Ingredients = []StockRecipeLine{}
	}
	if kind == ownerProduct {
		r.ProductID = owner
	} else {
		r.ModifierOptionID = owner
	}
	return r
}

// ---- deduction ----

// HandleOrderEvent applies an order event to stock inside tx, the consumer's inbox transaction of
// ev.MerchantID (events.Consume(d, "inventory", s.HandleOrderEvent) on OrderSubject):
//   - order.lines_submitted, when the shop deducts on submit, and order.paid always: each line deducts
//     Σ recipe(product) + Σ recipe(options), times its quantity, as one sale movement per (line, stock item)
//     that the line has not deducted yet. (order.paid thus deducts only what submitting did not, whichever
//     the setting, so switching it never loses or doubles a sale.)
//   - order.lines_voided and order.refunded: every sale movement of those lines is reversed once.
//
// Products and options without a recipe deduct nothing; other event types are ignored. A malformed payload
// is an apperr.Invalid error (permanent: redelivery cannot fix it). Alerts the movements cause are written
// to the outbox in tx; the relay publishes them at its next poll.
func (s *Service) HandleOrderEvent(ctx context.Context, tx *sql.Tx, ev events.Event) error {
	w := newTxWriter(tx, ev.MerchantID, s.now())
	switch ev.Type {
	case EventOrderLinesSubmitted, EventOrderPaid:
		var data OrderLines
		if err := decodeOrderEvent(ev, &data); err != nil {
			return err
		}
		shopID := cmp.Or(data.ShopID, ev.ShopID)
		if ev.Type == EventOrderLinesSubmitted {
			d, err := deductOn(ctx, w.q, w.m, shopID)
			if err != nil || d != DeductOnSubmit {
				return err
			}
		}
		return w.deduct(ctx, shopID, data.Lines, ev.Type == EventOrderPaid)
	case EventOrderLinesVoided, EventOrderRefunded:
		var data OrderLinesReversed
		if err := decodeOrderEvent(ev, &data); err != nil {
			return err
		}
		return w.reverse(ctx, data.Lines)
	}
	return nil
}

func decodeOrderEvent(ev events.Event, v any) error {
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return apperr.Wrap(err, apperr.Invalid, "undecodable "+ev.Type+" event")
	}
	var shop string
	var lines []string
	switch d := v.(type) {
	case *OrderLines:
		shop = cmp.Or(d.ShopID, ev.ShopID)
		for _, l := range d.Lines {
			if l.ProductID == "" || l.Quantity <= 0 || l.Quantity > maxSoldQuantity {
				return apperr.E(apperr.Invalid, "%s event %s: line %q has no product or a quantity out of range",
					ev.Type, ev.ID, l.OrderLineID)
			}
			lines = append(lines, l.OrderLineID)
		}
	case *OrderLinesReversed:
		shop = "reversal" // reversals follow the sale movements' shops
		for _, l := range d.Lines {
			lines = append(lines, l.OrderLineID)
		}
	}
	if shop == "" {
		return apperr.E(apperr.Invalid, "%s event %s names no shop", ev.Type, ev.ID)
	}
	for _, id := range lines {
		if id == "" || len(id) > 64 {
			return apperr.E(apperr.Invalid, "%s event %s: an order line without a valid id", ev.Type, ev.ID)
		}
	}
	return nil
}

// deduct records the sale movements of lines in shopID. With onlyMissing it first skips the (line, item)
// pairs already deducted, so the common repeat (order.paid after submission) changes no level at all; the
// unique index still guards against a concurrent repeat.
func (w *txWriter) deduct(ctx context.Context, shopID string, lines []OrderLine, onlyMissing bool) error {
	recipes := map[[2]string][]inventorydb.RecipeIngredientsRow{}
	recipe := func(kind, id string) ([]inventorydb.RecipeIngredientsRow, error) {
		key := [2]string{kind, id}
		if r, ok := recipes[key]; ok {
			return r, nil
		}
		r, err := w.q.RecipeIngredients(ctx, inventorydb.RecipeIngredientsParams{MerchantID: string(w.m), OwnerKind: kind, OwnerID: id})
		if err != nil {
			return nil, fmt.Errorf("read recipe of %s %s: %w", kind, id, err)
		}
		recipes[key] = r
		return r, nil
	}
	var recs []movementRecord
	for _, l := range lines {
		perUnit := map[string]Quantity{}
		var order []string
		add := func(rows []inventorydb.RecipeIngredientsRow) {
			for _, r := range rows {
				if _, ok := perUnit[r.StockItemID]; !ok {
					order = append(order, r.StockItemID)
				}
				perUnit[r.StockItemID] += Quantity(r.Quantity)
			}
		}
		rows, err := recipe(ownerProduct, l.ProductID)
		if err != nil {
			return err
		}
		add(rows)
		for _, opt := range l.ModifierOptionIDs {
			if rows, err = recipe(ownerOption, opt); err != nil {
				return err
			}
			add(rows)
		}
		if len(order) == 0 {
			continue
		}
		done := map[string]bool{}
		if onlyMissing {
			prior, err := w.q.LineMovements(ctx, inventorydb.LineMovementsParams{MerchantID: string(w.m), Reference: l.OrderLineID})
			if err != nil {
				return fmt.Errorf("read sales of line %s: %w", l.OrderLineID, err)
			}
			for _, p := range prior {
				done[p.StockItemID] = done[p.StockItemID] || p.Kind == string(Sale)
			}
		}
		for _, item := range order {
			if done[item] {
				continue
			}
			q, ok := mulQuantity(perUnit[item], l.Quantity)
			if !ok {
				return apperr.E(apperr.Invalid, "order line %s: quantity out of range", l.OrderLineID)
			}
			recs = append(recs, movementRecord{shopID: shopID, itemID: item, kind: Sale, delta: -q, actor: "order",
				reference: l.OrderLineID})
		}
	}
	return w.applyAll(ctx, recs)
}

// reverse records, once per (line, item), the opposite of each sale movement of lines, in the shop of the sale.
func (w *txWriter) reverse(ctx context.Context, lines []OrderLineRef) error {
	var recs []movementRecord
	for _, l := range lines {
		moved, err := w.q.LineMovements(ctx, inventorydb.LineMovementsParams{MerchantID: string(w.m), Reference: l.OrderLineID})
		if err != nil {
			return fmt.Errorf("read sales of line %s: %w", l.OrderLineID, err)
		}
		for _, sale := range moved {
			if sale.Kind != string(Sale) || slices.ContainsFunc(moved, func(r inventorydb.InventoryMovement) bool {
				return r.Kind == string(SaleReversal) && r.StockItemID == sale.StockItemID
			}) {
				continue // a reversal, or a sale already given back; a line never deducted has nothing to give back
			}
			recs = append(recs, movementRecord{shopID: sale.ShopID, itemID: sale.StockItemID, kind: SaleReversal,
				delta: -Quantity(sale.Delta), actor: "order", reference: l.OrderLineID})
		}
	}
	return w.applyAll(ctx, recs)
}
