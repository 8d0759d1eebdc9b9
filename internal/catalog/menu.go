package catalog

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/goodgo/goodgo/internal/catalog/catalogdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/cache"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// How long cached values live. Writes invalidate menus at once; the TTLs only bound staleness when an
// invalidation is lost (a cache outage) or never sent (a shop renamed without ShopChanged).
const (
	menuTTL    = 5 * time.Minute
	shopRefTTL = time.Minute
	// imageURLTTL is how long the signed image URLs inside a menu stay valid: well beyond menuTTL, so a
	// menu served from the cache never carries an expired link.
	imageURLTTL = 2 * time.Hour
)

// menuGroup is the cache group of merchant m's menus: one invalidation drops all of them.
func menuGroup(m tenant.ID) string { return "catalog-menu:" + string(m) }

// shopGroup is the cache group of one shop's resolution (shop id → merchant, name) for the public menu.
func shopGroup(shopID string) string { return "catalog-shop:" + shopID }

// MenuDocument is a menu encoded as JSON, with an entity tag for conditional requests.
type MenuDocument struct {
	ETag string // a strong entity tag, quotes included
	JSON []byte
}

// encodeDocument renders m and prefixes its entity tag, the form kept in the cache.
func encodeDocument(m Menu) ([]byte, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode menu: %w", err)
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return append([]byte(etag+"\n"), body...), nil
}

func decodeDocument(val []byte) (MenuDocument, error) {
	etag, body, ok := bytes.Cut(val, []byte("\n"))
	if !ok {
		return MenuDocument{}, fmt.Errorf("cached menu is malformed")
	}
	return MenuDocument{ETag: string(etag), JSON: body}, nil
}

// PublicMenu returns the customers' menu of a live shop, found by id alone: the shop's prices, sold-out
// products omitted, empty categories left out. It is cached per shop in the merchant's group, so every
// catalog write of the merchant drops it. It returns apperr.NotFound for an unknown or archived shop.
func (s *Service) PublicMenu(ctx context.Context, shopID string) (MenuDocument, error) {
	ref, err := s.publicShop(ctx, shopID)
	if err != nil {
		return MenuDocument{}, err
	}
	return s.cachedMenu(ctx, ref, "public:"+shopID, true)
}

// ShopMenu returns the staff menu of shop shopID of merchant m: every live product at the shop's price,
// sold-out ones with available false, with the ids of variants and options the POS orders with. It is
// cached like the public menu. It returns apperr.NotFound for another merchant's or an archived shop.
func (s *Service) ShopMenu(ctx context.Context, m tenant.ID, shopID string) (MenuDocument, error) {
	ref, err := s.shops.Shop(ctx, m, shopID)
	if err != nil {
		return MenuDocument{}, err
	}
	ref.MerchantID = m
	return s.cachedMenu(ctx, ref, "staff:"+shopID, false)
}

// cachedMenu returns a menu through two cache entries of the merchant's group: "<name>" holds the whole
// document, "<name>:etag" only its entity tag. A request reads the small one and serves the body from
// s.bodies, a process-local store of documents by entity tag: the tag is a hash of the body, so the body
// found under the current tag is exactly the current document, and no request copies the document out of
// the cache. Both entries are filled with GetOrLoad, so an invalidation racing a load never leaves a stale
// tag behind.
func (s *Service) cachedMenu(ctx context.Context, ref ShopRef, name string, public bool) (MenuDocument, error) {
	group := menuGroup(ref.MerchantID)
	loadDoc := func(ctx context.Context) (MenuDocument, error) {
		val, err := s.cache.GetOrLoad(ctx, cache.GroupKey(group, name), menuTTL, func(ctx context.Context) ([]byte, error) {
			menu, err := s.buildMenu(ctx, ref, public)
			if err != nil {
				return nil, err
			}
			return encodeDocument(menu)
		})
		if err != nil {
			return MenuDocument{}, err
		}
		doc, err := decodeDocument(val)
		if err == nil {
			s.bodies.put(doc)
		}
		return doc, err
	}
	etag, err := s.cache.GetOrLoad(ctx, cache.GroupKey(group, name+":etag"), menuTTL, func(ctx context.Context) ([]byte, error) {
		doc, err := loadDoc(ctx)
		return []byte(doc.ETag), err
	})
	if err != nil {
		return MenuDocument{}, err
	}
	if body, ok := s.bodies.get(string(etag)); ok {
		return MenuDocument{ETag: string(etag), JSON: body}, nil
	}
	return loadDoc(ctx) // this process has not seen the document yet (another replica built it)
}

