package merchant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The staff membership store: who works for a merchant, in which shops and roles. iam creates the people
// (accounts, PINs) and asks MembershipsOf at login to put their roles in the token.

// AddStaff gives a person a role at merchant m: in one shop (manager, cashier, waiter, kitchen), or
// merchant-wide when ShopID is empty (manager only; the owner is recorded by CreateMerchant). It returns an
// apperr.Invalid error for an unknown role or user, NotFound for another merchant's shop, and Conflict when
// the person already has a role in that shop, the shop or merchant is archived, or adding a new person would
// pass the plan's staff limit (the owner does not count).
func (s *Service) AddStaff(ctx context.Context, m tenant.ID, in StaffInput) (Membership, error) {
	var f fieldErrors
	role, err := rbac.ParseStaffRole(in.Role)
	if err != nil {
		f.add("role", apperr.Fields(err)[0].Message)
	}
	if role != "" && role != rbac.Manager && in.ShopID == "" {
		f.add("shop_id", "cashier, waiter and kitchen roles are held in a shop")
	}
	in.UserID = strings.TrimSpace(in.UserID)
	if in.UserID == "" {
		f.add("user_id", "must not be empty")
	}
	if err := f.err(); err != nil {
		return Membership{}, err
	}
	var out Membership
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		out, err = s.addStaffTx(ctx, tx, m, in, role)
		return err
	})
	if err != nil {
		return Membership{}, fmt.Errorf("add staff: %w", err)
	}
	return out, nil
}

// RemoveStaff ends a person's role in a shop (or, with shopID empty, their merchant-wide role). The owner's
// membership cannot be ended this way. It returns apperr.NotFound when there is no such live membership.
func (s *Service) RemoveStaff(ctx context.Context, m tenant.ID, shopID, userID string) error {
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		n, err := merchantdb.New(tx).EndMembership(ctx, merchantdb.EndMembershipParams{
			Now: sql.NullTime{Time: s.now(), Valid: true}, MerchantID: string(m), ShopID: shopID, UserID: userID})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "membership not found")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove staff %s: %w", userID, err)
	}
	return nil
}

// ShopStaff lists the live memberships of one shop of merchant m (shopID "" lists the merchant-wide ones).
func (s *Service) ShopStaff(ctx context.Context, m tenant.ID, shopID string) ([]Membership, error) {
	var out []Membership
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := merchantdb.New(tx).ListShopStaff(ctx, merchantdb.ListShopStaffParams{MerchantID: string(m), ShopID: shopID})
		if err != nil {
			return fmt.Errorf("list staff: %w", err)
		}
		out = make([]Membership, len(rows))
		for i, r := range rows {
			out[i] = membershipFromRow(r.ID, r.MerchantID, r.ShopID, r.UserID, r.Role, r.CreatedAt)
		}
		return nil
	})
	return out, err
}

