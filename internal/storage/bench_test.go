package storage_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"testing"

	"github.com/goodgo/goodgo/internal/platform/blob"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/db/dbtest"
	"github.com/goodgo/goodgo/internal/platform/migrate"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/storage"
)

// noisyJPEG is a w×h JPEG with grain, so that it compresses about as little as a real photo.
func noisyJPEG(b *testing.B, w, h int) []byte {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for i := 0; i < len(img.Pix); i += 4 {
		seed = seed*1664525 + 1013904223
		x, y := (i/4)%w, (i/4)/w
		grain := uint8(seed >> 27)
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(x*200/w)+grain, uint8(y*200/h)+grain, 100+grain, 255
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

// BenchmarkUploadJPEG uploads a photo of about 1 MB (sniffing, hashing, decoding, thumbnail, two blobs on
// disk, the row and its event), per engine.
func BenchmarkUploadJPEG(b *testing.B) {
	content := photoOfSize(b, 1<<20)
	for _, dialect := range dbtest.Dialects() {
		b.Run(string(dialect), func(b *testing.B) {
			ctx := context.Background()
			d := dbtest.New(b, dialect)
			if err := migrate.Up(ctx, d, slog.New(slog.NewTextHandler(io.Discard, nil)), sources...); err != nil {
				b.Fatal(err)
			}
			disk, err := blob.OpenDisk(blob.DiskConfig{Dir: b.TempDir(), PublicURL: "https://pos.example.vn", Secret: testSecret})
			if err != nil {
				b.Fatal(err)
			}
			defer disk.Close()
			svc := storage.New(d, disk, clock.System{}, storage.Options{TempDir: b.TempDir()})
			m := tenant.ID(db.NewID())
			b.SetBytes(int64(len(content)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := svc.Upload(ctx, m, storage.UploadInput{Filename: "pho.jpg", Content: bytes.NewReader(content)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// photoOfSize returns a JPEG photo whose encoding is close to n bytes.
func photoOfSize(b *testing.B, n int) []byte {
	b.Helper()
	w := 400
	for {
		out := noisyJPEG(b, w, w*3/4)
		if len(out) >= n || w > 8000 {
			b.Logf("photo %d×%d, %d bytes", w, w*3/4, len(out))
			return out
		}
		w += w / 4
	}
}

// BenchmarkThumbnail12MP decodes a 4000×3000 JPEG and makes its thumbnail, as an upload of a phone photo does.
func BenchmarkThumbnail12MP(b *testing.B) {
	content := noisyJPEG(b, 4000, 3000)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(content))
	if err != nil || cfg.Width*cfg.Height != 12_000_000 {
		b.Fatalf("%+v %v", cfg, err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := storage.ProcessImage(bytes.NewReader(content), storage.JPEG, storage.DefaultMaxPixels); err != nil {
			b.Fatal(err)
		}
	}
}
