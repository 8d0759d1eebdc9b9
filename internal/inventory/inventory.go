// Package inventory is the stock module: the merchant's stock items (ingredients and goods) with their units,
// stock levels per shop, the movements that change them (receipts, waste, adjustments, sales and their
// reversals, transfers between shops, stocktakes), reorder alerts, stock valuation, and recipes (bills of
// materials) through which order events deduct stock.
//
// Invariants the module keeps:
//   - Stock never silently goes wrong: a level changes only by `quantity = quantity + delta` in the same
//     transaction as the movement row recording delta and the level after it, so for every (shop, item) the
//     sum of the movements equals the level. Writers of one level are serialised by its row (the UPDATE takes
//     the lock on PostgreSQL; SQLite has one writer), so concurrent sales and stocktakes lose nothing.
//   - Quantities are exact: thousandths of the item's unit in a BIGINT, parsed from the JSON text.
//   - A sale is never refused for stock: levels may go negative, and the answer says so.
//   - An order line deducts each stock item at most once and is reversed at most once, and only if it was
//     deducted, whatever events arrive and however often (a unique index on (reference, item, kind)).
//   - Crossing a reorder level downwards writes stock.below_reorder_level, crossing back up stock.restored,
//     in the transaction of the movement.
//   - Another merchant's stock item, shop, product or option is never reachable: NotFound on a path, a
//     field error in a body.
//
// Cross-tenant path (the only one): MoveShopStock, run inside the shop-transfer system transaction; every
// table admits app.system = 'on' through a second policy (system_transfer) that a tenant transaction never
// satisfies.
//
// Not in this slice: recipes per variant (recipes belong to products and modifier options only), purchase
// orders and suppliers as records (a receipt names its supplier in free text).
package inventory

