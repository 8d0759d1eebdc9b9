// Package rbac is GoodGo's access policy: the roles, the permissions, and the one table that says which role
// may do what. Every HTTP operation declares the permission it needs (Require) or that it is public
// (Public); Guard enforces the declaration in one place, and a test in the composition root walks every
// registered operation to make sure none is open by accident.
//
// Roles come in three reaches: the platform's admin; merchant-wide roles (owner, manager) that reach every
// shop of the merchant; shop roles (cashier, waiter, kitchen) held in particular shops. A token scoped to
// one shop (a PIN login) carries its roles for that shop only.
package rbac

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
)

// Role is what a person is to a merchant, a shop or the platform.
type Role string

// The roles of PRODUCT.md.
const (
	Admin    Role = "admin"    // platform operator
	Owner    Role = "owner"    // owns the merchant: everything, in every shop
	Manager  Role = "manager"  // runs the merchant's shops: menu, staff, floor, reports
	Cashier  Role = "cashier"  // takes orders and payments in a shop
	Waiter   Role = "waiter"   // takes orders in a shop
	Kitchen  Role = "kitchen"  // works the kitchen display of a shop
	Customer Role = "customer" // a guest with an account
)

// StaffRoles are the roles a merchant can give its people in a shop.
var StaffRoles = []Role{Manager, Cashier, Waiter, Kitchen}

// ParseStaffRole reads a role a merchant may grant in a shop. It returns an apperr.Invalid error naming the
// field "role" otherwise.
func ParseStaffRole(s string) (Role, error) {
	r := Role(s)
	if !slices.Contains(StaffRoles, r) {
		names := make([]string, len(StaffRoles))
		for i, r := range StaffRoles {
			names[i] = string(r)
		}
		return "", apperr.WithField("role", "must be one of "+strings.Join(names, ", "))
	}
	return r, nil
}

// Permission names something a caller may do.
type Permission string

// The permissions. Each module's operations use these; new capabilities add theirs here, in the table
// below, so the whole policy reads in one place.
const (
	// AccountSelf: a signed-in principal managing itself (/me, MFA, logout, its sessions).
	AccountSelf Permission = "account.self"
	// AuditRead: reading the merchant's security audit log.
	AuditRead Permission = "audit.read"
	// MerchantRead, MerchantManage: the merchant's profile and plan; archiving the merchant.
	MerchantRead   Permission = "merchant.read"
	MerchantManage Permission = "merchant.manage"
	// ShopRead: seeing a shop and its settings. ShopCreate, ShopManage: creating shops, changing settings,
	// archiving, choosing the default. ShopTransfer: giving a shop to another merchant.
	ShopRead     Permission = "shop.read"
	ShopCreate   Permission = "shop.create"
	ShopManage   Permission = "shop.manage"
	ShopTransfer Permission = "shop.transfer"
	// StaffRead, StaffManage: the people of a shop and their roles and PINs.
	StaffRead   Permission = "staff.read"
	StaffManage Permission = "staff.manage"
	// FloorRead, FloorManage: areas, tables, karaoke rooms and their QR tokens.
	FloorRead   Permission = "floor.read"
	FloorManage Permission = "floor.manage"
	// CatalogRead, CatalogManage: the merchant's menu (categories, products, variants, modifiers, combos,
	// per-shop prices, templates). MenuAvailability: marking a product sold out or back in a shop, from any
	// terminal of the shop.
	CatalogRead      Permission = "catalog.read"
	CatalogManage    Permission = "catalog.manage"
	MenuAvailability Permission = "menu.availability"
	// StockRead: levels, movements, the reorder list. StockRecord: recording waste in a shop. StockManage:
	// stock items, recipes, receipts, adjustments, transfers between shops, stocktakes.
	StockRead   Permission = "stock.read"
	StockRecord Permission = "stock.record"
	StockManage Permission = "stock.manage"
	// FileRead, FileWrite: the merchant's uploaded files (product images, documents).
	FileRead  Permission = "file.read"
	FileWrite Permission = "file.write"
	// OrderRead, OrderWrite: a shop's orders — opening, adding lines, sending to the kitchen, closing.
	// OrderVoid: voiding lines and cancelling orders with a reason (above the shop's threshold a manager must
	// approve, see OrderVoidApprove).
	OrderRead  Permission = "order.read"
	OrderWrite Permission = "order.write"
	OrderVoid  Permission = "order.void"
	// OrderVoidApprove: voiding sent lines above the shop's threshold without another's approval, and giving
	// that approval by PIN on a cashier's terminal.
	OrderVoidApprove Permission = "order.void_approve"
	// OrderAdjust: corrections only a manager makes, audited (a karaoke session's start time).
	OrderAdjust Permission = "order.adjust"
	// PaymentTake: taking payments on a shop's orders.
	PaymentTake Permission = "payment.take"
	// PaymentRefund: refunding payments, with a reason; PaymentReconcile: the bank transfers no order claimed
	// (assigning them to an order or setting them aside) and provider reconciliation.
	PaymentRefund    Permission = "payment.refund"
	PaymentReconcile Permission = "payment.reconcile"
	// ShiftWork: opening and closing one's own shift at a terminal, cash in and out of its drawer.
	// ShiftManage: reading every shift of a shop and closing another cashier's shift.
	ShiftWork   Permission = "shift.work"
	ShiftManage Permission = "shift.manage"
	// WalletRead, WalletWrite: customers' stored-value wallets — balances and history; top-up and spend.
	WalletRead  Permission = "wallet.read"
	WalletWrite Permission = "wallet.write"
	// KitchenRead, KitchenWork: the kitchen display — reading tickets, moving them along, recalling them.
	KitchenRead Permission = "kitchen.read"
	KitchenWork Permission = "kitchen.work"
	// ReportRead: the reports — end of day, revenue, staff performance, venue metrics — and a shop's report
	// settings.
	ReportRead Permission = "report.read"
	// PlatformAdmin: the SaaS operator's operations.
	PlatformAdmin Permission = "platform.admin"
)

