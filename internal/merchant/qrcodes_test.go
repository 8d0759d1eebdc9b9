package merchant_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goodgo/goodgo/internal/merchant"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/platform/qrcode"
)

const publicURL = "https://pos.quan.vn/"

// qrWorld is world with the QR code operations registered too.
func qrWorld(t *testing.T, d *db.DB) *world {
	t.Helper()
	w := newWorld(t, d)
	w.svc.QRCodeRoutes(w.api, publicURL)
	return w
}

// raw sends a request as the principal named token and returns the recorder.
func (w *world) raw(t *testing.T, token, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	return httpapitest.Do(t, w.handler, token, method, path, nil)
}

// wantCode checks that body is the code of link drawn as format: the encoder is deterministic, so the same
// link drawn again gives the same bytes.
func wantCode(t *testing.T, body []byte, link, format string, scale int) {
	t.Helper()
	mx, err := qrcode.Encode(link, qrcode.LevelQuartile)
	if err != nil {
		t.Fatal(err)
	}
	want := mx.SVG(scale)
	if format == "png" {
		if want, err = mx.PNG(scale); err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(body)); err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
	}
	if !bytes.Equal(body, want) {
		t.Fatalf("the %s does not draw %s (%d bytes, want %d)", format, link, len(body), len(want))
	}
}

func TestQRCodesEncodeTheSelfOrderLink(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := qrWorld(t, d)
		sp := "/api/v1/shops/" + w.a1.ID
		tableLink, roomLink := "https://pos.quan.vn/t/"+w.table.QRToken, "https://pos.quan.vn/t/"+w.room.QRToken
		for _, c := range []struct {
			path, link, format, ct string
			scale                  int
		}{
			{sp + "/tables/" + w.table.ID + "/qr.svg", tableLink, "svg", "image/svg+xml", 0},
			{sp + "/tables/" + w.table.ID + "/qr.png?scale=4", tableLink, "png", "image/png", 4},
			{sp + "/rooms/" + w.room.ID + "/qr.png", roomLink, "png", "image/png", 0},
			{sp + "/qr-codes?format=png&table_id=" + w.table.ID, tableLink, "png", "image/png", 0},
			{sp + "/qr-codes?room_id=" + w.room.ID, roomLink, "svg", "image/svg+xml", 0},
		} {
			rec := w.raw(t, w.cashierA1, http.MethodGet, c.path)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != c.ct {
				t.Fatalf("%s: %d %s %s", c.path, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("%s: a code that can be rotated is cached", c.path)
			}
			wantCode(t, rec.Body.Bytes(), c.link, c.format, c.scale)
		}
		for _, c := range []struct {
			token, path string
			status      int
		}{
			{w.ownerB, sp + "/tables/" + w.table.ID + "/qr.svg", http.StatusNotFound},
			{w.ownerA, "/api/v1/shops/" + w.a2.ID + "/tables/" + w.table.ID + "/qr.svg", http.StatusNotFound},
			{w.ownerA, sp + "/rooms/" + w.table.ID + "/qr.svg", http.StatusNotFound},
			{w.ownerA, sp + "/qr-codes?format=svg", http.StatusUnprocessableEntity},
			{w.ownerA, sp + "/qr-codes?table_id=" + w.table.ID + "&room_id=" + w.room.ID, http.StatusUnprocessableEntity},
			{w.ownerA, sp + "/qr-codes?format=gif&table_id=" + w.table.ID, http.StatusUnprocessableEntity},
			{w.ownerA, sp + "/tables/" + w.table.ID + "/qr.png?scale=33", http.StatusUnprocessableEntity},
			{"", sp + "/tables/" + w.table.ID + "/qr.svg", http.StatusUnauthorized},
		} {
			if rec := w.raw(t, c.token, http.MethodGet, c.path); rec.Code != c.status {
				t.Errorf("%s %s: %d, want %d", c.token, c.path, rec.Code, c.status)
			}
		}
	})
}

