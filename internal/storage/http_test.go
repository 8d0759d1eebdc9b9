package storage_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/httpapi/httpapitest"
	"github.com/goodgo/goodgo/internal/storage"
)

// world is the module's API over HTTP for merchants A (owner, manager, a cashier) and B (owner).
type world struct {
	*env
	handler http.Handler
}

const (
	ownerA   = "owner-a"
	managerA = "manager-a"
	cashierA = "cashier-a"
	ownerB   = "owner-b"
)

func newWorld(t *testing.T, d *db.DB, opts storage.Options) *world {
	t.Helper()
	e := newEnv(t, d, opts)
	principals := httpapitest.Tokens{
		ownerA:   {UserID: "ua", MerchantID: e.a, Roles: []string{"owner"}, Kind: "user"},
		managerA: {UserID: "ma", MerchantID: e.a, Roles: []string{"manager"}, Kind: "user"},
		cashierA: {UserID: "ca", MerchantID: e.a, ShopRoles: map[string][]string{"shop-1": {"cashier"}}, Kind: "staff"},
		ownerB:   {UserID: "ub", MerchantID: e.b, Roles: []string{"owner"}, Kind: "user"},
	}
	srv := httpapitest.NewServer(t, httpapi.Config{}, d, e.clk, principals)
	e.svc.Routes(srv.API)
	return &world{env: e, handler: srv.Handler()}
}

// part is one part of a multipart body.
type part struct {
	name, filename, contentType string
	content                     []byte
}

func form(t testing.TB, parts ...part) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.content)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), b.Bytes()
}

// send makes a request as the principal named token with body of contentType (none when "") and returns
// the status, the decoded JSON body and the response headers.
func (w *world) send(t *testing.T, token, method, path, contentType string, body []byte, header ...string) (int, map[string]any, http.Header) {
	t.Helper()
	var raw any
	if contentType != "" {
		raw, header = body, append([]string{"Content-Type", contentType}, header...)
	}
	rec := httpapitest.Do(t, w.handler, token, method, path, raw, header...)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: %d, body not JSON: %q", method, path, rec.Code, rec.Body.String())
		}
	}
	return rec.Code, out, rec.Header()
}

func (w *world) uploadHTTP(t *testing.T, token string, parts ...part) (int, map[string]any) {
	t.Helper()
	ct, body := form(t, parts...)
	code, out, _ := w.send(t, token, http.MethodPost, "/api/v1/files", ct, body)
	return code, out
}

func filePart(filename, contentType string, content []byte) part {
	return part{name: "file", filename: filename, contentType: contentType, content: content}
}

func TestUploadThroughHTTPServesTheExactBytes(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d, storage.Options{})
		tests := []struct {
			name     string
			part     part
			purpose  string
			wantType string
			thumb    bool
		}{
			{"jpeg", filePart("phở.jpg", "image/jpeg", jpegFile(t, 800, 600)), "", storage.JPEG, true},
			{"png", filePart("cà phê.png", "image/png", pngFile(t, 100, 700)), "", storage.PNG, true},
			{"webp", filePart("trà.webp", "image/webp", webpFile), "", storage.WebP, true},
			{"pdf", filePart("menu.pdf", "application/pdf", pdfFile), "", storage.PDF, false},
			{"photo of an invoice as a document", filePart("hoa-don.jpg", "", jpegFile(t, 50, 50)), "document", storage.JPEG, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				parts := []part{tt.part}
				if tt.purpose != "" { // after the file: the order of the parts does not matter
					parts = append(parts, part{name: "purpose", content: []byte(tt.purpose)})
				}
				ct, body := form(t, parts...)
				code, f, h := w.send(t, managerA, http.MethodPost, "/api/v1/files", ct, body)
				if code != http.StatusCreated || f["content_type"] != tt.wantType || f["size"] != float64(len(tt.part.content)) ||
					f["filename"] != tt.part.filename || f["created_by"] != "ma" {
					t.Fatalf("upload: %d %v", code, f)
				}
				if tt.purpose != "" && f["purpose"] != tt.purpose {
					t.Errorf("purpose %v, want %s", f["purpose"], tt.purpose)
				}
				if h.Get("Location") != "/api/v1/files/"+f["id"].(string) {
					t.Errorf("Location %q", h.Get("Location"))
				}
				code, got, _ := w.fetch(t, f["url"].(string))
				if code != http.StatusOK || !bytes.Equal(got, tt.part.content) {
					t.Fatalf("fetch: %d, %d bytes, want the exact %d", code, len(got), len(tt.part.content))
				}
				thumbURL, _ := f["thumbnail_url"].(string)
				if (thumbURL != "") != tt.thumb {
					t.Fatalf("thumbnail_url %q, want one: %v", thumbURL, tt.thumb)
				}
				if !tt.thumb {
					return
				}
				code, thumb, _ := w.fetch(t, thumbURL)
				cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb))
				if code != http.StatusOK || err != nil || cfg.Width > storage.ThumbnailSize || cfg.Height > storage.ThumbnailSize ||
					(cfg.Width != storage.ThumbnailSize && cfg.Height != storage.ThumbnailSize && cfg.Width*cfg.Height > 2500) {
					t.Errorf("thumbnail: %d %+v %v", code, cfg, err)
				}
			})
		}
	})
}

