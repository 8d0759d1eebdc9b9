package catalog

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/catalog/catalogdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/cache"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// ShopRef is what the catalog needs to know of a shop.
type ShopRef struct {
	ID         string
	MerchantID tenant.ID
	Name       string
}

// Shops gives the catalog the merchant module's shops (wired by the composition root).
type Shops interface {
	// Shop returns shopID if it is a live shop of merchant m (apperr.NotFound otherwise).
	Shop(ctx context.Context, m tenant.ID, shopID string) (ShopRef, error)
	// PublicShop resolves a live shop by id alone, for the public menu (a cross-tenant read). It returns
	// apperr.NotFound for an unknown or archived shop.
	PublicShop(ctx context.Context, shopID string) (ShopRef, error)
	// ShopIDs lists merchant m's live shops (to fan realtime events out).
	ShopIDs(ctx context.Context, m tenant.ID) ([]string, error)
}

// Images gives the catalog the storage module's image files (wired by the composition root).
type Images interface {
	// ImageURL checks that fileID is an image file of merchant m (apperr.NotFound otherwise) and returns a
	// signed URL of its thumbnail valid for ttl.
	ImageURL(ctx context.Context, m tenant.ID, fileID string, ttl time.Duration) (string, error)
}

// Options tune a Service.
type Options struct {
	// Nudge, if set, is called after a transaction that wrote events has committed (events.Relay.Nudge).
	Nudge func()
	// Shops resolves shops; required.
	Shops Shops
	// Images checks product images and signs their URLs; nil refuses image_file_id with a field error.
	Images Images
	// Cache holds the rendered menus; nil selects a private in-memory cache (one process only).
	Cache cache.Cache
	// Log receives failures that cannot fail the request (a cache invalidation after commit); nil discards.
	Log *slog.Logger
}

// Service runs the module's use cases, each in one transaction of the merchant it concerns.
type Service struct {
	db     *db.DB
	clk    clock.Clock
	nudge  func()
	shops  Shops
	images Images
	cache  cache.Cache
	log    *slog.Logger
	bodies bodyStore  // rendered menus by entity tag (see cachedMenu)
	stmts  statements // PriceLines' prepared queries
}

// New returns the service over d (migrated with Migrations and events.Migrations), telling time with clk.
// It panics without opts.Shops: every menu and fan-out needs it.
func New(d *db.DB, clk clock.Clock, opts Options) *Service {
	if opts.Shops == nil {
		panic("catalog: Options.Shops is required")
	}
	s := &Service{db: d, clk: clk, nudge: opts.Nudge, shops: opts.Shops, images: opts.Images, cache: opts.Cache, log: opts.Log}
	if d.Dialect() == db.SQLite {
		s.stmts.db = d.Reader()
	}
	if s.nudge == nil {
		s.nudge = func() {}
	}
	if s.cache == nil {
		s.cache = cache.NewMemory(cache.MemoryConfig{Clock: clk})
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s
}

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// newEvent builds an outbox event of merchant m.
func newEvent(m tenant.ID, subject, shopID, typ string, at time.Time, data any) (events.Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return events.Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return events.Event{ID: db.NewID(), Type: typ, Subject: subject, MerchantID: m, ShopID: shopID, OccurredAt: at, Data: b}, nil
}

// change collects what a write did, for the events written with it.
type change struct {
	menu       bool     // what the merchant's shops sell changed: menu.changed goes to every live shop
	productIDs []string // the products concerned, for menu.changed
	domain     []events.Event
}

// touch records that the menu changed, for the products ids (none: only the layout changed).
func (c *change) touch(ids ...string) {
	c.menu = true
	c.productIDs = append(c.productIDs, ids...)
}

func (c *change) productEvent(m tenant.ID, typ string, at time.Time, p CatalogProduct) error {
	ev, err := newEvent(m, Subject, "", typ, at, p)
	if err != nil {
		return err
	}
	c.domain = append(c.domain, ev)
	return nil
}

// write runs fn as one catalog write of merchant m: in a transaction that holds the merchant's catalog
// lock, followed by the realtime events for every live shop and the domain events fn recorded. After the
// commit the merchant's cached menus are dropped and the relay is nudged.
func (s *Service) write(ctx context.Context, m tenant.ID, fn func(tx *sql.Tx, q *catalogdb.Queries, c *change) error) error {
	// The shop list is read first, outside the write transaction: a shop created meanwhile loads a fresh
	// menu anyway.
	shops, err := s.shops.ShopIDs(ctx, m)
	if err != nil {
		return fmt.Errorf("list shops: %w", err)
	}
	var c change
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := catalogdb.New(tx)
		if err := q.LockCatalog(ctx, string(m)); err != nil {
			return fmt.Errorf("lock catalog: %w", err)
		}
		c = change{}
		if err := fn(tx, q, &c); err != nil {
			return err
		}
		evs := c.domain
		if c.menu {
			ids := uniqueSorted(c.productIDs)
			now := s.now()
			for _, shop := range shops {
				ev, err := newEvent(m, MenuSubject(shop), shop, EventMenuChanged, now, MenuChange{ShopID: shop, ProductIDs: ids})
				if err != nil {
					return err
				}
				evs = append(evs, ev)
			}
		}
		if len(evs) == 0 {
			return nil
		}
		return events.Add(ctx, tx, evs...)
	})
	if err != nil {
		return err
	}
	s.menusChanged(ctx, m)
	if len(c.domain) > 0 || c.menu && len(shops) > 0 {
		s.nudge()
	}
	return nil
}