func TestQRSheetPrintsEveryPlace(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := qrWorld(t, d)
		ctx := context.Background()
		// Enough places for two pages, one with a name that must be escaped.
		for _, name := range []string{"<b>B2</b>", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12"} {
			if _, err := w.svc.CreateTable(ctx, w.a, w.a1.ID, merchant.TableInput{AreaID: w.area.ID, Name: name, Seats: 2}); err != nil {
				t.Fatal(err)
			}
		}
		places, err := w.svc.QRPlaces(ctx, w.a, w.a1.ID, publicURL)
		if err != nil {
			t.Fatal(err)
		}
		if len(places.Places) != 13 {
			t.Fatalf("%d places, want 12 tables and a room", len(places.Places))
		}
		for _, path := range []string{"/qr-codes/print", "/qr-sheet"} {
			rec := w.raw(t, w.managerA, http.MethodGet, "/api/v1/shops/"+w.a1.ID+path)
			page := rec.Body.String()
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("%s: %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
			}
			for _, want := range []string{"size: A4", w.a1.Name, "Tầng 1", "P1", "&lt;b&gt;B2&lt;/b&gt;", `class="cut tl"`} {
				if !strings.Contains(page, want) {
					t.Errorf("%s lacks %q", path, want)
				}
			}
			if strings.Contains(page, "<b>B2") || strings.Contains(page, "<script") {
				t.Errorf("%s has unescaped markup or a script", path)
			}
			if n := strings.Count(page, `<div class="card">`); n != 13 {
				t.Errorf("%s: %d cards, want 13", path, n)
			}
			if n := strings.Count(page, `<section class="page">`); n != 2 {
				t.Errorf("%s: %d pages, want 2 (12 cards a page)", path, n)
			}
			for _, p := range places.Places {
				mx, err := qrcode.Encode(p.URL, qrcode.LevelQuartile)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(page, string(mx.SVG(0))) {
					t.Errorf("%s lacks the code of %s", path, p.Name)
				}
			}
		}
		if rec := w.raw(t, w.ownerB, http.MethodGet, "/api/v1/shops/"+w.a1.ID+"/qr-sheet"); rec.Code != http.StatusNotFound {
			t.Errorf("another merchant printed the sheet: %d", rec.Code)
		}
	})
}

func TestRotatingAShopsTokensRetiresEveryPrintedCode(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := qrWorld(t, d)
		ctx := context.Background()
		second, err := w.svc.CreateTable(ctx, w.a, w.a1.ID, merchant.TableInput{AreaID: w.area.ID, Name: "B2", Seats: 2})
		if err != nil {
			t.Fatal(err)
		}
		other, err := w.svc.CreateRoom(ctx, w.a, w.a2.ID, merchant.RoomInput{Name: "P9", RoomType: "small"})
		if err != nil {
			t.Fatal(err)
		}
		old := []string{w.table.QRToken, second.QRToken, w.room.QRToken}
		path := "/api/v1/shops/" + w.a1.ID + "/qr-tokens/rotate"
		for _, token := range []string{w.cashierA1, w.waiterA1, w.kitchenA1} {
			if rec := w.raw(t, token, http.MethodPost, path); rec.Code != http.StatusForbidden {
				t.Errorf("%s rotated the tokens: %d", token, rec.Code)
			}
		}
		if rec := w.raw(t, w.ownerB, http.MethodPost, path); rec.Code != http.StatusNotFound {
			t.Errorf("another merchant rotated the tokens: %d", rec.Code)
		}
		rec := w.raw(t, w.managerA, http.MethodPost, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("rotate: %d %s", rec.Code, rec.Body)
		}
		var sheet merchant.QRSheet
		if err := json.Unmarshal(rec.Body.Bytes(), &sheet); err != nil {
			t.Fatal(err)
		}
		if len(sheet.Places) != 3 {
			t.Fatalf("%d places rotated, want 3", len(sheet.Places))
		}
		for _, tok := range old {
			if _, err := w.svc.ResolveQRToken(ctx, tok); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("old token %s still resolves (%v)", tok, err)
			}
		}
		for _, p := range sheet.Places {
			ref, err := w.svc.ResolveQRToken(ctx, p.QRToken)
			if err != nil || ref.ShopID != w.a1.ID || (ref.TableID != p.ID && ref.RoomID != p.ID) {
				t.Errorf("new token of %s resolves to %+v (%v)", p.Name, ref, err)
			}
			if p.URL != "https://pos.quan.vn/t/"+p.QRToken {
				t.Errorf("link %s", p.URL)
			}
		}
		if ref, err := w.svc.ResolveQRToken(ctx, other.QRToken); err != nil || ref.RoomID != other.ID {
			t.Errorf("another shop's code changed: %+v %v", ref, err)
		}
		img := w.raw(t, w.ownerA, http.MethodGet, "/api/v1/shops/"+w.a1.ID+"/tables/"+w.table.ID+"/qr.svg")
		for _, p := range sheet.Places {
			if p.ID == w.table.ID {
				wantCode(t, img.Body.Bytes(), p.URL, "svg", 0)
			}
		}
		if got := w.auditEvents(w.a); len(got) == 0 || got[len(got)-1] != merchant.AuditQRTokensRotated {
			t.Errorf("audit: %v", got)
		}
		if _, err := w.svc.ArchiveShop(ctx, w.a, w.a2.ID); err != nil {
			t.Fatal(err)
		}
		if rec := w.raw(t, w.ownerA, http.MethodPost, "/api/v1/shops/"+w.a2.ID+"/qr-tokens/rotate"); rec.Code != http.StatusConflict {
			t.Errorf("rotate in an archived shop: %d, want 409", rec.Code)
		}
	})
}
