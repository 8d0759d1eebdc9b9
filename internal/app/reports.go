package app

import (
	"context"

	"github.com/goodgo/goodgo/internal/catalog"
	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/report"
)

// The report module's view of people, categories and shops.

// reportStaff names staff members (iam profiles).
type reportStaff struct{ accounts *staffAccounts }

func (r reportStaff) Names(ctx context.Context, _ tenant.ID, ids []string) (map[string]string, error) {
	profiles, err := r.accounts.iam.Profiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(profiles))
	for id, p := range profiles {
		out[id] = p.FullName
	}
	return out, nil
}

// reportCatalog names categories.
type reportCatalog struct{ svc *catalog.Service }

func (r reportCatalog) CategoryNames(ctx context.Context, m tenant.ID, ids []string) (map[string]string, error) {
	cats, err := r.svc.Categories(ctx, m)
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	out := map[string]string{}
	for _, c := range cats {
		if want[c.ID] {
			out[c.ID] = c.Name
		}
	}
	return out, nil
}

// reportShops gives a shop's name and its karaoke rooms.
type reportShops struct{ svc *merchant.Service }

func (r reportShops) Shop(ctx context.Context, m tenant.ID, shopID string) (report.ShopInfo, error) {
	sh, err := r.svc.Shop(ctx, m, shopID)
	if err != nil {
		return report.ShopInfo{}, err
	}
	floor, err := r.svc.Floor(ctx, m, shopID)
	if err != nil {
		return report.ShopInfo{}, err
	}
	info := report.ShopInfo{Name: sh.Name}
	for _, room := range floor.Rooms {
		info.Rooms = append(info.Rooms, report.Place{ID: room.ID, Name: room.Name})
	}
	return info, nil
}