// menusChanged drops merchant m's cached menus (after a commit). A failure is logged: the write stands,
// and the menus expire within menuTTL.
func (s *Service) menusChanged(ctx context.Context, m tenant.ID) {
	if err := s.cache.InvalidateGroup(context.WithoutCancel(ctx), menuGroup(m)); err != nil {
		s.log.Warn("catalog: cached menus not invalidated; they expire by TTL", "merchant_id", m, "error", err)
	}
}

func uniqueSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
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

// setIf copies *v into *dst when v is set (a PATCH field that was sent).
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// ---- categories ----

// CreateCategory creates a category of merchant m, last in the menu unless SortOrder says otherwise. It
// returns an apperr.Invalid error listing bad fields and an apperr.Conflict error when a live category
// already has the name.
func (s *Service) CreateCategory(ctx context.Context, m tenant.ID, in CategoryInput) (CatalogCategory, error) {
	c := CatalogCategory{Name: in.Name, Station: in.Station}
	setIf(&c.SortOrder, in.SortOrder)
	c, err := validateCategory(c)
	if err != nil {
		return CatalogCategory{}, err
	}
	err = s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		var err error
		c, err = insertCategory(ctx, q, m, c, in.SortOrder == nil, s.now())
		return err
	})
	if err != nil {
		return CatalogCategory{}, fmt.Errorf("create category: %w", err)
	}
	return c, nil
}

func insertCategory(ctx context.Context, q *catalogdb.Queries, m tenant.ID, c CatalogCategory, last bool, now time.Time) (CatalogCategory, error) {
	if last {
		next, err := q.NextCategorySortOrder(ctx, string(m))
		if err != nil {
			return CatalogCategory{}, fmt.Errorf("next sort order: %w", err)
		}
		c.SortOrder = min(int(next), maxSortOrder)
	}
	c.ID, c.CreatedAt, c.UpdatedAt = db.NewID(), now, now
	err := q.InsertCategory(ctx, catalogdb.InsertCategoryParams{ID: c.ID, MerchantID: string(m), Name: c.Name,
		Station: c.Station, SortOrder: int32(c.SortOrder), CreatedAt: now})
	if err != nil {
		return CatalogCategory{}, conflictAs(err, "a category named "+strconv.Quote(c.Name)+" already exists")
	}
	return c, nil
}

// Categories lists merchant m's live categories in menu order.
func (s *Service) Categories(ctx context.Context, m tenant.ID) ([]CatalogCategory, error) {
	out := []CatalogCategory{}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := catalogdb.New(tx).ListCategories(ctx, string(m))
		if err != nil {
			return fmt.Errorf("list categories: %w", err)
		}
		for _, r := range rows {
			out = append(out, categoryFromRow(r))
		}
		return nil
	})
	return out, err
}

// Category returns a live category of merchant m (apperr.NotFound otherwise).
func (s *Service) Category(ctx context.Context, m tenant.ID, id string) (CatalogCategory, error) {
	var out CatalogCategory
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadCategory(ctx, catalogdb.New(tx), m, id)
		return err
	})
	return out, err
}

// UpdateCategory changes a category's name, station or place. It returns apperr.NotFound for another
// merchant's, Invalid listing bad fields, and Conflict for a name another live category has.
func (s *Service) UpdateCategory(ctx context.Context, m tenant.ID, id string, p CategoryPatch) (CatalogCategory, error) {
	var out CatalogCategory
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		c, err := loadCategory(ctx, q, m, id)
		if err != nil {
			return err
		}
		setIf(&c.Name, p.Name)
		setIf(&c.Station, p.Station)
		setIf(&c.SortOrder, p.SortOrder)
		if c, err = validateCategory(c); err != nil {
			return err
		}
		c.UpdatedAt = s.now()
		_, err = q.UpdateCategory(ctx, catalogdb.UpdateCategoryParams{Name: c.Name, Station: c.Station,
			SortOrder: int32(c.SortOrder), UpdatedAt: c.UpdatedAt, MerchantID: string(m), ID: id})
		if err != nil {
			return conflictAs(err, "a category named "+strconv.Quote(c.Name)+" already exists")
		}
		ids, err := q.ListLiveProductIDsInCategory(ctx, catalogdb.ListLiveProductIDsInCategoryParams{MerchantID: string(m), CategoryID: id})
		if err != nil {
			return fmt.Errorf("list products of category: %w", err)
		}
		ch.touch(ids...)
		out = c
		return nil
	})
	if err != nil {
		return CatalogCategory{}, fmt.Errorf("update category %s: %w", id, err)
	}
	return out, nil
}

