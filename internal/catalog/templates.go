package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/goodgo/goodgo/internal/catalog/catalogdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// MenuTemplate is a ready-made starting menu for a kind of venue.
type MenuTemplate struct {
	ID             string                 `json:"id" enum:"cafe,restaurant,karaoke"`
	Name           string                 `json:"name"`
	ModifierGroups []MenuTemplateGroup    `json:"modifier_groups"`
	Categories     []MenuTemplateCategory `json:"categories"`
}

// MenuTemplateGroup is a modifier group of a template.
type MenuTemplateGroup struct {
	Name      string               `json:"name"`
	MinSelect int                  `json:"min_select"`
	MaxSelect int                  `json:"max_select"`
	Options   []MenuTemplateOption `json:"options"`
}

// MenuTemplateOption is an option of a template's modifier group.
type MenuTemplateOption struct {
	Name       string    `json:"name"`
	PriceDelta money.VND `json:"price_delta"`
}

// MenuTemplateCategory is a category of a template with its products.
type MenuTemplateCategory struct {
	Name     string                `json:"name"`
	Station  string                `json:"station"`
	Products []MenuTemplateProduct `json:"products"`
}

// MenuTemplateProduct is a product of a template. Groups and Components name the template's groups and
// products; a product with Components is a combo.
type MenuTemplateProduct struct {
	Name       string                  `json:"name"`
	NameEn     string                  `json:"name_en"`
	Price      money.VND               `json:"price"`
	Variants   []MenuTemplateVariant   `json:"variants" doc:"Sizes with their own price."`
	Groups     []string                `json:"modifier_groups"`
	Components []MenuTemplateComponent `json:"components"`
}

// MenuTemplateVariant is a size of a template's product.
type MenuTemplateVariant struct {
	Name  string    `json:"name"`
	Price money.VND `json:"price"`
}

// MenuTemplateComponent is a product of a template's combo, by name.
type MenuTemplateComponent struct {
	Product  string `json:"product"`
	Quantity int    `json:"quantity"`
}

// MenuTemplateResult says what applying a template created; what existed by name was reused.
type MenuTemplateResult struct {
	TemplateID     string `json:"template_id"`
	Categories     int    `json:"categories_created"`
	Products       int    `json:"products_created"`
	ModifierGroups int    `json:"modifier_groups_created"`
}

