package inventory

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the module's operations on api. Every operation declares its permission; rbac.Guard
// checks it (and that a {shop_id} is reachable), and the service checks through Shops that the shop is the
// caller's merchant's (404 otherwise). Shop routes need Options.Shops, recipe routes Options.Catalog.
func (s *Service) Routes(api huma.API) {
	s.itemRoutes(api)
	if s.shops != nil {
		s.shopRoutes(api)
	}
	if s.catalog != nil {
		s.recipeRoutes(api)
	}
}

// numberText is a quantity as the client wrote it: the JSON number's text, which the handler parses
// exactly (ParseQuantity) so that a bad one is a field error at its own location. The schema (a number) is
// checked by huma before.
type numberText string

// UnmarshalJSON keeps the raw text.
func (n *numberText) UnmarshalJSON(b []byte) error { *n = numberText(b); return nil }

// Schema describes the field as a number (huma.SchemaProvider).
func (numberText) Schema(huma.Registry) *huma.Schema { return quantitySchema() }

// parse reads n into a Quantity, recording a field error at location when it is malformed; an absent
// optional value is 0.
func (n numberText) parse(f *fieldErrors, location string) Quantity {
	if n == "" {
		return 0
	}
	q, err := ParseQuantity(string(n))
	if err != nil {
		f.add(location, errQuantity)
	}
	return q
}

func op(id, method, path, summary string, perm rbac.Permission, status int) huma.Operation {
	return rbac.Operation(id, method, path, summary, []string{"Stock"}, perm, status)
}

// ---- merchant-level stock items ----

// StockItemList is the merchant's stock items.
type StockItemList struct {
	Items []StockItem `json:"items"`
}

type stockItemListOutput struct{ Body StockItemList }
type stockItemOutput struct{ Body StockItem }

type renameStockItemBody struct {
	Name string `json:"name" minLength:"1" maxLength:"100"`
}

type stockUnitBody struct {
	Name   string     `json:"name" minLength:"1" maxLength:"20" doc:"The pack unit, e.g. thùng."`
	Factor numberText `json:"factor" doc:"How many of the item's unit one pack holds, e.g. 24."`
}

type stockItemWith[B any] struct {
	StockItemID string `path:"stock_item_id" maxLength:"64"`
	Body        B
}

func (s *Service) itemRoutes(api huma.API) {
	huma.Register(api, op("list-stock-items", http.MethodGet, "/api/v1/stock-items",
		"The merchant's stock items (ingredients and goods) with their pack units", rbac.StockRead, 0),
		func(ctx context.Context, _ *struct{}) (*stockItemListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			items, err := s.StockItems(ctx, m)
			return &stockItemListOutput{Body: StockItemList{Items: items}}, err
		})
	huma.Register(api, op("rename-stock-item", http.MethodPatch, "/api/v1/stock-items/{stock_item_id}",
		"Rename a stock item (409 when another item has the name)", rbac.StockManage, 0),
		func(ctx context.Context, in *stockItemWith[renameStockItemBody]) (*stockItemOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			it, err := s.RenameStockItem(ctx, m, in.StockItemID, in.Body.Name)
			return &stockItemOutput{Body: it}, apperr.Located(err, "body")
		})
	huma.Register(api, op("add-stock-unit", http.MethodPost, "/api/v1/stock-items/{stock_item_id}/units",
		"Give a stock item a pack unit: 1 name = factor of the item's unit (1 thùng = 24 lon)", rbac.StockManage,
		http.StatusCreated),
		func(ctx context.Context, in *stockItemWith[stockUnitBody]) (*stockItemOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			var f fieldErrors
			factor := in.Body.Factor.parse(&f, "factor")
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			it, err := s.AddUnit(ctx, m, in.StockItemID, UnitInput{Name: in.Body.Name, Factor: factor})
			return &stockItemOutput{Body: it}, apperr.Located(err, "body")
		})
}

// ---- shop stock ----

type shopPath struct {
	ShopID string `path:"shop_id" maxLength:"64"`
}

type shopWith[B any] struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	Body   B
}

type createStockItemBody struct {
	Name         string     `json:"name" minLength:"1" maxLength:"100"`
	Unit         string     `json:"unit" minLength:"1" maxLength:"20" doc:"g, kg, ml, l, pcs, or a counting unit (lon, chai, …)."`
	ReorderLevel numberText `json:"reorder_level,omitempty" doc:"Below this quantity the shop is alerted (default 0)."`
}

type stockLevelOutput struct{ Body StockLevel }

