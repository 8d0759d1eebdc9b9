package catalog_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/goodgo/goodgo/internal/catalog"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// cafe is a small catalog of one merchant: a drinks category with a coffee (sizes M/L, sugar and topping
// groups) and a tea, a food category with a bánh mì, and a combo of bánh mì + coffee.
type cafe struct {
	m                tenant.ID
	shop             string
	drinks, food     catalog.CatalogCategory
	sugar, topping   catalog.CatalogModifierGroup
	coffee, tea      catalog.CatalogProduct
	banhMi, combo    catalog.CatalogProduct
	lessSugar, pearl string // option ids
}

func newCafe(t testing.TB, e *env) *cafe {
	t.Helper()
	ctx := context.Background()
	c := &cafe{}
	c.m, c.shop = e.merchant("Cà phê")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	c.drinks, err = e.svc.CreateCategory(ctx, c.m, catalog.CategoryInput{Name: "Đồ uống", Station: "bar"})
	must(err)
	c.food, err = e.svc.CreateCategory(ctx, c.m, catalog.CategoryInput{Name: "Đồ ăn", Station: "kitchen"})
	must(err)
	c.sugar, err = e.svc.CreateModifierGroup(ctx, c.m, catalog.ModifierGroupInput{Name: "Mức đường", MinSelect: 1, MaxSelect: 1,
		Options: []catalog.OptionInput{{Name: "Bình thường"}, {Name: "Ít đường"}}})
	must(err)
	c.topping, err = e.svc.CreateModifierGroup(ctx, c.m, catalog.ModifierGroupInput{Name: "Topping", MinSelect: 0, MaxSelect: 2,
		Options: []catalog.OptionInput{{Name: "Trân châu", PriceDelta: 5000}, {Name: "Kem cheese", PriceDelta: 10000}, {Name: "Thạch", PriceDelta: 5000}}})
	must(err)
	c.lessSugar, c.pearl = c.sugar.Options[1].ID, c.topping.Options[0].ID
	c.coffee, err = e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{CategoryID: c.drinks.ID, Name: "Cà phê sữa đá", Price: 29000,
		SKU: "CF-01", ModifierGroupIDs: []string{c.sugar.ID, c.topping.ID},
		Variants: []catalog.VariantInput{{Name: "M", Price: 29000}, {Name: "L", Price: 35000}}})
	must(err)
	c.tea, err = e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{CategoryID: c.drinks.ID, Name: "Trà đào", Price: 45000, TaxClass: catalog.TaxReduced})
	must(err)
	c.banhMi, err = e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{CategoryID: c.food.ID, Name: "Bánh mì", Price: 25000})
	must(err)
	c.combo, err = e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{Kind: catalog.KindCombo, CategoryID: c.food.ID,
		Name: "Combo sáng", Price: 49000, Components: []catalog.CatalogComponent{{ProductID: c.banhMi.ID, Quantity: 1}, {ProductID: c.tea.ID, Quantity: 2}}})
	must(err)
	return c
}

func TestProductsKeepVietnameseNamesNormalisedAndReplaceVariantsKeepingIDs(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := newCafe(t, e)
		ctx := context.Background()
		// "Bạc xỉu" typed with combining marks (NFD) is stored composed (NFC).
		nfd := "Ba\u0323c xi\u0309u"
		p, err := e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{CategoryID: c.drinks.ID, Name: "  " + nfd + " ", Price: 32000})
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Bạc xỉu" || p.Kind != catalog.KindItem || p.TaxClass != catalog.TaxStandard {
			t.Fatalf("stored %q kind %q tax %q, want NFC \"Bạc xỉu\", item, standard", p.Name, p.Kind, p.TaxClass)
		}
		m, l := c.coffee.Variants[0], c.coffee.Variants[1]
		got, err := e.svc.UpdateProduct(ctx, c.m, c.coffee.ID, catalog.ProductPatch{Variants: []catalog.VariantInput{
			{ID: l.ID, Name: "L", Price: 36000}, {Name: "XL", Price: 42000}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Variants) != 2 || got.Variants[0].ID != l.ID || got.Variants[0].Price != 36000 || got.Variants[1].Name != "XL" {
			t.Fatalf("variants after replace: %+v", got.Variants)
		}
		read, err := e.svc.Product(ctx, c.m, c.coffee.ID)
		if err != nil || !slices.Equal(read.Variants, got.Variants) || slices.ContainsFunc(read.Variants, func(v catalog.CatalogVariant) bool { return v.ID == m.ID }) {
			t.Fatalf("read back %+v, %v", read.Variants, err)
		}
		if !slices.Equal(read.ModifierGroupIDs, []string{c.sugar.ID, c.topping.ID}) {
			t.Fatalf("groups %v kept by a patch that did not send them", read.ModifierGroupIDs)
		}
	})
}

func TestBadProductInputIsInvalidAndStoresNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := newCafe(t, e)
		other := newCafe(t, e) // another merchant's catalog
		ctx := context.Background()
		tests := []struct {
			name  string
			in    catalog.ProductInput
			field string
		}{
			{"negative price", catalog.ProductInput{CategoryID: c.drinks.ID, Name: "X", Price: -1}, "price"},
			{"empty name", catalog.ProductInput{CategoryID: c.drinks.ID, Name: "  ", Price: 1}, "name"},
			{"unknown category", catalog.ProductInput{CategoryID: "nope", Name: "X", Price: 1}, "category_id"},
			{"another merchant's category", catalog.ProductInput{CategoryID: other.drinks.ID, Name: "X", Price: 1}, "category_id"},
			{"another merchant's group", catalog.ProductInput{CategoryID: c.drinks.ID, Name: "X", Price: 1,
				ModifierGroupIDs: []string{other.sugar.ID}}, "modifier_group_ids[0]"},
			{"negative variant price", catalog.ProductInput{CategoryID: c.drinks.ID, Name: "X", Price: 1,
				Variants: []catalog.VariantInput{{Name: "M", Price: -5}}}, "variants[0].price"},
			{"duplicate variant", catalog.ProductInput{CategoryID: c.drinks.ID, Name: "X", Price: 1,
				Variants: []catalog.VariantInput{{Name: "M", Price: 1}, {Name: "m", Price: 2}}}, "variants[1].name"},
			{"bad tax class", catalog.ProductInput{CategoryID: c.drinks.ID, Name: "X", Price: 1, TaxClass: "luxury"}, "tax_class"},
			{"combo of a combo", catalog.ProductInput{Kind: catalog.KindCombo, CategoryID: c.food.ID, Name: "X", Price: 1,
				Components: []catalog.CatalogComponent{{ProductID: c.combo.ID, Quantity: 1}}}, "components[0].product_id"},
			{"combo of another merchant's product", catalog.ProductInput{Kind: catalog.KindCombo, CategoryID: c.food.ID, Name: "X",
				Price: 1, Components: []catalog.CatalogComponent{{ProductID: other.banhMi.ID, Quantity: 1}}}, "components[0].product_id"},
			{"empty combo", catalog.ProductInput{Kind: catalog.KindCombo, CategoryID: c.food.ID, Name: "X", Price: 1}, "components"},
			{"image of another merchant", catalog.ProductInput{CategoryID: c.drinks.ID, Name: "X", Price: 1, ImageFileID: "img-b"}, "image_file_id"},
		}
		e.images["img-b"] = other.m
		before, _ := e.svc.ListProducts(ctx, c.m, catalog.ProductQuery{IncludeArchived: true})
		events := len(outbox(t, d, c.m))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.CreateProduct(ctx, c.m, tt.in)
				wantFields(t, err, tt.field)
			})
		}
		after, _ := e.svc.ListProducts(ctx, c.m, catalog.ProductQuery{IncludeArchived: true})
		if len(after.Items) != len(before.Items) || len(outbox(t, d, c.m)) != events {
			t.Fatalf("refused products stored something: %d → %d products", len(before.Items), len(after.Items))
		}
		_, err := e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{CategoryID: c.drinks.ID, Name: "Y", Price: 1, SKU: "CF-01"})
		wantKind(t, err, apperr.Conflict)
		// Archiving frees the SKU.
		if err := e.svc.ArchiveProduct(ctx, c.m, c.coffee.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateProduct(ctx, c.m, catalog.ProductInput{CategoryID: c.drinks.ID, Name: "Y", Price: 1, SKU: "CF-01"}); err != nil {
			t.Fatalf("SKU of an archived product: %v", err)
		}
	})
}