import (
	"context"
	"embed"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables on either engine.
var Migrations = migrate.Embedded("inventory", migrationFiles)

// Events the module writes: on Subject, and the same on the shop's stock topic (ShopSubject) for its screens.
const (
	Subject                = "inventory.events"
	EventBelowReorderLevel = "stock.below_reorder_level"
	EventRestored          = "stock.restored"
)

// ShopSubject is the realtime subject of a shop's stock alerts: shop.<shop_id>.stock.
func ShopSubject(shopID string) string { return "shop." + shopID + ".stock" }

// ReorderAlert is the data of stock.below_reorder_level and stock.restored.
type ReorderAlert struct {
	ShopID       string   `json:"shop_id"`
	StockItemID  string   `json:"stock_item_id"`
	Name         string   `json:"name"`
	Unit         string   `json:"unit"`
	Quantity     Quantity `json:"quantity"`
	ReorderLevel Quantity `json:"reorder_level"`
}

// The order events the module consumes (subject OrderSubject), published by the order module.
const (
	OrderSubject             = "order.events"
	EventOrderLinesSubmitted = "order.lines_submitted"
	EventOrderPaid           = "order.paid"
	EventOrderLinesVoided    = "order.lines_voided"
	EventOrderRefunded       = "order.refunded"
)

// OrderLines is the data of order.lines_submitted (the lines just sent to the kitchen) and order.paid (every
// live line of the order: voided lines are not listed).
type OrderLines struct {
	OrderID string      `json:"order_id"`
	ShopID  string      `json:"shop_id"`
	Lines   []OrderLine `json:"lines"`
}

// OrderLine is one line sold: Quantity whole units (> 0) of a product with its modifier options.
type OrderLine struct {
	OrderLineID       string   `json:"order_line_id"`
	ProductID         string   `json:"product_id"`
	Quantity          int64    `json:"quantity"`
	ModifierOptionIDs []string `json:"modifier_option_ids"`
}

// OrderLinesReversed is the data of order.lines_voided and order.refunded: the lines whose stock goes back.
type OrderLinesReversed struct {
	OrderID string         `json:"order_id"`
	ShopID  string         `json:"shop_id"`
	Lines   []OrderLineRef `json:"lines"`
}

// OrderLineRef names an order line.
type OrderLineRef struct {
	OrderLineID string `json:"order_line_id"`
}

// Shops is what the module needs of the merchant module.
type Shops interface {
	// CheckShop returns nil if shopID is a live shop of merchant m, an apperr.NotFound error otherwise.
	CheckShop(ctx context.Context, m tenant.ID, shopID string) error
}

// Catalog is what the module needs of the catalog module.
type Catalog interface {
	// CheckProduct returns nil if productID is a live product of merchant m, an apperr.NotFound error otherwise.
	CheckProduct(ctx context.Context, m tenant.ID, productID string) error
	// CheckModifierOption returns nil if optionID is a live modifier option of merchant m, apperr.NotFound
	// otherwise.
	CheckModifierOption(ctx context.Context, m tenant.ID, optionID string) error
}

// MovementKind says why a level changed.
type MovementKind string

// The movement kinds. Receipt, waste and adjustment are recorded by people; the others by the module.
const (
	Receipt      MovementKind = "receipt"
	Waste        MovementKind = "waste"
	Adjustment   MovementKind = "adjustment"
	Sale         MovementKind = "sale"
	SaleReversal MovementKind = "sale_reversal"
	TransferOut  MovementKind = "transfer_out"
	TransferIn   MovementKind = "transfer_in"
	StocktakeAdj MovementKind = "stocktake"
)

// DeductOn says when a shop's sales deduct stock.
type DeductOn string

// The deduction moments.
const (
	DeductOnSubmit DeductOn = "submit" // when lines are sent to the kitchen (the default)
	DeductOnPaid   DeductOn = "paid"   // when the order is paid
)

// InventorySettings are a shop's inventory settings.
type InventorySettings struct {
	ShopID   string   `json:"shop_id"`
	DeductOn DeductOn `json:"deduct_on" enum:"submit,paid" doc:"When sales deduct stock: submit (lines sent to the kitchen, default) or paid."`
}

// StockUnit is a pack unit of an item: 1 Name = Factor of the item's unit (1 thùng = 24 lon).
type StockUnit struct {
	Name   string   `json:"name"`
	Factor Quantity `json:"factor"`
}

// StockItem is one of the merchant's stock items.
type StockItem struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Unit      string      `json:"unit" doc:"The item's unit: g, kg, ml, l, pcs, or a counting unit of the merchant's (lon, chai, …)."`
	Units     []StockUnit `json:"units" doc:"Pack units besides the built-in conversions (kg↔g, l↔ml)."`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// StockLevel is an item's stock in one shop.
type StockLevel struct {
	StockItemID       string   `json:"stock_item_id"`
	Name              string   `json:"name"`
	Unit              string   `json:"unit"`
	Quantity          Quantity `json:"quantity"`
	ReorderLevel      Quantity `json:"reorder_level"`
	BelowReorderLevel bool     `json:"below_reorder_level"`
}

// ShopStock is a shop's stock levels.
type ShopStock struct {
	Items []StockLevel `json:"items"`
}

// StockReorderLine is an item below its reorder level and how much to order to bring it to twice that level.
type StockReorderLine struct {
	StockLevel
	SuggestedQuantity Quantity `json:"suggested_quantity" doc:"Twice the reorder level minus the quantity in stock."`
}

// StockReorderList is what a shop should order.
type StockReorderList struct {
	Items []StockReorderLine `json:"items"`
}

// StockValuationLine is an item's stock value: quantity × weighted average cost, in đồng rounded half-up.
type StockValuationLine struct {
	StockItemID string    `json:"stock_item_id"`
	Name        string    `json:"name"`
	Unit        string    `json:"unit"`
	Quantity    Quantity  `json:"quantity"`
	AverageCost money.VND `json:"average_cost" doc:"Weighted average cost in đồng per unit, updated by each receipt."`
	Value       money.VND `json:"value"`
}

// StockValuation is a shop's stock value.
type StockValuation struct {
	Items []StockValuationLine `json:"items"`
	Total money.VND            `json:"total"`
}

// StockMovement is one change of a level.
type StockMovement struct {
	ID            string       `json:"id"`
	ShopID        string       `json:"shop_id"`
	StockItemID   string       `json:"stock_item_id"`
	Kind          MovementKind `json:"kind" enum:"receipt,waste,adjustment,sale,sale_reversal,transfer_out,transfer_in,stocktake"`
	Quantity      Quantity     `json:"quantity" doc:"The signed change of the level, in the item's unit."`
	QuantityAfter Quantity     `json:"quantity_after" doc:"The level after this movement."`
	UnitCost      *money.VND   `json:"unit_cost" doc:"Receipts: cost in đồng per item unit."`
	Supplier      string       `json:"supplier"`
	Note          string       `json:"note"`
	Actor         string       `json:"actor" doc:"Who recorded it: a user id, or \"order\" for sales."`
	Reference     string       `json:"reference" doc:"The order line, transfer or stocktake it belongs to."`
	CreatedAt     time.Time    `json:"created_at"`
	// NegativeStock reports that the level is below zero after the movement (allowed: a sale is never refused).
	NegativeStock bool `json:"negative_stock"`
}

// StockMovementPage is a page of movements, newest first.
type StockMovementPage struct {
	Items      []StockMovement `json:"items"`
	NextCursor string          `json:"next_cursor"`
}

// StockRecipeLine is one ingredient of a recipe: Quantity of the item's unit per one unit sold.
type StockRecipeLine struct {
	StockItemID string   `json:"stock_item_id"`
	Name        string   `json:"name"`
	Unit        string   `json:"unit"`
	Quantity    Quantity `json:"quantity"`
}

// StockRecipe is what one unit sold of a product (or modifier option) consumes.
type StockRecipe struct {
	ProductID        string            `json:"product_id,omitempty"`
	ModifierOptionID string            `json:"modifier_option_id,omitempty"`
	Ingredients      []StockRecipeLine `json:"ingredients"`
}

// StockTransfer is stock moved from one shop to another of the same merchant.
type StockTransfer struct {
	ID         string              `json:"id"`
	FromShopID string              `json:"from_shop_id"`
	ToShopID   string              `json:"to_shop_id"`
	Lines      []StockTransferLine `json:"lines"`
	Note       string              `json:"note"`
	CreatedAt  time.Time           `json:"created_at"`
}

// StockTransferLine is one item of a transfer, in the item's unit.
type StockTransferLine struct {
	StockItemID string   `json:"stock_item_id"`
	Quantity    Quantity `json:"quantity"`
}

// Stocktake is a count of a shop's stock.
type Stocktake struct {
	ID        string          `json:"id"`
	ShopID    string          `json:"shop_id"`
	Note      string          `json:"note"`
	Lines     []StocktakeLine `json:"lines"`
	CreatedAt time.Time       `json:"created_at"`
}

// StocktakeLine is one item counted: the level when the count was applied, the count, and the difference
// a stocktake movement recorded (none when it is zero).
type StocktakeLine struct {
	StockItemID string   `json:"stock_item_id"`
	Expected    Quantity `json:"expected"`
	Counted     Quantity `json:"counted"`
	Variance    Quantity `json:"variance"`
}

// ---- inputs ----

// ItemInput creates a stock item (or finds the merchant's item of that name) with its level in a shop.
type ItemInput struct {
	Name         string
	Unit         string
	ReorderLevel Quantity
}

// UnitInput adds a pack unit to an item.
type UnitInput struct {
	Name   string
	Factor Quantity
}

// MovementInput records a receipt, waste or adjustment. Quantity is in Unit (the item's unit when empty).
type MovementInput struct {
	StockItemID string
	Kind        MovementKind
	Quantity    Quantity
	Unit        string
	UnitCost    *money.VND
	Supplier    string
	Note        string
}

// QuantityLine is an item and a quantity in Unit (the item's unit when empty).
type QuantityLine struct {
	StockItemID string
	Quantity    Quantity
	Unit        string
}

// TransferInput moves stock from the path shop to ToShopID.
type TransferInput struct {
	ToShopID string
	Lines    []QuantityLine
	Note     string
}

// StocktakeInput sets counted (absolute) quantities.
type StocktakeInput struct {
	Counts []QuantityLine
	Note   string
}

// ---- units ----

// The built-in units. kg↔g and l↔ml convert; pcs and a merchant's own counting units convert only through
// pack units.
const (
	UnitGram       = "g"
	UnitKilogram   = "kg"
	UnitMillilitre = "ml"
	UnitLitre      = "l"
	UnitPiece      = "pcs"
)

var baseUnits = map[string]bool{UnitGram: true, UnitKilogram: true, UnitMillilitre: true, UnitLitre: true, UnitPiece: true}

// builtIn is how many of "to" one "from" makes, for the built-in conversions.
var builtIn = map[[2]string]struct{ num, den int64 }{
	{UnitKilogram, UnitGram}:    {1000, 1},
	{UnitGram, UnitKilogram}:    {1, 1000},
	{UnitLitre, UnitMillilitre}: {1000, 1},
	{UnitMillilitre, UnitLitre}: {1, 1000},
}

const maxUnitLen = 20

// normUnit is a unit name as stored and compared: NFC, lower case, trimmed.
func normUnit(s string) string { return strings.ToLower(norm.NFC.String(strings.TrimSpace(s))) }

// validUnitName accepts a unit name: letters (any script) and spaces, 1 to 20 characters.
func validUnitName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > maxUnitLen {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) && r != ' ' {
			return false
		}
	}
	return true
}

