// Package merchant is the merchants-and-shops module: a merchant (the tenant) with its subscription plan, its
// shops (branches) and their settings, each shop's floor (areas, tables, karaoke rooms with QR tokens), and the
// staff memberships iam turns into token roles.
//
// Invariants the module keeps:
//   - A merchant starts on a 30-day Pro trial; afterwards its own plan (Free unless another was set) limits
//     how many live shops and staff it may have.
//   - Among a merchant's live shops exactly one is the default: the first shop becomes it, the default cannot
//     be archived while other shops exist, and switching happens in one transaction serialised per merchant
//     (a partial unique index backs it up on both engines).
//   - Every table and room has an unguessable QR token (144 random bits, base64url) while it is live;
//     rotating a token makes the old one stop resolving at once.
//
// Cross-tenant paths: ResolveQRToken, because a customer holds nothing but the token, and
// MembershipsOf, because iam builds a user's roles at login before any tenant is known. Both run through
// db.WithSystemTx and read only floor_qr_tokens and shop_staff, whose PostgreSQL policies admit the system
// path for reading; a tenant transaction never sees another merchant's rows of them.
//
// Shop transfer is the third cross-tenant path, in one db.WithSystemTx transaction with the other modules'
// steps (TransferStep): the shop leaves with its floor, devices and provider accounts, its memberships end,
// and each module moves or copies what it holds; either all of it happens or none. Registered devices and
// provider callbacks are looked up by secret or account reference before any tenant is known, through the
// same system path (CheckDevice, FindCredentials).
package merchant

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's tables (plans, merchants, shops, floor, QR tokens, staff memberships) and
// seeds the plans, on either engine.
var Migrations = migrate.Embedded("merchant", migrationFiles)

// The seeded plans' ids.
const (
	PlanFree  = "free"
	PlanPro   = "pro"
	PlanChain = "chain"
)

// TrialLength is how long a new merchant enjoys the trial plan (Pro) before its own plan applies.
const TrialLength = 30 * 24 * time.Hour

// Domain events, written to the outbox on Subject.
const (
	Subject               = "merchant.events"
	EventShopCreated      = "shop.created"
	EventShopSetAsDefault = "shop.set_as_default"
	EventShopArchived     = "shop.archived"
	EventMerchantArchived = "merchant.archived"
	// EventShopTransferred is written for both merchants of a shop transfer, data ShopTransferred.
	EventShopTransferred = "shop.transferred"
)

// Plan is a subscription plan and the limits it sets.
type Plan struct {
	ID       string `json:"id" doc:"Plan id: free, pro or chain."`
	Name     string `json:"name"`
	MaxShops int    `json:"max_shops" doc:"How many live (not archived) shops the merchant may have."`
	MaxStaff int    `json:"max_staff" doc:"How many people besides the owner may hold a live membership."`
}