// DeleteCategory deletes an empty category. It returns apperr.Conflict while live products use it and
// NotFound for another merchant's or a deleted one.
func (s *Service) DeleteCategory(ctx context.Context, m tenant.ID, id string) error {
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		if _, err := loadCategory(ctx, q, m, id); err != nil {
			return err
		}
		ids, err := q.ListLiveProductIDsInCategory(ctx, catalogdb.ListLiveProductIDsInCategoryParams{MerchantID: string(m), CategoryID: id})
		if err != nil {
			return fmt.Errorf("list products of category: %w", err)
		}
		if len(ids) > 0 {
			return apperr.E(apperr.Conflict, "the category still has %d product(s): move or archive them first", len(ids))
		}
		if _, err := q.DeleteCategory(ctx, catalogdb.DeleteCategoryParams{Now: s.now(), MerchantID: string(m), ID: id}); err != nil {
			return fmt.Errorf("delete category: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete category %s: %w", id, err)
	}
	return nil
}

// ReorderCategories puts merchant m's live categories in the order of ids, which must list each of them
// exactly once (apperr.Invalid otherwise, field "category_ids"). It returns the categories in their new order.
func (s *Service) ReorderCategories(ctx context.Context, m tenant.ID, ids []string) ([]CatalogCategory, error) {
	var out []CatalogCategory
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		rows, err := q.ListCategories(ctx, string(m))
		if err != nil {
			return fmt.Errorf("list categories: %w", err)
		}
		byID := make(map[string]catalogdb.CatalogCategory, len(rows))
		for _, r := range rows {
			byID[r.ID] = r
		}
		var f fieldErrors
		seen := map[string]bool{}
		for i, id := range ids {
			at := "category_ids[" + strconv.Itoa(i) + "]"
			if _, ok := byID[id]; !ok {
				f.add(at, "is not a category of yours")
			} else if seen[id] {
				f.add(at, "is listed twice")
			}
			seen[id] = true
		}
		if len(f) == 0 && len(seen) != len(byID) {
			f.add("category_ids", "must list every category ("+strconv.Itoa(len(byID))+") exactly once")
		}
		if err := f.err(); err != nil {
			return err
		}
		now := s.now()
		out = make([]CatalogCategory, len(ids))
		for i, id := range ids {
			if _, err := q.SetCategorySortOrder(ctx, catalogdb.SetCategorySortOrderParams{SortOrder: int32(i),
				UpdatedAt: now, MerchantID: string(m), ID: id}); err != nil {
				return fmt.Errorf("reorder categories: %w", err)
			}
			c := categoryFromRow(byID[id])
			c.SortOrder, c.UpdatedAt = i, now
			out[i] = c
		}
		ch.touch()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reorder categories: %w", err)
	}
	return out, nil
}

// ---- products ----

// checkImage checks an image file before the transaction (storage is another module): NotFound becomes a
// field error of the input.
func (s *Service) checkImage(ctx context.Context, m tenant.ID, fileID string) error {
	if fileID == "" {
		return nil
	}
	if s.images == nil {
		return apperr.WithField("image_file_id", "product images are not available on this server")
	}
	if _, err := s.images.ImageURL(ctx, m, fileID, imageURLTTL); err != nil {
		if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
			return apperr.WithField("image_file_id", "is not an image file of yours")
		}
		return fmt.Errorf("check image: %w", err)
	}
	return nil
}

// checkReferences checks, inside the write transaction, that what product p points at is merchant m's and
// live: its category, modifier groups and (for a combo) component products, which must be single products.
func checkReferences(ctx context.Context, q *catalogdb.Queries, m tenant.ID, p CatalogProduct) error {
	var f fieldErrors
	if _, err := loadCategory(ctx, q, m, p.CategoryID); apperr.Is(err, apperr.NotFound) {
		f.add("category_id", "is not a category of yours")
	} else if err != nil {
		return err
	}
	for i, g := range p.ModifierGroupIDs {
		if _, err := q.GetGroup(ctx, catalogdb.GetGroupParams{MerchantID: string(m), ID: g}); err != nil {
			if err := notFound(err, "modifier group"); !apperr.Is(err, apperr.NotFound) {
				return err
			}
			f.add("modifier_group_ids["+strconv.Itoa(i)+"]", "is not a modifier group of yours")
		}
	}
	for i, c := range p.Components {
		at := "components[" + strconv.Itoa(i) + "].product_id"
		row, err := q.GetProduct(ctx, catalogdb.GetProductParams{MerchantID: string(m), ID: c.ProductID})
		switch {
		case err != nil && !apperr.Is(notFound(err, "product"), apperr.NotFound):
			return notFound(err, "product")
		case err != nil || row.ArchivedAt.Valid:
			f.add(at, "is not a live product of yours")
		case row.Kind != KindItem || row.ID == p.ID:
			f.add(at, "must be a single product, not a combo")
		}
	}
	return f.err()
}

