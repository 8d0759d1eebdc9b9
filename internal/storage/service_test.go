package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/blob"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/storage"
)

// sources are the migrations the module's tests need: the module's own, the outbox it writes events to, and
// the idempotency keys of the HTTP layer.
var sources = []migrate.Source{events.Migrations, httpapi.Migrations, storage.Migrations}

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 123456789, time.UTC)

var testSecret = []byte("0123456789abcdef0123456789abcdef-storage-tests")

// env is a service over a fresh database and a disk store in a temporary directory, with a fake clock
// shared by the service and the store's link signing.
type env struct {
	d     *db.DB
	clk   *clock.Fake
	dir   string
	disk  *blob.Disk
	store *flakyStore
	svc   *storage.Service
	a, b  tenant.ID
}

func newEnv(t *testing.T, d *db.DB, opts storage.Options) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	dir := t.TempDir()
	disk, err := blob.OpenDisk(blob.DiskConfig{Dir: dir, PublicURL: "https://pos.example.vn", Secret: testSecret, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { disk.Close() })
	store := &flakyStore{Store: disk}
	opts.TempDir = t.TempDir()
	return &env{d: d, clk: clk, dir: dir, disk: disk, store: store, svc: storage.New(d, store, clk, opts),
		a: tenant.ID(db.NewID()), b: tenant.ID(db.NewID())}
}

// flakyStore is a blob.Store whose Put and Delete can be made to fail.
type flakyStore struct {
	blob.Store
	mu         sync.Mutex
	failPut    func(key string) bool
	failDelete bool
}

var errStoreDown = errors.New("the store is down")

func (f *flakyStore) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	f.mu.Lock()
	fail := f.failPut != nil && f.failPut(key)
	f.mu.Unlock()
	if fail {
		return errStoreDown
	}
	return f.Store.Put(ctx, key, r, size, ct)
}

func (f *flakyStore) Delete(ctx context.Context, key string) error {
	f.mu.Lock()
	fail := f.failDelete
	f.mu.Unlock()
	if fail {
		return errStoreDown
	}
	return f.Store.Delete(ctx, key)
}

func (f *flakyStore) set(failPut func(string) bool, failDelete bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPut, f.failDelete = failPut, failDelete
}