// table is the access policy: which roles hold each permission.
var table = map[Permission][]Role{
	AccountSelf:      {Admin, Owner, Manager, Cashier, Waiter, Kitchen, Customer},
	AuditRead:        {Owner},
	MerchantRead:     {Owner, Manager},
	MerchantManage:   {Owner},
	ShopRead:         {Owner, Manager, Cashier, Waiter, Kitchen},
	ShopCreate:       {Owner},
	ShopManage:       {Owner, Manager},
	ShopTransfer:     {Owner},
	StaffRead:        {Owner, Manager},
	StaffManage:      {Owner, Manager},
	FloorRead:        {Owner, Manager, Cashier, Waiter, Kitchen},
	FloorManage:      {Owner, Manager},
	CatalogRead:      {Owner, Manager, Cashier, Waiter, Kitchen},
	CatalogManage:    {Owner, Manager},
	MenuAvailability: {Owner, Manager, Cashier, Waiter, Kitchen},
	StockRead:        {Owner, Manager, Cashier, Kitchen},
	StockRecord:      {Owner, Manager, Cashier, Kitchen},
	StockManage:      {Owner, Manager},
	FileRead:         {Owner, Manager, Cashier, Waiter, Kitchen},
	FileWrite:        {Owner, Manager},
	OrderRead:        {Owner, Manager, Cashier, Waiter, Kitchen},
	OrderWrite:       {Owner, Manager, Cashier, Waiter},
	OrderVoid:        {Owner, Manager, Cashier},
	OrderAdjust:      {Owner, Manager},
	OrderVoidApprove: {Owner, Manager},
	PaymentTake:      {Owner, Manager, Cashier},
	PaymentRefund:    {Owner, Manager},
	PaymentReconcile: {Owner, Manager},
	ShiftWork:        {Owner, Manager, Cashier},
	ShiftManage:      {Owner, Manager},
	WalletRead:       {Owner, Manager, Cashier},
	WalletWrite:      {Owner, Manager, Cashier},
	KitchenRead:      {Owner, Manager, Cashier, Waiter, Kitchen},
	KitchenWork:      {Owner, Manager, Waiter, Kitchen},
	ReportRead:       {Owner, Manager},
	PlatformAdmin:    {Admin},
}