func TestUploadOverTheLimitIs413AndStoresNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		const limit = 64 << 10
		w := newWorld(t, d, storage.Options{MaxBytes: limit})
		pad := func(n int) []byte { return append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), n-9)...) }
		for name, size := range map[string]int{
			"one byte over":                limit + 1,
			"over the multipart allowance": 4 * limit, // stopped by the request body limit
		} {
			code, body := w.uploadHTTP(t, ownerA, filePart("big.pdf", "", pad(size)))
			if code != http.StatusRequestEntityTooLarge || body["status"] != 413.0 {
				t.Errorf("%s: %d %v, want a 413 problem", name, code, body)
			}
		}
		if b := w.blobs(t); len(b) != 0 || w.rows(t, w.a) != 0 {
			t.Fatalf("blobs %v, %d rows after refused uploads", b, w.rows(t, w.a))
		}
		if code, body := w.uploadHTTP(t, ownerA, filePart("limit.pdf", "", pad(limit))); code != http.StatusCreated {
			t.Fatalf("a file of exactly the limit: %d %v", code, body)
		}
	})
}

func TestUploadOfOtherContentIs415AndStoresNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d, storage.Options{})
		png := pngFile(t, 4, 4)
		tests := []struct {
			name string
			part part
		}{
			{"windows executable", filePart("setup.exe", "application/x-msdownload", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"))},
			{"html", filePart("menu.html", "text/html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"))},
			{"svg", filePart("logo.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))},
			{"a PNG that is really text", filePart("pho.png", "image/png", []byte("this is not a picture at all"))},
			{"a PNG named .jpg", filePart("pho.jpg", "", png)},
			{"a PNG declared as JPEG", filePart("pho", "image/jpeg", png)},
			{"a real PNG named .exe", filePart("pho.exe", "application/octet-stream", png)},
		}
		for _, tt := range tests {
			code, body := w.uploadHTTP(t, ownerA, tt.part)
			if code != http.StatusUnsupportedMediaType || body["status"] != 415.0 {
				t.Errorf("%s: %d %v, want a 415 problem", tt.name, code, body)
			}
		}
		code, body, _ := w.send(t, ownerA, http.MethodPost, "/api/v1/files", "application/json", []byte(`{"file":"x"}`))
		if code != http.StatusUnsupportedMediaType {
			t.Errorf("a JSON body: %d %v, want 415", code, body)
		}
		if b := w.blobs(t); len(b) != 0 || w.rows(t, w.a) != 0 {
			t.Fatalf("blobs %v, %d rows after refused uploads", b, w.rows(t, w.a))
		}
	})
}

