package catalog

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
)

// Routes registers the module's operations on api: categories, products, modifier groups, menu templates
// (merchant-wide), per-shop overrides and menus, and the public menu. Every operation declares its
// permission; rbac.Guard checks it (for {shop_id} routes, against the caller's roles in that shop) and the
// service answers 404 for whatever is not the caller's merchant's.
//
// Variants are managed through their product: POST and PATCH take the whole variant list (an entry with
// the id of an existing variant keeps that id). Modifier options are managed the same way through their group.
func (s *Service) Routes(api huma.API) {
	s.categoryRoutes(api)
	s.productRoutes(api)
	s.groupRoutes(api)
	s.shopRoutes(api)
	s.templateRoutes(api)
}

// ---- categories ----

type catalogCategoryBody struct {
	Name      string `json:"name" minLength:"1" maxLength:"100"`
	Station   string `json:"station" pattern:"^[a-z0-9][a-z0-9_-]{0,31}$" patternDescription:"kitchen, bar, grill or a lower-case slug" doc:"Where the kitchen display routes the category's lines: kitchen, bar, grill or a lower-case slug of your own."`
	SortOrder *int   `json:"sort_order,omitempty" minimum:"0" maximum:"100000" doc:"Default: after the last category."`
}

type catalogCategoryPatchBody struct {
	Name      *string `json:"name,omitempty" minLength:"1" maxLength:"100"`
	Station   *string `json:"station,omitempty" pattern:"^[a-z0-9][a-z0-9_-]{0,31}$" patternDescription:"kitchen, bar, grill or a lower-case slug"`
	SortOrder *int    `json:"sort_order,omitempty" minimum:"0" maximum:"100000"`
}

type catalogReorderBody struct {
	CategoryIDs []string `json:"category_ids" maxItems:"1000" doc:"Every live category, in the new order."`
}

type categoryPath struct {
	CategoryID string `path:"category_id" maxLength:"64"`
}

type categoryOutput struct{ Body CatalogCategory }

type categoriesOutput struct {
	Body struct {
		Items []CatalogCategory `json:"items"`
	}
}

