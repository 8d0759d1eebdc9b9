package merchant

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// The use cases of a shop's floor. Each changes one live shop of merchant m: another merchant's shop (or
// area, table, room) is apperr.NotFound, an archived shop apperr.Conflict, bad input apperr.Invalid with the
// fields named, and a name already used by a live area, table or room of the shop apperr.Conflict.

// QR token targets, as stored in floor_qr_tokens.target_kind.
const (
	targetTable = "table"
	targetRoom  = "room"
)

// AreaInput creates an area.
type AreaInput struct {
	Name      string
	SortOrder int
}

// AreaPatch changes an area; nil fields keep their value.
type AreaPatch struct {
	Name      *string
	SortOrder *int
}

// Floor returns shop shopID's live areas with their tables, and its rooms.
func (s *Service) Floor(ctx context.Context, m tenant.ID, shopID string) (Floor, error) {
	return s.FloorIn(ctx, nil, m, shopID)
}

// FloorIn is Floor inside the caller's transaction tx (nil: its own).
func (s *Service) FloorIn(ctx context.Context, tx *sql.Tx, m tenant.ID, shopID string) (Floor, error) {
	var out Floor
	err := s.readIn(ctx, tx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := loadShop(ctx, q, m, shopID); err != nil {
			return err
		}
		var err error
		out, err = loadFloor(ctx, q, m, shopID)
		return err
	})
	return out, err
}

// inShop runs fn in a write transaction of merchant m on live shop shopID.
func (s *Service) inShop(ctx context.Context, m tenant.ID, shopID string, fn func(q *merchantdb.Queries) error) error {
	return s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := liveShop(ctx, q, m, shopID); err != nil {
			return err
		}
		return fn(q)
	})
}

// CreateArea adds an area to a shop's floor.
func (s *Service) CreateArea(ctx context.Context, m tenant.ID, shopID string, in AreaInput) (Area, error) {
	a, err := validateArea(Area{Name: in.Name, SortOrder: in.SortOrder})
	if err != nil {
		return Area{}, err
	}
	err = s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		now := s.now()
		a.ID, a.ShopID, a.CreatedAt, a.UpdatedAt = db.NewID(), shopID, now, now
		err := q.InsertArea(ctx, merchantdb.InsertAreaParams{ID: a.ID, MerchantID: string(m), ShopID: shopID,
			Name: a.Name, SortOrder: int32(a.SortOrder), CreatedAt: now})
		return conflictAs(err, "this shop already has an area named "+a.Name)
	})
	if err != nil {
		return Area{}, fmt.Errorf("create area: %w", err)
	}
	return a, nil
}

// UpdateArea renames or reorders an area.
func (s *Service) UpdateArea(ctx context.Context, m tenant.ID, shopID, id string, p AreaPatch) (Area, error) {
	var out Area
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		a, err := loadArea(ctx, q, m, shopID, id)
		if err != nil {
			return err
		}
		setIf(&a.Name, p.Name)
		setIf(&a.SortOrder, p.SortOrder)
		if a, err = validateArea(a); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		_, err = q.UpdateArea(ctx, merchantdb.UpdateAreaParams{Name: a.Name, SortOrder: int32(a.SortOrder),
			UpdatedAt: a.UpdatedAt, MerchantID: string(m), ShopID: shopID, ID: id})
		out = a
		return conflictAs(err, "this shop already has an area named "+a.Name)
	})
	if err != nil {
		return Area{}, fmt.Errorf("update area %s: %w", id, err)
	}
	return out, nil
}

// DeleteArea removes an empty area; one that still has tables is a Conflict (move or delete them first).
func (s *Service) DeleteArea(ctx context.Context, m tenant.ID, shopID, id string) error {
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		if _, err := loadArea(ctx, q, m, shopID, id); err != nil {
			return err
		}
		n, err := q.CountTablesInArea(ctx, merchantdb.CountTablesInAreaParams{MerchantID: string(m), AreaID: id})
		if err != nil {
			return fmt.Errorf("count tables: %w", err)
		}
		if n > 0 {
			return apperr.E(apperr.Conflict, "the area still has %d table(s): move or delete them first", n)
		}
		_, err = q.DeleteArea(ctx, merchantdb.DeleteAreaParams{Now: s.now(), MerchantID: string(m), ShopID: shopID, ID: id})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete area %s: %w", id, err)
	}
	return nil
}

// areaOfShop checks that areaID is a live area of the shop; otherwise the input is invalid (the area is
// named in the body, not the path).
func areaOfShop(ctx context.Context, q *merchantdb.Queries, m tenant.ID, shopID, areaID string) error {
	if _, err := loadArea(ctx, q, m, shopID, areaID); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return apperr.WithField("area_id", "is not an area of this shop")
		}
		return err
	}
	return nil
}