func TestModifierGroupRules(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := newCafe(t, e)
		other := newCafe(t, e)
		ctx := context.Background()
		opts := []catalog.OptionInput{{Name: "A"}, {Name: "B"}}
		tests := []struct {
			name  string
			in    catalog.ModifierGroupInput
			field string
		}{
			{"min above max", catalog.ModifierGroupInput{Name: "G", MinSelect: 2, MaxSelect: 1, Options: opts}, "min_select"},
			{"max 0", catalog.ModifierGroupInput{Name: "G", MinSelect: 0, MaxSelect: 0, Options: opts}, "max_select"},
			{"max above options", catalog.ModifierGroupInput{Name: "G", MinSelect: 0, MaxSelect: 3, Options: opts}, "max_select"},
			{"no options", catalog.ModifierGroupInput{Name: "G", MinSelect: 0, MaxSelect: 1}, "options"},
			{"negative delta", catalog.ModifierGroupInput{Name: "G", MinSelect: 0, MaxSelect: 1,
				Options: []catalog.OptionInput{{Name: "A", PriceDelta: -1000}}}, "options[0].price_delta"},
		}
		for _, tt := range tests {
			_, err := e.svc.CreateModifierGroup(ctx, c.m, tt.in)
			wantFields(t, err, tt.field)
		}
		_, err := e.svc.CreateModifierGroup(ctx, c.m, catalog.ModifierGroupInput{Name: "Mức đường", MaxSelect: 1, Options: opts})
		wantKind(t, err, apperr.Conflict)
		// An option of another merchant cannot be smuggled into a group by id.
		_, err = e.svc.UpdateModifierGroup(ctx, c.m, c.sugar.ID, catalog.ModifierGroupPatch{Options: []catalog.OptionInput{
			{ID: other.sugar.Options[0].ID, Name: "X"}}})
		wantFields(t, err, "options[0].id")
		_, err = e.svc.UpdateModifierGroup(ctx, other.m, c.sugar.ID, catalog.ModifierGroupPatch{Name: new("Y")})
		wantKind(t, err, apperr.NotFound)
		// Options kept by id keep their id; the rest go.
		g, err := e.svc.UpdateModifierGroup(ctx, c.m, c.sugar.ID, catalog.ModifierGroupPatch{Options: []catalog.OptionInput{
			{ID: c.lessSugar, Name: "Ít đường", PriceDelta: 0}, {Name: "Không đường"}}})
		if err != nil || len(g.Options) != 2 || g.Options[0].ID != c.lessSugar {
			t.Fatalf("replace options: %+v, %v", g, err)
		}
		if err := e.svc.CheckModifierOption(ctx, c.m, c.sugar.Options[0].ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("removed option: %v, want NotFound", err)
		}
		if err := e.svc.CheckModifierOption(ctx, other.m, c.lessSugar); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another merchant's option: %v, want NotFound", err)
		}
		// Deleting a group detaches it from products.
		if err := e.svc.DeleteModifierGroup(ctx, c.m, c.topping.ID); err != nil {
			t.Fatal(err)
		}
		p, _ := e.svc.Product(ctx, c.m, c.coffee.ID)
		if !slices.Equal(p.ModifierGroupIDs, []string{c.sugar.ID}) {
			t.Fatalf("groups after deleting topping: %v", p.ModifierGroupIDs)
		}
	})
}