func (s *Service) categoryRoutes(api huma.API) {
	tags := []string{"Catalog"}
	huma.Register(api, rbac.Operation("create-category", http.MethodPost, "/api/v1/categories",
		"Create a menu category routed to a kitchen station", tags, rbac.CatalogManage, http.StatusCreated),
		func(ctx context.Context, in *struct{ Body catalogCategoryBody }) (*categoryOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			c, err := s.CreateCategory(ctx, m, CategoryInput{Name: in.Body.Name, Station: in.Body.Station, SortOrder: in.Body.SortOrder})
			return &categoryOutput{Body: c}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("list-categories", http.MethodGet, "/api/v1/categories",
		"The merchant's categories in menu order", tags, rbac.CatalogRead, 0),
		func(ctx context.Context, _ *struct{}) (*categoriesOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			cs, err := s.Categories(ctx, m)
			out := &categoriesOutput{}
			out.Body.Items = cs
			return out, err
		})
	huma.Register(api, rbac.Operation("get-category", http.MethodGet, "/api/v1/categories/{category_id}",
		"A category", tags, rbac.CatalogRead, 0),
		func(ctx context.Context, in *categoryPath) (*categoryOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			c, err := s.Category(ctx, m, in.CategoryID)
			return &categoryOutput{Body: c}, err
		})
	huma.Register(api, rbac.Operation("update-category", http.MethodPatch, "/api/v1/categories/{category_id}",
		"Rename a category, change its station or place", tags, rbac.CatalogManage, 0),
		func(ctx context.Context, in *struct {
			CategoryID string `path:"category_id" maxLength:"64"`
			Body       catalogCategoryPatchBody
		}) (*categoryOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			c, err := s.UpdateCategory(ctx, m, in.CategoryID, CategoryPatch{Name: b.Name, Station: b.Station, SortOrder: b.SortOrder})
			return &categoryOutput{Body: c}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("delete-category", http.MethodDelete, "/api/v1/categories/{category_id}",
		"Delete an empty category (409 while live products use it)", tags, rbac.CatalogManage, http.StatusNoContent),
		func(ctx context.Context, in *categoryPath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.DeleteCategory(ctx, m, in.CategoryID)
		})
	huma.Register(api, rbac.Operation("reorder-categories", http.MethodPost, "/api/v1/categories/reorder",
		"Put the categories in a new order (list every one once)", tags, rbac.CatalogManage, 0),
		func(ctx context.Context, in *struct{ Body catalogReorderBody }) (*categoriesOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			cs, err := s.ReorderCategories(ctx, m, in.Body.CategoryIDs)
			out := &categoriesOutput{}
			out.Body.Items = cs
			return out, apperr.Located(err, "body")
		})
}

// ---- products ----

type catalogVariantBody struct {
	ID    string    `json:"id,omitempty" maxLength:"64" doc:"An existing variant's id, to keep it."`
	Name  string    `json:"name" minLength:"1" maxLength:"100"`
	Price money.VND `json:"price" minimum:"0"`
}

type catalogComponentBody struct {
	ProductID string `json:"product_id" minLength:"1" maxLength:"64"`
	Quantity  int    `json:"quantity" minimum:"1" maximum:"99"`
}

type catalogProductBody struct {
	Kind             string                 `json:"kind,omitempty" enum:"item,combo" doc:"Default item."`
	Name             string                 `json:"name" minLength:"1" maxLength:"100"`
	NameEn           string                 `json:"name_en,omitempty" maxLength:"100"`
	Description      string                 `json:"description,omitempty" maxLength:"1000"`
	CategoryID       string                 `json:"category_id" minLength:"1" maxLength:"64"`
	Price            money.VND              `json:"price" minimum:"0" doc:"Merchant price in đồng."`
	SKU              string                 `json:"sku,omitempty" maxLength:"64"`
	TaxClass         string                 `json:"tax_class,omitempty" enum:"standard,reduced,exempt" doc:"Default standard (the shop's VAT rate)."`
	ImageFileID      string                 `json:"image_file_id,omitempty" maxLength:"64"`
	SortOrder        int                    `json:"sort_order,omitempty" minimum:"0" maximum:"100000"`
	ModifierGroupIDs []string               `json:"modifier_group_ids,omitempty" maxItems:"20"`
	Variants         []catalogVariantBody   `json:"variants,omitempty" maxItems:"20"`
	Components       []catalogComponentBody `json:"components,omitempty" maxItems:"20" doc:"A combo's products."`
}

type catalogProductPatchBody struct {
	Name             *string                `json:"name,omitempty" minLength:"1" maxLength:"100"`
	NameEn           *string                `json:"name_en,omitempty" maxLength:"100"`
	Description      *string                `json:"description,omitempty" maxLength:"1000"`
	CategoryID       *string                `json:"category_id,omitempty" minLength:"1" maxLength:"64"`
	Price            *money.VND             `json:"price,omitempty" minimum:"0"`
	SKU              *string                `json:"sku,omitempty" maxLength:"64"`
	TaxClass         *string                `json:"tax_class,omitempty" enum:"standard,reduced,exempt"`
	ImageFileID      *string                `json:"image_file_id,omitempty" maxLength:"64"`
	SortOrder        *int                   `json:"sort_order,omitempty" minimum:"0" maximum:"100000"`
	ModifierGroupIDs []string               `json:"modifier_group_ids,omitempty" maxItems:"20" doc:"Replaces the list when sent."`
	Variants         []catalogVariantBody   `json:"variants,omitempty" maxItems:"20" doc:"Replaces the list when sent; entries with an id keep that variant."`
	Components       []catalogComponentBody `json:"components,omitempty" maxItems:"20" doc:"Replaces a combo's products when sent."`
}

func variantInputs(in []catalogVariantBody) []VariantInput {
	if in == nil {
		return nil
	}
	out := make([]VariantInput, len(in))
	for i, v := range in {
		out[i] = VariantInput(v)
	}
	return out
}

func componentInputs(in []catalogComponentBody) []CatalogComponent {
	if in == nil {
		return nil
	}
	out := make([]CatalogComponent, len(in))
	for i, c := range in {
		out[i] = CatalogComponent(c)
	}
	return out
}

type productPath struct {
	ProductID string `path:"product_id" maxLength:"64"`
}

type productOutput struct{ Body CatalogProduct }

type listProductsInput struct {
	CategoryID      string `query:"category_id" maxLength:"64" doc:"Only this category's products."`
	IncludeArchived bool   `query:"include_archived"`
	Limit           int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor          string `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
}

type productPageOutput struct{ Body ProductPage }

func (s *Service) productRoutes(api huma.API) {
	tags := []string{"Catalog"}
	huma.Register(api, rbac.Operation("create-product", http.MethodPost, "/api/v1/products",
		"Create a product (or a combo) with its variants and modifier groups", tags, rbac.CatalogManage, http.StatusCreated),
		func(ctx context.Context, in *struct{ Body catalogProductBody }) (*productOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			p, err := s.CreateProduct(ctx, m, ProductInput{Kind: b.Kind, CategoryID: b.CategoryID, Name: b.Name,
				NameEn: b.NameEn, Description: b.Description, Price: b.Price, SKU: b.SKU, TaxClass: b.TaxClass,
				ImageFileID: b.ImageFileID, SortOrder: b.SortOrder, ModifierGroupIDs: b.ModifierGroupIDs,
				Variants: variantInputs(b.Variants), Components: componentInputs(b.Components)})
			return &productOutput{Body: p}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("list-products", http.MethodGet, "/api/v1/products",
		"The merchant's products in creation order, by pages", tags, rbac.CatalogRead, 0),
		func(ctx context.Context, in *listProductsInput) (*productPageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.ListProducts(ctx, m, ProductQuery{CategoryID: in.CategoryID, IncludeArchived: in.IncludeArchived,
				Limit: in.Limit, Cursor: in.Cursor})
			return &productPageOutput{Body: page}, apperr.Located(err, "query")
		})
	huma.Register(api, rbac.Operation("get-product", http.MethodGet, "/api/v1/products/{product_id}",
		"A product with its variants, modifier groups and components", tags, rbac.CatalogRead, 0),
		func(ctx context.Context, in *productPath) (*productOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			p, err := s.Product(ctx, m, in.ProductID)
			return &productOutput{Body: p}, err
		})
	huma.Register(api, rbac.Operation("update-product", http.MethodPatch, "/api/v1/products/{product_id}",
		"Change a product; lists sent replace the product's", tags, rbac.CatalogManage, 0),
		func(ctx context.Context, in *struct {
			ProductID string `path:"product_id" maxLength:"64"`
			Body      catalogProductPatchBody
		}) (*productOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			p, err := s.UpdateProduct(ctx, m, in.ProductID, ProductPatch{CategoryID: b.CategoryID, Name: b.Name,
				NameEn: b.NameEn, Description: b.Description, Price: b.Price, SKU: b.SKU, TaxClass: b.TaxClass,
				ImageFileID: b.ImageFileID, SortOrder: b.SortOrder, ModifierGroupIDs: b.ModifierGroupIDs,
				Variants: variantInputs(b.Variants), Components: componentInputs(b.Components)})
			return &productOutput{Body: p}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("archive-product", http.MethodDelete, "/api/v1/products/{product_id}",
		"Archive a product: it leaves every menu (409 while a live combo holds it)", tags, rbac.CatalogManage, http.StatusNoContent),
		func(ctx context.Context, in *productPath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.ArchiveProduct(ctx, m, in.ProductID)
		})
}

// ---- modifier groups ----

type catalogOptionBody struct {
	ID         string    `json:"id,omitempty" maxLength:"64" doc:"An existing option's id, to keep it."`
	Name       string    `json:"name" minLength:"1" maxLength:"100"`
	PriceDelta money.VND `json:"price_delta" minimum:"0" doc:"Added to the line's price; 0 for a free choice such as less sugar."`
}

type catalogGroupBody struct {
	Name      string              `json:"name" minLength:"1" maxLength:"100"`
	MinSelect int                 `json:"min_select" minimum:"0"`
	MaxSelect int                 `json:"max_select" minimum:"1"`
	Options   []catalogOptionBody `json:"options" minItems:"1" maxItems:"50"`
}

type catalogGroupPatchBody struct {
	Name      *string             `json:"name,omitempty" minLength:"1" maxLength:"100"`
	MinSelect *int                `json:"min_select,omitempty" minimum:"0"`
	MaxSelect *int                `json:"max_select,omitempty" minimum:"1"`
	Options   []catalogOptionBody `json:"options,omitempty" minItems:"1" maxItems:"50" doc:"Replaces the options when sent; entries with an id keep that option."`
}

func optionInputs(in []catalogOptionBody) []OptionInput {
	if in == nil {
		return nil
	}
	out := make([]OptionInput, len(in))
	for i, o := range in {
		out[i] = OptionInput(o)
	}
	return out
}

type groupPath struct {
	GroupID string `path:"group_id" maxLength:"64"`
}

type groupOutput struct{ Body CatalogModifierGroup }

type groupsOutput struct {
	Body struct {
		Items []CatalogModifierGroup `json:"items"`
	}
}

func (s *Service) groupRoutes(api huma.API) {
	tags := []string{"Catalog"}
	huma.Register(api, rbac.Operation("create-modifier-group", http.MethodPost, "/api/v1/modifier-groups",
		"Create a modifier group (sugar, ice, toppings) with its options", tags, rbac.CatalogManage, http.StatusCreated),
		func(ctx context.Context, in *struct{ Body catalogGroupBody }) (*groupOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			g, err := s.CreateModifierGroup(ctx, m, ModifierGroupInput{Name: b.Name, MinSelect: b.MinSelect,
				MaxSelect: b.MaxSelect, Options: optionInputs(b.Options)})
			return &groupOutput{Body: g}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("list-modifier-groups", http.MethodGet, "/api/v1/modifier-groups",
		"The merchant's modifier groups with their options", tags, rbac.CatalogRead, 0),
		func(ctx context.Context, _ *struct{}) (*groupsOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			gs, err := s.ModifierGroups(ctx, m)
			out := &groupsOutput{}
			out.Body.Items = gs
			return out, err
		})
	huma.Register(api, rbac.Operation("get-modifier-group", http.MethodGet, "/api/v1/modifier-groups/{group_id}",
		"A modifier group with its options", tags, rbac.CatalogRead, 0),
		func(ctx context.Context, in *groupPath) (*groupOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			g, err := s.ModifierGroup(ctx, m, in.GroupID)
			return &groupOutput{Body: g}, err
		})
	huma.Register(api, rbac.Operation("update-modifier-group", http.MethodPatch, "/api/v1/modifier-groups/{group_id}",
		"Change a modifier group; options sent replace its options", tags, rbac.CatalogManage, 0),
		func(ctx context.Context, in *struct {
			GroupID string `path:"group_id" maxLength:"64"`
			Body    catalogGroupPatchBody
		}) (*groupOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			g, err := s.UpdateModifierGroup(ctx, m, in.GroupID, ModifierGroupPatch{Name: b.Name, MinSelect: b.MinSelect,
				MaxSelect: b.MaxSelect, Options: optionInputs(b.Options)})
			return &groupOutput{Body: g}, apperr.Located(err, "body")
		})
	huma.Register(api, rbac.Operation("delete-modifier-group", http.MethodDelete, "/api/v1/modifier-groups/{group_id}",
		"Delete a modifier group; it is detached from every product", tags, rbac.CatalogManage, http.StatusNoContent),
		func(ctx context.Context, in *groupPath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.DeleteModifierGroup(ctx, m, in.GroupID)
		})
}

// ---- shops: overrides and menus ----

// catalogOptionalPrice is a price that may be absent (keep), null (clear the override) or a number.
type catalogOptionalPrice struct {
	set   bool
	value *money.VND
}

// UnmarshalJSON records that the field was sent, and its value (nil for null).
func (o *catalogOptionalPrice) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.value = nil
		return nil
	}
	var v money.VND
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.value = &v
	return nil
}

// Schema describes the field to huma: a non-negative integer or null.
func (catalogOptionalPrice) Schema(huma.Registry) *huma.Schema {
	zero := 0.0
	return &huma.Schema{Type: huma.TypeInteger, Format: "int64", Nullable: true, Minimum: &zero,
		Description: "The shop's own price in đồng; null goes back to the merchant price; absent keeps it."}
}

type catalogShopProductBody struct {
	Price     catalogOptionalPrice `json:"price,omitempty"`
	Available *bool                `json:"available,omitempty" doc:"false marks the product sold out in this shop."`
}

type shopProductOutput struct{ Body CatalogShopProduct }

type menuInput struct {
	ShopID      string `path:"shop_id" maxLength:"64"`
	IfNoneMatch string `header:"If-None-Match" maxLength:"200"`
}

type menuOutput struct {
	Status       int
	ETag         string `header:"ETag"`
	CacheControl string `header:"Cache-Control"`
	ContentType  string `header:"Content-Type"`
	Body         []byte
}

// menuResponse answers a menu request: 304 when the client's copy is current, the JSON otherwise. Clients
// must revalidate every time (no-cache): a sold-out product disappears at once.
func menuResponse(doc MenuDocument, ifNoneMatch string) *menuOutput {
	out := &menuOutput{Status: http.StatusOK, ETag: doc.ETag, CacheControl: "no-cache"}
	if ifNoneMatch != "" && ifNoneMatch == doc.ETag {
		out.Status = http.StatusNotModified
		return out
	}
	out.ContentType, out.Body = "application/json", doc.JSON
	return out
}

// documentMenu describes a menu operation's 200 answer (its body is written as pre-rendered bytes, which
// huma cannot describe by itself) and its 304.
func documentMenu(api huma.API, o *huma.Operation) {
	schema := api.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(Menu{}), true, "Menu")
	o.Responses = map[string]*huma.Response{
		"200": {Description: "The menu", Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}},
		"304": {Description: "The menu has not changed since the ETag sent in If-None-Match"},
	}
}

func (s *Service) shopRoutes(api huma.API) {
	tags := []string{"Catalog"}
	huma.Register(api, rbac.Operation("set-shop-product", http.MethodPut, "/api/v1/shops/{shop_id}/products/{product_id}",
		"Mark a product sold out or back in a shop, or set the shop's own price (price needs catalog.manage)",
		tags, rbac.MenuAvailability, 0),
		func(ctx context.Context, in *struct {
			ShopID    string `path:"shop_id" maxLength:"64"`
			ProductID string `path:"product_id" maxLength:"64"`
			Body      catalogShopProductBody
		}) (*shopProductOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			// Any staff member may toggle availability; changing what the shop charges is a manager's call.
			if in.Body.Price.set && !rbac.Allows(p.RolesIn(in.ShopID), rbac.CatalogManage) {
				return nil, apperr.E(apperr.Forbidden, "your role may not change prices (%s)", rbac.CatalogManage)
			}
			sp, err := s.SetShopProduct(ctx, m, in.ShopID, in.ProductID, ShopProductInput{SetPrice: in.Body.Price.set,
				Price: in.Body.Price.value, Available: in.Body.Available})
			return &shopProductOutput{Body: sp}, apperr.Located(err, "body")
		})

	staff := rbac.Operation("get-shop-menu", http.MethodGet, "/api/v1/shops/{shop_id}/menu",
		"The shop's menu for staff: every live product at the shop's price, sold-out ones with available false",
		tags, rbac.CatalogRead, 0)
	documentMenu(api, &staff)
	huma.Register(api, staff, func(ctx context.Context, in *menuInput) (*menuOutput, error) {
		_, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		doc, err := s.ShopMenu(ctx, m, in.ShopID)
		if err != nil {
			return nil, err
		}
		return menuResponse(doc, in.IfNoneMatch), nil
	})

	public := huma.Operation{OperationID: "get-public-menu", Method: http.MethodGet,
		Path:    "/api/v1/public/shops/{shop_id}/menu",
		Summary: "A shop's menu for customers (no sign-in): shop prices, sold-out products left out", Tags: tags}
	rbac.Public(&public, "public menu")
	documentMenu(api, &public)
	huma.Register(api, public, func(ctx context.Context, in *menuInput) (*menuOutput, error) {
		doc, err := s.PublicMenu(ctx, in.ShopID)
		if err != nil {
			return nil, err
		}
		return menuResponse(doc, in.IfNoneMatch), nil
	})
}

// ---- templates ----

type templatesOutput struct {
	Body struct {
		Items []MenuTemplate `json:"items"`
	}
}

type templateResultOutput struct{ Body MenuTemplateResult }

func (s *Service) templateRoutes(api huma.API) {
	tags := []string{"Catalog"}
	huma.Register(api, rbac.Operation("list-menu-templates", http.MethodGet, "/api/v1/menu-templates",
		"Ready-made menus (café, restaurant, karaoke) to start from", tags, rbac.CatalogManage, 0),
		func(ctx context.Context, _ *struct{}) (*templatesOutput, error) {
			out := &templatesOutput{}
			out.Body.Items = s.MenuTemplates()
			return out, nil
		})
	huma.Register(api, rbac.Operation("apply-menu-template", http.MethodPost, "/api/v1/menu-templates/{template_id}/apply",
		"Add a template's categories, modifier groups and products to the catalog (what exists by name is reused)",
		tags, rbac.CatalogManage, 0),
		func(ctx context.Context, in *struct {
			TemplateID string `path:"template_id" maxLength:"64"`
		}) (*templateResultOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			r, err := s.ApplyTemplate(ctx, m, in.TemplateID)
			return &templateResultOutput{Body: r}, err
		})
}