// MembershipsOf returns every live membership of a user, in every merchant, for iam to build the roles of
// its tokens (merchant-wide roles from ShopID "", shop roles from the others). It is the module's second
// cross-tenant path: at login no tenant is known yet, so it runs in db.WithSystemTx and reads only
// shop_staff, whose policy admits the system path for reading. Archived merchants and shops have no live
// memberships.
func (s *Service) MembershipsOf(ctx context.Context, userID string) ([]Membership, error) {
	var out []Membership
	err := s.db.WithSystemTx(ctx, "read a user's memberships to build token roles at login", func(tx *sql.Tx) error {
		rows, err := merchantdb.New(tx).ListMembershipsOfUser(ctx, userID)
		if err != nil {
			return fmt.Errorf("list memberships: %w", err)
		}
		out = make([]Membership, len(rows))
		for i, r := range rows {
			out[i] = membershipFromRow(r.ID, r.MerchantID, r.ShopID, r.UserID, r.Role, r.CreatedAt)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("memberships of user %s: %w", userID, err)
	}
	return out, nil
}

// addStaffTx records a validated membership inside tx: it locks the merchant (so plan limits hold under
// concurrency), checks the shop, counts a new person against the plan's staff limit and inserts the row.
func (s *Service) addStaffTx(ctx context.Context, tx *sql.Tx, m tenant.ID, in StaffInput, role rbac.Role) (Membership, error) {
	var out Membership
	err := func() error {
		q := merchantdb.New(tx)
		if err := lockMerchant(ctx, q, m); err != nil {
			return err
		}
		if in.ShopID != "" {
			if _, err := liveShop(ctx, q, m, in.ShopID); err != nil {
				return err
			}
		}
		now := s.now()
		mer, err := loadMerchant(ctx, q, m)
		if err != nil {
			return err
		}
		if in.UserID != mer.OwnerUserID {
			existing, err := q.CountLiveMembershipsOfUser(ctx, merchantdb.CountLiveMembershipsOfUserParams{
				MerchantID: string(m), UserID: in.UserID})
			if err != nil {
				return fmt.Errorf("count memberships: %w", err)
			}
			if existing == 0 { // a new person: counts against the plan
				plan, err := planOf(ctx, q, mer, now)
				if err != nil {
					return err
				}
				usage, err := usageOf(ctx, q, mer)
				if err != nil {
					return err
				}
				if usage.Staff >= plan.MaxStaff {
					return apperr.E(apperr.Conflict, "plan limit reached: the %s plan allows %d staff; remove someone or change plan",
						plan.Name, plan.MaxStaff)
				}
			}
		}
		out = Membership{ID: db.NewID(), MerchantID: m, ShopID: in.ShopID, UserID: in.UserID, Role: role, CreatedAt: now}
		err = q.InsertMembership(ctx, merchantdb.InsertMembershipParams{ID: out.ID, MerchantID: string(m),
			ShopID: in.ShopID, UserID: in.UserID, Role: string(role), CreatedAt: now})
		where := "in this shop"
		if in.ShopID == "" {
			where = "across the merchant"
		}
		return conflictAs(err, "this person already has a role "+where+"; remove it first to change it")
	}()
	return out, err
}

// StaffAccount describes the sign-in account of a new staff member.
type StaffAccount struct {
	FullName, Email, Phone, PIN string
}

// StaffAccounts is what the merchant module needs of the identity module to add a person to a shop.
type StaffAccounts interface {
	// PrepareStaffAccount validates the account and hashes its PIN (slow: it runs before the transaction)
	// and returns the function that inserts it inside the caller's transaction, giving the new user id.
	// Field errors name "body.<field>"; a taken email is an apperr.Conflict.
	PrepareStaffAccount(ctx context.Context, in StaffAccount) (insert func(ctx context.Context, tx *sql.Tx, m tenant.ID) (string, error), err error)
	// Profiles returns the names and contacts of the given users (missing ids are left out).
	Profiles(ctx context.Context, userIDs []string) (map[string]StaffProfile, error)
}

// NewStaff is a person added to a shop with a new account: the membership and the account's user id.
type NewStaff struct {
	UserID   string    `json:"id" doc:"The staff member's user id (the staff_id of PIN login)."`
	FullName string    `json:"full_name"`
	Email    string    `json:"email,omitempty"`
	Phone    string    `json:"phone,omitempty"`
	ShopID   string    `json:"shop_id"`
	Role     rbac.Role `json:"role"`
	// CreatedAt is when the membership began.
	CreatedAt time.Time `json:"created_at"`
}

// CreateStaff creates the account of a new person and gives them role in shop, in one transaction: either
// both exist afterwards or neither does.
func (s *Service) CreateStaff(ctx context.Context, m tenant.ID, shopID string, acct StaffAccount, role string) (NewStaff, error) {
	if s.accounts == nil {
		return NewStaff{}, errors.New("create staff: no account service wired")
	}
	r, err := rbac.ParseStaffRole(role)
	if err != nil {
		return NewStaff{}, apperr.Located(err, "body")
	}
	insert, err := s.accounts.PrepareStaffAccount(ctx, acct)
	if err != nil {
		return NewStaff{}, err
	}
	var out NewStaff
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		userID, err := insert(ctx, tx, m)
		if err != nil {
			return err
		}
		ms, err := s.addStaffTx(ctx, tx, m, StaffInput{ShopID: shopID, UserID: userID, Role: string(r)}, r)
		if err != nil {
			return err
		}
		out = NewStaff{UserID: userID, FullName: strings.TrimSpace(acct.FullName), Email: acct.Email, Phone: acct.Phone,
			ShopID: shopID, Role: r, CreatedAt: ms.CreatedAt}
		return nil
	})
	if err != nil {
		return NewStaff{}, fmt.Errorf("create staff: %w", err)
	}
	return out, nil
}

