package iam

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Account kinds, as stored in iam_users.kind: a user signs in with email and password, a staff account is
// created by a merchant for its shops and signs in with a PIN.
const (
	accountUser  = "user"
	accountStaff = "staff"
)

// Limits on the text fields of an account.
const (
	maxEmailBytes = 254
	maxNameRunes  = 200
	maxPhoneRunes = 32
)

// errBadLogin is the one answer to a wrong email or password, whichever was wrong.
var errBadLogin = apperr.E(apperr.Unauthenticated, "the email or password is wrong")

// Client is who made a request, for the audit log.
type Client struct {
	IP        string
	UserAgent string
}

// TokenPair is what a successful sign-in or refresh hands the client.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime.
	ExpiresIn time.Duration
	// RefreshExpiresAt is when the refresh token stops working.
	RefreshExpiresAt time.Time
	// SessionID is the refresh family (the access token's "sid").
	SessionID string
}

// fieldErrors collects the field problems of one request, so a form shows them all at once.
type fieldErrors []apperr.FieldError

func (f *fieldErrors) add(field, msg string) {
	*f = append(*f, apperr.FieldError{Field: field, Message: msg})
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.Invalid, Message: "some fields are not valid", Fields: f}
}

// normalizeEmail returns the stored form of an email address (trimmed, lower-case), or a message saying
// why it is not one.
func normalizeEmail(raw string) (string, string) {
	e := strings.ToLower(strings.TrimSpace(raw))
	if e == "" {
		return "", "is required"
	}
	if len(e) > maxEmailBytes {
		return "", fmt.Sprintf("must be at most %d characters", maxEmailBytes)
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Name != "" || addr.Address != e {
		return "", "must be an email address such as name@example.com"
	}
	_, domain, _ := strings.Cut(e, "@")
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", "must be an email address such as name@example.com"
	}
	return e, ""
}

