package blob

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

func TestOpenS3(t *testing.T) {
	srv := httptest.NewTLSServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	base := S3Config{
		Endpoint: srv.URL, Bucket: "files", AccessKey: "a", SecretKey: "s", PathStyle: true,
		Transport: srv.Client().Transport,
	}
	ctx := context.Background()

	if _, err := OpenS3(ctx, base); err == nil {
		t.Errorf("OpenS3 of a missing bucket without CreateBucket succeeded")
	}
	withCreate := base
	withCreate.CreateBucket = true
	if _, err := OpenS3(ctx, withCreate); err != nil {
		t.Fatalf("OpenS3 with CreateBucket: %v", err)
	}
	if _, err := OpenS3(ctx, base); err != nil {
		t.Errorf("OpenS3 of an existing bucket: %v", err)
	}
	for _, cfg := range []S3Config{
		{Endpoint: srv.URL},
		{Endpoint: "ftp://host", Bucket: "files"},
	} {
		if _, err := OpenS3(ctx, cfg); err == nil {
			t.Errorf("OpenS3(%+v) succeeded, want an error", cfg)
		}
	}
}

func TestS3PresignsWithThePublicEndpoint(t *testing.T) {
	srv := httptest.NewTLSServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	s, err := OpenS3(context.Background(), S3Config{
		Endpoint: srv.URL, Bucket: "files", AccessKey: "a", SecretKey: "s", PathStyle: true,
		Transport: srv.Client().Transport, CreateBucket: true, PublicEndpoint: "https://files.example.vn",
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if _, err := s.URL(ctx, "m/m1/missing.png", time.Hour); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("link to a missing file: err = %v, want not found", err)
	}
	for key, ct := range map[string]string{"m/m1/pho.png": "image/png", "m/m1/menu.svg": "image/svg+xml"} {
		if err := s.Put(ctx, key, strings.NewReader("x"), 1, ct); err != nil {
			t.Fatal(err)
		}
	}
	// An uploaded SVG (which can carry script) is served as an attachment, a photo inline.
	for key, want := range map[string]string{"m/m1/pho.png": `inline; filename="pho.png"`, "m/m1/menu.svg": `attachment; filename="menu.svg"`} {
		link, err := s.URL(ctx, key, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		if got := u.Query().Get("response-content-disposition"); got != want {
			t.Errorf("%s: response-content-disposition = %q, want %q", key, got, want)
		}
	}
	link, err := s.URL(ctx, "m/m1/pho.png", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Host != "files.example.vn" || u.Path != "/files/m/m1/pho.png" {
		t.Errorf("presigned link %s, want https://files.example.vn/files/m/m1/pho.png?…", link)
	}
	if got := u.Query().Get("X-Amz-Expires"); got != "3600" {
		t.Errorf("X-Amz-Expires = %q, want 3600", got)
	}
}