// convert returns q, given in unit from, in the unit of an item measured in itemUnit with pack units packs.
// The result must be exact in thousandths of the item's unit. It returns a message for a field error.
func convert(q Quantity, from, itemUnit string, packs map[string]Quantity) (Quantity, string) {
	from = normUnit(from)
	if from == "" || from == itemUnit {
		return q, ""
	}
	num, den := int64(0), int64(1)
	if c, ok := builtIn[[2]string{from, itemUnit}]; ok {
		num, den = c.num, c.den
	} else if f, ok := packs[from]; ok {
		num, den = int64(f), QuantityScale
	} else {
		return 0, "unit " + strconv.Quote(from) + " does not convert to the item's unit " + strconv.Quote(itemUnit)
	}
	p := new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(num))
	r := new(big.Int)
	p.QuoRem(p, big.NewInt(den), r)
	if r.Sign() != 0 {
		return 0, "is more precise than 0.001 " + itemUnit + " once converted"
	}
	if !p.IsInt64() || abs(p.Int64()) > int64(MaxQuantity) {
		return 0, errQuantity
	}
	return Quantity(p.Int64()), ""
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// nameKey folds a stock item's name for uniqueness: NFC, lower case, inner spaces collapsed.
func nameKey(name string) string {
	return strings.ToLower(norm.NFC.String(strings.Join(strings.Fields(name), " ")))
}