func TestCategoriesDeleteOnlyWhenEmptyAndReorder(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := newCafe(t, e)
		ctx := context.Background()
		if err := e.svc.DeleteCategory(ctx, c.m, c.drinks.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("delete a category with products: %v, want Conflict", err)
		}
		_, err := e.svc.CreateCategory(ctx, c.m, catalog.CategoryInput{Name: "X", Station: "Bar Trên Lầu"})
		wantFields(t, err, "station")
		_, err = e.svc.CreateCategory(ctx, c.m, catalog.CategoryInput{Name: "Đồ uống", Station: "bar"})
		wantKind(t, err, apperr.Conflict)
		rooftop, err := e.svc.CreateCategory(ctx, c.m, catalog.CategoryInput{Name: "Sân thượng", Station: "rooftop-bar"})
		if err != nil || rooftop.SortOrder != 2 {
			t.Fatalf("custom station: %+v, %v", rooftop, err)
		}
		_, err = e.svc.ReorderCategories(ctx, c.m, []string{rooftop.ID, c.drinks.ID})
		wantFields(t, err, "category_ids")
		got, err := e.svc.ReorderCategories(ctx, c.m, []string{rooftop.ID, c.food.ID, c.drinks.ID})
		if err != nil {
			t.Fatal(err)
		}
		list, _ := e.svc.Categories(ctx, c.m)
		if len(list) != 3 || list[0].ID != rooftop.ID || list[2].ID != c.drinks.ID || got[1].SortOrder != 1 {
			t.Fatalf("order after reorder: %+v", list)
		}
		if err := e.svc.DeleteCategory(ctx, c.m, rooftop.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Category(ctx, c.m, rooftop.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("deleted category: %v", err)
		}
		// A product in a combo cannot be archived while the combo is live.
		if err := e.svc.ArchiveProduct(ctx, c.m, c.banhMi.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("archive a combo's component: %v, want Conflict", err)
		}
	})
}

func TestWritesSendMenuEventsToEveryShopAndDomainEvents(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := newCafe(t, e)
		second := e.shops.add(c.m, "Cà phê 2")
		ctx := context.Background()
		start := len(outbox(t, d, c.m))
		if _, err := e.svc.UpdateProduct(ctx, c.m, c.tea.ID, catalog.ProductPatch{Price: new(money.VND(47000))}); err != nil {
			t.Fatal(err)
		}
		evs := outbox(t, d, c.m)[start:]
		var subjects []string
		for _, ev := range evs {
			subjects = append(subjects, ev.Subject+" "+ev.Type)
			if ev.Type == catalog.EventMenuChanged {
				var mc catalog.MenuChange
				if err := json.Unmarshal([]byte(ev.Data), &mc); err != nil || mc.ShopID != ev.ShopID || !slices.Equal(mc.ProductIDs, []string{c.tea.ID}) {
					t.Errorf("menu.changed data %s", ev.Data)
				}
			}
		}
		slices.Sort(subjects)
		want := []string{"catalog.events product.updated", "shop." + c.shop + ".menu menu.changed", "shop." + second + ".menu menu.changed"}
		slices.Sort(want)
		if !slices.Equal(subjects, want) {
			t.Fatalf("events %v, want %v", subjects, want)
		}

		// The sold-out toggle goes to that shop only, as product.availability_changed.
		start = len(outbox(t, d, c.m))
		sp, err := e.svc.SetShopProduct(ctx, c.m, second, c.tea.ID, catalog.ShopProductInput{Available: new(false)})
		if err != nil || sp.Available || sp.Price != 47000 {
			t.Fatalf("sold out: %+v, %v", sp, err)
		}
		evs = outbox(t, d, c.m)[start:]
		if len(evs) != 1 || evs[0].Subject != "shop."+second+".menu" || evs[0].Type != catalog.EventAvailabilityChanged ||
			evs[0].Data != `{"shop_id":"`+second+`","product_id":"`+c.tea.ID+`","available":false}` {
			t.Fatalf("availability events %+v", evs)
		}
		// Setting the same again writes nothing.
		if _, err := e.svc.SetShopProduct(ctx, c.m, second, c.tea.ID, catalog.ShopProductInput{Available: new(false)}); err != nil {
			t.Fatal(err)
		}
		if n := len(outbox(t, d, c.m)); n != start+1 {
			t.Fatalf("a no-op toggle wrote %d events", n-start-1)
		}
		// Another merchant's shop, or a product of another merchant, is not found.
		other := newCafe(t, e)
		_, err = e.svc.SetShopProduct(ctx, c.m, other.shop, c.tea.ID, catalog.ShopProductInput{Available: new(false)})
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.SetShopProduct(ctx, c.m, c.shop, other.tea.ID, catalog.ShopProductInput{Available: new(false)})
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.SetShopProduct(ctx, c.m, c.shop, c.tea.ID, catalog.ShopProductInput{SetPrice: true, Price: new(money.VND(-1))})
		wantFields(t, err, "price")
	})
}