// checkName trims a required name and checks its length.
func checkName(fe *fieldErrors, field, raw string) string {
	v := strings.TrimSpace(raw)
	switch n := utf8.RuneCountInString(v); {
	case !utf8.ValidString(v):
		fe.add(field, "must be valid UTF-8 text")
	case n == 0:
		fe.add(field, "is required")
	case n > maxNameRunes:
		fe.add(field, fmt.Sprintf("must be at most %d characters", maxNameRunes))
	}
	return v
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// registration is the sign-up of a merchant owner.
type registration struct {
	Email, Password, FullName, MerchantName string
}

// registered is the result of a sign-up.
type registered struct {
	User     iamdb.IamUser
	Merchant MerchantInfo
	Tokens   TokenPair
}

// register creates an owner account and its merchant (on the Pro trial) in one transaction, and signs the
// owner in. A taken email is a Conflict; bad fields are Invalid with one field error per problem.
func (s *Service) register(ctx context.Context, in registration, c Client) (registered, error) {
	var fe fieldErrors
	email, msg := normalizeEmail(in.Email)
	if msg != "" {
		fe.add("body.email", msg)
	}
	fullName := checkName(&fe, "body.full_name", in.FullName)
	merchantName := checkName(&fe, "body.merchant_name", in.MerchantName)
	local, _, _ := strings.Cut(email, "@")
	if err := s.policy.Check("body.password", in.Password, email, local, fullName); err != nil {
		fe = append(fe, apperr.Fields(err)...)
	}
	if err := fe.err(); err != nil {
		return registered{}, err
	}
	// A cheap check first, so that a taken email costs no hash; the unique index decides races.
	if _, err := iamdb.New(s.db.Reader()).GetUserByEmail(ctx, nullString(email)); err == nil {
		return registered{}, errEmailTaken
	} else if apperr.KindOf(db.MapError(err)) != apperr.NotFound {
		return registered{}, fmt.Errorf("register: %w", db.MapError(err))
	}
	hash, err := s.hasher.Hash(ctx, in.Password) // outside the transaction: SQLite has one writer
	if err != nil {
		return registered{}, fmt.Errorf("register: %w", err)
	}
	userID, merchantID := db.NewID(), tenant.ID(db.NewID())
	now := dbTime(s.clock.Now())
	var info MerchantInfo
	err = s.db.WithTx(ctx, merchantID, func(tx *sql.Tx) error {
		q := iamdb.New(tx)
		if err := q.InsertUser(ctx, iamdb.InsertUserParams{
			ID: userID, Email: nullString(email), PasswordHash: nullString(hash), FullName: fullName,
			Kind: accountUser, Now: now,
		}); err != nil {
			if apperr.KindOf(db.MapError(err)) == apperr.Conflict {
				return errEmailTaken
			}
			return fmt.Errorf("insert user: %w", err)
		}
		var err error
		if info, err = s.merchants.CreateMerchant(ctx, tx, merchantID, merchantName, userID); err != nil {
			return fmt.Errorf("create merchant: %w", err)
		}
		return s.writeAudit(ctx, q, merchantID, auditEntry{Event: EventRegistered, Actor: userID,
			Detail: map[string]any{"email": email}}, c)
	})
	if err != nil {
		return registered{}, fmt.Errorf("register: %w", err)
	}
	u, err := s.user(ctx, userID)
	if err != nil {
		return registered{}, err
	}
	pair, _, err := s.signInUser(ctx, u, "register", c)
	if err != nil {
		return registered{}, err
	}
	return registered{User: u, Merchant: info, Tokens: pair}, nil
}

var errEmailTaken = &apperr.Error{Kind: apperr.Conflict, Message: "an account with this email already exists",
	Fields: []apperr.FieldError{{Field: "body.email", Message: "is already registered"}}}

// user reads an account by id; NotFound when there is none.
func (s *Service) user(ctx context.Context, id string) (iamdb.IamUser, error) {
	u, err := iamdb.New(s.db.Reader()).GetUserByID(ctx, id)
	if err != nil {
		return u, fmt.Errorf("read account %s: %w", id, db.MapError(err))
	}
	return u, nil
}

// loginResult is either tokens or, for an account with MFA, the token of the second step.
type loginResult struct {
	Tokens   TokenPair
	MFAToken string
}

// login checks an email and password. A wrong password and an unknown email get the same answer after the
// same amount of work (VerifyAbsent), so the answer does not tell which emails are registered.
func (s *Service) login(ctx context.Context, email, password string, c Client) (loginResult, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, err := iamdb.New(s.db.Reader()).GetUserByEmail(ctx, nullString(email))
	if err != nil && apperr.KindOf(db.MapError(err)) != apperr.NotFound {
		return loginResult{}, fmt.Errorf("login: %w", db.MapError(err))
	}
	if err != nil || !u.PasswordHash.Valid || u.DisabledAt.Valid {
		if err := s.hasher.VerifyAbsent(ctx, password); err != nil {
			return loginResult{}, fmt.Errorf("login: %w", err)
		}
		return loginResult{}, errBadLogin
	}
	ok, err := s.hasher.Verify(ctx, password, u.PasswordHash.String)
	if err != nil {
		return loginResult{}, fmt.Errorf("login %s: %w", u.ID, err)
	}
	if !ok {
		s.auditAccount(ctx, u.ID, auditEntry{Event: EventLoginFailed, Actor: u.ID,
			Detail: map[string]any{"method": "password"}}, c)
		return loginResult{}, errBadLogin
	}
	if s.hasher.NeedsRehash(u.PasswordHash.String) {
		s.rehash(ctx, u.ID, password)
	}
	if u.MfaEnabled {
		tok, err := s.newMFAChallenge(ctx, u.ID)
		if err != nil {
			return loginResult{}, err
		}
		return loginResult{MFAToken: tok}, nil
	}
	pair, _, err := s.signInUser(ctx, u, "password", c)
	if err != nil {
		return loginResult{}, err
	}
	return loginResult{Tokens: pair}, nil
}

// rehash replaces a password hash made with older parameters; a failure only means it is tried again at
// the next sign-in.
func (s *Service) rehash(ctx context.Context, userID, password string) {
	hash, err := s.hasher.Hash(ctx, password)
	if err == nil {
		err = inTx(ctx, s.db, func(q *iamdb.Queries) error {
			return q.SetPasswordHash(ctx, iamdb.SetPasswordHashParams{PasswordHash: nullString(hash),
				Now: dbTime(s.clock.Now()), ID: userID})
		})
	}
	if err != nil {
		s.log.Warn("rehash password", "user_id", userID, "error", err)
	}
}

// signInUser starts a session for a user with its current merchant and roles, audits the sign-in, and
// returns the tokens.
func (s *Service) signInUser(ctx context.Context, u iamdb.IamUser, method string, c Client) (TokenPair, Access, error) {
	a, err := s.access(ctx, u.ID)
	if err != nil {
		return TokenPair{}, Access{}, err
	}
	pair, err := s.startSession(ctx,
		Session{SubjectID: u.ID, Kind: KindUser, MerchantID: a.MerchantID},
		Claims{Subject: u.ID, Kind: KindUser, MerchantID: a.MerchantID, Roles: a.Roles, ShopRoles: a.ShopRoles})
	if err != nil {
		return TokenPair{}, Access{}, err
	}
	s.audit(ctx, a.MerchantID, auditEntry{Event: EventLoginSucceeded, Actor: u.ID,
		Detail: map[string]any{"method": method, "session_id": pair.SessionID}}, c)
	return pair, a, nil
}

// startSession begins a refresh family for sess and issues the first access token carrying claims.
func (s *Service) startSession(ctx context.Context, sess Session, claims Claims) (TokenPair, error) {
	rt, sess, err := s.refresh.Start(ctx, sess)
	if err != nil {
		return TokenPair{}, err
	}
	claims.SessionID = sess.FamilyID
	at, ttl, err := s.tokens.Issue(claims)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: at, RefreshToken: rt.Token, ExpiresIn: ttl, RefreshExpiresAt: rt.ExpiresAt,
		SessionID: sess.FamilyID}, nil
}

