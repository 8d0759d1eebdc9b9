package iam

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/goodgo/goodgo/internal/iam/iamdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The security events written to the audit log (iam_audit_log.event).
const (
	EventRegistered       = "account.registered"
	EventStaffCreated     = "staff.created"
	EventLoginSucceeded   = "login.succeeded"
	EventLoginFailed      = "login.failed"
	EventMFAFailed        = "login.mfa_failed"
	EventRecoveryCodeUsed = "mfa.recovery_code_used"
	EventMFAEnabled       = "mfa.enabled"
	EventMFADisabled      = "mfa.disabled"
	EventTokenReuse       = "session.token_reuse"
	EventLogout           = "session.logout"
	EventSessionsRevoked  = "session.others_revoked"
	EventPINSucceeded     = "pin_login.succeeded"
	EventPINFailed        = "pin_login.failed"
	EventPINApproved      = "pin_approval.succeeded"
	EventPINLocked        = "pin_login.locked"
)

// auditEntry is one security event about an account.
type auditEntry struct {
	Event  string
	Actor  string
	Detail map[string]any
}

// writeAudit inserts an entry for merchant with q, which must run in a transaction for that merchant (the
// table's row-level security checks it on PostgreSQL).
func (s *Service) writeAudit(ctx context.Context, q *iamdb.Queries, merchant tenant.ID, e auditEntry, c Client) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit %s: %w", e.Event, err)
		}
	}
	err := q.InsertAuditEntry(ctx, iamdb.InsertAuditEntryParams{
		MerchantID: string(merchant), ID: db.NewID(), At: dbTime(s.clock.Now()), ActorUserID: e.Actor,
		Event: e.Event, Ip: c.IP, UserAgent: clientText(c.UserAgent, 300), Detail: string(detail),
	})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Event, err)
	}
	return nil
}

// audit records an event in its own transaction. The log always gets it; the audit log only when the
// account belongs to a merchant. A failure to write is logged and does not fail the request that caused it.
func (s *Service) audit(ctx context.Context, merchant tenant.ID, e auditEntry, c Client) {
	s.log.Info("security event", "event", e.Event, "actor", e.Actor, "merchant_id", string(merchant), "ip", c.IP)
	if merchant == "" {
		return
	}
	// The event is recorded even if the client has gone away meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.db.WithTx(ctx, merchant, func(tx *sql.Tx) error {
		return s.writeAudit(ctx, iamdb.New(tx), merchant, e, c)
	})
	if err != nil {
		s.log.Error("audit log not written", "event", e.Event, "actor", e.Actor, "error", err)
	}
}

// auditAccount records an event about an account whose merchant is not known yet.
func (s *Service) auditAccount(ctx context.Context, userID string, e auditEntry, c Client) {
	a, err := s.access(ctx, userID)
	if err != nil {
		s.log.Error("audit log not written", "event", e.Event, "actor", userID, "error", err)
		return
	}
	s.audit(ctx, a.MerchantID, e, c)
}

// AuditEntry is one entry of the audit log as the API shows it.
type AuditEntry struct {
	ID          string         `json:"id"`
	At          time.Time      `json:"at"`
	ActorUserID string         `json:"actor_user_id"`
	Event       string         `json:"event"`
	IP          string         `json:"ip"`
	UserAgent   string         `json:"user_agent"`
	Detail      map[string]any `json:"detail"`
}

// auditPage lists merchant's entries newest first, limit at a time, after cursor (the last id of the
// previous page; "" for the first). The returned cursor is "" on the last page.
func (s *Service) auditPage(ctx context.Context, merchant tenant.ID, limit int, cursor string) ([]AuditEntry, string, error) {
	if cursor != "" {
		if _, err := uuid.Parse(cursor); err != nil {
			return nil, "", apperr.WithField("query.cursor", "is not a cursor this list returned")
		}
	}
	var rows []iamdb.IamAuditLog
	err := s.db.ReadTx(ctx, merchant, func(tx *sql.Tx) error {
		q := iamdb.New(tx)
		var err error
		// One more than asked tells whether there is a next page.
		if cursor == "" {
			rows, err = q.ListAuditEntries(ctx, iamdb.ListAuditEntriesParams{MerchantID: string(merchant), MaxRows: int32(limit + 1)})
		} else {
			rows, err = q.ListAuditEntriesBefore(ctx, iamdb.ListAuditEntriesBeforeParams{
				MerchantID: string(merchant), Cursor: cursor, MaxRows: int32(limit + 1)})
		}
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list audit log: %w", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{ID: r.ID, At: r.At.UTC(), ActorUserID: r.ActorUserID, Event: r.Event, IP: r.Ip,
			UserAgent: r.UserAgent, Detail: map[string]any{}}
		if err := json.Unmarshal([]byte(r.Detail), &out[i].Detail); err != nil {
			return nil, "", fmt.Errorf("list audit log: entry %s: %w", r.ID, err)
		}
	}
	return out, next, nil
}

// clientText makes a client-supplied header fit for storage: valid UTF-8, at most n characters.
func clientText(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// AuditInTx records a security event of another module (staff roles, registered devices, payment-provider
// accounts, shop transfers) in merchant's audit log, inside that module's transaction tx so the change and
// its record commit together. tx is the merchant's transaction, or the audited system transaction of a
// cross-tenant path (the table's policy admits the system path for inserts only). The caller's IP comes
// from ctx.
func (s *Service) AuditInTx(ctx context.Context, tx *sql.Tx, merchant tenant.ID, event, actor string, detail map[string]any) error {
	return s.writeAudit(ctx, iamdb.New(tx), merchant, auditEntry{Event: event, Actor: actor, Detail: detail}, clientOf(ctx, ""))
}