// StaffProfile is what the identity module knows of a person, for staff lists.
type StaffProfile struct {
	FullName string
	Email    string
	Phone    string
	HasPIN   bool
}

// StaffMember is a person with a live role in a shop (or merchant-wide), as staff lists show them.
type StaffMember struct {
	UserID   string    `json:"id" doc:"The person's user id (the staff_id of PIN login)."`
	FullName string    `json:"full_name"`
	Email    string    `json:"email,omitempty"`
	Phone    string    `json:"phone,omitempty"`
	HasPIN   bool      `json:"has_pin"`
	ShopID   string    `json:"shop_id"`
	Role     rbac.Role `json:"role"`
	Since    time.Time `json:"since" doc:"When the person got this role."`
}

// AuditRecord is a security-relevant change the merchant module asks the audit log to keep.
type AuditRecord struct {
	Event  string
	Actor  string
	Detail map[string]any
}

// The audit events of the module.
const (
	AuditStaffRoleChanged = "staff.role_changed"
	AuditStaffRemoved     = "staff.removed"
	AuditDeviceRegistered = "device.registered"
	AuditDeviceRevoked    = "device.revoked"
	AuditProviderSet      = "payment_provider.credentials_set"
	AuditProviderRemoved  = "payment_provider.credentials_removed"
	AuditShopTransferOut  = "shop.transferred_out"
	AuditShopTransferIn   = "shop.transferred_in"
)

// audit records r for merchant m inside tx, when an audit log is wired.
func (s *Service) audit(ctx context.Context, tx *sql.Tx, m tenant.ID, r AuditRecord) error {
	if s.auditLog == nil {
		return nil
	}
	if err := s.auditLog(ctx, tx, m, r); err != nil {
		return fmt.Errorf("audit %s: %w", r.Event, err)
	}
	return nil
}

// ListStaff lists the people with a live role in shop shopID of merchant m, with their names.
func (s *Service) ListStaff(ctx context.Context, m tenant.ID, shopID string) ([]StaffMember, error) {
	var ms []Membership
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := loadShop(ctx, q, m, shopID); err != nil {
			return err
		}
		rows, err := q.ListShopStaff(ctx, merchantdb.ListShopStaffParams{MerchantID: string(m), ShopID: shopID})
		if err != nil {
			return fmt.Errorf("list staff: %w", err)
		}
		for _, r := range rows {
			ms = append(ms, membershipFromRow(r.ID, r.MerchantID, r.ShopID, r.UserID, r.Role, r.CreatedAt))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list staff of shop %s: %w", shopID, err)
	}
	profiles := map[string]StaffProfile{}
	if s.accounts != nil && len(ms) > 0 {
		ids := make([]string, len(ms))
		for i, x := range ms {
			ids[i] = x.UserID
		}
		if profiles, err = s.accounts.Profiles(ctx, ids); err != nil {
			return nil, fmt.Errorf("list staff of shop %s: %w", shopID, err)
		}
	}
	out := make([]StaffMember, len(ms))
	for i, x := range ms {
		p := profiles[x.UserID]
		out[i] = StaffMember{UserID: x.UserID, FullName: p.FullName, Email: p.Email, Phone: p.Phone, HasPIN: p.HasPIN,
			ShopID: x.ShopID, Role: x.Role, Since: x.CreatedAt}
	}
	return out, nil
}