// Permissions lists every permission of the table, sorted.
func Permissions() []Permission {
	out := make([]Permission, 0, len(table))
	for p := range table {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Allows reports whether any of roles holds permission p.
func Allows(roles []string, p Permission) bool {
	for _, r := range table[p] {
		if slices.Contains(roles, string(r)) {
			return true
		}
	}
	return false
}

const metaPermission = "rbac.permission"

// Require declares that op needs permission p (and so an authenticated caller).
func Require(op *huma.Operation, p Permission) {
	if _, ok := table[p]; !ok {
		panic("rbac: permission " + string(p) + " is not in the table")
	}
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaPermission] = p
	op.Security = httpapi.BearerAuth()
}

// Public declares that op is open to anonymous callers, and why (the reason is for reviewers of the
// policy: "login", "public menu", "payment provider callback", …).
func Public(op *huma.Operation, reason string) { httpapi.MarkPublic(op, reason) }

// Declaration reports what op declared: its permission, or that it is public (with the reason).
func Declaration(op *huma.Operation) (p Permission, public string) {
	p, _ = op.Metadata[metaPermission].(Permission)
	return p, httpapi.PublicReason(op)
}

// Guard enforces the declarations; it is the httpapi.Authorizer of the application.
type Guard struct{}

// Authorize lets a public operation through; otherwise it needs a principal holding the operation's
// permission. For an operation on a shop ({shop_id} in its path) only the roles held in that shop count,
// and a shop the caller cannot reach is answered 404, like another merchant's. An operation that declared
// nothing is refused: the policy fails closed.
func (Guard) Authorize(r *http.Request, op *huma.Operation, p *httpapi.Principal) error {
	perm, public := Declaration(op)
	if public != "" {
		return nil
	}
	if perm == "" {
		return apperr.E(apperr.Forbidden, "operation %s declares no permission", op.OperationID)
	}
	if p == nil {
		return apperr.E(apperr.Unauthenticated, "this operation needs an access token")
	}
	roles := p.AllRoles()
	if strings.Contains(op.Path, "{shop_id}") {
		shop := chi.URLParam(r, "shop_id")
		if !p.CanReachShop(shop) {
			return apperr.E(apperr.NotFound, "shop not found")
		}
		roles = p.RolesIn(shop)
	}
	if !Allows(roles, perm) {
		return apperr.E(apperr.Forbidden, "your role may not do this (%s)", perm)
	}
	return nil
}

// CheckShop is for handlers of operations that reach a shop through another resource (an order, a
// ticket): it answers as Guard would for an operation on that shop.
func CheckShop(p *httpapi.Principal, shopID string, perm Permission) error {
	if p == nil {
		return apperr.E(apperr.Unauthenticated, "this operation needs an access token")
	}
	if !p.CanReachShop(shopID) {
		return apperr.E(apperr.NotFound, "not found")
	}
	if !Allows(p.RolesIn(shopID), perm) {
		return apperr.E(apperr.Forbidden, "your role may not do this (%s)", perm)
	}
	return nil
}

// Operation is a huma operation that requires permission perm.
func Operation(id, method, path, summary string, tags []string, perm Permission, status int) huma.Operation {
	o := huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: tags, DefaultStatus: status}
	Require(&o, perm)
	return o
}

// ShopAccess returns the check that the principal of ctx holds perm in a shop, for operations that find
// their shop only after loading a resource (a ticket, an order): 404 for a shop it cannot reach.
func ShopAccess(ctx context.Context, perm Permission) func(shopID string) error {
	return func(shopID string) error {
		p, _ := httpapi.PrincipalFrom(ctx)
		return CheckShop(p, shopID, perm)
	}
}