// CreateProduct creates a product (a combo when Kind is combo) with its variants, modifier groups and
// components, and writes product.created. It returns an apperr.Invalid error listing bad fields (including
// a category, group or component that is not a live one of m's, and an image that is not m's), and an
// apperr.Conflict error for a SKU another live product has.
func (s *Service) CreateProduct(ctx context.Context, m tenant.ID, in ProductInput) (CatalogProduct, error) {
	p := CatalogProduct{Kind: in.Kind, CategoryID: in.CategoryID, Name: in.Name, NameEn: in.NameEn,
		Description: in.Description, Price: in.Price, SKU: in.SKU, TaxClass: in.TaxClass,
		ImageFileID: strings.TrimSpace(in.ImageFileID), SortOrder: in.SortOrder,
		ModifierGroupIDs: slices.Clone(in.ModifierGroupIDs), Components: slices.Clone(in.Components)}
	if p.Kind == "" {
		p.Kind = KindItem
	}
	if p.TaxClass == "" {
		p.TaxClass = TaxStandard
	}
	for _, v := range in.Variants {
		p.Variants = append(p.Variants, CatalogVariant{Name: v.Name, Price: v.Price})
	}
	p, err := validateProduct(p)
	if err != nil {
		return CatalogProduct{}, err
	}
	if err := s.checkImage(ctx, m, p.ImageFileID); err != nil {
		return CatalogProduct{}, err
	}
	var out CatalogProduct
	err = s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		if err := checkReferences(ctx, q, m, p); err != nil {
			return err
		}
		now := s.now()
		var err error
		if out, err = insertProduct(ctx, q, m, p, now); err != nil {
			return err
		}
		ch.touch(out.ID)
		return ch.productEvent(m, EventProductCreated, now, out)
	})
	if err != nil {
		return CatalogProduct{}, fmt.Errorf("create product: %w", err)
	}
	return out, nil
}

// insertProduct stores a validated product whose references were checked, with new ids for it and its
// variants.
func insertProduct(ctx context.Context, q *catalogdb.Queries, m tenant.ID, p CatalogProduct, now time.Time) (CatalogProduct, error) {
	p.ID, p.CreatedAt, p.UpdatedAt, p.ArchivedAt = db.NewID(), now, now, nil
	err := q.InsertProduct(ctx, catalogdb.InsertProductParams{ID: p.ID, MerchantID: string(m), CategoryID: p.CategoryID,
		Kind: p.Kind, Name: p.Name, NameEn: p.NameEn, Description: p.Description, Price: int64(p.Price), Sku: p.SKU,
		TaxClass: p.TaxClass, ImageFileID: p.ImageFileID, SortOrder: int32(p.SortOrder), CreatedAt: now})
	if err != nil {
		return CatalogProduct{}, conflictAs(err, "another product has SKU "+strconv.Quote(p.SKU))
	}
	variants := make([]VariantInput, len(p.Variants))
	for i, v := range p.Variants {
		variants[i] = VariantInput{Name: v.Name, Price: v.Price}
	}
	if p.Variants, err = replaceVariants(ctx, q, m, p.ID, nil, variants); err != nil {
		return CatalogProduct{}, err
	}
	if err := replaceGroups(ctx, q, m, p.ID, p.ModifierGroupIDs); err != nil {
		return CatalogProduct{}, err
	}
	if err := replaceComponents(ctx, q, m, p.ID, p.Components); err != nil {
		return CatalogProduct{}, err
	}
	if p.ModifierGroupIDs == nil {
		p.ModifierGroupIDs = []string{}
	}
	if p.Components == nil {
		p.Components = []CatalogComponent{}
	}
	return p, nil
}

// replaceVariants makes product's variants the list in, keeping the ids of those that name one of old,
// and returns the stored list.
func replaceVariants(ctx context.Context, q *catalogdb.Queries, m tenant.ID, product string, old []CatalogVariant, in []VariantInput) ([]CatalogVariant, error) {
	keep := map[string]bool{}
	for _, v := range in {
		if v.ID != "" {
			keep[v.ID] = true
		}
	}
	for _, v := range old {
		if !keep[v.ID] {
			if err := q.DeleteVariant(ctx, catalogdb.DeleteVariantParams{MerchantID: string(m), ProductID: product, ID: v.ID}); err != nil {
				return nil, fmt.Errorf("delete variant: %w", err)
			}
		}
	}
	out := make([]CatalogVariant, len(in))
	for i, v := range in {
		if v.ID != "" {
			if _, err := q.UpdateVariant(ctx, catalogdb.UpdateVariantParams{Name: v.Name, Price: int64(v.Price),
				SortOrder: int32(i), MerchantID: string(m), ProductID: product, ID: v.ID}); err != nil {
				return nil, fmt.Errorf("update variant: %w", err)
			}
		} else {
			v.ID = db.NewID()
			if err := q.InsertVariant(ctx, catalogdb.InsertVariantParams{ID: v.ID, MerchantID: string(m), ProductID: product,
				Name: v.Name, Price: int64(v.Price), SortOrder: int32(i)}); err != nil {
				return nil, fmt.Errorf("insert variant: %w", err)
			}
		}
		out[i] = CatalogVariant(v)
	}
	return out, nil
}

func replaceGroups(ctx context.Context, q *catalogdb.Queries, m tenant.ID, product string, groups []string) error {
	if err := q.DeleteProductGroups(ctx, catalogdb.DeleteProductGroupsParams{MerchantID: string(m), ProductID: product}); err != nil {
		return fmt.Errorf("detach groups: %w", err)
	}
	for i, g := range groups {
		if err := q.InsertProductGroup(ctx, catalogdb.InsertProductGroupParams{MerchantID: string(m), ProductID: product,
			GroupID: g, SortOrder: int32(i)}); err != nil {
			return fmt.Errorf("attach group: %w", err)
		}
	}
	return nil
}