// refreshSession rotates a refresh token and issues a new access token with the account's current roles.
// A reused token revokes its family (and is audited); an account that was disabled, or a staff member who
// no longer works in the session's shop, loses the session.
func (s *Service) refreshSession(ctx context.Context, token string, c Client) (TokenPair, error) {
	next, sess, err := s.refresh.Rotate(ctx, token)
	if err != nil {
		if errors.Is(err, ErrRefreshTokenReused) {
			s.audit(ctx, sess.MerchantID, auditEntry{Event: EventTokenReuse, Actor: sess.SubjectID,
				Detail: map[string]any{"session_id": sess.FamilyID}}, c)
		}
		return TokenPair{}, err
	}
	claims, err := s.currentClaims(ctx, sess)
	if err != nil {
		if rerr := s.refresh.RevokeFamily(ctx, sess.FamilyID); rerr != nil {
			s.log.Warn("revoke session", "session_id", sess.FamilyID, "error", rerr)
		}
		return TokenPair{}, err
	}
	claims.SessionID = sess.FamilyID
	at, ttl, err := s.tokens.Issue(claims)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: at, RefreshToken: next.Token, ExpiresIn: ttl, RefreshExpiresAt: next.ExpiresAt,
		SessionID: sess.FamilyID}, nil
}

var errSessionEnded = apperr.E(apperr.Unauthenticated, "the session has ended; sign in again")

// currentClaims rebuilds the claims of a session from the account's current state.
func (s *Service) currentClaims(ctx context.Context, sess Session) (Claims, error) {
	u, err := s.user(ctx, sess.SubjectID)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Claims{}, errSessionEnded
		}
		return Claims{}, err
	}
	if u.DisabledAt.Valid {
		return Claims{}, errSessionEnded
	}
	a, err := s.access(ctx, u.ID)
	if err != nil {
		return Claims{}, err
	}
	if sess.Kind == KindStaff {
		roles := shopScopedRoles(a, sess.ShopID)
		if len(roles) == 0 || a.MerchantID != sess.MerchantID {
			return Claims{}, errSessionEnded
		}
		return Claims{Subject: u.ID, Kind: KindStaff, MerchantID: a.MerchantID,
			ShopRoles: map[string][]string{sess.ShopID: roles}}, nil
	}
	return Claims{Subject: u.ID, Kind: KindUser, MerchantID: a.MerchantID, Roles: a.Roles, ShopRoles: a.ShopRoles}, nil
}

// logout ends the session of a refresh token; an unknown token is not an error.
func (s *Service) logout(ctx context.Context, token string, c Client) error {
	sess, err := s.refresh.Revoke(ctx, token)
	if err != nil {
		return err
	}
	if sess.FamilyID != "" {
		s.audit(ctx, sess.MerchantID, auditEntry{Event: EventLogout, Actor: sess.SubjectID,
			Detail: map[string]any{"session_id": sess.FamilyID}}, c)
	}
	return nil
}

// StaffAccountInput is a staff account a merchant creates for its shops (POST /shops/{id}/staff).
type StaffAccountInput struct {
	FullName string
	// Email is optional: staff who only use a PIN have none.
	Email string
	Phone string
	// PIN is 4 to 6 digits, or empty for an account that cannot sign in by PIN yet.
	PIN string
}

// PreparedStaffAccount is a validated staff account whose PIN is already hashed, ready to be inserted.
type PreparedStaffAccount struct {
	fullName, email, phone, pinHash string
}

