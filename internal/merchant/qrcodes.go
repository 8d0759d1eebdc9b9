package merchant

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/merchant/merchantdb"
	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/qrcode"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// A table's or room's QR code opens its self-order page, {public base URL}/t/{qr_token}. Codes are drawn at
// quartile error correction: a printed code on a table gets worn, wet and partly covered.

// AuditQRTokensRotated is the audit event of rotating every QR token of a shop.
const AuditQRTokensRotated = "floor.qr_tokens_rotated"

// cardsPerPage is how many codes an A4 page of the print sheet holds (3 columns × 4 rows).
const cardsPerPage = 12

// QRPlace is a table or room with the self-order link its QR code encodes.
type QRPlace struct {
	Kind    string `json:"kind" enum:"table,room"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	Area    string `json:"area" doc:"The table's area; empty for a room."`
	QRToken string `json:"qr_token"`
	URL     string `json:"url" doc:"What the code encodes: the place's self-order page."`
}

// QRSheet is what a shop's print-all sheet shows.
type QRSheet struct {
	ShopID   string    `json:"shop_id"`
	ShopName string    `json:"shop_name"`
	Places   []QRPlace `json:"places"`
}

// selfOrderURL is the link a QR token opens.
func selfOrderURL(base, token string) string { return strings.TrimRight(base, "/") + "/t/" + token }

// QRPlaces returns shop shopID's tables (area by area) and rooms with their QR tokens and links under
// publicBaseURL. Another merchant's shop is apperr.NotFound.
func (s *Service) QRPlaces(ctx context.Context, m tenant.ID, shopID, publicBaseURL string) (QRSheet, error) {
	var out QRSheet
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		sh, err := loadShop(ctx, q, m, shopID)
		if err != nil {
			return err
		}
		f, err := loadFloor(ctx, q, m, shopID)
		if err != nil {
			return err
		}
		out = qrSheet(sh, f, publicBaseURL)
		return nil
	})
	if err != nil {
		return QRSheet{}, fmt.Errorf("QR codes of shop %s: %w", shopID, err)
	}
	return out, nil
}

func qrSheet(sh Shop, f Floor, base string) QRSheet {
	out := QRSheet{ShopID: sh.ID, ShopName: sh.Name, Places: []QRPlace{}}
	for _, a := range f.Areas {
		for _, t := range a.Tables {
			out.Places = append(out.Places, QRPlace{Kind: targetTable, ID: t.ID, Name: t.Name, Area: a.Name, QRToken: t.QRToken,
				URL: selfOrderURL(base, t.QRToken)})
		}
	}
	for _, r := range f.Rooms {
		out.Places = append(out.Places, QRPlace{Kind: targetRoom, ID: r.ID, Name: r.Name, QRToken: r.QRToken,
			URL: selfOrderURL(base, r.QRToken)})
	}
	return out
}

// QRPlace returns one table (tableID) or room (roomID) of shop shopID with its link under publicBaseURL.
// Naming both, or neither, is apperr.Invalid; a place that is not the shop's is apperr.NotFound.
func (s *Service) QRPlace(ctx context.Context, m tenant.ID, shopID, tableID, roomID, publicBaseURL string) (QRPlace, error) {
	var out QRPlace
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		if _, err := loadShop(ctx, q, m, shopID); err != nil {
			return err // another merchant's shop is not found, whatever the query says
		}
		if (tableID == "") == (roomID == "") {
			return apperr.WithField("query.table_id", "name a table_id or a room_id")
		}
		if tableID != "" {
			t, err := loadTable(ctx, q, m, shopID, tableID)
			out = QRPlace{Kind: targetTable, ID: t.ID, Name: t.Name, QRToken: t.QRToken}
			return err
		}
		r, err := loadRoom(ctx, q, m, shopID, roomID)
		out = QRPlace{Kind: targetRoom, ID: r.ID, Name: r.Name, QRToken: r.QRToken}
		return err
	})
	if err != nil {
		return QRPlace{}, fmt.Errorf("QR code: %w", err)
	}
	out.URL = selfOrderURL(publicBaseURL, out.QRToken)
	return out, nil
}

// RotateShopQRTokens gives every table and room of live shop shopID a new QR token in one transaction:
// every printed code of the shop stops working when it returns (print the sheet again). It is audited with
// the counts. It returns the shop's places with their new tokens.
func (s *Service) RotateShopQRTokens(ctx context.Context, m tenant.ID, shopID, actor, publicBaseURL string) (QRSheet, error) {
	var out QRSheet
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		q := merchantdb.New(tx)
		sh, err := liveShop(ctx, q, m, shopID)
		if err != nil {
			return err
		}
		f, err := loadFloor(ctx, q, m, shopID)
		if err != nil {
			return err
		}
		tables := 0
		for ai := range f.Areas {
			for ti := range f.Areas[ai].Tables {
				t := &f.Areas[ai].Tables[ti]
				if t.QRToken, err = s.rotateToken(ctx, q, m, shopID, targetTable, t.ID); err != nil {
					return fmt.Errorf("rotate the token of table %s: %w", t.ID, err)
				}
				tables++
			}
		}
		for ri := range f.Rooms {
			r := &f.Rooms[ri]
			if r.QRToken, err = s.rotateToken(ctx, q, m, shopID, targetRoom, r.ID); err != nil {
				return fmt.Errorf("rotate the token of room %s: %w", r.ID, err)
			}
		}
		out = qrSheet(sh, f, publicBaseURL)
		return s.audit(ctx, tx, m, AuditRecord{Event: AuditQRTokensRotated, Actor: actor,
			Detail: map[string]any{"shop_id": shopID, "tables": tables, "rooms": len(f.Rooms)}})
	})
	if err != nil {
		return QRSheet{}, fmt.Errorf("rotate the QR tokens of shop %s: %w", shopID, err)
	}
	return out, nil
}

// qrImage draws the code of place p as "svg" or "png" (scale: pixels per module, 0 for the default).
func qrImage(p QRPlace, format string, scale int) ([]byte, string, error) {
	mx, err := qrcode.Encode(p.URL, qrcode.LevelQuartile)
	if err != nil {
		return nil, "", fmt.Errorf("encode the QR code of %s %s: %w", p.Kind, p.ID, err)
	}
	if format == "png" {
		b, err := mx.PNG(scale)
		return b, "image/png", err
	}
	return mx.SVG(scale), "image/svg+xml", nil
}

// QRSheetHTML is the print-all sheet: A4 pages of 12 cards (3 × 4), each with cut marks at its corners,
// the shop's name, the code, and the table's or room's name; print CSS only, no scripts.
func QRSheetHTML(sheet QRSheet) ([]byte, error) {
	type card struct {
		QRPlace
		SVG template.HTML
	}
	pages := [][]card{}
	for i, p := range sheet.Places {
		mx, err := qrcode.Encode(p.URL, qrcode.LevelQuartile)
		if err != nil {
			return nil, fmt.Errorf("encode the QR code of %s %s: %w", p.Kind, p.ID, err)
		}
		if i%cardsPerPage == 0 {
			pages = append(pages, []card{})
		}
		// The SVG is the encoder's own markup (numbers and fixed tags only), safe to embed as is.
		pages[len(pages)-1] = append(pages[len(pages)-1], card{QRPlace: p, SVG: template.HTML(mx.SVG(0))})
	}
	var b bytes.Buffer
	if err := qrSheetPage.Execute(&b, map[string]any{"Shop": sheet.ShopName, "Pages": pages}); err != nil {
		return nil, fmt.Errorf("render the QR sheet: %w", err)
	}
	return b.Bytes(), nil
}

var qrSheetPage = template.Must(template.New("qr-sheet").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Mã QR gọi món — {{.Shop}}</title>
<style>
@page { size: A4 portrait; margin: 0; }
* { box-sizing: border-box; }
body { margin: 0; font-family: "Liberation Sans", Arial, sans-serif; color: #000; background: #fff; }
.page { width: 210mm; height: 297mm; padding: 14.5mm 15mm; display: grid; grid-template-columns: repeat(3, 60mm);
  grid-template-rows: repeat(4, 67mm); column-gap: 0; row-gap: 0; justify-content: center; align-content: center;
  break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
.card { position: relative; width: 60mm; height: 67mm; padding: 5mm 5mm 4mm; text-align: center; display: flex;
  flex-direction: column; align-items: center; justify-content: space-between; break-inside: avoid; }
.shop { font-size: 8pt; line-height: 1.2; max-height: 2.4em; overflow: hidden; }
.code { width: 40mm; height: 40mm; } .code svg { width: 100%; height: 100%; display: block; }
.name { font-size: 16pt; font-weight: bold; line-height: 1.1; overflow-wrap: anywhere; }
.hint { font-size: 7pt; } .area { font-size: 7pt; color: #333; }
.cut { position: absolute; width: 4mm; height: 4mm; border: 0 solid #000; }
.cut.tl { top: 0; left: 0; border-top-width: 0.2mm; border-left-width: 0.2mm; }
.cut.tr { top: 0; right: 0; border-top-width: 0.2mm; border-right-width: 0.2mm; }
.cut.bl { bottom: 0; left: 0; border-bottom-width: 0.2mm; border-left-width: 0.2mm; }
.cut.br { bottom: 0; right: 0; border-bottom-width: 0.2mm; border-right-width: 0.2mm; }
.empty { padding: 20mm; font-size: 12pt; }
@media screen { body { background: #ddd; } .page { background: #fff; margin: 5mm auto; } }
</style></head><body>
{{range .Pages}}<section class="page">
{{range .}}<div class="card"><span class="cut tl"></span><span class="cut tr"></span><span class="cut bl"></span><span class="cut br"></span>
<div class="shop">{{$.Shop}}</div>
<div class="code">{{.SVG}}</div>
<div><div class="name">{{.Name}}</div>{{if .Area}}<div class="area">{{.Area}}</div>{{end}}<div class="hint">Quét mã để xem thực đơn và gọi món</div></div>
</div>
{{end}}</section>
{{else}}<p class="empty">{{.Shop}}: chưa có bàn hoặc phòng nào.</p>
{{end}}</body></html>
`))