// blobs lists the files the disk store holds (its hidden bookkeeping excluded), relative to its directory.
func (e *env) blobs(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(e.dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.Type().IsRegular() && !strings.HasPrefix(de.Name(), ".") {
			rel, _ := filepath.Rel(e.dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fetch gets a signed link through the disk store's handler, as the app mounts it at /files/*.
func (e *env) fetch(t *testing.T, link string) (int, []byte, http.Header) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "pos.example.vn" || !strings.HasPrefix(u.Path, blob.FilesPath) {
		t.Fatalf("link %s is not a disk store link", link)
	}
	rec := httptest.NewRecorder()
	e.disk.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	return rec.Code, rec.Body.Bytes(), rec.Header()
}

// rows counts merchant m's rows in files, deleted ones included.
func (e *env) rows(t *testing.T, m tenant.ID) int {
	t.Helper()
	var n int
	err := e.d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		return tx.QueryRow("SELECT COUNT(*) FROM files WHERE merchant_id = $1", string(m)).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// outbox returns the types of merchant m's events, oldest first.
func (e *env) outbox(t *testing.T, m tenant.ID) []string {
	t.Helper()
	var types []string
	err := e.d.ReadTx(context.Background(), m, func(tx *sql.Tx) error {
		rows, err := tx.Query("SELECT type, subject FROM outbox WHERE merchant_id = $1 ORDER BY seq", string(m))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var typ, subject string
			if err := rows.Scan(&typ, &subject); err != nil {
				return err
			}
			if subject != storage.Subject {
				t.Errorf("event %s on subject %s", typ, subject)
			}
			types = append(types, typ)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return types
}

func (e *env) upload(t *testing.T, m tenant.ID, name string, content []byte) storage.File {
	t.Helper()
	f, err := e.svc.Upload(context.Background(), m, storage.UploadInput{Filename: name, Content: bytes.NewReader(content), CreatedBy: "u1"})
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	return f
}

// ---- test files ----

func photo(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	return img
}

func jpegFile(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, photo(w, h), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngFile(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, photo(w, h)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webpFile is a 1×1 lossy WebP (VP8); webpAlphaFile a 1×1 lossy WebP with an alpha channel (VP8X+ALPH).
var (
	webpFile      = mustBase64("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
	webpAlphaFile = mustBase64("UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==")
)

// pdfFile is a minimal one-page PDF.
var pdfFile = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func wantKind(t *testing.T, err error, want apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); got != want {
		t.Fatalf("error kind = %v (%v), want %v", got, err, want)
	}
}

// ---- tests ----

func TestUploadKeepsEachAcceptedTypeWithAThumbnailForImages(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		tests := []struct {
			name, filename string
			content        []byte
			wantType       string
			wantPurpose    storage.Purpose
			wantW, wantH   int
			wantThumb      [2]int // thumbnail size, zero without one
			thumbType      string
		}{
			{"jpeg", "phở bò.jpg", jpegFile(t, 1200, 900), storage.JPEG, storage.ProductImage, 1200, 900, [2]int{320, 240}, storage.JPEG},
			{"png", "cà phê.png", pngFile(t, 200, 500), storage.PNG, storage.ProductImage, 200, 500, [2]int{128, 320}, storage.JPEG},
			{"webp", "trà.webp", webpFile, storage.WebP, storage.ProductImage, 1, 1, [2]int{1, 1}, storage.JPEG},
			{"webp with alpha", "logo.webp", webpAlphaFile, storage.WebP, storage.ProductImage, 1, 1, [2]int{1, 1}, storage.PNG},
			{"pdf", "Hóa đơn.pdf", pdfFile, storage.PDF, storage.Document, 0, 0, [2]int{}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := e.upload(t, e.a, tt.filename, tt.content)
				if f.ContentType != tt.wantType || f.Purpose != tt.wantPurpose || f.Size != int64(len(tt.content)) ||
					f.Width != tt.wantW || f.Height != tt.wantH || f.Filename != tt.filename || f.SHA256 != sum(tt.content) ||
					f.CreatedBy != "u1" || !f.CreatedAt.Equal(t0.Truncate(time.Microsecond)) {
					t.Errorf("uploaded %+v", f)
				}
				if want := t0.Add(storage.DefaultURLTTL).Truncate(time.Second); !f.URLExpiresAt.Equal(want) {
					t.Errorf("url_expires_at %v, want %v", f.URLExpiresAt, want)
				}
				code, body, h := e.fetch(t, f.URL)
				if code != http.StatusOK || !bytes.Equal(body, tt.content) || h.Get("Content-Type") != tt.wantType {
					t.Fatalf("fetch: %d %s, %d bytes, want the exact %d bytes", code, h.Get("Content-Type"), len(body), len(tt.content))
				}
				if tt.thumbType == "" {
					if f.ThumbnailURL != "" {
						t.Errorf("a document has a thumbnail: %s", f.ThumbnailURL)
					}
					return
				}
				code, thumb, h := e.fetch(t, f.ThumbnailURL)
				if code != http.StatusOK || h.Get("Content-Type") != tt.thumbType {
					t.Fatalf("fetch thumbnail: %d %s", code, h.Get("Content-Type"))
				}
				cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb))
				if err != nil || "image/"+format != tt.thumbType || cfg.Width != tt.wantThumb[0] || cfg.Height != tt.wantThumb[1] {
					t.Errorf("thumbnail %s %d×%d (%v), want %s %v", format, cfg.Width, cfg.Height, err, tt.thumbType, tt.wantThumb)
				}
			})
		}
		if got := e.outbox(t, e.a); len(got) != len(tests) || got[0] != storage.EventFileCreated {
			t.Errorf("events %v, want %d × %s", got, len(tests), storage.EventFileCreated)
		}
	})
}

func TestUploadRefusesAndStoresNothing(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{MaxBytes: 64 << 10, MaxPixels: 1_000_000})
		big := append(slices.Clone(pdfFile), bytes.Repeat([]byte(" "), 64<<10)...)
		exactly := append(slices.Clone(pdfFile), bytes.Repeat([]byte(" "), 64<<10-len(pdfFile))...)
		tests := []struct {
			name        string
			in          storage.UploadInput
			wantKind    apperr.Kind
			unsupported bool
			wantField   string
		}{
			{"empty", storage.UploadInput{Filename: "a.png"}, apperr.Invalid, false, "file"},
			{"over the limit", storage.UploadInput{Filename: "a.pdf", Content: bytes.NewReader(big)}, apperr.TooLarge, false, ""},
			{"text named png", storage.UploadInput{Filename: "a.png", ContentType: "image/png", Content: strings.NewReader("not a picture")}, apperr.Invalid, true, ""},
			{"html", storage.UploadInput{Filename: "a.html", Content: strings.NewReader("<!DOCTYPE html><script>alert(1)</script>")}, apperr.Invalid, true, ""},
			{"svg", storage.UploadInput{Filename: "a.svg", Content: strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"/>`)}, apperr.Invalid, true, ""},
			{"exe", storage.UploadInput{Filename: "a.exe", Content: strings.NewReader("MZ\x90\x00\x03\x00\x00\x00\x04\x00")}, apperr.Invalid, true, ""},
			{"png named jpg", storage.UploadInput{Filename: "a.jpg", Content: bytes.NewReader(pngFile(t, 2, 2))}, apperr.Invalid, true, ""},
			{"png declared jpeg", storage.UploadInput{ContentType: "image/jpeg", Content: bytes.NewReader(pngFile(t, 2, 2))}, apperr.Invalid, true, ""},
			{"pdf as a product image", storage.UploadInput{Purpose: storage.ProductImage, Content: bytes.NewReader(pdfFile)}, apperr.Invalid, false, "purpose"},
			{"unknown purpose", storage.UploadInput{Purpose: "avatar", Content: bytes.NewReader(pdfFile)}, apperr.Invalid, false, "purpose"},
			{"too many pixels", storage.UploadInput{Content: bytes.NewReader(pngFile(t, 1001, 1000))}, apperr.Invalid, false, "file"},
			{"damaged jpeg", storage.UploadInput{Content: bytes.NewReader(jpegFile(t, 50, 50)[:300])}, apperr.Invalid, false, "file"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.in.Content == nil {
					tt.in.Content = bytes.NewReader(nil)
				}
				_, err := e.svc.Upload(context.Background(), e.a, tt.in)
				wantKind(t, err, tt.wantKind)
				if got := errors.Is(err, storage.ErrUnsupportedType); got != tt.unsupported {
					t.Errorf("unsupported type = %v (%v), want %v", got, err, tt.unsupported)
				}
				if f := apperr.Fields(err); tt.wantField != "" && (len(f) != 1 || f[0].Field != tt.wantField) {
					t.Errorf("fields %+v, want %s", f, tt.wantField)
				}
			})
		}
		if b := e.blobs(t); len(b) != 0 || e.rows(t, e.a) != 0 || len(e.outbox(t, e.a)) != 0 {
			t.Fatalf("refused uploads left blobs %v, %d rows, events %v", b, e.rows(t, e.a), e.outbox(t, e.a))
		}
		if f := e.upload(t, e.a, "limit.pdf", exactly); f.Size != 64<<10 {
			t.Errorf("a file of exactly MaxBytes: size %d", f.Size)
		}
	})
}

func TestAFailedThumbnailPutLeavesNoBlob(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		e.store.set(func(key string) bool { return strings.Contains(key, "/thumbs/") }, false)
		_, err := e.svc.Upload(context.Background(), e.a, storage.UploadInput{Content: bytes.NewReader(jpegFile(t, 10, 10))})
		if !errors.Is(err, errStoreDown) {
			t.Fatalf("err = %v, want the store's", err)
		}
		if b := e.blobs(t); len(b) != 0 || e.rows(t, e.a) != 0 {
			t.Fatalf("left blobs %v and %d rows", b, e.rows(t, e.a))
		}
	})
}