// PrepareStaffAccount validates in and hashes its PIN. Call it before opening the transaction that
// InsertStaffAccount runs in: the hash is deliberately slow and waits for a hasher slot, and SQLite has one
// writer. Field errors name "body.full_name", "body.email", "body.phone" and "body.pin".
func (s *Service) PrepareStaffAccount(ctx context.Context, in StaffAccountInput) (PreparedStaffAccount, error) {
	var fe fieldErrors
	p := PreparedStaffAccount{fullName: checkName(&fe, "body.full_name", in.FullName)}
	if strings.TrimSpace(in.Email) != "" {
		var msg string
		if p.email, msg = normalizeEmail(in.Email); msg != "" {
			fe.add("body.email", msg)
		}
	}
	p.phone = strings.TrimSpace(in.Phone)
	if utf8.RuneCountInString(p.phone) > maxPhoneRunes || strings.Trim(p.phone, "+0123456789 .-()") != "" {
		fe.add("body.phone", "must be a phone number")
	}
	if in.PIN != "" && !validPIN(in.PIN) {
		fe.add("body.pin", "must be 4 to 6 digits")
	}
	if err := fe.err(); err != nil {
		return PreparedStaffAccount{}, err
	}
	if in.PIN != "" {
		hash, err := s.hasher.Hash(ctx, in.PIN)
		if err != nil {
			return PreparedStaffAccount{}, fmt.Errorf("prepare staff account: %w", err)
		}
		p.pinHash = hash
	}
	return p, nil
}

// InsertStaffAccount stores a prepared staff account inside tx (the merchant module's transaction for
// merchant) and audits it there; it returns the new account id, which is the staff_id of PIN login. A
// taken email is a Conflict with a field error on "body.email".
func (s *Service) InsertStaffAccount(ctx context.Context, tx *sql.Tx, merchant tenant.ID, p PreparedStaffAccount) (string, error) {
	if p.fullName == "" {
		return "", errors.New("insert staff account: not prepared (use PrepareStaffAccount)")
	}
	id := db.NewID()
	q := iamdb.New(tx)
	err := q.InsertUser(ctx, iamdb.InsertUserParams{
		ID: id, Email: nullString(p.email), FullName: p.fullName, Phone: p.phone, Kind: accountStaff,
		PinHash: nullString(p.pinHash), Now: dbTime(s.clock.Now()),
	})
	if err != nil {
		if apperr.KindOf(db.MapError(err)) == apperr.Conflict {
			return "", errEmailTaken
		}
		return "", fmt.Errorf("insert staff account: %w", err)
	}
	if err := s.writeAudit(ctx, q, merchant, auditEntry{Event: EventStaffCreated, Actor: id,
		Detail: map[string]any{"has_pin": p.pinHash != "", "has_email": p.email != ""}}, Client{}); err != nil {
		return "", fmt.Errorf("insert staff account: %w", err)
	}
	return id, nil
}

// CreateStaffAccount is PrepareStaffAccount and InsertStaffAccount in one call, for callers that already
// hold tx. Prefer the two steps: this one hashes the PIN while tx is open.
func (s *Service) CreateStaffAccount(ctx context.Context, tx *sql.Tx, merchant tenant.ID, in StaffAccountInput) (string, error) {
	p, err := s.PrepareStaffAccount(ctx, in)
	if err != nil {
		return "", err
	}
	return s.InsertStaffAccount(ctx, tx, merchant, p)
}

// validPIN reports whether pin is 4 to 6 ASCII digits.
func validPIN(pin string) bool {
	if len(pin) < 4 || len(pin) > 6 {
		return false
	}
	return strings.Trim(pin, "0123456789") == ""
}

// UserProfile is what the directory shows of an account to the merchants it works for.
type UserProfile struct {
	FullName string
	Email    string
	Phone    string
	HasPIN   bool
}

// Profiles returns the profiles of the accounts with the given ids; unknown ids are left out. Staff lists
// are short (a shop's people), so this reads them one by one in a single read transaction.
func (s *Service) Profiles(ctx context.Context, ids []string) (map[string]UserProfile, error) {
	out := make(map[string]UserProfile, len(ids))
	q := iamdb.New(s.db.Reader())
	for _, id := range ids {
		if _, seen := out[id]; seen {
			continue
		}
		u, err := q.GetUserByID(ctx, id)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read account %s: %w", id, db.MapError(err))
		}
		out[id] = UserProfile{FullName: u.FullName, Email: u.Email.String, Phone: u.Phone, HasPIN: u.PinHash.Valid}
	}
	return out, nil
}