func TestUploadOfBadFormsIs422Or400(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d, storage.Options{MaxPixels: 10_000})
		tests := []struct {
			name      string
			parts     []part
			wantField string
		}{
			{"empty file", []part{filePart("a.pdf", "", nil)}, "body.file"},
			{"no file part", []part{{name: "purpose", content: []byte("document")}}, "body.file"},
			{"two files", []part{filePart("a.pdf", "", pdfFile), filePart("b.pdf", "", pdfFile)}, "body.file"},
			{"too many pixels", []part{filePart("a.png", "", pngFile(t, 101, 100))}, "body.file"},
			{"pdf as a product image", []part{filePart("a.pdf", "", pdfFile), {name: "purpose", content: []byte("product_image")}}, "body.purpose"},
		}
		for _, tt := range tests {
			code, body := w.uploadHTTP(t, ownerA, tt.parts...)
			errs, _ := body["errors"].([]any)
			if code != http.StatusUnprocessableEntity || len(errs) != 1 || errs[0].(map[string]any)["location"] != tt.wantField {
				t.Errorf("%s: %d %v, want 422 on %s", tt.name, code, body, tt.wantField)
			}
		}
		ct, full := form(t, filePart("a.pdf", "", pdfFile))
		code, body, _ := w.send(t, ownerA, http.MethodPost, "/api/v1/files", ct, full[:len(full)-20])
		if code != http.StatusBadRequest {
			t.Errorf("a truncated multipart body: %d %v, want 400", code, body)
		}
		if b := w.blobs(t); len(b) != 0 || w.rows(t, w.a) != 0 {
			t.Fatalf("blobs %v, %d rows after refused uploads", b, w.rows(t, w.a))
		}
	})
}

func TestSignedLinksRefuseTamperingAndExpire(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d, storage.Options{URLTTL: 10 * time.Minute})
		_, fa := w.uploadHTTP(t, ownerA, filePart("a.pdf", "", pdfFile))
		_, fb := w.uploadHTTP(t, ownerB, filePart("b.pdf", "", pdfFile))
		link := fa["url"].(string)
		u, _ := url.Parse(link)
		other, _ := url.Parse(fb["url"].(string))
		q := u.Query()
		q.Set("sig", strings.Repeat("A", len(q.Get("sig"))))
		badSig := *u
		badSig.RawQuery = q.Encode()
		q = u.Query()
		q.Set("exp", fmt.Sprint(time.Now().Add(1000*time.Hour).Unix()))
		laterExp := *u
		laterExp.RawQuery = q.Encode()
		otherKey := *u // A's signature on B's file
		otherKey.Path = other.Path
		for name, l := range map[string]string{"signature": badSig.String(), "expiry": laterExp.String(), "key": otherKey.String()} {
			if code, _, _ := w.fetch(t, l); code != http.StatusForbidden {
				t.Errorf("tampered %s: %d, want 403", name, code)
			}
		}
		if code, _, _ := w.fetch(t, link); code != http.StatusOK {
			t.Fatalf("the genuine link: %d", code)
		}
		w.clk.Advance(10*time.Minute + time.Second)
		if code, _, _ := w.fetch(t, link); code != http.StatusForbidden {
			t.Errorf("expired link: %d, want 403", code)
		}
		code, fresh, _ := w.send(t, cashierA, http.MethodGet, "/api/v1/files/"+fa["id"].(string), "", nil)
		if code != http.StatusOK {
			t.Fatalf("get: %d %v", code, fresh)
		}
		if code, body, _ := w.fetch(t, fresh["url"].(string)); code != http.StatusOK || !bytes.Equal(body, pdfFile) {
			t.Errorf("fresh link: %d", code)
		}
	})
}