func replaceComponents(ctx context.Context, q *catalogdb.Queries, m tenant.ID, combo string, comps []CatalogComponent) error {
	if err := q.DeleteComboItems(ctx, catalogdb.DeleteComboItemsParams{MerchantID: string(m), ComboID: combo}); err != nil {
		return fmt.Errorf("clear combo items: %w", err)
	}
	for i, c := range comps {
		if err := q.InsertComboItem(ctx, catalogdb.InsertComboItemParams{MerchantID: string(m), ComboID: combo,
			ProductID: c.ProductID, Quantity: int32(c.Quantity), SortOrder: int32(i)}); err != nil {
			return fmt.Errorf("insert combo item: %w", err)
		}
	}
	return nil
}

// Product returns a product of merchant m, archived or not (apperr.NotFound for another merchant's).
func (s *Service) Product(ctx context.Context, m tenant.ID, id string) (CatalogProduct, error) {
	var out CatalogProduct
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadProduct(ctx, catalogdb.New(tx), m, id)
		return err
	})
	return out, err
}

// Page sizes of ListProducts.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// ProductQuery selects a page of products.
type ProductQuery struct {
	CategoryID      string // only this category's products ("" for all)
	IncludeArchived bool
	Limit           int    // page size (0: DefaultPageSize; at most MaxPageSize)
	Cursor          string // NextCursor of the previous page, "" for the first
}

// ListProducts returns a page of merchant m's products in creation order. It returns an apperr.Invalid
// error for a cursor it did not make or a bad limit.
func (s *Service) ListProducts(ctx context.Context, m tenant.ID, in ProductQuery) (ProductPage, error) {
	limit := in.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return ProductPage{}, apperr.WithField("limit", "must be between 1 and "+strconv.Itoa(MaxPageSize))
	}
	after := ""
	if in.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.Cursor)
		if err != nil || len(raw) == 0 || len(raw) > 64 {
			return ProductPage{}, apperr.WithField("cursor", "is not a cursor this API returned")
		}
		after = string(raw)
	}
	page := ProductPage{Items: []CatalogProduct{}}
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := catalogdb.New(tx)
		rows, err := q.ListProductsAfter(ctx, catalogdb.ListProductsAfterParams{MerchantID: string(m), AfterID: after,
			CategoryID: in.CategoryID, IncludeArchived: in.IncludeArchived, PageSize: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list products: %w", err)
		}
		if len(rows) > limit {
			rows = rows[:limit]
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(rows[limit-1].ID))
		}
		// The lists of live products come from three merchant-wide queries rather than three per product.
		var snap *snapshot
		if len(rows) > 0 {
			if snap, err = loadSnapshot(ctx, q, m); err != nil {
				return err
			}
		}
		live := map[string]CatalogProduct{}
		if snap != nil {
			for _, p := range snap.products {
				live[p.ID] = p
			}
		}
		for _, r := range rows {
			p := productFromRow(r)
			if lp, ok := live[r.ID]; ok && p.ArchivedAt == nil {
				p.Variants, p.ModifierGroupIDs, p.Components = lp.Variants, lp.ModifierGroupIDs, lp.Components
			} else if err := fillProduct(ctx, q, m, &p); err != nil {
				return err
			}
			page.Items = append(page.Items, p)
		}
		return nil
	})
	if err != nil {
		return ProductPage{}, err
	}
	return page, nil
}

// UpdateProduct changes a live product and writes product.updated. Lists given replace the product's
// (variants keep the ids they name). It returns apperr.NotFound for another merchant's product, Conflict
// for an archived one or a SKU in use, and Invalid listing bad fields.
func (s *Service) UpdateProduct(ctx context.Context, m tenant.ID, id string, in ProductPatch) (CatalogProduct, error) {
	if in.ImageFileID != nil {
		if err := s.checkImage(ctx, m, strings.TrimSpace(*in.ImageFileID)); err != nil {
			return CatalogProduct{}, err
		}
	}
	var out CatalogProduct
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		old, err := liveProduct(ctx, q, m, id)
		if err != nil {
			return err
		}
		p := old
		setIf(&p.CategoryID, in.CategoryID)
		setIf(&p.Name, in.Name)
		setIf(&p.NameEn, in.NameEn)
		setIf(&p.Description, in.Description)
		setIf(&p.Price, in.Price)
		setIf(&p.SKU, in.SKU)
		setIf(&p.TaxClass, in.TaxClass)
		setIf(&p.ImageFileID, in.ImageFileID)
		p.ImageFileID = strings.TrimSpace(p.ImageFileID)
		setIf(&p.SortOrder, in.SortOrder)
		if in.ModifierGroupIDs != nil {
			p.ModifierGroupIDs = slices.Clone(in.ModifierGroupIDs)
		}
		if in.Components != nil {
			p.Components = slices.Clone(in.Components)
		}
		var f fieldErrors
		if in.Variants != nil {
			known := map[string]bool{}
			for _, v := range old.Variants {
				known[v.ID] = true
			}
			p.Variants = make([]CatalogVariant, len(in.Variants))
			for i, v := range in.Variants {
				if v.ID != "" && !known[v.ID] {
					f.add("variants["+strconv.Itoa(i)+"].id", "is not a variant of this product")
				}
				p.Variants[i] = CatalogVariant(v)
			}
		}
		if err := f.err(); err != nil {
			return err
		}
		if p, err = validateProduct(p); err != nil {
			return err
		}
		if err := checkReferences(ctx, q, m, p); err != nil {
			return err
		}
		now := s.now()
		p.UpdatedAt = now
		_, err = q.UpdateProduct(ctx, catalogdb.UpdateProductParams{CategoryID: p.CategoryID, Name: p.Name,
			NameEn: p.NameEn, Description: p.Description, Price: int64(p.Price), Sku: p.SKU, TaxClass: p.TaxClass,
			ImageFileID: p.ImageFileID, SortOrder: int32(p.SortOrder), UpdatedAt: now, MerchantID: string(m), ID: id})
		if err != nil {
			return conflictAs(err, "another product has SKU "+strconv.Quote(p.SKU))
		}
		if in.Variants != nil {
			vs := make([]VariantInput, len(p.Variants))
			for i, v := range p.Variants {
				vs[i] = VariantInput(v)
			}
			if p.Variants, err = replaceVariants(ctx, q, m, id, old.Variants, vs); err != nil {
				return err
			}
		}
		if in.ModifierGroupIDs != nil {
			if err := replaceGroups(ctx, q, m, id, p.ModifierGroupIDs); err != nil {
				return err
			}
		}
		if in.Components != nil {
			if err := replaceComponents(ctx, q, m, id, p.Components); err != nil {
				return err
			}
		}
		out = p
		ch.touch(id)
		return ch.productEvent(m, EventProductUpdated, now, p)
	})
	if err != nil {
		return CatalogProduct{}, fmt.Errorf("update product %s: %w", id, err)
	}
	return out, nil
}