// QRCodeRoutes registers the shop's QR code operations, whose codes encode publicBaseURL/t/{qr_token} (the
// composition root passes GOODGO_PUBLIC_URL): one code as SVG or PNG, the print-all sheet, and rotating
// every token of a shop.
func (s *Service) QRCodeRoutes(api huma.API, publicBaseURL string) {
	tags := []string{"Floor"}
	image := func(ctx context.Context, shopID, tableID, roomID, format string, scale int) (*qrFileOutput, error) {
		_, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		p, err := s.QRPlace(ctx, m, shopID, tableID, roomID, publicBaseURL)
		if err != nil {
			return nil, err
		}
		b, ct, err := qrImage(p, format, scale)
		if err != nil {
			return nil, err
		}
		return &qrFileOutput{ContentType: ct, CacheControl: "no-store", Body: b}, nil
	}
	op := rbac.Operation("get-qr-code", http.MethodGet, "/api/v1/shops/{shop_id}/qr-codes",
		"The QR code of a table (table_id) or room (room_id) as SVG or PNG: it opens the place's self-order page",
		tags, rbac.FloorRead, 0)
	answers(&op, "image/svg+xml", "image/png")
	huma.Register(api, op, func(ctx context.Context, in *qrCodeInput) (*qrFileOutput, error) {
		return image(ctx, in.ShopID, in.TableID, in.RoomID, in.Format, in.Scale)
	})
	for _, f := range [][2]string{{"svg", "image/svg+xml"}, {"png", "image/png"}} {
		format, ct := f[0], f[1]
		op := rbac.Operation("get-table-qr-"+format, http.MethodGet, "/api/v1/shops/{shop_id}/tables/{table_id}/qr."+format,
			"A table's QR code as "+format, tags, rbac.FloorRead, 0)
		answers(&op, ct)
		huma.Register(api, op, func(ctx context.Context, in *tableQRInput) (*qrFileOutput, error) {
			return image(ctx, in.ShopID, in.TableID, "", format, in.Scale)
		})
		op = rbac.Operation("get-room-qr-"+format, http.MethodGet, "/api/v1/shops/{shop_id}/rooms/{room_id}/qr."+format,
			"A room's QR code as "+format, tags, rbac.FloorRead, 0)
		answers(&op, ct)
		huma.Register(api, op, func(ctx context.Context, in *roomQRInput) (*qrFileOutput, error) {
			return image(ctx, in.ShopID, "", in.RoomID, format, in.Scale)
		})
	}
	sheet := func(ctx context.Context, in *shopPath) (*qrFileOutput, error) {
		_, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		sh, err := s.QRPlaces(ctx, m, in.ShopID, publicBaseURL)
		if err != nil {
			return nil, err
		}
		page, err := QRSheetHTML(sh)
		if err != nil {
			return nil, err
		}
		return &qrFileOutput{ContentType: "text/html; charset=utf-8", CacheControl: "no-store", Body: page}, nil
	}
	op = rbac.Operation("print-qr-codes", http.MethodGet, "/api/v1/shops/{shop_id}/qr-codes/print",
		"Every table's and room's QR code on A4 pages to print and cut (HTML)", tags, rbac.FloorRead, 0)
	answers(&op, "text/html")
	huma.Register(api, op, sheet)
	op = rbac.Operation("get-qr-sheet", http.MethodGet, "/api/v1/shops/{shop_id}/qr-sheet",
		"The print-all QR sheet (the same page as /qr-codes/print)", tags, rbac.FloorRead, 0)
	answers(&op, "text/html")
	huma.Register(api, op, sheet)
	huma.Register(api, rbac.Operation("rotate-shop-qr-tokens", http.MethodPost, "/api/v1/shops/{shop_id}/qr-tokens/rotate",
		"Give every table and room of the shop a new QR token at once; every printed code stops working (audited)",
		tags, rbac.FloorManage, 0),
		func(ctx context.Context, in *shopPath) (*qrSheetOutput, error) {
			p, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			sh, err := s.RotateShopQRTokens(ctx, m, in.ShopID, p.UserID, publicBaseURL)
			return &qrSheetOutput{Body: sh}, err
		})
}

