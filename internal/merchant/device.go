package merchant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// Registered terminals. A shop that sets require_registered_device accepts PIN sign-in only from a device
// holding a secret the shop registered: a stolen PIN is then useless away from the counter. The secret is
// shown once, when the device is registered; only its hash is kept.

// Device is a registered terminal of a shop.
type Device struct {
	ID         string     `json:"id"`
	ShopID     string     `json:"shop_id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// NewDevice is a just-registered device with its secret, which is never shown again.
type NewDevice struct {
	Device
	Secret string `json:"device_secret" doc:"Store it on the terminal and send it as device_id with every PIN sign-in; it is shown only now."`
}

// errDeviceRefused is the answer to a PIN sign-in from an unregistered device of a shop that requires one.
var errDeviceRefused = apperr.E(apperr.Forbidden, "this shop accepts PIN sign-in from its registered terminals only")

func hashDeviceSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// RegisterDevice registers a terminal of shop shopID named name and returns its secret.
func (s *Service) RegisterDevice(ctx context.Context, m tenant.ID, shopID, name, actor string) (NewDevice, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return NewDevice{}, apperr.WithField("body.name", "must be 1 to 100 characters")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return NewDevice{}, fmt.Errorf("device secret: %w", err)
	}
	out := NewDevice{Secret: base64.RawURLEncoding.EncodeToString(raw)}
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := liveShop(ctx, q, m, shopID); err != nil {
			return err
		}
		now := s.now()
		out.Device = Device{ID: db.NewID(), ShopID: shopID, Name: name, CreatedAt: now}
		if err := q.InsertDevice(ctx, merchantdb.InsertDeviceParams{ID: out.ID, MerchantID: string(m), ShopID: shopID,
			Name: name, SecretHash: hashDeviceSecret(out.Secret), CreatedBy: actor, CreatedAt: now}); err != nil {
			return fmt.Errorf("insert device: %w", err)
		}
		return s.audit(ctx, tx, m, AuditRecord{Event: AuditDeviceRegistered, Actor: actor,
			Detail: map[string]any{"shop_id": shopID, "device_id": out.ID, "name": name}})
	})
	if err != nil {
		return NewDevice{}, fmt.Errorf("register device: %w", err)
	}
	return out, nil
}

// Devices lists the live registered terminals of shop shopID.
func (s *Service) Devices(ctx context.Context, m tenant.ID, shopID string) ([]Device, error) {
	var out []Device
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := loadShop(ctx, q, m, shopID); err != nil {
			return err
		}
		rows, err := q.ListShopDevices(ctx, merchantdb.ListShopDevicesParams{MerchantID: string(m), ShopID: shopID})
		if err != nil {
			return fmt.Errorf("list devices: %w", err)
		}
		out = make([]Device, len(rows))
		for i, r := range rows {
			out[i] = Device{ID: r.ID, ShopID: r.ShopID, Name: r.Name, CreatedAt: r.CreatedAt.UTC(), LastUsedAt: timePtr(r.LastUsedAt)}
		}
		return nil
	})
	return out, err
}

// RevokeDevice stops device id of shop shopID from signing staff in.
func (s *Service) RevokeDevice(ctx context.Context, m tenant.ID, shopID, id, actor string) error {
	return s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		n, err := merchantdb.New(tx).RevokeDevice(ctx, merchantdb.RevokeDeviceParams{
			Now: sql.NullTime{Time: s.now(), Valid: true}, MerchantID: string(m), ShopID: shopID, ID: id})
		if err != nil {
			return fmt.Errorf("revoke device: %w", err)
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "device not found")
		}
		return s.audit(ctx, tx, m, AuditRecord{Event: AuditDeviceRevoked, Actor: actor,
			Detail: map[string]any{"shop_id": shopID, "device_id": id}})
	})
}

// CheckDevice is asked by PIN sign-in, before any tenant is known, whether shop shopID accepts it from the
// terminal holding secret (empty when the terminal sent none). It returns the registered device's id when
// the secret is a live device of the shop ("" otherwise) and apperr.Forbidden when the shop requires a
// registered device and this is not one. An unknown shop passes: the sign-in fails on the staff's roles.
// It is a cross-tenant path: db.WithSystemTx, reading shops and shop_devices and stamping last_used_at.
func (s *Service) CheckDevice(ctx context.Context, shopID, secret string) (string, error) {
	var id string
	err := s.db.WithSystemTx(ctx, "check a terminal's registration at PIN sign-in", func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		required, err := q.ShopDeviceRule(ctx, shopID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read shop rule: %w", err)
		}
		if secret != "" {
			dev, err := q.FindDevice(ctx, merchantdb.FindDeviceParams{ShopID: shopID, SecretHash: hashDeviceSecret(secret)})
			switch {
			case err == nil:
				id = dev.ID
				return q.TouchDevice(ctx, merchantdb.TouchDeviceParams{Now: sql.NullTime{Time: s.now(), Valid: true}, ID: dev.ID})
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("find device: %w", err)
			}
		}
		if required {
			return errDeviceRefused
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