func TestFilesOfAnotherMerchantAreNotFound(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		ctx := context.Background()
		f := e.upload(t, e.a, "pho.jpg", jpegFile(t, 10, 10))
		_, err := e.svc.File(ctx, e.b, f.ID)
		wantKind(t, err, apperr.NotFound)
		_, err = e.svc.ImageURL(ctx, e.b, f.ID, time.Minute)
		wantKind(t, err, apperr.NotFound)
		wantKind(t, e.svc.Delete(ctx, e.b, f.ID), apperr.NotFound)
		if page, err := e.svc.Files(ctx, e.b, storage.FileQuery{}); err != nil || len(page.Items) != 0 {
			t.Fatalf("merchant B lists %v, %v", page.Items, err)
		}
		if _, err := e.svc.File(ctx, e.a, f.ID); err != nil {
			t.Fatalf("merchant A lost its file: %v", err)
		}
	})
}

func TestDeleteRemovesTheBlobsAndTheRow(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		ctx := context.Background()
		f := e.upload(t, e.a, "pho.jpg", jpegFile(t, 400, 400))
		keep := e.upload(t, e.a, "menu.pdf", pdfFile)
		if err := e.svc.Delete(ctx, e.a, f.ID); err != nil {
			t.Fatal(err)
		}
		for _, link := range []string{f.URL, f.ThumbnailURL} {
			if code, _, _ := e.fetch(t, link); code != http.StatusNotFound {
				t.Errorf("link of a deleted file answers %d, want 404", code)
			}
		}
		_, err := e.svc.File(ctx, e.a, f.ID)
		wantKind(t, err, apperr.NotFound)
		wantKind(t, e.svc.Delete(ctx, e.a, f.ID), apperr.NotFound)
		if b := e.blobs(t); len(b) != 1 || e.rows(t, e.a) != 1 {
			t.Errorf("after delete: blobs %v, %d rows; want only the PDF's", b, e.rows(t, e.a))
		}
		if code, _, _ := e.fetch(t, keep.URL); code != http.StatusOK {
			t.Errorf("the other file answers %d", code)
		}
		want := []string{storage.EventFileCreated, storage.EventFileCreated, storage.EventFileDeleted}
		if got := e.outbox(t, e.a); !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

func TestSweepFinishesDeletionsTheStoreRefused(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		ctx := context.Background()
		fa := e.upload(t, e.a, "a.jpg", jpegFile(t, 10, 10))
		fb := e.upload(t, e.b, "b.pdf", pdfFile)
		e.upload(t, e.b, "live.pdf", pdfFile)
		e.store.set(nil, true)
		for _, del := range []struct {
			m  tenant.ID
			id string
		}{{e.a, fa.ID}, {e.b, fb.ID}} {
			if err := e.svc.Delete(ctx, del.m, del.id); err != nil {
				t.Fatalf("delete with the store down: %v (the file is gone for users; the blobs wait)", err)
			}
			_, err := e.svc.File(ctx, del.m, del.id)
			wantKind(t, err, apperr.NotFound)
		}
		if b := e.blobs(t); len(b) != 4 {
			t.Fatalf("blobs %v, want all 4 still there", b)
		}
		e.store.set(nil, false)
		if n, err := e.svc.Sweep(ctx, 10); err != nil || n != 0 {
			t.Fatalf("sweep within the grace period: %d, %v; want 0", n, err)
		}
		e.clk.Advance(storage.SweepGrace + time.Second)
		e.store.set(nil, true)
		if n, err := e.svc.Sweep(ctx, 10); err != nil || n != 0 {
			t.Fatalf("sweep with the store still down: %d, %v; want 0", n, err)
		}
		e.store.set(nil, false)
		if n, err := e.svc.Sweep(ctx, 10); err != nil || n != 2 {
			t.Fatalf("sweep: %d, %v; want 2", n, err)
		}
		if b := e.blobs(t); len(b) != 1 || e.rows(t, e.a) != 0 || e.rows(t, e.b) != 1 {
			t.Fatalf("after sweep: blobs %v, rows A %d B %d; want only B's live file", b, e.rows(t, e.a), e.rows(t, e.b))
		}
		if n, err := e.svc.Sweep(ctx, 10); err != nil || n != 0 {
			t.Fatalf("second sweep: %d, %v", n, err)
		}
	})
}