func TestPriceLines(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := newCafe(t, e)
		other := newCafe(t, e)
		ctx := context.Background()
		regular := c.sugar.Options[0].ID
		L := c.coffee.Variants[1].ID

		lines, err := e.svc.PriceLines(ctx, c.m, c.shop, []catalog.LineRequest{
			{ProductID: c.coffee.ID, VariantID: L, Quantity: 2, ModifierOptionIDs: []string{c.lessSugar, c.pearl, c.topping.Options[1].ID}},
			{ProductID: c.tea.ID, Quantity: 1},
			{ProductID: c.combo.ID, Quantity: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		if l := lines[0]; l.UnitPrice != 35000+5000+10000 || l.VariantName != "L" || l.Station != "bar" || l.Quantity != 2 ||
			len(l.Modifiers) != 3 || l.Modifiers[0].GroupName != "Mức đường" || l.Modifiers[2].PriceDelta != 10000 {
			t.Errorf("coffee line %+v", l)
		}
		if l := lines[1]; l.UnitPrice != 45000 || l.TaxClass != catalog.TaxReduced || l.CategoryID != c.drinks.ID {
			t.Errorf("tea line %+v", l)
		}
		if l := lines[2]; l.UnitPrice != 49000 || l.Kind != catalog.KindCombo || len(l.Components) != 2 ||
			l.Components[0] != (catalog.ComboComponent{ProductID: c.banhMi.ID, Name: "Bánh mì", Station: "kitchen", Quantity: 1}) ||
			l.Components[1].Station != "bar" || l.Components[1].Quantity != 2 {
			t.Errorf("combo line %+v", l)
		}

		// A shop price shifts the product and its variants by the same amount.
		if _, err := e.svc.SetShopProduct(ctx, c.m, c.shop, c.coffee.ID, catalog.ShopProductInput{SetPrice: true, Price: new(money.VND(32000))}); err != nil {
			t.Fatal(err)
		}
		lines, err = e.svc.PriceLines(ctx, c.m, c.shop, []catalog.LineRequest{{ProductID: c.coffee.ID, VariantID: L, Quantity: 1,
			ModifierOptionIDs: []string{regular}}})
		if err != nil || lines[0].UnitPrice != 38000 {
			t.Fatalf("L with a shop price of 32000 for M: %+v, %v", lines, err)
		}

		tests := []struct {
			name   string
			lines  []catalog.LineRequest
			fields []string
		}{
			{"unknown product", []catalog.LineRequest{{ProductID: "nope", Quantity: 1}}, []string{"lines[0].product_id"}},
			{"another merchant's product", []catalog.LineRequest{{ProductID: c.tea.ID, Quantity: 1}, {ProductID: other.tea.ID, Quantity: 1}},
				[]string{"lines[1].product_id"}},
			{"quantity 0", []catalog.LineRequest{{ProductID: c.tea.ID}}, []string{"lines[0].quantity"}},
			{"variant missing", []catalog.LineRequest{{ProductID: c.coffee.ID, Quantity: 1, ModifierOptionIDs: []string{regular}}},
				[]string{"lines[0].variant_id"}},
			{"variant of no variants", []catalog.LineRequest{{ProductID: c.tea.ID, VariantID: L, Quantity: 1}}, []string{"lines[0].variant_id"}},
			{"option of another product's group", []catalog.LineRequest{{ProductID: c.tea.ID, Quantity: 1, ModifierOptionIDs: []string{c.pearl}}},
				[]string{"lines[0].modifier_option_ids[0]"}},
			{"option of another merchant", []catalog.LineRequest{{ProductID: c.coffee.ID, VariantID: L, Quantity: 1,
				ModifierOptionIDs: []string{regular, other.pearl}}}, []string{"lines[0].modifier_option_ids[1]"}},
			{"required group missing", []catalog.LineRequest{{ProductID: c.coffee.ID, VariantID: L, Quantity: 1}},
				[]string{"lines[0].modifier_option_ids"}},
			{"too many of a group", []catalog.LineRequest{{ProductID: c.coffee.ID, VariantID: L, Quantity: 1,
				ModifierOptionIDs: []string{regular, c.lessSugar}}}, []string{"lines[0].modifier_option_ids"}},
			{"option twice", []catalog.LineRequest{{ProductID: c.coffee.ID, VariantID: L, Quantity: 1,
				ModifierOptionIDs: []string{regular, c.pearl, c.pearl}}}, []string{"lines[0].modifier_option_ids[2]"}},
			{"no lines", nil, []string{"lines"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.PriceLines(ctx, c.m, c.shop, tt.lines)
				wantFields(t, err, tt.fields...)
			})
		}

		// Archived products are unknown; sold out (the product or a combo's component) is a conflict.
		if err := e.svc.ArchiveProduct(ctx, c.m, c.coffee.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.PriceLines(ctx, c.m, c.shop, []catalog.LineRequest{{ProductID: c.coffee.ID, VariantID: L, Quantity: 1}})
		wantFields(t, err, "lines[0].product_id")
		if _, err := e.svc.SetShopProduct(ctx, c.m, c.shop, c.tea.ID, catalog.ShopProductInput{Available: new(false)}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.PriceLines(ctx, c.m, c.shop, []catalog.LineRequest{{ProductID: c.combo.ID, Quantity: 1}})
		if !apperr.Is(err, apperr.Conflict) || !strings.Contains(apperr.Message(err), "Combo sáng is sold out") {
			t.Fatalf("combo with a sold-out component: %v", err)
		}
		// Sold out in one shop only.
		second := e.shops.add(c.m, "Cà phê 2")
		if _, err := e.svc.PriceLines(ctx, c.m, second, []catalog.LineRequest{{ProductID: c.tea.ID, Quantity: 1}}); err != nil {
			t.Fatalf("tea in another shop: %v", err)
		}
		if err := e.svc.CheckProduct(ctx, c.m, c.coffee.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("CheckProduct of an archived product: %v", err)
		}
		if err := e.svc.CheckProduct(ctx, other.m, c.tea.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("CheckProduct of another merchant's product: %v", err)
		}
	})
}

func TestApplyTemplateIsIdempotentByName(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		m, _ := e.merchant("Quán")
		ctx := context.Background()
		for _, tpl := range e.svc.MenuTemplates() {
			first, err := e.svc.ApplyTemplate(ctx, m, tpl.ID)
			if err != nil || first.Products == 0 || first.Categories == 0 {
				t.Fatalf("apply %s: %+v, %v", tpl.ID, first, err)
			}
			again, err := e.svc.ApplyTemplate(ctx, m, tpl.ID)
			if err != nil || again.Products != 0 || again.Categories != 0 || again.ModifierGroups != 0 {
				t.Fatalf("apply %s twice: %+v, %v", tpl.ID, again, err)
			}
		}
		page, err := e.svc.ListProducts(ctx, m, catalog.ProductQuery{Limit: catalog.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		var coffee *catalog.CatalogProduct
		for i, p := range page.Items {
			if p.Name == "Cà phê sữa đá" {
				coffee = &page.Items[i]
			}
		}
		if coffee == nil || coffee.Price != 29000 || len(coffee.ModifierGroupIDs) != 2 {
			t.Fatalf("Cà phê sữa đá from the café template: %+v", coffee)
		}
		_, err = e.svc.ApplyTemplate(ctx, m, "spa")
		wantKind(t, err, apperr.NotFound)
	})
}

func TestListProductsPagesByCursor(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := newCafe(t, e)
		ctx := context.Background()
		var ids []string
		cursor := ""
		for {
			page, err := e.svc.ListProducts(ctx, c.m, catalog.ProductQuery{Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range page.Items {
				ids = append(ids, p.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(ids, []string{c.coffee.ID, c.tea.ID, c.banhMi.ID, c.combo.ID}) {
			t.Fatalf("pages gave %v", ids)
		}
		page, _ := e.svc.ListProducts(ctx, c.m, catalog.ProductQuery{CategoryID: c.food.ID})
		if len(page.Items) != 2 || page.Items[1].ID != c.combo.ID || len(page.Items[1].Components) != 2 {
			t.Fatalf("food page %+v", page.Items)
		}
		_, err := e.svc.ListProducts(ctx, c.m, catalog.ProductQuery{Cursor: "!!"})
		wantFields(t, err, "cursor")
	})
}

func TestCopyForShopTransfer(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		from := newCafe(t, e)
		to := newCafe(t, e)
		ctx := context.Background()
		// The receiving merchant already has "Đồ uống" with "Trà đào" but no "Bạc xỉu", and no "Mức đá".
		bacXiu, err := e.svc.CreateProduct(ctx, from.m, catalog.ProductInput{CategoryID: from.drinks.ID, Name: "Bạc xỉu", Price: 32000,
			SKU: "CF-01-B", Variants: []catalog.VariantInput{{Name: "M", Price: 32000}}})
		if err != nil {
			t.Fatal(err)
		}
		ice, err := e.svc.CreateModifierGroup(ctx, from.m, catalog.ModifierGroupInput{Name: "Mức đá", MaxSelect: 1,
			Options: []catalog.OptionInput{{Name: "Ít đá"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdateProduct(ctx, from.m, bacXiu.ID, catalog.ProductPatch{ModifierGroupIDs: []string{ice.ID}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetShopProduct(ctx, from.m, from.shop, bacXiu.ID, catalog.ShopProductInput{SetPrice: true, Price: new(money.VND(30000)),
			Available: new(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetShopProduct(ctx, from.m, from.shop, from.tea.ID, catalog.ShopProductInput{SetPrice: true, Price: new(money.VND(50000))}); err != nil {
			t.Fatal(err)
		}

		// A tenant transaction cannot write the receiving merchant's catalog on PostgreSQL.
		if d.Dialect() == db.Postgres {
			err := d.WithTx(ctx, from.m, func(tx *sql.Tx) error {
				return e.svc.CopyForShopTransfer(ctx, tx, from.shop, from.m, to.m, map[string]string{})
			})
			if err == nil {
				t.Fatal("a tenant transaction copied into another merchant's catalog")
			}
		}

		ids := map[string]string{}
		err = d.WithSystemTx(ctx, "test shop transfer", func(tx *sql.Tx) error {
			return e.svc.CopyForShopTransfer(ctx, tx, from.shop, from.m, to.m, ids)
		})
		if err != nil {
			t.Fatal(err)
		}
		e.shops.mu.Lock()
		ref := e.shops.shops[from.shop]
		ref.MerchantID = to.m
		e.shops.shops[from.shop] = ref
		e.shops.mu.Unlock()
		if err := e.svc.ShopChanged(ctx, from.shop, from.m, to.m); err != nil {
			t.Fatal(err)
		}

		// Same names are reused; the rest is copied, with every old id mapped.
		checks := map[string]string{from.drinks.ID: to.drinks.ID, from.tea.ID: to.tea.ID, from.sugar.ID: to.sugar.ID,
			from.lessSugar: to.lessSugar, from.coffee.Variants[1].ID: to.coffee.Variants[1].ID, from.combo.ID: to.combo.ID}
		for old, want := range checks {
			if ids[old] != want {
				t.Errorf("ids[%s] = %q, want the receiving merchant's %s", old, ids[old], want)
			}
		}
		newBac := ids[bacXiu.ID]
		if newBac == "" || newBac == bacXiu.ID || ids[ice.ID] == "" || ids[ice.Options[0].ID] == "" || ids[bacXiu.Variants[0].ID] == "" {
			t.Fatalf("new rows not mapped: %v", ids)
		}
		p, err := e.svc.Product(ctx, to.m, newBac)
		if err != nil || p.Name != "Bạc xỉu" || p.CategoryID != to.drinks.ID || p.SKU != "CF-01-B" ||
			!slices.Equal(p.ModifierGroupIDs, []string{ids[ice.ID]}) || len(p.Variants) != 1 {
			t.Fatalf("copied product %+v, %v", p, err)
		}
		// The overrides moved with the shop, onto the receiving merchant's products.
		doc, err := e.svc.ShopMenu(ctx, to.m, from.shop)
		if err != nil {
			t.Fatal(err)
		}
		var menu catalog.Menu
		if err := json.Unmarshal(doc.JSON, &menu); err != nil {
			t.Fatal(err)
		}
		found := map[string]catalog.MenuProduct{}
		for _, cat := range menu.Categories {
			for _, mp := range cat.Products {
				found[mp.ID] = mp
			}
		}
		if mp := found[newBac]; mp.Price != 30000 || mp.Available {
			t.Errorf("Bạc xỉu in the moved shop: %+v", mp)
		}
		if mp := found[to.tea.ID]; mp.Price != 50000 || !mp.Available {
			t.Errorf("Trà đào in the moved shop: %+v", mp)
		}
		if _, err := e.svc.ShopMenu(ctx, from.m, from.shop); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("the old merchant still reads the shop's menu: %v", err)
		}
		// The giving merchant's catalog is untouched.
		if _, err := e.svc.Product(ctx, from.m, bacXiu.ID); err != nil {
			t.Errorf("source product: %v", err)
		}
	})
}

func TestConcurrentDeleteCategoryAndCreateProductNeverBothSucceed(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		m, _ := e.merchant("Race")
		ctx := context.Background()
		for i := range 10 {
			cat, err := e.svc.CreateCategory(ctx, m, catalog.CategoryInput{Name: "Cat " + string(rune('A'+i)), Station: "bar"})
			if err != nil {
				t.Fatal(err)
			}
			var delErr, createErr error
			var wg sync.WaitGroup
			start := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				delErr = e.svc.DeleteCategory(ctx, m, cat.ID)
			}()
			go func() {
				defer wg.Done()
				<-start
				_, createErr = e.svc.CreateProduct(ctx, m, catalog.ProductInput{CategoryID: cat.ID, Name: "P", Price: 1000})
			}()
			close(start)
			wg.Wait()
			switch {
			case delErr == nil && createErr == nil:
				t.Fatalf("round %d: the category was deleted and a product created in it", i)
			case delErr == nil:
				wantFields(t, createErr, "category_id")
			case createErr == nil:
				wantKind(t, delErr, apperr.Conflict)
			default:
				t.Fatalf("round %d: both failed: %v; %v", i, delErr, createErr)
			}
		}
	})
}