// ArchiveProduct takes a product off every menu and writes product.archived; archiving an archived
// product does nothing. It returns apperr.Conflict while a live combo holds the product and NotFound for
// another merchant's.
func (s *Service) ArchiveProduct(ctx context.Context, m tenant.ID, id string) error {
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		p, err := loadProduct(ctx, q, m, id)
		if err != nil || p.ArchivedAt != nil {
			return err
		}
		combos, err := q.ListLiveCombosUsing(ctx, catalogdb.ListLiveCombosUsingParams{MerchantID: string(m), ProductID: id})
		if err != nil {
			return fmt.Errorf("list combos: %w", err)
		}
		if len(combos) > 0 {
			return apperr.E(apperr.Conflict, "the combo %q holds this product: change or archive it first", combos[0].Name)
		}
		now := s.now()
		if _, err := q.ArchiveProduct(ctx, catalogdb.ArchiveProductParams{Now: now, MerchantID: string(m), ID: id}); err != nil {
			return fmt.Errorf("archive product: %w", err)
		}
		p.ArchivedAt, p.UpdatedAt = &now, now
		ch.touch(id)
		return ch.productEvent(m, EventProductArchived, now, p)
	})
	if err != nil {
		return fmt.Errorf("archive product %s: %w", id, err)
	}
	return nil
}

// ---- modifier groups ----

// CreateModifierGroup creates a modifier group with its options. It returns an apperr.Invalid error
// listing bad fields and Conflict for a name another live group has.
func (s *Service) CreateModifierGroup(ctx context.Context, m tenant.ID, in ModifierGroupInput) (CatalogModifierGroup, error) {
	g := CatalogModifierGroup{Name: in.Name, MinSelect: in.MinSelect, MaxSelect: in.MaxSelect}
	for _, o := range in.Options {
		g.Options = append(g.Options, CatalogModifierOption{Name: o.Name, PriceDelta: o.PriceDelta})
	}
	g, err := validateGroup(g)
	if err != nil {
		return CatalogModifierGroup{}, err
	}
	err = s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		var err error
		g, err = insertGroup(ctx, q, m, g, s.now())
		return err
	})
	if err != nil {
		return CatalogModifierGroup{}, fmt.Errorf("create modifier group: %w", err)
	}
	return g, nil
}

func insertGroup(ctx context.Context, q *catalogdb.Queries, m tenant.ID, g CatalogModifierGroup, now time.Time) (CatalogModifierGroup, error) {
	g.ID, g.CreatedAt, g.UpdatedAt = db.NewID(), now, now
	err := q.InsertGroup(ctx, catalogdb.InsertGroupParams{ID: g.ID, MerchantID: string(m), Name: g.Name,
		MinSelect: int32(g.MinSelect), MaxSelect: int32(g.MaxSelect), CreatedAt: now})
	if err != nil {
		return CatalogModifierGroup{}, conflictAs(err, "a modifier group named "+strconv.Quote(g.Name)+" already exists")
	}
	opts := make([]OptionInput, len(g.Options))
	for i, o := range g.Options {
		opts[i] = OptionInput{Name: o.Name, PriceDelta: o.PriceDelta}
	}
	if g.Options, err = replaceOptions(ctx, q, m, g.ID, nil, opts); err != nil {
		return CatalogModifierGroup{}, err
	}
	return g, nil
}