func TestAnotherMerchantsFileIsNotFoundAndDeleteRemovesIt(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d, storage.Options{})
		_, f := w.uploadHTTP(t, ownerA, filePart("pho.jpg", "", jpegFile(t, 500, 400)))
		id := f["id"].(string)
		for _, method := range []string{http.MethodGet, http.MethodDelete} {
			if code, body, _ := w.send(t, ownerB, method, "/api/v1/files/"+id, "", nil); code != http.StatusNotFound {
				t.Errorf("%s as merchant B: %d %v, want 404", method, code, body)
			}
		}
		code, page, _ := w.send(t, ownerB, http.MethodGet, "/api/v1/files", "", nil)
		if items, _ := page["items"].([]any); code != http.StatusOK || len(items) != 0 {
			t.Errorf("merchant B lists %d %v", code, page)
		}
		code, page, _ = w.send(t, cashierA, http.MethodGet, "/api/v1/files?purpose=product_image&limit=10", "", nil)
		if items, _ := page["items"].([]any); code != http.StatusOK || len(items) != 1 {
			t.Errorf("merchant A lists %d %v", code, page)
		}
		if code, _, _ := w.send(t, ownerA, http.MethodDelete, "/api/v1/files/"+id, "", nil); code != http.StatusNoContent {
			t.Fatalf("delete: %d", code)
		}
		for _, link := range []string{f["url"].(string), f["thumbnail_url"].(string)} {
			if code, _, _ := w.fetch(t, link); code != http.StatusNotFound {
				t.Errorf("link after delete: %d, want 404 (the blob is gone)", code)
			}
		}
		if b := w.blobs(t); len(b) != 0 {
			t.Errorf("blobs left after delete: %v", b)
		}
		if code, _, _ := w.send(t, ownerA, http.MethodGet, "/api/v1/files/"+id, "", nil); code != http.StatusNotFound {
			t.Errorf("get after delete: %d", code)
		}
	})
}

func TestFileOperationsCheckTheRole(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d, storage.Options{})
		_, f := w.uploadHTTP(t, ownerA, filePart("a.pdf", "", pdfFile))
		id := f["id"].(string)
		ct, body := form(t, filePart("b.pdf", "", pdfFile))
		tests := []struct {
			token, method, path string
			want                int
		}{
			{cashierA, http.MethodPost, "/api/v1/files", http.StatusForbidden},
			{cashierA, http.MethodDelete, "/api/v1/files/" + id, http.StatusForbidden},
			{cashierA, http.MethodGet, "/api/v1/files/" + id, http.StatusOK},
			{"", http.MethodGet, "/api/v1/files", http.StatusUnauthorized},
			{"", http.MethodPost, "/api/v1/files", http.StatusUnauthorized},
			{managerA, http.MethodPost, "/api/v1/files", http.StatusCreated},
		}
		for _, tt := range tests {
			code, out, _ := w.send(t, tt.token, tt.method, tt.path, ct, body)
			if code != tt.want {
				t.Errorf("%s %s as %q: %d %v, want %d", tt.method, tt.path, tt.token, code, out, tt.want)
			}
		}
		if w.rows(t, w.a) != 2 || len(w.blobs(t)) != 2 {
			t.Errorf("rows %d blobs %v, want the two uploads that were allowed", w.rows(t, w.a), w.blobs(t))
		}
	})
}

func TestUploadRetriedWithAnIdempotencyKeyStoresOneFile(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		w := newWorld(t, d, storage.Options{})
		ct, body := form(t, filePart("pho.jpg", "", jpegFile(t, 64, 64)))
		key := db.NewID()
		code1, first, _ := w.send(t, ownerA, http.MethodPost, "/api/v1/files", ct, body, httpapi.IdempotencyKeyHeader, key)
		code2, second, h := w.send(t, ownerA, http.MethodPost, "/api/v1/files", ct, body, httpapi.IdempotencyKeyHeader, key)
		if code1 != http.StatusCreated || code2 != http.StatusCreated || first["id"] != second["id"] || h.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry: %d %v, %d %v", code1, first["id"], code2, second["id"])
		}
		if w.rows(t, w.a) != 1 {
			t.Errorf("%d rows, want 1", w.rows(t, w.a))
		}
	})
}

func TestUploadIsDescribedAsMultipart(t *testing.T) {
	w := newWorld(t, dbtest.New(t, db.SQLite), storage.Options{})
	code, doc, _ := w.send(t, "", http.MethodGet, "/openapi.json", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d", code)
	}
	post := doc["paths"].(map[string]any)["/api/v1/files"].(map[string]any)["post"].(map[string]any)
	content := post["requestBody"].(map[string]any)["content"].(map[string]any)
	if _, ok := content["multipart/form-data"]; !ok {
		t.Errorf("upload request body %v, want multipart/form-data", content)
	}
	if _, ok := post["responses"].(map[string]any)["201"]; !ok {
		t.Errorf("upload responses %v lack 201", post["responses"])
	}
}