// CreateTable adds a table to an area of a shop, with a fresh QR token.
func (s *Service) CreateTable(ctx context.Context, m tenant.ID, shopID string, in TableInput) (Table, error) {
	if in.Shape == "" {
		in.Shape = Square
	}
	t, err := validateTable(Table{AreaID: in.AreaID, Name: in.Name, Seats: in.Seats, Shape: in.Shape, X: in.X, Y: in.Y})
	if err != nil {
		return Table{}, err
	}
	err = s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		if err := areaOfShop(ctx, q, m, shopID, t.AreaID); err != nil {
			return err
		}
		now := s.now()
		t.ID, t.ShopID, t.CreatedAt, t.UpdatedAt = db.NewID(), shopID, now, now
		err := q.InsertTable(ctx, merchantdb.InsertTableParams{ID: t.ID, MerchantID: string(m), ShopID: shopID,
			AreaID: t.AreaID, Name: t.Name, Seats: int32(t.Seats), Shape: string(t.Shape), X: int32(t.X), Y: int32(t.Y),
			CreatedAt: now})
		if err != nil {
			return conflictAs(err, "this shop already has a table named "+t.Name)
		}
		t.QRToken, err = insertQRToken(ctx, q, m, shopID, targetTable, t.ID, now)
		return err
	})
	if err != nil {
		return Table{}, fmt.Errorf("create table: %w", err)
	}
	return t, nil
}

// UpdateTable changes a table: its area, name, seats, shape or position.
func (s *Service) UpdateTable(ctx context.Context, m tenant.ID, shopID, id string, p TablePatch) (Table, error) {
	var out Table
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		t, err := loadTable(ctx, q, m, shopID, id)
		if err != nil {
			return err
		}
		area := t.AreaID
		setIf(&t.AreaID, p.AreaID)
		setIf(&t.Name, p.Name)
		setIf(&t.Seats, p.Seats)
		setIf(&t.Shape, p.Shape)
		setIf(&t.X, p.X)
		setIf(&t.Y, p.Y)
		if t, err = validateTable(t); err != nil {
			return err
		}
		if t.AreaID != area {
			if err := areaOfShop(ctx, q, m, shopID, t.AreaID); err != nil {
				return err
			}
		}
		t.UpdatedAt = s.now()
		_, err = q.UpdateTable(ctx, merchantdb.UpdateTableParams{AreaID: t.AreaID, Name: t.Name, Seats: int32(t.Seats),
			Shape: string(t.Shape), X: int32(t.X), Y: int32(t.Y), UpdatedAt: t.UpdatedAt, MerchantID: string(m),
			ShopID: shopID, ID: id})
		out = t
		return conflictAs(err, "this shop already has a table named "+t.Name)
	})
	if err != nil {
		return Table{}, fmt.Errorf("update table %s: %w", id, err)
	}
	return out, nil
}

// DeleteTable removes a table from the floor; its QR token stops resolving.
func (s *Service) DeleteTable(ctx context.Context, m tenant.ID, shopID, id string) error {
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		n, err := q.DeleteTable(ctx, merchantdb.DeleteTableParams{Now: s.now(), MerchantID: string(m), ShopID: shopID, ID: id})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "table not found")
		}
		return q.DeleteQRToken(ctx, merchantdb.DeleteQRTokenParams{MerchantID: string(m), TargetID: id})
	})
	if err != nil {
		return fmt.Errorf("delete table %s: %w", id, err)
	}
	return nil
}

// RotateTableQR gives a table a new QR token; the old one stops resolving when this returns.
func (s *Service) RotateTableQR(ctx context.Context, m tenant.ID, shopID, id string) (Table, error) {
	var out Table
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		t, err := loadTable(ctx, q, m, shopID, id)
		if err != nil {
			return err
		}
		t.QRToken, err = s.rotateToken(ctx, q, m, shopID, targetTable, id)
		out = t
		return err
	})
	if err != nil {
		return Table{}, fmt.Errorf("rotate QR token of table %s: %w", id, err)
	}
	return out, nil
}

// rotateToken replaces a target's token in place (the row keyed by target keeps exactly one token).
func (s *Service) rotateToken(ctx context.Context, q *merchantdb.Queries, m tenant.ID, shopID, kind, id string) (string, error) {
	token := newQRToken()
	n, err := q.RotateQRToken(ctx, merchantdb.RotateQRTokenParams{Token: token, CreatedAt: s.now(),
		MerchantID: string(m), TargetID: id})
	if err != nil {
		return "", err
	}
	if n == 0 { // the target lost its token somehow: give it one
		return insertQRToken(ctx, q, m, shopID, kind, id, s.now())
	}
	return token, nil
}