// ---- validation ----

// fieldErrors collects the problems of one input so the caller sees them all at once.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: message})
}

// text checks a free-text field: trimmed, NFC, at most max characters, and not empty when required.
func (f *fieldErrors) text(field, value string, required bool, max int) string {
	v := norm.NFC.String(strings.TrimSpace(value))
	switch {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case required && v == "":
		f.add(field, "must not be empty")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "must have at most "+strconv.Itoa(max)+" characters")
	}
	return v
}

// quantity checks a quantity's bounds: min is "positive", "nonnegative" or "nonzero".
func (f *fieldErrors) quantity(field string, q Quantity, min string) {
	switch {
	case q > MaxQuantity || q < -MaxQuantity:
		f.add(field, errQuantity)
	case min == "positive" && q <= 0:
		f.add(field, "must be greater than 0")
	case min == "nonnegative" && q < 0:
		f.add(field, "must not be negative")
	case min == "nonzero" && q == 0:
		f.add(field, "must not be 0")
	}
}

// err returns the Invalid error listing every problem, or nil.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
}

// Field size limits.
const (
	maxNameLen     = 100
	maxNoteLen     = 500
	maxSupplierLen = 200
	maxLines       = 200
	maxUnitCost    = money.VND(1_000_000_000_000)
)

// encodeJSON marshals event data; the types here always marshal.
func encodeJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("inventory: encode event data: " + err.Error())
	}
	return b
}
