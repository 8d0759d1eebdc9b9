package storage_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/blob"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/storage"
)

// TestS3StoreServesUploadsThroughPresignedLinks runs the module on an S3 store (gofakes3 in-process):
// upload, fetch the presigned links, delete.
func TestS3StoreServesUploadsThroughPresignedLinks(t *testing.T) {
	srv := httptest.NewTLSServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	ctx := context.Background()
	s3, err := blob.OpenS3(ctx, blob.S3Config{Endpoint: srv.URL, Bucket: "files", AccessKey: "a", SecretKey: "s",
		PathStyle: true, Transport: srv.Client().Transport, CreateBucket: true})
	if err != nil {
		t.Fatal(err)
	}
	get := func(link string) (int, []byte) {
		t.Helper()
		resp, err := srv.Client().Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	dbtest.Each(t, sources, func(t *testing.T, d *db.DB) {
		svc := storage.New(d, s3, clock.System{}, storage.Options{TempDir: t.TempDir()})
		m := tenant.ID(db.NewID())
		content := jpegFile(t, 900, 600)
		f, err := svc.Upload(ctx, m, storage.UploadInput{Filename: "bún chả.jpg", ContentType: "image/jpeg",
			Content: bytes.NewReader(content), CreatedBy: "u1"})
		if err != nil {
			t.Fatal(err)
		}
		if code, got := get(f.URL); code != http.StatusOK || !bytes.Equal(got, content) {
			t.Fatalf("presigned GET: %d, %d bytes, want the exact %d", code, len(got), len(content))
		}
		link, err := svc.ImageURL(ctx, m, f.ID, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if code, thumb := get(link); code != http.StatusOK || len(thumb) == 0 || thumb[0] != 0xFF {
			t.Fatalf("thumbnail: %d, %d bytes", code, len(thumb))
		}
		if err := svc.Delete(ctx, m, f.ID); err != nil {
			t.Fatal(err)
		}
		if code, _ := get(f.URL); code != http.StatusNotFound {
			t.Errorf("presigned GET after delete: %d, want 404", code)
		}
		_, err = svc.File(ctx, m, f.ID)
		if !apperr.Is(err, apperr.NotFound) {
			t.Errorf("file after delete: %v", err)
		}
	})
}