// replaceOptions makes group's options the list in, keeping the ids of those that name one of old.
func replaceOptions(ctx context.Context, q *catalogdb.Queries, m tenant.ID, group string, old []CatalogModifierOption, in []OptionInput) ([]CatalogModifierOption, error) {
	keep := map[string]bool{}
	for _, o := range in {
		keep[o.ID] = o.ID != ""
	}
	for _, o := range old {
		if !keep[o.ID] {
			if err := q.DeleteOption(ctx, catalogdb.DeleteOptionParams{MerchantID: string(m), GroupID: group, ID: o.ID}); err != nil {
				return nil, fmt.Errorf("delete option: %w", err)
			}
		}
	}
	out := make([]CatalogModifierOption, len(in))
	for i, o := range in {
		if o.ID != "" {
			if _, err := q.UpdateOption(ctx, catalogdb.UpdateOptionParams{Name: o.Name, PriceDelta: int64(o.PriceDelta),
				SortOrder: int32(i), MerchantID: string(m), GroupID: group, ID: o.ID}); err != nil {
				return nil, fmt.Errorf("update option: %w", err)
			}
		} else {
			o.ID = db.NewID()
			if err := q.InsertOption(ctx, catalogdb.InsertOptionParams{ID: o.ID, MerchantID: string(m), GroupID: group,
				Name: o.Name, PriceDelta: int64(o.PriceDelta), SortOrder: int32(i)}); err != nil {
				return nil, fmt.Errorf("insert option: %w", err)
			}
		}
		out[i] = CatalogModifierOption(o)
	}
	return out, nil
}

// ModifierGroups lists merchant m's live modifier groups by name, with their options.
func (s *Service) ModifierGroups(ctx context.Context, m tenant.ID) ([]CatalogModifierGroup, error) {
	var out []CatalogModifierGroup
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := catalogdb.New(tx)
		groups, err := q.ListGroups(ctx, string(m))
		if err != nil {
			return fmt.Errorf("list modifier groups: %w", err)
		}
		options, err := q.ListLiveOptions(ctx, string(m))
		if err != nil {
			return fmt.Errorf("list options: %w", err)
		}
		out = make([]CatalogModifierGroup, len(groups))
		index := map[string]int{}
		for i, g := range groups {
			out[i] = groupFromRow(g)
			index[g.ID] = i
		}
		for _, o := range options {
			if i, ok := index[o.GroupID]; ok {
				out[i].Options = append(out[i].Options, optionFromRow(o))
			}
		}
		return nil
	})
	return out, err
}

// ModifierGroup returns a live modifier group of merchant m (apperr.NotFound otherwise).
func (s *Service) ModifierGroup(ctx context.Context, m tenant.ID, id string) (CatalogModifierGroup, error) {
	var out CatalogModifierGroup
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		out, err = loadGroup(ctx, catalogdb.New(tx), m, id)
		return err
	})
	return out, err
}

// UpdateModifierGroup changes a group; a non-nil Options replaces its options (those naming an existing
// option's id keep it). It returns apperr.NotFound for another merchant's group, Invalid listing bad fields
// (an option id that is not one of the group's among them) and Conflict for a name in use.
func (s *Service) UpdateModifierGroup(ctx context.Context, m tenant.ID, id string, in ModifierGroupPatch) (CatalogModifierGroup, error) {
	var out CatalogModifierGroup
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		old, err := loadGroup(ctx, q, m, id)
		if err != nil {
			return err
		}
		g := old
		setIf(&g.Name, in.Name)
		setIf(&g.MinSelect, in.MinSelect)
		setIf(&g.MaxSelect, in.MaxSelect)
		var f fieldErrors
		if in.Options != nil {
			known := map[string]bool{}
			for _, o := range old.Options {
				known[o.ID] = true
			}
			g.Options = make([]CatalogModifierOption, len(in.Options))
			for i, o := range in.Options {
				if o.ID != "" && !known[o.ID] {
					f.add("options["+strconv.Itoa(i)+"].id", "is not an option of this group")
				}
				g.Options[i] = CatalogModifierOption(o)
			}
		}
		if err := f.err(); err != nil {
			return err
		}
		if g, err = validateGroup(g); err != nil {
			return err
		}
		g.UpdatedAt = s.now()
		if _, err := q.UpdateGroup(ctx, catalogdb.UpdateGroupParams{Name: g.Name, MinSelect: int32(g.MinSelect),
			MaxSelect: int32(g.MaxSelect), UpdatedAt: g.UpdatedAt, MerchantID: string(m), ID: id}); err != nil {
			return conflictAs(err, "a modifier group named "+strconv.Quote(g.Name)+" already exists")
		}
		if in.Options != nil {
			opts := make([]OptionInput, len(g.Options))
			for i, o := range g.Options {
				opts[i] = OptionInput(o)
			}
			if g.Options, err = replaceOptions(ctx, q, m, id, old.Options, opts); err != nil {
				return err
			}
		}
		products, err := q.ListLiveProductsWithGroup(ctx, catalogdb.ListLiveProductsWithGroupParams{MerchantID: string(m), GroupID: id})
		if err != nil {
			return fmt.Errorf("list products with group: %w", err)
		}
		if len(products) > 0 {
			ch.touch(products...)
		}
		out = g
		return nil
	})
	if err != nil {
		return CatalogModifierGroup{}, fmt.Errorf("update modifier group %s: %w", id, err)
	}
	return out, nil
}

