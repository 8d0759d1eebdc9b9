package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/goodgo/goodgo/internal/catalog/catalogdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// This file holds the module's data access on top of the sqlc queries (queries/*.sql → catalogdb): the
// reads several use cases share, the mapping from rows to domain types, and the two hand-written queries
// of PriceLines (their IN lists have one placeholder per id, which sqlc's PostgreSQL engine cannot express
// without arrays). Every function takes the merchant explicitly and runs inside the caller's transaction.

// notFound turns "no row" into a NotFound error naming what was looked for; other errors are wrapped.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Wrap(err, apperr.NotFound, what+" not found")
	}
	return fmt.Errorf("read %s: %w", what, err)
}

func categoryFromRow(r catalogdb.CatalogCategory) CatalogCategory {
	return CatalogCategory{ID: r.ID, Name: r.Name, Station: r.Station, SortOrder: int(r.SortOrder),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func loadCategory(ctx context.Context, q *catalogdb.Queries, m tenant.ID, id string) (CatalogCategory, error) {
	row, err := q.GetCategory(ctx, catalogdb.GetCategoryParams{MerchantID: string(m), ID: id})
	if err != nil {
		return CatalogCategory{}, notFound(err, "category")
	}
	return categoryFromRow(row), nil
}

// productFromRow maps a product row; its lists are filled by the caller.
func productFromRow(r catalogdb.CatalogProduct) CatalogProduct {
	p := CatalogProduct{ID: r.ID, Kind: r.Kind, CategoryID: r.CategoryID, Name: r.Name, NameEn: r.NameEn,
		Description: r.Description, Price: money.VND(r.Price), SKU: r.Sku, TaxClass: r.TaxClass,
		ImageFileID: r.ImageFileID, SortOrder: int(r.SortOrder), CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(), ModifierGroupIDs: []string{}, Variants: []CatalogVariant{},
		Components: []CatalogComponent{}}
	if r.ArchivedAt.Valid {
		t := r.ArchivedAt.Time.UTC()
		p.ArchivedAt = &t
	}
	return p
}

// loadProduct reads product id of merchant m, archived or not, with its variants, groups and components.
func loadProduct(ctx context.Context, q *catalogdb.Queries, m tenant.ID, id string) (CatalogProduct, error) {
	row, err := q.GetProduct(ctx, catalogdb.GetProductParams{MerchantID: string(m), ID: id})
	if err != nil {
		return CatalogProduct{}, notFound(err, "product")
	}
	p := productFromRow(row)
	if err := fillProduct(ctx, q, m, &p); err != nil {
		return CatalogProduct{}, err
	}
	return p, nil
}

// liveProduct reads a product that may still change: NotFound for another merchant's, Conflict once archived.
func liveProduct(ctx context.Context, q *catalogdb.Queries, m tenant.ID, id string) (CatalogProduct, error) {
	p, err := loadProduct(ctx, q, m, id)
	if err != nil {
		return CatalogProduct{}, err
	}
	if p.ArchivedAt != nil {
		return CatalogProduct{}, apperr.E(apperr.Conflict, "the product is archived")
	}
	return p, nil
}

func fillProduct(ctx context.Context, q *catalogdb.Queries, m tenant.ID, p *CatalogProduct) error {
	vs, err := q.ListVariants(ctx, catalogdb.ListVariantsParams{MerchantID: string(m), ProductID: p.ID})
	if err != nil {
		return fmt.Errorf("list variants: %w", err)
	}
	for _, v := range vs {
		p.Variants = append(p.Variants, CatalogVariant{ID: v.ID, Name: v.Name, Price: money.VND(v.Price)})
	}
	gs, err := q.ListProductGroups(ctx, catalogdb.ListProductGroupsParams{MerchantID: string(m), ProductID: p.ID})
	if err != nil {
		return fmt.Errorf("list product groups: %w", err)
	}
	p.ModifierGroupIDs = append(p.ModifierGroupIDs, gs...)
	cs, err := q.ListComboItems(ctx, catalogdb.ListComboItemsParams{MerchantID: string(m), ComboID: p.ID})
	if err != nil {
		return fmt.Errorf("list combo items: %w", err)
	}
	for _, c := range cs {
		p.Components = append(p.Components, CatalogComponent{ProductID: c.ProductID, Quantity: int(c.Quantity)})
	}
	return nil
}

// loadGroup reads a live modifier group of merchant m with its options.
func loadGroup(ctx context.Context, q *catalogdb.Queries, m tenant.ID, id string) (CatalogModifierGroup, error) {
	row, err := q.GetGroup(ctx, catalogdb.GetGroupParams{MerchantID: string(m), ID: id})
	if err != nil {
		return CatalogModifierGroup{}, notFound(err, "modifier group")
	}
	opts, err := q.ListOptions(ctx, catalogdb.ListOptionsParams{MerchantID: string(m), GroupID: id})
	if err != nil {
		return CatalogModifierGroup{}, fmt.Errorf("list options: %w", err)
	}
	g := groupFromRow(row)
	for _, o := range opts {
		g.Options = append(g.Options, optionFromRow(o))
	}
	return g, nil
}

func groupFromRow(r catalogdb.CatalogModifierGroup) CatalogModifierGroup {
	return CatalogModifierGroup{ID: r.ID, Name: r.Name, MinSelect: int(r.MinSelect), MaxSelect: int(r.MaxSelect),
		Options: []CatalogModifierOption{}, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

func optionFromRow(o catalogdb.CatalogModifierOption) CatalogModifierOption {
	return CatalogModifierOption{ID: o.ID, Name: o.Name, PriceDelta: money.VND(o.PriceDelta)}
}

// snapshot is a merchant's whole live catalog, read in a handful of queries: what menus, templates and
// shop transfers work from.
type snapshot struct {
	categories []CatalogCategory
	products   []CatalogProduct // live, each with its lists filled
	groups     []CatalogModifierGroup
	groupByID  map[string]*CatalogModifierGroup
}

func loadSnapshot(ctx context.Context, q *catalogdb.Queries, m tenant.ID) (*snapshot, error) {
	cats, err := q.ListCategories(ctx, string(m))
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	prods, err := q.ListLiveProducts(ctx, string(m))
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	variants, err := q.ListLiveVariants(ctx, string(m))
	if err != nil {
		return nil, fmt.Errorf("list variants: %w", err)
	}
	links, err := q.ListLiveProductGroups(ctx, string(m))
	if err != nil {
		return nil, fmt.Errorf("list product groups: %w", err)
	}
	combos, err := q.ListLiveComboItems(ctx, string(m))
	if err != nil {
		return nil, fmt.Errorf("list combo items: %w", err)
	}
	groups, err := q.ListGroups(ctx, string(m))
	if err != nil {
		return nil, fmt.Errorf("list modifier groups: %w", err)
	}
	options, err := q.ListLiveOptions(ctx, string(m))
	if err != nil {
		return nil, fmt.Errorf("list options: %w", err)
	}
	s := &snapshot{groupByID: make(map[string]*CatalogModifierGroup, len(groups))}
	for _, c := range cats {
		s.categories = append(s.categories, categoryFromRow(c))
	}
	s.groups = make([]CatalogModifierGroup, len(groups))
	for i, g := range groups {
		s.groups[i] = groupFromRow(g)
		s.groupByID[g.ID] = &s.groups[i]
	}
	for _, o := range options {
		if g := s.groupByID[o.GroupID]; g != nil {
			g.Options = append(g.Options, optionFromRow(o))
		}
	}
	s.products = make([]CatalogProduct, len(prods))
	index := make(map[string]*CatalogProduct, len(prods))
	for i, p := range prods {
		s.products[i] = productFromRow(p)
		index[p.ID] = &s.products[i]
	}
	for _, v := range variants {
		if p := index[v.ProductID]; p != nil {
			p.Variants = append(p.Variants, CatalogVariant{ID: v.ID, Name: v.Name, Price: money.VND(v.Price)})
		}
	}
	for _, l := range links {
		if p := index[l.ProductID]; p != nil {
			p.ModifierGroupIDs = append(p.ModifierGroupIDs, l.GroupID)
		}
	}
	for _, c := range combos {
		if p := index[c.ComboID]; p != nil {
			p.Components = append(p.Components, CatalogComponent{ProductID: c.ProductID, Quantity: int(c.Quantity)})
		}
	}
	return s, nil
}

// override is a shop's override of one product.
type override struct {
	price     *money.VND
	available bool
}

func loadOverrides(ctx context.Context, q *catalogdb.Queries, m tenant.ID, shopID string) (map[string]override, error) {
	rows, err := q.ListShopProducts(ctx, catalogdb.ListShopProductsParams{MerchantID: string(m), ShopID: shopID})
	if err != nil {
		return nil, fmt.Errorf("list shop overrides: %w", err)
	}
	out := make(map[string]override, len(rows))
	for _, r := range rows {
		out[r.ProductID] = override{price: nullPrice(r.Price), available: r.Available}
	}
	return out, nil
}

func nullPrice(n sql.NullInt64) *money.VND {
	if !n.Valid {
		return nil
	}
	v := money.VND(n.Int64)
	return &v
}

// ---- PriceLines' queries ----

// pricedProduct is a live product as one shop sells it.
type pricedProduct struct {
	id, kind, name, taxClass, categoryID, station string
	price                                         money.VND
	override                                      *money.VND
	available                                     bool
}

// attachment is a row of pricingAttachments: a variant ('v'), an option of a group attached to the owner
// product ('o'), or a combo component ('c', amount = quantity).
type attachment struct {
	kind, owner, id, name            string
	amount                           int64
	groupID, groupName               string
	minSelect, maxSelect, groupOrder int
}

// statements keeps PriceLines' queries prepared on SQLite, where parsing them was half the cost of a
// 10-line order. Their text depends only on how many ids they take, which padIDs rounds up to a few sizes,
// so a handful of statements serve every order. On PostgreSQL (db nil) pgx already caches statements by
// text per connection, and an explicit prepare per transaction only adds round trips.
type statements struct {
	db     *sql.DB
	mu     sync.Mutex
	byText map[string]*sql.Stmt
}

// query runs text with args in tx, through a cached prepared statement on SQLite.
func (st *statements) query(ctx context.Context, tx *sql.Tx, text string, args ...any) (*sql.Rows, error) {
	if st.db == nil {
		return tx.QueryContext(ctx, text, args...)
	}
	stmt, err := st.in(ctx, tx, text)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return stmt.QueryContext(ctx, args...)
}

// in returns the statement for text, bound to tx.
func (st *statements) in(ctx context.Context, tx *sql.Tx, text string) (*sql.Stmt, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	stmt, ok := st.byText[text]
	if !ok {
		var err error
		if stmt, err = st.db.PrepareContext(ctx, text); err != nil {
			return nil, err
		}
		if st.byText == nil {
			st.byText = map[string]*sql.Stmt{}
		}
		st.byText[text] = stmt
	}
	return tx.StmtContext(ctx, stmt), nil
}

// padIDs repeats the last id up to the next of 4, 8, 16, … ids (repeats do not change an IN list).
func padIDs(ids []string) []string {
	n := 4
	for n < len(ids) {
		n *= 2
	}
	out := make([]string, n)
	copy(out, ids)
	for i := len(ids); i < n; i++ {
		out[i] = ids[len(ids)-1]
	}
	return out
}

// placeholders returns "$from, $from+1, …" for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// pricingProducts reads, in one query, the live products ids and the components of the combos among them,
// with their category's station and shop shopID's override.
func pricingProducts(ctx context.Context, st *statements, tx *sql.Tx, m tenant.ID, shopID string, ids []string) (map[string]pricedProduct, error) {
	in := placeholders(3, len(ids))
	query := `SELECT p.id, p.kind, p.name, p.price, p.tax_class, p.category_id, c.station, o.price, o.available
FROM catalog_products p
JOIN catalog_categories c ON c.id = p.category_id AND c.merchant_id = p.merchant_id
LEFT JOIN catalog_shop_products o ON o.shop_id = $2 AND o.product_id = p.id AND o.merchant_id = p.merchant_id
WHERE p.merchant_id = $1 AND p.archived_at IS NULL
  AND (p.id IN (` + in + `) OR p.id IN (SELECT ci.product_id FROM catalog_combo_items ci
       WHERE ci.merchant_id = $1 AND ci.combo_id IN (` + in + `)))`
	args := make([]any, 0, 2+len(ids))
	args = append(args, string(m), shopID)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := st.query(ctx, tx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read products to price: %w", err)
	}
	defer rows.Close()
	out := make(map[string]pricedProduct, len(ids))
	for rows.Next() {
		var (
			p         pricedProduct
			price     int64
			overPrice sql.NullInt64
			avail     sql.NullBool
		)
		if err := rows.Scan(&p.id, &p.kind, &p.name, &price, &p.taxClass, &p.categoryID, &p.station, &overPrice, &avail); err != nil {
			return nil, fmt.Errorf("read products to price: %w", err)
		}
		p.price, p.override, p.available = money.VND(price), nullPrice(overPrice), !avail.Valid || avail.Bool
		out[p.id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read products to price: %w", err)
	}
	return out, nil
}

// pricingAttachments reads, in one query, the variants, attached groups' options and combo components of
// the products ids.
func pricingAttachments(ctx context.Context, st *statements, tx *sql.Tx, m tenant.ID, ids []string) ([]attachment, error) {
	in := placeholders(2, len(ids))
	query := `SELECT 'v', v.product_id, v.id, v.name, v.price, '', '', 0, 0, 0, v.sort_order
FROM catalog_variants v WHERE v.merchant_id = $1 AND v.product_id IN (` + in + `)
UNION ALL
SELECT 'o', l.product_id, o.id, o.name, o.price_delta, g.id, g.name, g.min_select, g.max_select, l.sort_order, o.sort_order
FROM catalog_product_modifier_groups l
JOIN catalog_modifier_groups g ON g.id = l.group_id AND g.merchant_id = l.merchant_id AND g.deleted_at IS NULL
JOIN catalog_modifier_options o ON o.group_id = g.id AND o.merchant_id = g.merchant_id
WHERE l.merchant_id = $1 AND l.product_id IN (` + in + `)
UNION ALL
SELECT 'c', ci.combo_id, ci.product_id, '', ci.quantity, '', '', 0, 0, 0, ci.sort_order
FROM catalog_combo_items ci WHERE ci.merchant_id = $1 AND ci.combo_id IN (` + in + `)
ORDER BY 1, 2, 10, 11, 3`
	args := make([]any, 0, 1+len(ids))
	args = append(args, string(m))
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := st.query(ctx, tx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read variants and options to price: %w", err)
	}
	defer rows.Close()
	var out []attachment
	for rows.Next() {
		var (
			a                    attachment
			minSel, maxSel, gOrd int64
			order                int64
		)
		if err := rows.Scan(&a.kind, &a.owner, &a.id, &a.name, &a.amount, &a.groupID, &a.groupName, &minSel, &maxSel, &gOrd, &order); err != nil {
			return nil, fmt.Errorf("read variants and options to price: %w", err)
		}
		a.minSelect, a.maxSelect, a.groupOrder = int(minSel), int(maxSel), int(gOrd)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read variants and options to price: %w", err)
	}
	return out, nil
}
