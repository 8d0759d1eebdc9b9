package merchant_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
)

// benchEach runs fn per engine on a migrated database with one merchant of 10 shops, the first with 30 tables.
func benchEach(b *testing.B, fn func(b *testing.B, svc *merchant.Service, m merchant.Merchant, shops []merchant.Shop, tokens []string)) {
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			ctx := context.Background()
			d := dbtest.New(b, dialect)
			if err := migrate.Up(ctx, d, slog.New(slog.NewTextHandler(io.Discard, nil)), sources...); err != nil {
				b.Fatal(err)
			}
			svc := merchant.New(d, clock.System{}, merchant.Options{})
			m, err := svc.CreateMerchant(ctx, merchant.MerchantInput{Name: "Bench", OwnerUserID: "owner"})
			if err != nil {
				b.Fatal(err)
			}
			var shops []merchant.Shop
			for i := range 10 {
				s, err := svc.CreateShop(ctx, m.ID, merchant.ShopInput{Name: fmt.Sprint("S", i), BusinessType: merchant.Cafe})
				if err != nil {
					b.Fatal(err)
				}
				shops = append(shops, s)
			}
			area, err := svc.CreateArea(ctx, m.ID, shops[0].ID, merchant.AreaInput{Name: "A"})
			if err != nil {
				b.Fatal(err)
			}
			var tokens []string
			for i := range 30 {
				t, err := svc.CreateTable(ctx, m.ID, shops[0].ID, merchant.TableInput{AreaID: area.ID, Name: fmt.Sprint("T", i), Seats: 4})
				if err != nil {
					b.Fatal(err)
				}
				tokens = append(tokens, t.QRToken)
			}
			b.ResetTimer()
			fn(b, svc, m, shops, tokens)
		})
	}
}

// BenchmarkResolveQRToken measures the cross-tenant lookup every QR-menu visit makes.
func BenchmarkResolveQRToken(b *testing.B) {
	benchEach(b, func(b *testing.B, svc *merchant.Service, _ merchant.Merchant, _ []merchant.Shop, tokens []string) {
		ctx := context.Background()
		i := 0
		for b.Loop() {
			if _, err := svc.ResolveQRToken(ctx, tokens[i%len(tokens)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkFloor measures reading a 30-table floor (what a POS terminal loads).
func BenchmarkFloor(b *testing.B) {
	benchEach(b, func(b *testing.B, svc *merchant.Service, m merchant.Merchant, shops []merchant.Shop, _ []string) {
		ctx := context.Background()
		for b.Loop() {
			if _, err := svc.Floor(ctx, m.ID, shops[0].ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSetDefaultShop measures the serialised default switch (a write transaction with the merchant lock).
func BenchmarkSetDefaultShop(b *testing.B) {
	benchEach(b, func(b *testing.B, svc *merchant.Service, m merchant.Merchant, shops []merchant.Shop, _ []string) {
		ctx := context.Background()
		i := 0
		for b.Loop() {
			if _, err := svc.SetDefaultShop(ctx, m.ID, shops[i%len(shops)].ID); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