// templates are the built-in menus, with prices as Vietnamese venues charge in 2025.
var templates = []MenuTemplate{
	{
		ID: "cafe", Name: "Quán cà phê",
		ModifierGroups: []MenuTemplateGroup{
			{Name: "Mức đường", MinSelect: 0, MaxSelect: 1, Options: []MenuTemplateOption{
				{Name: "Bình thường"}, {Name: "Ít đường"}, {Name: "Không đường"}}},
			{Name: "Mức đá", MinSelect: 0, MaxSelect: 1, Options: []MenuTemplateOption{
				{Name: "Bình thường"}, {Name: "Ít đá"}, {Name: "Không đá"}, {Name: "Đá riêng"}}},
			{Name: "Topping", MinSelect: 0, MaxSelect: 3, Options: []MenuTemplateOption{
				{Name: "Trân châu đen", PriceDelta: 5000}, {Name: "Thạch cà phê", PriceDelta: 5000},
				{Name: "Kem cheese", PriceDelta: 10000}, {Name: "Shot espresso", PriceDelta: 12000}}},
		},
		Categories: []MenuTemplateCategory{
			{Name: "Cà phê", Station: StationBar, Products: []MenuTemplateProduct{
				{Name: "Cà phê đen đá", NameEn: "Iced black coffee", Price: 25000, Groups: []string{"Mức đường", "Mức đá"}},
				{Name: "Cà phê sữa đá", NameEn: "Iced milk coffee", Price: 29000, Groups: []string{"Mức đường", "Mức đá"}},
				{Name: "Bạc xỉu", NameEn: "White coffee", Price: 32000, Groups: []string{"Mức đường", "Mức đá"}},
				{Name: "Cà phê muối", NameEn: "Salted cream coffee", Price: 35000, Groups: []string{"Mức đá"}},
			}},
			{Name: "Trà & trà sữa", Station: StationBar, Products: []MenuTemplateProduct{
				{Name: "Trà đào cam sả", NameEn: "Peach lemongrass tea", Price: 45000,
					Variants: []MenuTemplateVariant{{Name: "M", Price: 45000}, {Name: "L", Price: 55000}},
					Groups:   []string{"Mức đường", "Mức đá"}},
				{Name: "Trà sữa trân châu", NameEn: "Bubble milk tea", Price: 39000,
					Variants: []MenuTemplateVariant{{Name: "M", Price: 39000}, {Name: "L", Price: 47000}},
					Groups:   []string{"Mức đường", "Mức đá", "Topping"}},
				{Name: "Trà tắc", NameEn: "Kumquat tea", Price: 20000, Groups: []string{"Mức đường", "Mức đá"}},
			}},
			{Name: "Bánh & ăn nhẹ", Station: StationKitchen, Products: []MenuTemplateProduct{
				{Name: "Bánh mì thịt", NameEn: "Bánh mì with pork", Price: 25000},
				{Name: "Bánh croissant", NameEn: "Croissant", Price: 30000},
				{Name: "Combo sáng: bánh mì + cà phê sữa", NameEn: "Breakfast combo", Price: 49000,
					Components: []MenuTemplateComponent{{Product: "Bánh mì thịt", Quantity: 1}, {Product: "Cà phê sữa đá", Quantity: 1}}},
			}},
		},
	},
	{
		ID: "restaurant", Name: "Nhà hàng",
		ModifierGroups: []MenuTemplateGroup{
			{Name: "Độ cay", MinSelect: 0, MaxSelect: 1, Options: []MenuTemplateOption{
				{Name: "Không cay"}, {Name: "Cay vừa"}, {Name: "Cay nhiều"}}},
			{Name: "Thêm", MinSelect: 0, MaxSelect: 3, Options: []MenuTemplateOption{
				{Name: "Thêm cơm", PriceDelta: 10000}, {Name: "Thêm trứng ốp la", PriceDelta: 8000},
				{Name: "Thêm bánh phở", PriceDelta: 10000}}},
		},
		Categories: []MenuTemplateCategory{
			{Name: "Khai vị", Station: StationKitchen, Products: []MenuTemplateProduct{
				{Name: "Gỏi cuốn tôm thịt", NameEn: "Fresh spring rolls", Price: 45000},
				{Name: "Chả giò", NameEn: "Fried spring rolls", Price: 55000},
			}},
			{Name: "Món chính", Station: StationKitchen, Products: []MenuTemplateProduct{
				{Name: "Phở bò", NameEn: "Beef phở", Price: 65000,
					Variants: []MenuTemplateVariant{{Name: "Tô thường", Price: 65000}, {Name: "Tô đặc biệt", Price: 85000}},
					Groups:   []string{"Độ cay", "Thêm"}},
				{Name: "Cơm tấm sườn bì chả", NameEn: "Broken rice with pork chop", Price: 60000, Groups: []string{"Thêm"}},
				{Name: "Bún chả Hà Nội", NameEn: "Hanoi grilled pork with noodles", Price: 55000, Groups: []string{"Độ cay"}},
			}},
			{Name: "Món nướng", Station: StationGrill, Products: []MenuTemplateProduct{
				{Name: "Sườn heo nướng", NameEn: "Grilled pork ribs", Price: 120000, Groups: []string{"Độ cay"}},
				{Name: "Mực nướng sa tế", NameEn: "Grilled squid with satay", Price: 150000, Groups: []string{"Độ cay"}},
			}},
			{Name: "Đồ uống", Station: StationBar, Products: []MenuTemplateProduct{
				{Name: "Trà đá", NameEn: "Iced tea", Price: 5000},
				{Name: "Nước mía", NameEn: "Sugarcane juice", Price: 15000},
				{Name: "Bia Sài Gòn", NameEn: "Saigon beer", Price: 20000},
			}},
		},
	},
	{
		ID: "karaoke", Name: "Karaoke",
		ModifierGroups: []MenuTemplateGroup{
			{Name: "Đá", MinSelect: 0, MaxSelect: 1, Options: []MenuTemplateOption{{Name: "Có đá"}, {Name: "Không đá"}}},
		},
		Categories: []MenuTemplateCategory{
			{Name: "Bia", Station: StationBar, Products: []MenuTemplateProduct{
				{Name: "Bia Tiger (lon)", NameEn: "Tiger beer (can)", Price: 35000, Groups: []string{"Đá"}},
				{Name: "Bia Heineken (lon)", NameEn: "Heineken (can)", Price: 40000, Groups: []string{"Đá"}},
				{Name: "Bia Sài Gòn Special", NameEn: "Saigon Special", Price: 30000, Groups: []string{"Đá"}},
			}},
			{Name: "Nước ngọt", Station: StationBar, Products: []MenuTemplateProduct{
				{Name: "Coca-Cola", Price: 25000, Groups: []string{"Đá"}},
				{Name: "Nước suối", NameEn: "Mineral water", Price: 15000},
			}},
			{Name: "Đồ ăn vặt", Station: StationKitchen, Products: []MenuTemplateProduct{
				{Name: "Khô mực nướng", NameEn: "Grilled dried squid", Price: 120000},
				{Name: "Đậu phộng rang", NameEn: "Roasted peanuts", Price: 40000},
				{Name: "Khoai tây chiên", NameEn: "French fries", Price: 60000},
			}},
			{Name: "Trái cây", Station: StationKitchen, Products: []MenuTemplateProduct{
				{Name: "Đĩa trái cây", NameEn: "Fruit platter", Price: 150000,
					Variants: []MenuTemplateVariant{{Name: "Nhỏ", Price: 150000}, {Name: "Lớn", Price: 250000}}},
				{Name: "Combo 10 lon Tiger + khô mực", NameEn: "10 Tiger cans + dried squid", Price: 420000,
					Components: []MenuTemplateComponent{{Product: "Bia Tiger (lon)", Quantity: 10}, {Product: "Khô mực nướng", Quantity: 1}}},
			}},
		},
	},
}