// answers documents the content types op answers with (a file, not JSON) in the OpenAPI description.
func answers(op *huma.Operation, types ...string) {
	content := map[string]*huma.MediaType{}
	for _, ct := range types {
		content[ct] = &huma.MediaType{Schema: &huma.Schema{Type: "string", Format: "binary"}}
	}
	op.Responses = map[string]*huma.Response{"200": {Description: "OK", Content: content}}
}

type qrCodeInput struct {
	ShopID  string `path:"shop_id" maxLength:"64"`
	TableID string `query:"table_id" maxLength:"64"`
	RoomID  string `query:"room_id" maxLength:"64"`
	Format  string `query:"format" enum:"svg,png" default:"svg"`
	Scale   int    `query:"scale" minimum:"0" maximum:"32" doc:"Pixels per module; 0: 8 for PNG, sized by CSS for SVG."`
}

type tableQRInput struct {
	ShopID  string `path:"shop_id" maxLength:"64"`
	TableID string `path:"table_id" maxLength:"64"`
	Scale   int    `query:"scale" minimum:"0" maximum:"32" doc:"Pixels per module; 0: 8 for PNG, sized by CSS for SVG."`
}

type roomQRInput struct {
	ShopID string `path:"shop_id" maxLength:"64"`
	RoomID string `path:"room_id" maxLength:"64"`
	Scale  int    `query:"scale" minimum:"0" maximum:"32" doc:"Pixels per module; 0: 8 for PNG, sized by CSS for SVG."`
}

// qrFileOutput is a code's image or the print sheet, never cached (a rotation retires it).
type qrFileOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

type qrSheetOutput struct{ Body QRSheet }
