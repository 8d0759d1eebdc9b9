// Package catalog is the menu module: a merchant's categories (each routed to a kitchen station), products
// with their variants (sizes) and modifier groups (sugar, ice, toppings), combos, and each shop's overrides of
// that menu (its own price, the sold-out toggle). It serves the menu to staff terminals and, cached, to
// customers' QR menus, prices order lines for the order module, and copies itself when a shop changes hands.
//
// Invariants the module keeps:
//   - Every live product of a merchant is on every shop's menu at the merchant price, unless the shop
//     overrides the price or marks it unavailable. A shop's price override shifts the product's variants by
//     the same amount (variant price + override − merchant price, never below 0).
//   - Money is whole đồng: prices and option deltas are ≥ 0. A modifier group asks for between min_select and
//     max_select of its options, with 0 ≤ min ≤ max, 1 ≤ max ≤ number of options.
//   - A category is not deleted while live products use it; a product is not archived while a live combo
//     holds it; a combo holds only live single (non-combo) products. SKUs are unique among live products,
//     names among live categories and among live modifier groups of a merchant. The catalog writers of one
//     merchant are serialised (catalog_locks), so these rules hold under concurrency.
//   - Texts are stored NFC-normalised (Vietnamese typed on different keyboards compares equal) and trimmed.
//   - Every write that changes what a shop sells writes, in its transaction, a realtime event for each
//     affected live shop on shop.<shop_id>.menu, and invalidates the merchant's cached menus after commit.
//
// Cross-tenant paths: the public menu resolves a shop by id alone through Shops.PublicShop (the lead's
// adapter, audited there) and then reads the catalog in a tenant transaction of the shop's merchant;
// CopyForShopTransfer runs inside the caller's db.WithSystemTx, which the system_transfer policies admit.
package catalog