type patchStockLevelInput struct {
	ShopID      string `path:"shop_id" maxLength:"64"`
	StockItemID string `path:"stock_item_id" maxLength:"64"`
	Body        patchStockLevelBody
}

type patchStockLevelBody struct {
	ReorderLevel numberText `json:"reorder_level"`
}

type stockMovementBody struct {
	StockItemID string       `json:"stock_item_id" minLength:"1" maxLength:"64"`
	Kind        MovementKind `json:"kind" enum:"receipt,waste,adjustment"`
	Quantity    numberText   `json:"quantity" doc:"Receipt and waste: > 0 (waste deducts). Adjustment: a signed change, not 0."`
	Unit        string       `json:"unit,omitempty" maxLength:"20" doc:"The unit of quantity; the item's unit when absent."`
	UnitCost    *int64       `json:"unit_cost,omitempty" minimum:"0" doc:"Receipts: đồng per item unit."`
	Supplier    string       `json:"supplier,omitempty" maxLength:"200"`
	Note        string       `json:"note,omitempty" maxLength:"500"`
}

type stockMovementOutput struct{ Body StockMovement }

type listMovementsInput struct {
	ShopID      string `path:"shop_id" maxLength:"64"`
	StockItemID string `query:"stock_item_id" maxLength:"64" doc:"Only this item's movements."`
	Limit       int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor      string `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
}

type stockMovementPageOutput struct{ Body StockMovementPage }
type shopStockOutput struct{ Body ShopStock }
type reorderListOutput struct{ Body StockReorderList }
type valuationOutput struct{ Body StockValuation }

type stockQuantityLineBody struct {
	StockItemID string     `json:"stock_item_id" minLength:"1" maxLength:"64"`
	Quantity    numberText `json:"quantity"`
	Unit        string     `json:"unit,omitempty" maxLength:"20"`
}

type stockTransferBody struct {
	ToShopID string                  `json:"to_shop_id" minLength:"1" maxLength:"64"`
	Lines    []stockQuantityLineBody `json:"lines" minItems:"1" maxItems:"200"`
	Note     string                  `json:"note,omitempty" maxLength:"500"`
}

type stockTransferOutput struct{ Body StockTransfer }

type stocktakeCountBody struct {
	StockItemID string     `json:"stock_item_id" minLength:"1" maxLength:"64"`
	Counted     numberText `json:"counted" doc:"The quantity counted (absolute), ≥ 0."`
	Unit        string     `json:"unit,omitempty" maxLength:"20"`
}

type stocktakeBody struct {
	Counts []stocktakeCountBody `json:"counts" minItems:"1" maxItems:"200"`
	Note   string               `json:"note,omitempty" maxLength:"500"`
}

type stocktakeOutput struct{ Body Stocktake }

type inventorySettingsBody struct {
	DeductOn DeductOn `json:"deduct_on" enum:"submit,paid"`
}

type inventorySettingsOutput struct{ Body InventorySettings }

// lines parses the quantities of body lines into QuantityLines, recording errors at <field>[i].<qty>.
func lines(f *fieldErrors, field, qty string, in []stockQuantityLineBody) []QuantityLine {
	out := make([]QuantityLine, len(in))
	for i, l := range in {
		out[i] = QuantityLine{StockItemID: l.StockItemID, Unit: l.Unit,
			Quantity: l.Quantity.parse(f, fmt.Sprintf("%s[%d].%s", field, i, qty))}
	}
	return out
}

func (s *Service) shopRoutes(api huma.API) {
	huma.Register(api, op("create-stock-item", http.MethodPost, "/api/v1/shops/{shop_id}/stock-items",
		"Stock an item in a shop: creates the merchant's stock item (or reuses the one of that name) and its level",
		rbac.StockManage, http.StatusCreated),
		func(ctx context.Context, in *shopWith[createStockItemBody]) (*stockLevelOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			var f fieldErrors
			reorder := in.Body.ReorderLevel.parse(&f, "reorder_level")
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			l, err := s.CreateStockItem(ctx, m, in.ShopID, ItemInput{Name: in.Body.Name, Unit: in.Body.Unit, ReorderLevel: reorder})
			return &stockLevelOutput{Body: l}, apperr.Located(err, "body")
		})
	huma.Register(api, op("update-stock-level", http.MethodPatch, "/api/v1/shops/{shop_id}/stock-items/{stock_item_id}",
		"Change an item's reorder level in a shop", rbac.StockManage, 0),
		func(ctx context.Context, in *patchStockLevelInput) (*stockLevelOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			var f fieldErrors
			level := in.Body.ReorderLevel.parse(&f, "reorder_level")
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			l, err := s.SetReorderLevel(ctx, m, in.ShopID, in.StockItemID, level)
			return &stockLevelOutput{Body: l}, apperr.Located(err, "body")
		})
	huma.Register(api, op("record-stock-movement", http.MethodPost, "/api/v1/shops/{shop_id}/stock-movements",
		"Record a receipt, waste or adjustment (waste: shop staff; receipts and adjustments: stock managers)",
		rbac.StockRecord, http.StatusCreated),
		func(ctx context.Context, in *shopWith[stockMovementBody]) (*stockMovementOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			if b.Kind != Waste && !rbac.Allows(p.RolesIn(in.ShopID), rbac.StockManage) {
				return nil, apperr.E(apperr.Forbidden, "your role may record waste only (%s)", rbac.StockManage)
			}
			var f fieldErrors
			q := b.Quantity.parse(&f, "quantity")
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			var cost *money.VND
			if b.UnitCost != nil {
				c := money.VND(*b.UnitCost)
				cost = &c
			}
			mv, err := s.RecordMovement(ctx, m, in.ShopID, p.UserID, MovementInput{StockItemID: b.StockItemID, Kind: b.Kind,
				Quantity: q, Unit: b.Unit, UnitCost: cost, Supplier: b.Supplier, Note: b.Note})
			return &stockMovementOutput{Body: mv}, apperr.Located(err, "body")
		})
	huma.Register(api, op("list-stock-movements", http.MethodGet, "/api/v1/shops/{shop_id}/stock-movements",
		"A shop's stock movements, newest first", rbac.StockRead, 0),
		func(ctx context.Context, in *listMovementsInput) (*stockMovementPageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.Movements(ctx, m, in.ShopID, MovementQuery{StockItemID: in.StockItemID, Limit: in.Limit, Cursor: in.Cursor})
			return &stockMovementPageOutput{Body: page}, apperr.Located(err, "query")
		})
	huma.Register(api, op("get-stock", http.MethodGet, "/api/v1/shops/{shop_id}/stock",
		"A shop's stock levels", rbac.StockRead, 0),
		func(ctx context.Context, in *shopPath) (*shopStockOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			st, err := s.Stock(ctx, m, in.ShopID)
			return &shopStockOutput{Body: st}, err
		})
	huma.Register(api, op("get-stock-reorder-list", http.MethodGet, "/api/v1/shops/{shop_id}/stock/reorder-list",
		"Items below their reorder level, with a quantity to order", rbac.StockRead, 0),
		func(ctx context.Context, in *shopPath) (*reorderListOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			l, err := s.ReorderList(ctx, m, in.ShopID)
			return &reorderListOutput{Body: l}, err
		})
	huma.Register(api, op("get-stock-valuation", http.MethodGet, "/api/v1/shops/{shop_id}/stock/valuation",
		"A shop's stock value at weighted average cost", rbac.StockRead, 0),
		func(ctx context.Context, in *shopPath) (*valuationOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.Valuation(ctx, m, in.ShopID)
			return &valuationOutput{Body: v}, err
		})
	huma.Register(api, op("create-stock-transfer", http.MethodPost, "/api/v1/shops/{shop_id}/stock-transfers",
		"Move stock to another shop of the merchant (both sides or neither)", rbac.StockManage, http.StatusCreated),
		func(ctx context.Context, in *shopWith[stockTransferBody]) (*stockTransferOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			if b.ToShopID != in.ShopID {
				if err := rbac.CheckShop(p, b.ToShopID, rbac.StockManage); err != nil {
					if apperr.Is(err, apperr.NotFound) {
						return nil, apperr.E(apperr.NotFound, "the receiving shop was not found")
					}
					return nil, err
				}
			}
			var f fieldErrors
			ls := lines(&f, "lines", "quantity", b.Lines)
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			t, err := s.TransferStock(ctx, m, in.ShopID, p.UserID, TransferInput{ToShopID: b.ToShopID, Lines: ls, Note: b.Note})
			return &stockTransferOutput{Body: t}, apperr.Located(err, "body")
		})
	huma.Register(api, op("create-stocktake", http.MethodPost, "/api/v1/shops/{shop_id}/stocktakes",
		"Apply counted quantities: each item's variance becomes a stocktake movement", rbac.StockManage, http.StatusCreated),
		func(ctx context.Context, in *shopWith[stocktakeBody]) (*stocktakeOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			var f fieldErrors
			counts := make([]QuantityLine, len(in.Body.Counts))
			for i, c := range in.Body.Counts {
				counts[i] = QuantityLine{StockItemID: c.StockItemID, Unit: c.Unit,
					Quantity: c.Counted.parse(&f, fmt.Sprintf("counts[%d].counted", i))}
			}
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			st, err := s.TakeStock(ctx, m, in.ShopID, p.UserID, StocktakeInput{Counts: counts, Note: in.Body.Note})
			return &stocktakeOutput{Body: st}, apperr.Located(err, "body")
		})
	huma.Register(api, op("get-inventory-settings", http.MethodGet, "/api/v1/shops/{shop_id}/inventory-settings",
		"A shop's inventory settings", rbac.StockRead, 0),
		func(ctx context.Context, in *shopPath) (*inventorySettingsOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			st, err := s.Settings(ctx, m, in.ShopID)
			return &inventorySettingsOutput{Body: st}, err
		})
	huma.Register(api, op("update-inventory-settings", http.MethodPut, "/api/v1/shops/{shop_id}/inventory-settings",
		"Choose when sales deduct stock: submit (default) or paid", rbac.StockManage, 0),
		func(ctx context.Context, in *shopWith[inventorySettingsBody]) (*inventorySettingsOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			st, err := s.SetSettings(ctx, m, in.ShopID, InventorySettings{DeductOn: in.Body.DeductOn})
			return &inventorySettingsOutput{Body: st}, apperr.Located(err, "body")
		})
}

// ---- recipes ----

type stockRecipeBody struct {
	Ingredients []stockQuantityLineBody `json:"ingredients" maxItems:"200" doc:"Quantities per one unit sold; an empty list clears the recipe."`
}

type stockRecipeOutput struct{ Body StockRecipe }

type productPath struct {
	ProductID string `path:"product_id" maxLength:"64"`
}

type productRecipeInput struct {
	ProductID string `path:"product_id" maxLength:"64"`
	Body      stockRecipeBody
}

type optionPath struct {
	OptionID string `path:"option_id" maxLength:"64"`
}

type optionRecipeInput struct {
	OptionID string `path:"option_id" maxLength:"64"`
	Body     stockRecipeBody
}

func (s *Service) recipeRoutes(api huma.API) {
	huma.Register(api, op("get-product-recipe", http.MethodGet, "/api/v1/products/{product_id}/recipe",
		"What one unit sold of a product consumes", rbac.StockRead, 0),
		func(ctx context.Context, in *productPath) (*stockRecipeOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			r, err := s.ProductRecipe(ctx, m, in.ProductID)
			return &stockRecipeOutput{Body: r}, err
		})
	huma.Register(api, op("put-product-recipe", http.MethodPut, "/api/v1/products/{product_id}/recipe",
		"Replace a product's recipe (quantities per one unit sold, in each item's unit after conversion)",
		rbac.StockManage, 0),
		func(ctx context.Context, in *productRecipeInput) (*stockRecipeOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			var f fieldErrors
			ls := lines(&f, "ingredients", "quantity", in.Body.Ingredients)
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			r, err := s.SetProductRecipe(ctx, m, in.ProductID, ls)
			return &stockRecipeOutput{Body: r}, apperr.Located(err, "body")
		})
	huma.Register(api, op("get-modifier-option-recipe", http.MethodGet, "/api/v1/modifier-options/{option_id}/recipe",
		"What a modifier option (a topping) consumes per unit of the line it is chosen on", rbac.StockRead, 0),
		func(ctx context.Context, in *optionPath) (*stockRecipeOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			r, err := s.OptionRecipe(ctx, m, in.OptionID)
			return &stockRecipeOutput{Body: r}, err
		})
	huma.Register(api, op("put-modifier-option-recipe", http.MethodPut, "/api/v1/modifier-options/{option_id}/recipe",
		"Replace a modifier option's recipe", rbac.StockManage, 0),
		func(ctx context.Context, in *optionRecipeInput) (*stockRecipeOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			var f fieldErrors
			ls := lines(&f, "ingredients", "quantity", in.Body.Ingredients)
			if err := f.err(); err != nil {
				return nil, apperr.Located(err, "body")
			}
			r, err := s.SetOptionRecipe(ctx, m, in.OptionID, ls)
			return &stockRecipeOutput{Body: r}, apperr.Located(err, "body")
		})
}