// bodyStore keeps rendered menus by entity tag, bounded; bodies are never modified once stored.
type bodyStore struct {
	mu    sync.RWMutex
	byTag map[string][]byte
	bytes int
}

// Bounds of a bodyStore: far more than the menus one process serves at a time.
const (
	maxStoredBodies    = 2048
	maxStoredBodyBytes = 64 << 20
)

func (b *bodyStore) get(etag string) ([]byte, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	body, ok := b.byTag[etag]
	return body, ok
}

func (b *bodyStore) put(doc MenuDocument) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.byTag[doc.ETag]; ok {
		return
	}
	if b.byTag == nil {
		b.byTag = map[string][]byte{}
	}
	// Old versions are dropped in no particular order: a dropped current one is rebuilt from the cache.
	for tag, body := range b.byTag {
		if len(b.byTag) < maxStoredBodies && b.bytes+len(doc.JSON) <= maxStoredBodyBytes {
			break
		}
		delete(b.byTag, tag)
		b.bytes -= len(body)
	}
	b.byTag[doc.ETag] = doc.JSON
	b.bytes += len(doc.JSON)
}

// publicShop resolves a shop for the public menu through the cache: a QR menu is opened far more often
// than shops change, and the resolution is the other half of a cached menu's cost.
func (s *Service) publicShop(ctx context.Context, shopID string) (ShopRef, error) {
	val, err := s.cache.GetOrLoad(ctx, cache.GroupKey(shopGroup(shopID), "ref"), shopRefTTL,
		func(ctx context.Context) ([]byte, error) {
			ref, err := s.shops.PublicShop(ctx, shopID)
			if err != nil {
				return nil, err
			}
			if ref.MerchantID == "" || strings.Contains(string(ref.MerchantID), "\n") {
				return nil, fmt.Errorf("shop %s resolved without a merchant", shopID)
			}
			return []byte(string(ref.MerchantID) + "\n" + ref.Name), nil
		})
	if err != nil {
		return ShopRef{}, err
	}
	m, name, _ := strings.Cut(string(val), "\n")
	return ShopRef{ID: shopID, MerchantID: tenant.ID(m), Name: name}, nil
}

// ShopChanged drops what the catalog caches about shop shopID: its resolution for the public menu and,
// for each of merchants, that merchant's menus. The composition root calls it after a commit that
// archived, renamed or transferred the shop (for a transfer: with both merchants).
func (s *Service) ShopChanged(ctx context.Context, shopID string, merchants ...tenant.ID) error {
	if err := s.cache.InvalidateGroup(ctx, shopGroup(shopID)); err != nil {
		return fmt.Errorf("forget shop %s: %w", shopID, err)
	}
	for _, m := range merchants {
		if err := s.cache.InvalidateGroup(ctx, menuGroup(m)); err != nil {
			return fmt.Errorf("forget menus of merchant %s: %w", m, err)
		}
	}
	return nil
}