// MenuTemplates lists the built-in menu templates.
func (s *Service) MenuTemplates() []MenuTemplate { return templates }

// ApplyTemplate adds template id's categories, modifier groups and products to merchant m's catalog.
// It is idempotent by name: categories and groups with the template's names, and products with its names
// in the same category, are reused and left as they are, so applying twice creates nothing the second
// time. It returns apperr.NotFound for an unknown template.
func (s *Service) ApplyTemplate(ctx context.Context, m tenant.ID, id string) (MenuTemplateResult, error) {
	var t *MenuTemplate
	for i := range templates {
		if templates[i].ID == id {
			t = &templates[i]
		}
	}
	if t == nil {
		return MenuTemplateResult{}, apperr.E(apperr.NotFound, "menu template not found")
	}
	src := templateSnapshot(*t)
	out := MenuTemplateResult{TemplateID: id}
	err := s.write(ctx, m, func(tx *sql.Tx, q *catalogdb.Queries, ch *change) error {
		dst, err := loadSnapshot(ctx, q, m)
		if err != nil {
			return err
		}
		ids := map[string]string{}
		n, err := mergeSnapshot(ctx, q, src, dst, m, ids, s.now(), false)
		if err != nil {
			return err
		}
		out.Categories, out.Products, out.ModifierGroups = n.Categories, n.Products, n.ModifierGroups
		if n.Products > 0 || n.Categories > 0 {
			created := []string{}
			for _, p := range src.products {
				created = append(created, ids[p.ID])
			}
			ch.touch(created...)
		}
		return nil
	})
	if err != nil {
		return MenuTemplateResult{}, fmt.Errorf("apply menu template %s: %w", id, err)
	}
	return out, nil
}

// templateSnapshot turns a template into the shape mergeSnapshot copies from, with ids local to it.
func templateSnapshot(t MenuTemplate) *snapshot {
	s := &snapshot{groupByID: map[string]*CatalogModifierGroup{}}
	groupIDs := map[string]string{}
	for i, g := range t.ModifierGroups {
		cg := CatalogModifierGroup{ID: "g" + strconv.Itoa(i), Name: g.Name, MinSelect: g.MinSelect, MaxSelect: g.MaxSelect}
		for j, o := range g.Options {
			cg.Options = append(cg.Options, CatalogModifierOption{ID: cg.ID + "o" + strconv.Itoa(j), Name: o.Name, PriceDelta: o.PriceDelta})
		}
		groupIDs[g.Name] = cg.ID
		s.groups = append(s.groups, cg)
	}
	productIDs := map[string]string{}
	n := 0
	for i, c := range t.Categories {
		cat := CatalogCategory{ID: "c" + strconv.Itoa(i), Name: c.Name, Station: c.Station, SortOrder: i}
		s.categories = append(s.categories, cat)
		for _, p := range c.Products {
			cp := CatalogProduct{ID: "p" + strconv.Itoa(n), Kind: KindItem, CategoryID: cat.ID, Name: p.Name, NameEn: p.NameEn,
				Price: p.Price, TaxClass: TaxStandard, SortOrder: n}
			n++
			for j, v := range p.Variants {
				cp.Variants = append(cp.Variants, CatalogVariant{ID: cp.ID + "v" + strconv.Itoa(j), Name: v.Name, Price: v.Price})
			}
			for _, g := range p.Groups {
				cp.ModifierGroupIDs = append(cp.ModifierGroupIDs, groupIDs[g])
			}
			for _, comp := range p.Components {
				cp.Kind = KindCombo
				cp.Components = append(cp.Components, CatalogComponent{ProductID: productIDs[comp.Product], Quantity: comp.Quantity})
			}
			productIDs[p.Name] = cp.ID
			s.products = append(s.products, cp)
		}
	}
	return s
}