// DeleteModifierGroup deletes a group and detaches it from every product. It returns apperr.NotFound for
// another merchant's or a deleted group.
func (s *Service) DeleteModifierGroup(ctx context.Context, m tenant.ID, id string) error {
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		if _, err := loadGroup(ctx, q, m, id); err != nil {
			return err
		}
		products, err := q.DetachGroup(ctx, catalogdb.DetachGroupParams{MerchantID: string(m), GroupID: id})
		if err != nil {
			return fmt.Errorf("detach group: %w", err)
		}
		if _, err := q.DeleteGroup(ctx, catalogdb.DeleteGroupParams{Now: s.now(), MerchantID: string(m), ID: id}); err != nil {
			return fmt.Errorf("delete group: %w", err)
		}
		if len(products) > 0 {
			ch.touch(products...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete modifier group %s: %w", id, err)
	}
	return nil
}

// ---- per-shop overrides ----

// SetShopProduct changes how shop shopID sells a product: its own price (SetPrice; a nil Price goes back
// to the merchant's) and availability (the sold-out toggle). It writes product.availability_changed when
// availability changed and menu.changed when the price did, on the shop's menu subject. It returns
// apperr.NotFound for another merchant's shop or product, Conflict for an archived product and Invalid
// for a negative price (field "price").
func (s *Service) SetShopProduct(ctx context.Context, m tenant.ID, shopID, productID string, in ShopProductInput) (CatalogShopProduct, error) {
	if in.SetPrice && in.Price != nil {
		var f fieldErrors
		f.price("price", *in.Price)
		if err := f.err(); err != nil {
			return CatalogShopProduct{}, err
		}
	}
	if _, err := s.shops.Shop(ctx, m, shopID); err != nil {
		return CatalogShopProduct{}, err
	}
	var (
		out   CatalogShopProduct
		wrote bool
	)
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := catalogdb.New(tx)
		if err := q.LockCatalog(ctx, string(m)); err != nil {
			return fmt.Errorf("lock catalog: %w", err)
		}
		p, err := liveProduct(ctx, q, m, productID)
		if err != nil {
			return err
		}
		old := override{available: true}
		row, err := q.GetShopProduct(ctx, catalogdb.GetShopProductParams{MerchantID: string(m), ShopID: shopID, ProductID: productID})
		switch {
		case err == nil:
			old = override{price: nullPrice(row.Price), available: row.Available}
		case apperr.Is(notFound(err, "override"), apperr.NotFound):
		default:
			return notFound(err, "override")
		}
		next := old
		if in.SetPrice {
			next.price = in.Price
		}
		setIf(&next.available, in.Available)
		out = CatalogShopProduct{ShopID: shopID, ProductID: productID, Price: shopPrice(p.Price, p.Price, next.price),
			MerchantPrice: p.Price, OverridePrice: next.price, Available: next.available}
		priceChanged := !equalPrice(old.price, next.price)
		availabilityChanged := old.available != next.available
		if !priceChanged && !availabilityChanged {
			return nil
		}
		now := s.now()
		if next.price == nil && next.available {
			err = q.DeleteShopProduct(ctx, catalogdb.DeleteShopProductParams{MerchantID: string(m), ShopID: shopID, ProductID: productID})
		} else {
			var price sql.NullInt64
			if next.price != nil {
				price = sql.NullInt64{Int64: int64(*next.price), Valid: true}
			}
			err = q.UpsertShopProduct(ctx, catalogdb.UpsertShopProductParams{MerchantID: string(m), ShopID: shopID,
				ProductID: productID, Price: price, Available: next.available, UpdatedAt: now})
		}
		if err != nil {
			return fmt.Errorf("store override: %w", err)
		}
		var evs []events.Event
		if availabilityChanged {
			ev, err := newEvent(m, MenuSubject(shopID), shopID, EventAvailabilityChanged, now,
				AvailabilityChange{ShopID: shopID, ProductID: productID, Available: next.available})
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		if priceChanged {
			ev, err := newEvent(m, MenuSubject(shopID), shopID, EventMenuChanged, now,
				MenuChange{ShopID: shopID, ProductIDs: []string{productID}})
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		wrote = true
		return events.Add(ctx, tx, evs...)
	})
	if err != nil {
		return CatalogShopProduct{}, fmt.Errorf("set product %s in shop %s: %w", productID, shopID, err)
	}
	if wrote {
		s.menusChanged(ctx, m)
		s.nudge()
	}
	return out, nil
}

func equalPrice(a, b *money.VND) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// ---- checks for other modules ----

// CheckProduct returns nil if productID is a live product of merchant m, apperr.NotFound otherwise.
func (s *Service) CheckProduct(ctx context.Context, m tenant.ID, productID string) error {
	return s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		row, err := catalogdb.New(tx).GetProduct(ctx, catalogdb.GetProductParams{MerchantID: string(m), ID: productID})
		if err != nil {
			return notFound(err, "product")
		}
		if row.ArchivedAt.Valid {
			return apperr.E(apperr.NotFound, "product not found")
		}
		return nil
	})
}

// CheckModifierOption returns nil if optionID is an option of a live modifier group of merchant m,
// apperr.NotFound otherwise.
func (s *Service) CheckModifierOption(ctx context.Context, m tenant.ID, optionID string) error {
	return s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		_, err := catalogdb.New(tx).GetLiveOption(ctx, catalogdb.GetLiveOptionParams{MerchantID: string(m), ID: optionID})
		if err != nil {
			return notFound(err, "modifier option")
		}
		return nil
	})
}