// buildMenu reads merchant ref.MerchantID's catalog and shop ref.ID's overrides in one read transaction
// and renders the shop's menu.
func (s *Service) buildMenu(ctx context.Context, ref ShopRef, public bool) (Menu, error) {
	var (
		snap *snapshot
		ov   map[string]override
	)
	m := ref.MerchantID
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := catalogdb.New(tx)
		var err error
		if snap, err = loadSnapshot(ctx, q, m); err != nil {
			return err
		}
		ov, err = loadOverrides(ctx, q, m, ref.ID)
		return err
	})
	if err != nil {
		return Menu{}, fmt.Errorf("menu of shop %s: %w", ref.ID, err)
	}
	// Image URLs are signed after the transaction: storage is another module with its own reads.
	images := map[string]string{}
	if s.images != nil {
		for _, p := range snap.products {
			if p.ImageFileID == "" || images[p.ImageFileID] != "" {
				continue
			}
			url, err := s.images.ImageURL(ctx, m, p.ImageFileID, imageURLTTL)
			switch {
			case err == nil:
				images[p.ImageFileID] = url
			case apperr.Is(err, apperr.NotFound):
				// The file was deleted: the product shows without an image.
			default:
				return Menu{}, fmt.Errorf("sign image of product %s: %w", p.ID, err)
			}
		}
	}
	return renderMenu(snap, ov, MenuShop{ID: ref.ID, Name: ref.Name}, public, images), nil
}

// renderMenu is the pure part of a menu: categories in menu order, products at the shop's prices, a combo
// available only when it and all its components are. The public menu leaves out unavailable products and
// empty categories.
func renderMenu(snap *snapshot, ov map[string]override, shop MenuShop, public bool, images map[string]string) Menu {
	byID := make(map[string]*CatalogProduct, len(snap.products))
	for i := range snap.products {
		byID[snap.products[i].ID] = &snap.products[i]
	}
	available := func(id string) bool {
		o, ok := ov[id]
		return !ok || o.available
	}
	cats := slices.Clone(snap.categories)
	slices.SortStableFunc(cats, func(a, b CatalogCategory) int {
		return cmp.Or(cmp.Compare(a.SortOrder, b.SortOrder), strings.Compare(a.Name, b.Name))
	})
	byCategory := map[string][]*CatalogProduct{}
	for i := range snap.products {
		p := &snap.products[i]
		byCategory[p.CategoryID] = append(byCategory[p.CategoryID], p)
	}
	menu := Menu{Shop: shop, Categories: []MenuCategory{}}
	for _, c := range cats {
		mc := MenuCategory{ID: c.ID, Name: c.Name, Station: c.Station, Products: []MenuProduct{}}
		for _, p := range byCategory[c.ID] {
			avail := available(p.ID)
			for _, comp := range p.Components {
				avail = avail && byID[comp.ProductID] != nil && available(comp.ProductID)
			}
			if public && !avail {
				continue
			}
			price := ov[p.ID].price
			mp := MenuProduct{ID: p.ID, Kind: p.Kind, Name: p.Name, NameEn: p.NameEn, Description: p.Description,
				Price: shopPrice(p.Price, p.Price, price), Available: avail, ImageURL: images[p.ImageFileID],
				TaxClass: p.TaxClass, Variants: make([]CatalogVariant, len(p.Variants)),
				ModifierGroups: []MenuModifierGroup{}, Components: []MenuComponent{}}
			for i, v := range p.Variants {
				mp.Variants[i] = CatalogVariant{ID: v.ID, Name: v.Name, Price: shopPrice(v.Price, p.Price, price)}
			}
			for _, gid := range p.ModifierGroupIDs {
				if g := snap.groupByID[gid]; g != nil {
					mp.ModifierGroups = append(mp.ModifierGroups, MenuModifierGroup{ID: g.ID, Name: g.Name,
						MinSelect: g.MinSelect, MaxSelect: g.MaxSelect, Options: g.Options})
				}
			}
			for _, comp := range p.Components {
				name := ""
				if cp := byID[comp.ProductID]; cp != nil {
					name = cp.Name
				}
				mp.Components = append(mp.Components, MenuComponent{ProductID: comp.ProductID, Name: name, Quantity: comp.Quantity})
			}
			mc.Products = append(mc.Products, mp)
		}
		if public && len(mc.Products) == 0 {
			continue
		}
		menu.Categories = append(menu.Categories, mc)
	}
	return menu
}