// Merchant is a business: the tenant every other record belongs to.
type Merchant struct {
	ID          tenant.ID  `json:"id"`
	Name        string     `json:"name"`
	Phone       string     `json:"phone"`
	Email       string     `json:"email"`
	Address     string     `json:"address"`
	OwnerUserID string     `json:"owner_user_id"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ArchivedAt  *time.Time `json:"archived_at"`
	// PlanID is the plan in force once any trial is over (free unless one was set).
	PlanID string `json:"plan_id" doc:"The plan in force once the trial is over."`
	// TrialPlanID and TrialEndsAt describe the trial; empty and nil without one.
	TrialPlanID string     `json:"trial_plan_id" doc:"The plan granted during the trial, empty without one."`
	TrialEndsAt *time.Time `json:"trial_ends_at" doc:"When the trial ends (RFC 3339 UTC)."`
}

// EffectivePlanID returns the plan whose limits apply at now: the trial plan before the trial ends, the
// merchant's own plan afterwards.
func (m Merchant) EffectivePlanID(now time.Time) string {
	if m.OnTrial(now) {
		return m.TrialPlanID
	}
	return m.PlanID
}

// OnTrial reports whether the merchant's trial is still running at now.
func (m Merchant) OnTrial(now time.Time) bool {
	return m.TrialPlanID != "" && m.TrialEndsAt != nil && now.Before(*m.TrialEndsAt)
}

// MerchantInput is what sign-up knows about a new merchant.
type MerchantInput struct {
	Name        string
	OwnerUserID string
}

// ProfileInput changes a merchant's profile; nil fields keep their value.
type ProfileInput struct {
	Name, Phone, Email, Address *string
}

// PlanUsage is how much of its plan a merchant uses.
type PlanUsage struct {
	Shops int `json:"shops" doc:"Live shops."`
	Staff int `json:"staff" doc:"People with a live membership, the owner excepted."`
}

// MerchantProfile is a merchant with the plan that applies now and its usage of it.
type MerchantProfile struct {
	Merchant
	Plan    Plan      `json:"plan" doc:"The plan whose limits apply now."`
	OnTrial bool      `json:"on_trial"`
	Usage   PlanUsage `json:"usage"`
}

// BusinessType is what kind of place a shop is.
type BusinessType string

// The business types a shop may have.
const (
	Restaurant BusinessType = "restaurant"
	Cafe       BusinessType = "cafe"
	Karaoke    BusinessType = "karaoke"
	Bar        BusinessType = "bar"
)

// Valid reports whether t is a known business type.
func (t BusinessType) Valid() bool {
	switch t {
	case Restaurant, Cafe, Karaoke, Bar:
		return true
	}
	return false
}

// VATRates are the VAT rates Vietnamese law knows, in percent.
var VATRates = []int{0, 5, 8, 10}

// Shop is one branch of a merchant with its settings.
type Shop struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	IsDefault    bool         `json:"is_default"`
	BusinessType BusinessType `json:"business_type" enum:"restaurant,cafe,karaoke,bar"`
	Address      string       `json:"address"`
	ShopSettings
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ArchivedAt *time.Time `json:"archived_at"`
}

// ShopSettings are the settings of a shop besides its name, type and address.
type ShopSettings struct {
	VATRatePercent       int    `json:"vat_rate_percent" enum:"0,5,8,10"`
	PricesIncludeVAT     bool   `json:"prices_include_vat" doc:"Whether menu prices already include VAT (default true)."`
	ServiceChargePercent int    `json:"service_charge_percent" minimum:"0" maximum:"100" doc:"Whole percent, 0 to 100."`
	OpeningHours         string `json:"opening_hours" doc:"Free text shown to customers, e.g. \"07:00–22:00\"."`
	ReceiptHeader        string `json:"receipt_header"`
	ReceiptFooter        string `json:"receipt_footer"`
	BankBIN              string `json:"bank_bin" doc:"The bank's 6-digit BIN (NAPAS) for VietQR, empty when unset."`
	BankAccountNumber    string `json:"bank_account_number"`
	BankAccountName      string `json:"bank_account_name"`
	// RequireRegisteredDevice limits PIN sign-in to the shop's registered terminals.
	RequireRegisteredDevice bool `json:"require_registered_device" doc:"PIN sign-in only from the shop's registered terminals."`
	// QROrdersNeedConfirmation holds customers' QR orders until staff send them to the kitchen.
	QROrdersNeedConfirmation bool `json:"qr_orders_need_confirmation" doc:"Orders placed from a table's QR code wait for staff to send them to the kitchen (default true)."`
	// SeveralOrdersPerTable lets a table hold more than one live order.
	SeveralOrdersPerTable bool `json:"several_orders_per_table" doc:"A table may hold several live orders at once (default false: one)."`
	// VoidApprovalThreshold is the value above which a void or a cancellation needs a manager; 0: never.
	VoidApprovalThreshold money.VND `json:"void_approval_threshold" minimum:"0" doc:"Voiding sent lines (or cancelling an order) worth more than this many đồng needs a manager: their role, or their PIN given as approval. 0 turns it off."`
}

// ShopInput creates a shop.
type ShopInput struct {
	Name           string
	BusinessType   BusinessType
	Address        string
	VATRatePercent int
}

// ShopPatch changes a shop; nil fields keep their value.
type ShopPatch struct {
	Name                 *string
	BusinessType         *BusinessType
	Address              *string
	VATRatePercent       *int
	PricesIncludeVAT     *bool
	ServiceChargePercent *int
	OpeningHours         *string
	ReceiptHeader        *string
	ReceiptFooter        *string
	BankBIN              *string
	BankAccountNumber    *string
	BankAccountName      *string
	// RequireRegisteredDevice, when true, limits PIN sign-in to registered terminals.
	RequireRegisteredDevice *bool
	// QROrdersNeedConfirmation, when set, says whether QR orders wait for staff.
	QROrdersNeedConfirmation *bool
	SeveralOrdersPerTable    *bool
	VoidApprovalThreshold    *money.VND
}

// ShopPage is one page of shops and the cursor of the next ("" at the end).
type ShopPage struct {
	Items      []Shop `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Area is a part of a shop's floor ("Tầng 1", "Sân vườn").
type Area struct {
	ID        string    `json:"id"`
	ShopID    string    `json:"shop_id"`
	Name      string    `json:"name"`
	SortOrder int       `json:"sort_order"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TableShape is how a table is drawn on the floor plan.
type TableShape string

// The table shapes.
const (
	Square    TableShape = "square"
	Round     TableShape = "round"
	Rectangle TableShape = "rectangle"
)

// Table is a table in an area of a shop.
type Table struct {
	ID        string     `json:"id"`
	ShopID    string     `json:"shop_id"`
	AreaID    string     `json:"area_id"`
	Name      string     `json:"name"`
	Seats     int        `json:"seats"`
	Shape     TableShape `json:"shape" enum:"square,round,rectangle"`
	X         int        `json:"x" doc:"Position on the floor plan (grid units from the left)."`
	Y         int        `json:"y" doc:"Position on the floor plan (grid units from the top)."`
	QRToken   string     `json:"qr_token" doc:"The token of the table's QR code (/t/{qr_token})."`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// TableInput creates a table; Shape defaults to square.
type TableInput struct {
	AreaID string
	Name   string
	Seats  int
	Shape  TableShape
	X, Y   int
}

// TablePatch changes a table; nil fields keep their value.
type TablePatch struct {
	AreaID *string
	Name   *string
	Seats  *int
	Shape  *TableShape
	X, Y   *int
}

// Room is a karaoke room. RoomType names its rate plan: small, medium and vip are the usual ones, and a
// merchant may use its own (a lower-case slug such as "party").
type Room struct {
	ID        string    `json:"id"`
	ShopID    string    `json:"shop_id"`
	Name      string    `json:"name"`
	RoomType  string    `json:"room_type"`
	Capacity  int       `json:"capacity" doc:"How many guests the room holds; 0 when unset."`
	QRToken   string    `json:"qr_token"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// The usual room types.
const (
	RoomSmall  = "small"
	RoomMedium = "medium"
	RoomVIP    = "vip"
)

// RoomInput creates a room.
type RoomInput struct {
	Name     string
	RoomType string
	Capacity int
}

// RoomPatch changes a room; nil fields keep their value.
type RoomPatch struct {
	Name     *string
	RoomType *string
	Capacity *int
}

// AreaWithTables is an area and its tables, as the floor plan shows them.
type AreaWithTables struct {
	Area
	Tables []Table `json:"tables"`
}

// Floor is a shop's whole floor: areas with their tables, and karaoke rooms.
type Floor struct {
	Areas []AreaWithTables `json:"areas"`
	Rooms []Room           `json:"rooms"`
}

// TableRef is what a QR token points at: a table or (exclusive) a room of a shop.
type TableRef struct {
	MerchantID tenant.ID
	ShopID     string
	TableID    string
	RoomID     string
}

// Membership is a person's role at a merchant: merchant-wide when ShopID is empty (owner, manager), else in
// one shop.
type Membership struct {
	ID         string    `json:"id"`
	MerchantID tenant.ID `json:"merchant_id"`
	ShopID     string    `json:"shop_id"`
	UserID     string    `json:"user_id"`
	Role       rbac.Role `json:"role"`
	CreatedAt  time.Time `json:"created_at"`
}

// Roles is what one user may do in one merchant: merchant-wide roles and roles per shop id, the shape of
// an access token's roles (httpapi.Principal).
type Roles struct {
	MerchantID tenant.ID
	Roles      []string
	ShopRoles  map[string][]string
}

// RolesByMerchant groups a user's memberships (from MembershipsOf) by merchant, in the order of the
// memberships, which is by merchant id.
func RolesByMerchant(ms []Membership) []Roles {
	var out []Roles
	index := map[tenant.ID]int{}
	for _, m := range ms {
		i, ok := index[m.MerchantID]
		if !ok {
			i = len(out)
			index[m.MerchantID] = i
			out = append(out, Roles{MerchantID: m.MerchantID, ShopRoles: map[string][]string{}})
		}
		if m.ShopID == "" {
			out[i].Roles = append(out[i].Roles, string(m.Role))
		} else {
			out[i].ShopRoles[m.ShopID] = append(out[i].ShopRoles[m.ShopID], string(m.Role))
		}
	}
	return out
}

// StaffInput adds a person to a merchant: with ShopID empty the role is merchant-wide (manager only).
type StaffInput struct {
	ShopID string
	UserID string
	Role   string
}

// qrTokenBytes is the randomness in a QR token: 144 bits, 24 base64url characters.
const qrTokenBytes = 18

// newQRToken returns a fresh unguessable QR token.
func newQRToken() string {
	b := make([]byte, qrTokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it panics if the system has no randomness)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormedQRToken reports whether s can be a token newQRToken made, so that junk never reaches the database.
func wellFormedQRToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(qrTokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// fieldErrors collects the problems of one input so the caller sees them all at once.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: message})
}

// text checks a free-text field: trimmed, at most max characters, and not empty when required.
func (f *fieldErrors) text(field, value string, required bool, max int) string {
	v := strings.TrimSpace(value)
	switch {
	case required && v == "":
		f.add(field, "must not be empty")
	case utf8.RuneCountInString(v) > max:
		f.add(field, "must have at most "+strconv.Itoa(max)+" characters")
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	}
	return v
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

// Field size limits.
const (
	maxNameLen     = 100
	maxAddressLen  = 300
	maxHoursLen    = 500
	maxReceiptLen  = 1000
	maxBankNameLen = 100
	maxFloorName   = 50
	maxCoordinate  = 10000
	maxSortOrder   = 10000
	maxSeats       = 100
)

// validateShop checks a shop as it would be stored and returns it normalised (texts trimmed).
func validateShop(s Shop) (Shop, error) {
	var f fieldErrors
	s.Name = f.text("name", s.Name, true, maxNameLen)
	if !s.BusinessType.Valid() {
		f.add("business_type", "must be one of restaurant, cafe, karaoke, bar")
	}
	s.Address = f.text("address", s.Address, false, maxAddressLen)
	validVAT := false
	for _, r := range VATRates {
		validVAT = validVAT || s.VATRatePercent == r
	}
	if !validVAT {
		f.add("vat_rate_percent", "must be one of 0, 5, 8, 10")
	}
	f.between("service_charge_percent", s.ServiceChargePercent, 0, 100)
	s.OpeningHours = f.text("opening_hours", s.OpeningHours, false, maxHoursLen)
	s.ReceiptHeader = f.text("receipt_header", s.ReceiptHeader, false, maxReceiptLen)
	s.ReceiptFooter = f.text("receipt_footer", s.ReceiptFooter, false, maxReceiptLen)
	s.BankBIN = strings.TrimSpace(s.BankBIN)
	if s.BankBIN != "" && !(len(s.BankBIN) == 6 && allDigits(s.BankBIN)) {
		f.add("bank_bin", "must be the bank's 6-digit BIN")
	}
	s.BankAccountNumber = strings.TrimSpace(s.BankAccountNumber)
	if n := s.BankAccountNumber; n != "" && !(len(n) <= 19 && allAlnum(n)) {
		f.add("bank_account_number", "must be up to 19 letters and digits")
	}
	if (s.BankBIN == "") != (s.BankAccountNumber == "") {
		f.add("bank_account_number", "bank_bin and bank_account_number are set together")
	}
	s.BankAccountName = f.text("bank_account_name", s.BankAccountName, false, maxBankNameLen)
	return s, f.err()
}

// validateProfile checks a merchant's profile as it would be stored and returns it normalised.
func validateProfile(m Merchant) (Merchant, error) {
	var f fieldErrors
	m.Name = f.text("name", m.Name, true, maxNameLen)
	m.Address = f.text("address", m.Address, false, maxAddressLen)
	m.Phone = strings.TrimSpace(m.Phone)
	if p := m.Phone; p != "" && !validPhone(p) {
		f.add("phone", "must be a phone number: digits, spaces, an optional leading +, 8 to 20 characters")
	}
	m.Email = strings.TrimSpace(m.Email)
	if e := m.Email; e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
			f.add("email", "must be an email address such as owner@example.vn")
		}
	}
	return m, f.err()
}

func validPhone(s string) bool {
	if len(s) < 8 || len(s) > 20 {
		return false
	}
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '.' || r == '-':
		case r == '+' && i == 0:
		default:
			return false
		}
	}
	return digits >= 8
}

