package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/goodgo/goodgo/internal/platform/money"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report/reportdb"
)

// Venue returns the venue metrics of local days from…to: per karaoke room the sessions, minutes in use,
// revenue per room-hour and occupancy (minutes in use ÷ the minutes the shop is open over the period, its
// report setting); per restaurant table the sittings, turn time and guests per sitting. With a shop given
// (and Shops wired) every room of its floor is listed, used or not; otherwise the rooms that were used. It
// returns apperr.Invalid for a bad range and apperr.NotFound for a shop that is not m's.
func (s *Service) Venue(ctx context.Context, m tenant.ID, sc Scope, from, to string) (VenueMetrics, error) {
	p, err := parsePeriod(from, to)
	if err != nil {
		return VenueMetrics{}, err
	}
	var floorRooms []Place
	if sc.ShopID != "" && s.shops != nil {
		sh, err := s.shops.Shop(ctx, m, sc.ShopID)
		if err != nil {
			return VenueMetrics{}, err
		}
		floorRooms = sh.Rooms
	}
	var rooms []reportdb.RoomUseRow
	var tables []reportdb.TableUseRow
	openMinutes := map[string]int{}
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := reportdb.New(tx)
		for _, shop := range sc.filters() {
			r, err := q.RoomUse(ctx, reportdb.RoomUseParams{MerchantID: string(m), FromDay: p.fromDay(), ToDay: p.toDay(), ShopID: shop})
			if err != nil {
				return fmt.Errorf("read room use: %w", err)
			}
			rooms = append(rooms, r...)
			t, err := q.TableUse(ctx, reportdb.TableUseParams{MerchantID: string(m), FromDay: p.fromDay(), ToDay: p.toDay(), ShopID: shop})
			if err != nil {
				return fmt.Errorf("read table use: %w", err)
			}
			tables = append(tables, t...)
		}
		shops := map[string]bool{}
		if sc.ShopID != "" {
			shops[sc.ShopID] = true
		}
		for _, r := range rooms {
			shops[r.ShopID] = true
		}
		for shop := range shops {
			st, err := loadSettings(ctx, q, m, shop)
			if err != nil {
				return err
			}
			openMinutes[shop] = st.OpenMinutesPerDay
		}
		return nil
	})
	if err != nil {
		return VenueMetrics{}, err
	}
	out := VenueMetrics{From: p.fromDay(), To: p.toDay(), ShopID: sc.ShopID,
		Rooms: RoomMetrics{Items: []RoomUse{}}, Tables: TableMetric{Items: []TableUse{}}}
	used := map[string]bool{}
	var available int64
	for _, r := range rooms {
		used[r.RoomID] = true
		open := int64(openMinutes[r.ShopID]) * int64(p.days())
		available += open
		out.Rooms.Items = append(out.Rooms.Items, RoomUse{ShopID: r.ShopID, RoomID: r.RoomID, Name: r.Name, Sessions: r.Sessions,
			Minutes: r.Minutes, Revenue: money.VND(r.Revenue), RevenuePerRoomHour: perHour(money.VND(r.Revenue), r.Minutes),
			OccupancyPercent: ratioPercent(r.Minutes, open)})
		out.Rooms.Sessions += r.Sessions
		out.Rooms.Minutes += r.Minutes
		out.Rooms.Revenue += money.VND(r.Revenue)
	}
	for _, fr := range floorRooms {
		if used[fr.ID] {
			continue
		}
		available += int64(openMinutes[sc.ShopID]) * int64(p.days())
		out.Rooms.Items = append(out.Rooms.Items, RoomUse{ShopID: sc.ShopID, RoomID: fr.ID, Name: fr.Name})
	}
	slices.SortFunc(out.Rooms.Items, func(a, b RoomUse) int {
		return cmp.Or(cmp.Compare(a.ShopID, b.ShopID), cmp.Compare(a.Name, b.Name), cmp.Compare(a.RoomID, b.RoomID))
	})
	out.Rooms.RevenuePerRoomHour = perHour(out.Rooms.Revenue, out.Rooms.Minutes)
	out.Rooms.OccupancyPercent = ratioPercent(out.Rooms.Minutes, available)
	var seated, guests int64
	for _, t := range tables {
		out.Tables.Items = append(out.Tables.Items, TableUse{ShopID: t.ShopID, TableID: t.TableID, Name: t.Name,
			Sittings: t.Sittings, AverageTurnMinutes: ratio(t.SeatedSeconds, 60*t.Sittings), GuestsPerTable: ratio(t.Guests, t.Sittings)})
		out.Tables.Sittings += t.Sittings
		seated += t.SeatedSeconds
		guests += t.Guests
	}
	slices.SortFunc(out.Tables.Items, func(a, b TableUse) int {
		return cmp.Or(cmp.Compare(a.ShopID, b.ShopID), cmp.Compare(a.Name, b.Name), cmp.Compare(a.TableID, b.TableID))
	})
	out.Tables.AverageTurnMinutes = ratio(seated, 60*out.Tables.Sittings)
	out.Tables.GuestsPerTable = ratio(guests, out.Tables.Sittings)
	return out, nil
}

// perHour is revenue × 60 ÷ minutes, floored (0 without minutes).
func perHour(revenue money.VND, minutes int64) money.VND {
	if minutes <= 0 {
		return 0
	}
	return revenue * 60 / money.VND(minutes)
}

// ratio is a ÷ b to one decimal (0 when b is 0): averages for display, never money.
func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return oneDecimal(float64(a) / float64(b))
}

// ratioPercent is a ÷ b × 100 to one decimal (0 when b is 0).
func ratioPercent(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return oneDecimal(float64(a) * 100 / float64(b))
}