func TestImageURLLinksTheThumbnailOfLiveImagesOnly(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		ctx := context.Background()
		img := e.upload(t, e.a, "pho.png", pngFile(t, 640, 480))
		doc := e.upload(t, e.a, "menu.pdf", pdfFile)
		link, err := e.svc.ImageURL(ctx, e.a, img.ID, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		code, body, _ := e.fetch(t, link)
		cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
		if code != http.StatusOK || err != nil || cfg.Width != 320 || cfg.Height != 240 {
			t.Fatalf("image link: %d, %+v, %v", code, cfg, err)
		}
		e.clk.Advance(10*time.Minute + time.Second)
		if code, _, _ := e.fetch(t, link); code != http.StatusForbidden {
			t.Errorf("image link after its ttl answers %d, want 403", code)
		}
		for name, id := range map[string]string{"document": doc.ID, "unknown": db.NewID(), "junk": "../../x"} {
			_, err := e.svc.ImageURL(ctx, e.a, id, time.Minute)
			if !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
		if err := e.svc.Delete(ctx, e.a, img.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.ImageURL(ctx, e.a, img.ID, time.Minute)
		wantKind(t, err, apperr.NotFound)
	})
}

func TestFilesPagesNewestFirstWithAPurposeFilter(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		ctx := context.Background()
		var images, all []string
		for i := range 5 {
			content, name := pdfFile, "doc.pdf"
			if i%2 == 0 {
				content, name = pngFile(t, 3, 3), "img.png"
			}
			f := e.upload(t, e.a, name, content)
			all = append([]string{f.ID}, all...)
			if f.Purpose == storage.ProductImage {
				images = append([]string{f.ID}, images...)
			}
			if i != 2 { // two files share a time: the id breaks the tie
				e.clk.Advance(time.Second)
			}
		}
		e.upload(t, e.b, "other.pdf", pdfFile)
		list := func(q storage.FileQuery) []string {
			t.Helper()
			var ids []string
			for range 10 {
				page, err := e.svc.Files(ctx, e.a, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range page.Items {
					if f.URL == "" {
						t.Errorf("file %s listed without a link", f.ID)
					}
					ids = append(ids, f.ID)
				}
				if page.NextCursor == "" {
					return ids
				}
				q.Cursor = page.NextCursor
			}
			t.Fatal("pagination does not end")
			return nil
		}
		// Newest first; ties on created_at go by id, descending too.
		if got := list(storage.FileQuery{Limit: 2}); !slices.Equal(got, wantNewestFirst(t, e, all)) {
			t.Errorf("pages of 2: %v, want %v", got, wantNewestFirst(t, e, all))
		}
		if got := list(storage.FileQuery{Limit: 1, Purpose: storage.ProductImage}); !slices.Equal(got, wantNewestFirst(t, e, images)) {
			t.Errorf("images: %v, want %v", got, wantNewestFirst(t, e, images))
		}
		for _, q := range []storage.FileQuery{{Cursor: "zzz"}, {Cursor: base64.RawURLEncoding.EncodeToString([]byte("1:"))},
			{Limit: 101}, {Limit: -1}, {Purpose: "avatar"}} {
			_, err := e.svc.Files(ctx, e.a, q)
			wantKind(t, err, apperr.Invalid)
		}
	})
}