// CreateRoom adds a karaoke room to a shop, with a fresh QR token.
func (s *Service) CreateRoom(ctx context.Context, m tenant.ID, shopID string, in RoomInput) (Room, error) {
	r, err := validateRoom(Room{Name: in.Name, RoomType: in.RoomType, Capacity: in.Capacity})
	if err != nil {
		return Room{}, err
	}
	err = s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		now := s.now()
		r.ID, r.ShopID, r.CreatedAt, r.UpdatedAt = db.NewID(), shopID, now, now
		err := q.InsertRoom(ctx, merchantdb.InsertRoomParams{ID: r.ID, MerchantID: string(m), ShopID: shopID,
			Name: r.Name, RoomType: r.RoomType, Capacity: int32(r.Capacity), CreatedAt: now})
		if err != nil {
			return conflictAs(err, "this shop already has a room named "+r.Name)
		}
		r.QRToken, err = insertQRToken(ctx, q, m, shopID, targetRoom, r.ID, now)
		return err
	})
	if err != nil {
		return Room{}, fmt.Errorf("create room: %w", err)
	}
	return r, nil
}

// UpdateRoom changes a room's name, type or capacity.
func (s *Service) UpdateRoom(ctx context.Context, m tenant.ID, shopID, id string, p RoomPatch) (Room, error) {
	var out Room
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		r, err := loadRoom(ctx, q, m, shopID, id)
		if err != nil {
			return err
		}
		setIf(&r.Name, p.Name)
		setIf(&r.RoomType, p.RoomType)
		setIf(&r.Capacity, p.Capacity)
		if r, err = validateRoom(r); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		_, err = q.UpdateRoom(ctx, merchantdb.UpdateRoomParams{Name: r.Name, RoomType: r.RoomType,
			Capacity: int32(r.Capacity), UpdatedAt: r.UpdatedAt, MerchantID: string(m), ShopID: shopID, ID: id})
		out = r
		return conflictAs(err, "this shop already has a room named "+r.Name)
	})
	if err != nil {
		return Room{}, fmt.Errorf("update room %s: %w", id, err)
	}
	return out, nil
}

// DeleteRoom removes a room; its QR token stops resolving.
func (s *Service) DeleteRoom(ctx context.Context, m tenant.ID, shopID, id string) error {
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		n, err := q.DeleteRoom(ctx, merchantdb.DeleteRoomParams{Now: s.now(), MerchantID: string(m), ShopID: shopID, ID: id})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.E(apperr.NotFound, "room not found")
		}
		return q.DeleteQRToken(ctx, merchantdb.DeleteQRTokenParams{MerchantID: string(m), TargetID: id})
	})
	if err != nil {
		return fmt.Errorf("delete room %s: %w", id, err)
	}
	return nil
}

// RotateRoomQR gives a room a new QR token; the old one stops resolving when this returns.
func (s *Service) RotateRoomQR(ctx context.Context, m tenant.ID, shopID, id string) (Room, error) {
	var out Room
	err := s.inShop(ctx, m, shopID, func(q *merchantdb.Queries) error {
		r, err := loadRoom(ctx, q, m, shopID, id)
		if err != nil {
			return err
		}
		r.QRToken, err = s.rotateToken(ctx, q, m, shopID, targetRoom, id)
		out = r
		return err
	})
	if err != nil {
		return Room{}, fmt.Errorf("rotate QR token of room %s: %w", id, err)
	}
	return out, nil
}

// ResolveQRToken finds the table or room a customer's QR token belongs to, in whichever merchant. It is one
// of the module's two cross-tenant paths (the token is all the customer has): it runs in db.WithSystemTx and
// reads floor_qr_tokens only, whose policy admits the system path for reading. A malformed, rotated or
// deleted token, or one of an archived shop, is apperr.NotFound.
func (s *Service) ResolveQRToken(ctx context.Context, token string) (TableRef, error) {
	if !wellFormedQRToken(token) {
		return TableRef{}, apperr.E(apperr.NotFound, "QR code not found")
	}
	var ref TableRef
	err := s.db.WithSystemTx(ctx, "resolve a customer's QR token to its table or room", func(tx *sql.Tx) error {
		row, err := merchantdb.New(tx).FindQRToken(ctx, token)
		if err != nil {
			return notFound(err, "QR code")
		}
		ref = TableRef{MerchantID: tenant.ID(row.MerchantID), ShopID: row.ShopID}
		if row.TargetKind == targetRoom {
			ref.RoomID = row.TargetID
		} else {
			ref.TableID = row.TargetID
		}
		return nil
	})
	if err != nil {
		return TableRef{}, fmt.Errorf("resolve QR token: %w", err)
	}
	return ref, nil
}