import (
	"embed"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables (categories, products, variants, modifier groups and options,
// combo items, shop overrides) on either engine.
var Migrations = migrate.Embedded("catalog", migrationFiles)

// Domain events, written to the outbox on Subject with the product as data.
const (
	Subject              = "catalog.events"
	EventProductCreated  = "product.created"
	EventProductUpdated  = "product.updated"
	EventProductArchived = "product.archived"
)

// Realtime events for a shop's screens, on MenuSubject(shopID).
const (
	// EventMenuChanged says products of the shop's menu changed (price, name, modifiers, category…); data is
	// MenuChange. Screens refetch the menu.
	EventMenuChanged = "menu.changed"
	// EventAvailabilityChanged says a product was marked sold out or back in the shop; data is
	// AvailabilityChange.
	EventAvailabilityChanged = "product.availability_changed"
)

// MenuSubject is the subject of the realtime menu events of shop shopID.
func MenuSubject(shopID string) string { return "shop." + shopID + ".menu" }

// MenuChange is the data of a menu.changed event. ProductIDs may be empty when only the layout changed
// (categories renamed or reordered).
type MenuChange struct {
	ShopID     string   `json:"shop_id"`
	ProductIDs []string `json:"product_ids"`
}

// AvailabilityChange is the data of a product.availability_changed event.
type AvailabilityChange struct {
	ShopID    string `json:"shop_id"`
	ProductID string `json:"product_id"`
	Available bool   `json:"available"`
}

// The stations every merchant has; a category may also name a station of the merchant's own (a slug).
const (
	StationKitchen = "kitchen"
	StationBar     = "bar"
	StationGrill   = "grill"
)

// Product kinds.
const (
	KindItem  = "item"
	KindCombo = "combo"
)

// Tax classes: what VAT rate the order module applies to a product's lines.
const (
	TaxStandard = "standard" // the shop's VAT rate
	TaxReduced  = "reduced"  // the reduced rate
	TaxExempt   = "exempt"   // no VAT
)

// CatalogCategory groups products on the menu; Station routes its lines on the kitchen display.
type CatalogCategory struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Station   string    `json:"station" doc:"kitchen, bar, grill or a lower-case slug of the merchant's own."`
	SortOrder int       `json:"sort_order"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CategoryInput creates a category; a nil SortOrder puts it last.
type CategoryInput struct {
	Name      string
	Station   string
	SortOrder *int
}

// CategoryPatch changes a category; nil fields keep their value.
type CategoryPatch struct {
	Name      *string
	Station   *string
	SortOrder *int
}

// CatalogVariant is a size of a product with its own price (the merchant's, or the shop's in a menu).
type CatalogVariant struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Price money.VND `json:"price"`
}

// CatalogComponent is one product of a combo and how many of it the combo holds.
type CatalogComponent struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// CatalogProduct is a product of the merchant's catalog at the merchant price.
type CatalogProduct struct {
	ID               string             `json:"id"`
	Kind             string             `json:"kind" enum:"item,combo"`
	CategoryID       string             `json:"category_id"`
	Name             string             `json:"name"`
	NameEn           string             `json:"name_en"`
	Description      string             `json:"description"`
	Price            money.VND          `json:"price" doc:"Merchant price in đồng (VAT included unless the shop says otherwise)."`
	SKU              string             `json:"sku"`
	TaxClass         string             `json:"tax_class" enum:"standard,reduced,exempt"`
	ImageFileID      string             `json:"image_file_id"`
	SortOrder        int                `json:"sort_order"`
	ModifierGroupIDs []string           `json:"modifier_group_ids" doc:"Attached modifier groups, in the order shown."`
	Variants         []CatalogVariant   `json:"variants"`
	Components       []CatalogComponent `json:"components" doc:"A combo's products; empty for single products."`
	CreatedAt        time.Time          `json:"created_at"`
	UpdatedAt        time.Time          `json:"updated_at"`
	ArchivedAt       *time.Time         `json:"archived_at"`
}

// VariantInput is one variant of a product's new variant list: with the ID of an existing variant it keeps
// that id (orders and recipes refer to it), without one it is new.
type VariantInput struct {
	ID    string
	Name  string
	Price money.VND
}

// ProductInput creates a product. Kind defaults to item and TaxClass to standard.
type ProductInput struct {
	Kind             string
	CategoryID       string
	Name             string
	NameEn           string
	Description      string
	Price            money.VND
	SKU              string
	TaxClass         string
	ImageFileID      string
	SortOrder        int
	ModifierGroupIDs []string
	Variants         []VariantInput
	Components       []CatalogComponent
}

// ProductPatch changes a product; nil fields keep their value. A non-nil slice replaces the whole list
// (an empty one clears it). The kind cannot change.
type ProductPatch struct {
	CategoryID       *string
	Name             *string
	NameEn           *string
	Description      *string
	Price            *money.VND
	SKU              *string
	TaxClass         *string
	ImageFileID      *string
	SortOrder        *int
	ModifierGroupIDs []string
	Variants         []VariantInput
	Components       []CatalogComponent
}

// ProductPage is one page of products and the cursor of the next ("" at the end).
type ProductPage struct {
	Items      []CatalogProduct `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// CatalogModifierOption is one choice of a modifier group.
type CatalogModifierOption struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	PriceDelta money.VND `json:"price_delta" doc:"Added to the line's unit price, ≥ 0."`
}

// CatalogModifierGroup is a choice offered with products: between MinSelect and MaxSelect of its options.
type CatalogModifierGroup struct {
	ID        string                  `json:"id"`
	Name      string                  `json:"name"`
	MinSelect int                     `json:"min_select"`
	MaxSelect int                     `json:"max_select"`
	Options   []CatalogModifierOption `json:"options"`
	CreatedAt time.Time               `json:"created_at"`
	UpdatedAt time.Time               `json:"updated_at"`
}

// OptionInput is one option of a group's new option list; an ID keeps an existing option's id.
type OptionInput struct {
	ID         string
	Name       string
	PriceDelta money.VND
}

// ModifierGroupInput creates a modifier group.
type ModifierGroupInput struct {
	Name      string
	MinSelect int
	MaxSelect int
	Options   []OptionInput
}

// ModifierGroupPatch changes a group; nil fields keep their value, a non-nil Options replaces the list.
type ModifierGroupPatch struct {
	Name      *string
	MinSelect *int
	MaxSelect *int
	Options   []OptionInput
}

// CatalogShopProduct is a product as one shop sells it.
type CatalogShopProduct struct {
	ShopID        string     `json:"shop_id"`
	ProductID     string     `json:"product_id"`
	Price         money.VND  `json:"price" doc:"The price in this shop."`
	MerchantPrice money.VND  `json:"merchant_price"`
	OverridePrice *money.VND `json:"override_price" doc:"The shop's own price, null when it uses the merchant's."`
	Available     bool       `json:"available" doc:"false while the product is sold out in this shop."`
}

// ShopProductInput changes a shop's override of a product. SetPrice with a nil Price clears the override;
// a nil Available keeps the availability.
type ShopProductInput struct {
	SetPrice  bool
	Price     *money.VND
	Available *bool
}

// Menu is a shop's menu at its prices: the public QR menu (sold-out products omitted) or the staff menu
// (every live product, sold-out ones with available false).
type Menu struct {
	Shop       MenuShop       `json:"shop"`
	Categories []MenuCategory `json:"categories"`
}

// MenuShop names the shop of a menu.
type MenuShop struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// MenuCategory is a category of a menu with its products.
type MenuCategory struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Station  string        `json:"station"`
	Products []MenuProduct `json:"products"`
}