// wantNewestFirst orders ids as the list must: by creation time, then id, both descending.
func wantNewestFirst(t *testing.T, e *env, ids []string) []string {
	t.Helper()
	type item struct {
		at time.Time
		id string
	}
	var items []item
	for _, id := range ids {
		f, err := e.svc.File(context.Background(), e.a, id)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, item{f.CreatedAt, f.ID})
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.id
	}
	return out
}

func TestEventsCarryTheFileWithoutLinks(t *testing.T) {
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, storage.Options{})
		f := e.upload(t, e.a, "pho.jpg", jpegFile(t, 30, 20))
		var data string
		err := e.d.ReadTx(context.Background(), e.a, func(tx *sql.Tx) error {
			return tx.QueryRow("SELECT data FROM outbox WHERE merchant_id = $1", string(e.a)).Scan(&data)
		})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(data), &got); err != nil {
			t.Fatal(err)
		}
		if got["id"] != f.ID || got["content_type"] != storage.JPEG || got["width"] != 30.0 || got["purpose"] != "product_image" {
			t.Errorf("event data %v", got)
		}
		if _, ok := got["url"]; ok {
			t.Errorf("event data carries a link that will expire: %v", got)
		}
	})
}

// TestSchemaIsolatesEveryTenantTable checks the migrations: the same tables and columns on both engines, and
// on PostgreSQL row-level security enabled, forced and with a policy on every table with a merchant_id.
func TestSchemaIsolatesEveryTenantTable(t *testing.T) {
	schemas := map[db.Dialect]map[string]migrate.Table{}
	dbtest.Each(t, []migrate.Source{storage.Migrations}, func(t *testing.T, d *db.DB) {
		s, err := migrate.Schema(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		schemas[d.Dialect()] = s
		for name, table := range s {
			if d.Dialect() == db.Postgres && slices.Contains(table.Columns, "merchant_id") &&
				(!table.RLS || !table.ForceRLS || table.Policies == 0) {
				t.Errorf("tenant table %s: rls %v force %v policies %d", name, table.RLS, table.ForceRLS, table.Policies)
			}
		}
		if _, ok := s["files"]; !ok {
			t.Fatal("no files table")
		}
	})
	lite, pg := schemas[db.SQLite], schemas[db.Postgres]
	if pg == nil {
		return
	}
	for name, table := range lite {
		if !slices.Equal(table.Columns, pg[name].Columns) {
			t.Errorf("table %s: sqlite columns %v, postgres %v", name, table.Columns, pg[name].Columns)
		}
	}
	if len(lite) != len(pg) {
		t.Errorf("sqlite has %d tables, postgres %d", len(lite), len(pg))
	}
}