func validateTable(t Table) (Table, error) {
	var f fieldErrors
	t.Name = f.text("name", t.Name, true, maxFloorName)
	f.between("seats", t.Seats, 1, maxSeats)
	switch t.Shape {
	case Square, Round, Rectangle:
	default:
		f.add("shape", "must be one of square, round, rectangle")
	}
	f.between("x", t.X, 0, maxCoordinate)
	f.between("y", t.Y, 0, maxCoordinate)
	if t.AreaID == "" {
		f.add("area_id", "must not be empty")
	}
	return t, f.err()
}

func validateRoom(r Room) (Room, error) {
	var f fieldErrors
	r.Name = f.text("name", r.Name, true, maxFloorName)
	r.RoomType = strings.TrimSpace(r.RoomType)
	if !validRoomType(r.RoomType) {
		f.add("room_type", "must be small, medium, vip or a lower-case slug of your own (a-z, 0-9, - and _, up to 32)")
	}
	f.between("capacity", r.Capacity, 0, maxSeats)
	return r, f.err()
}

func validateArea(a Area) (Area, error) {
	var f fieldErrors
	a.Name = f.text("name", a.Name, true, maxFloorName)
	f.between("sort_order", a.SortOrder, 0, maxSortOrder)
	return a, f.err()
}

// validRoomType accepts a slug: it names the room's rate plan and appears in URLs (/rate-plans/{room_type}).
func validRoomType(s string) bool {
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

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func allAlnum(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}