// MenuProduct is a product as a shop's menu shows it, at the shop's price.
type MenuProduct struct {
	ID             string              `json:"id"`
	Kind           string              `json:"kind" enum:"item,combo"`
	Name           string              `json:"name"`
	NameEn         string              `json:"name_en"`
	Description    string              `json:"description"`
	Price          money.VND           `json:"price"`
	Available      bool                `json:"available"`
	ImageURL       string              `json:"image_url" doc:"A signed thumbnail URL, empty without an image."`
	TaxClass       string              `json:"tax_class"`
	Variants       []CatalogVariant    `json:"variants"`
	ModifierGroups []MenuModifierGroup `json:"modifier_groups"`
	Components     []MenuComponent     `json:"components"`
}

// MenuModifierGroup is a modifier group as a menu shows it.
type MenuModifierGroup struct {
	ID        string                  `json:"id"`
	Name      string                  `json:"name"`
	MinSelect int                     `json:"min_select"`
	MaxSelect int                     `json:"max_select"`
	Options   []CatalogModifierOption `json:"options"`
}

// MenuComponent is a product inside a combo, as a menu shows it.
type MenuComponent struct {
	ProductID string `json:"product_id"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
}

// LineRequest asks for the price of one order line: a product (and its variant when it has variants),
// a quantity and the chosen modifier options.
type LineRequest struct {
	ProductID         string
	VariantID         string
	Quantity          int
	ModifierOptionIDs []string
}

// PricedLine is a line as the shop sells it: names and routing to copy onto the order line, and the unit
// price (shop price of the product or variant plus the chosen options' deltas).
type PricedLine struct {
	ProductID   string
	VariantID   string
	Kind        string
	Name        string
	VariantName string
	CategoryID  string
	Station     string
	TaxClass    string
	Quantity    int
	UnitPrice   money.VND
	Modifiers   []PricedModifier
	Components  []ComboComponent
}

// PricedModifier is a chosen option of a priced line.
type PricedModifier struct {
	OptionID   string
	GroupName  string
	Name       string
	PriceDelta money.VND
}

// ComboComponent is a product inside a priced combo line, with the station its tickets go to; Quantity is
// per one combo.
type ComboComponent struct {
	ProductID string
	Name      string
	Station   string
	Quantity  int
}

// Limits of the catalog's inputs.
const (
	maxNameLen        = 100
	maxDescriptionLen = 1000
	maxSKULen         = 64
	maxSortOrder      = 100000
	maxPrice          = money.VND(100_000_000_000) // 100 billion đồng: far above any menu price, far below overflow
	maxVariants       = 20
	maxOptions        = 50
	maxGroupsPerItem  = 20
	maxComponents     = 20
	maxComponentQty   = 99
	maxLineQuantity   = 9999
	maxLines          = 200
	maxLineOptions    = 30
)

// fieldErrors collects the problems of one input so the caller sees them all at once.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: message})
}

// text checks and normalises a free-text field: NFC, trimmed, at most max characters, not empty when required.
func (f *fieldErrors) text(field, value string, required bool, max int) string {
	if !utf8.ValidString(value) {
		f.add(field, "must be valid UTF-8")
		return value
	}
	v := norm.NFC.String(strings.TrimSpace(value))
	switch {
	case required && v == "":
		f.add(field, "must not be empty")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "must have at most "+strconv.Itoa(max)+" characters")
	}
	return v
}

func (f *fieldErrors) price(field string, v money.VND) {
	if v < 0 || v > maxPrice {
		f.add(field, "must be a whole number of đồng between 0 and "+strconv.FormatInt(int64(maxPrice), 10))
	}
}

func (f *fieldErrors) between(field string, v, lo, hi int) {
	if v < lo || v > hi {
		f.add(field, "must be between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
	}
}

// err returns the Invalid error listing every problem, or nil.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "validation failed", Fields: f}
}

// normalize is the stored form of a name: NFC and trimmed.
func normalize(s string) string { return norm.NFC.String(strings.TrimSpace(s)) }

// validStation accepts the built-in stations and a merchant's own as a lower-case slug of up to 32
// characters: kitchen displays subscribe to it (shop.<id>.kitchen.<station>), so it must be a subject token.
func validStation(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || i > 0 && (r == '-' || r == '_')
		if !ok {
			return false
		}
	}
	return true
}

func validateCategory(c CatalogCategory) (CatalogCategory, error) {
	var f fieldErrors
	c.Name = f.text("name", c.Name, true, maxNameLen)
	c.Station = strings.TrimSpace(c.Station)
	if !validStation(c.Station) {
		f.add("station", "must be kitchen, bar, grill or a lower-case slug of your own (a-z, 0-9, - and _, up to 32)")
	}
	f.between("sort_order", c.SortOrder, 0, maxSortOrder)
	return c, f.err()
}

// validateProduct checks a product as it would be stored (references to other rows are checked by the
// service) and returns it normalised.
func validateProduct(p CatalogProduct) (CatalogProduct, error) {
	var f fieldErrors
	p.Name = f.text("name", p.Name, true, maxNameLen)
	p.NameEn = f.text("name_en", p.NameEn, false, maxNameLen)
	p.Description = f.text("description", p.Description, false, maxDescriptionLen)
	p.SKU = f.text("sku", p.SKU, false, maxSKULen)
	p.CategoryID = strings.TrimSpace(p.CategoryID)
	if p.CategoryID == "" {
		f.add("category_id", "must not be empty")
	}
	f.price("price", p.Price)
	switch p.TaxClass {
	case TaxStandard, TaxReduced, TaxExempt:
	default:
		f.add("tax_class", "must be one of standard, reduced, exempt")
	}
	switch p.Kind {
	case KindItem:
		if len(p.Components) > 0 {
			f.add("components", "only a combo has components")
		}
	case KindCombo:
		if len(p.Components) == 0 {
			f.add("components", "a combo needs at least one product")
		}
		if len(p.Variants) > 0 {
			f.add("variants", "a combo has no variants")
		}
	default:
		f.add("kind", "must be item or combo")
	}
	f.between("sort_order", p.SortOrder, 0, maxSortOrder)
	if len(p.Variants) > maxVariants {
		f.add("variants", "at most "+strconv.Itoa(maxVariants)+" variants")
	}
	seen := map[string]bool{}
	for i := range p.Variants {
		v := &p.Variants[i]
		at := "variants[" + strconv.Itoa(i) + "]"
		v.Name = f.text(at+".name", v.Name, true, maxNameLen)
		f.price(at+".price", v.Price)
		if seen[strings.ToLower(v.Name)] {
			f.add(at+".name", "is used by another variant of the product")
		}
		seen[strings.ToLower(v.Name)] = true
	}
	if len(p.ModifierGroupIDs) > maxGroupsPerItem {
		f.add("modifier_group_ids", "at most "+strconv.Itoa(maxGroupsPerItem)+" groups")
	}
	groups := map[string]bool{}
	for i, id := range p.ModifierGroupIDs {
		if groups[id] {
			f.add("modifier_group_ids["+strconv.Itoa(i)+"]", "is listed twice")
		}
		groups[id] = true
	}
	if len(p.Components) > maxComponents {
		f.add("components", "at most "+strconv.Itoa(maxComponents)+" products")
	}
	comps := map[string]bool{}
	for i, c := range p.Components {
		at := "components[" + strconv.Itoa(i) + "]"
		f.between(at+".quantity", c.Quantity, 1, maxComponentQty)
		if comps[c.ProductID] {
			f.add(at+".product_id", "is listed twice")
		}
		comps[c.ProductID] = true
	}
	return p, f.err()
}

func validateGroup(g CatalogModifierGroup) (CatalogModifierGroup, error) {
	var f fieldErrors
	g.Name = f.text("name", g.Name, true, maxNameLen)
	n := len(g.Options)
	switch {
	case n == 0:
		f.add("options", "a group needs at least one option")
	case n > maxOptions:
		f.add("options", "at most "+strconv.Itoa(maxOptions)+" options")
	}
	if g.MaxSelect < 1 {
		f.add("max_select", "must be at least 1")
	} else if n > 0 && g.MaxSelect > n {
		f.add("max_select", "must not exceed the number of options ("+strconv.Itoa(n)+")")
	}
	if g.MinSelect < 0 {
		f.add("min_select", "must not be negative")
	} else if g.MinSelect > g.MaxSelect {
		f.add("min_select", "must not exceed max_select")
	}
	seen := map[string]bool{}
	for i := range g.Options {
		o := &g.Options[i]
		at := "options[" + strconv.Itoa(i) + "]"
		o.Name = f.text(at+".name", o.Name, true, maxNameLen)
		f.price(at+".price_delta", o.PriceDelta)
		if seen[strings.ToLower(o.Name)] {
			f.add(at+".name", "is used by another option of the group")
		}
		seen[strings.ToLower(o.Name)] = true
	}
	return g, f.err()
}

// shopPrice is what a shop charges for something the merchant prices at base, given the shop's override of
// the product's price (nil: none): the override itself for the product, and the same shift for its
// variants, never below 0.
func shopPrice(base, productPrice money.VND, override *money.VND) money.VND {
	if override == nil {
		return base
	}
	return max(0, base+*override-productPrice)
}