// ChangeStaffRole gives the person userID the role role in shop shopID instead of the one they hold; the
// old membership ends and a new one begins, so the history shows both. Only the owner may grant or take
// away the manager role (byOwner). The change is audited in the same transaction. It returns NotFound
// when the person has no role in the shop, Forbidden for a manager role change by a non-owner, Invalid
// for an unknown role.
func (s *Service) ChangeStaffRole(ctx context.Context, m tenant.ID, shopID, userID, role, actor string, byOwner bool) (Membership, error) {
	r, err := rbac.ParseStaffRole(role)
	if err != nil {
		return Membership{}, apperr.Located(err, "body")
	}
	var out Membership
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := liveShop(ctx, q, m, shopID); err != nil {
			return err
		}
		row, err := q.GetLiveMembership(ctx, merchantdb.GetLiveMembershipParams{MerchantID: string(m), ShopID: shopID, UserID: userID})
		if err != nil {
			return notFound(err, "staff member")
		}
		old := rbac.Role(row.Role)
		if old == rbac.Owner {
			return apperr.E(apperr.Conflict, "the owner's role cannot be changed")
		}
		if (old == rbac.Manager || r == rbac.Manager) && !byOwner {
			return apperr.E(apperr.Forbidden, "only the owner grants or takes away the manager role")
		}
		now := s.now()
		out = membershipFromRow(row.ID, row.MerchantID, row.ShopID, row.UserID, row.Role, row.CreatedAt)
		if old == r {
			return nil
		}
		if _, err := q.EndMembershipByID(ctx, merchantdb.EndMembershipByIDParams{Now: sql.NullTime{Time: now, Valid: true},
			MerchantID: string(m), ID: row.ID}); err != nil {
			return fmt.Errorf("end membership: %w", err)
		}
		out = Membership{ID: db.NewID(), MerchantID: m, ShopID: shopID, UserID: userID, Role: r, CreatedAt: now}
		if err := q.InsertMembership(ctx, merchantdb.InsertMembershipParams{ID: out.ID, MerchantID: string(m),
			ShopID: shopID, UserID: userID, Role: string(r), CreatedAt: now}); err != nil {
			return fmt.Errorf("insert membership: %w", err)
		}
		return s.audit(ctx, tx, m, AuditRecord{Event: AuditStaffRoleChanged, Actor: actor,
			Detail: map[string]any{"shop_id": shopID, "user_id": userID, "from": string(old), "to": string(r)}})
	})
	if err != nil {
		return Membership{}, fmt.Errorf("change role of %s: %w", userID, err)
	}
	return out, nil
}

// RemoveShopStaff ends the person's role in shop shopID, audited in the same transaction. Only the owner
// removes a manager. Their tokens keep working until they expire (15 minutes); their next refresh or
// sign-in no longer carries the role.
func (s *Service) RemoveShopStaff(ctx context.Context, m tenant.ID, shopID, userID, actor string, byOwner bool) error {
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := loadShop(ctx, q, m, shopID); err != nil {
			return err
		}
		row, err := q.GetLiveMembership(ctx, merchantdb.GetLiveMembershipParams{MerchantID: string(m), ShopID: shopID, UserID: userID})
		if err != nil {
			return notFound(err, "staff member")
		}
		switch rbac.Role(row.Role) {
		case rbac.Owner:
			return apperr.E(apperr.Conflict, "the owner cannot be removed")
		case rbac.Manager:
			if !byOwner {
				return apperr.E(apperr.Forbidden, "only the owner removes a manager")
			}
		}
		if _, err := q.EndMembershipByID(ctx, merchantdb.EndMembershipByIDParams{Now: sql.NullTime{Time: s.now(), Valid: true},
			MerchantID: string(m), ID: row.ID}); err != nil {
			return fmt.Errorf("end membership: %w", err)
		}
		return s.audit(ctx, tx, m, AuditRecord{Event: AuditStaffRemoved, Actor: actor,
			Detail: map[string]any{"shop_id": shopID, "user_id": userID, "role": row.Role}})
	})
	if err != nil {
		return fmt.Errorf("remove %s from shop %s: %w", userID, shopID, err)
	}
	return nil
}
