// Package storage is the files module: a merchant uploads product pictures and documents, gets them back
// through signed links that expire, and deletes them. The bytes live in a blob.Store (the local disk by
// default, an S3-compatible store when configured); the module keeps a row per file with what it is.
//
// Invariants the module keeps:
//   - A file's type is what its bytes say (JPEG, PNG, WebP or PDF), never what the client claims: anything
//     else, or a part whose declared Content-Type or filename extension names another type, is refused and
//     nothing is stored.
//   - A file is never larger than Options.MaxBytes nor empty; an image is checked for its pixel count from
//     its header before it is decoded (a decompression-bomb guard) and always has a thumbnail (longest side
//     ThumbnailSize, JPEG, or PNG when it has transparency).
//   - Files are per merchant: their keys sit under blob.MerchantKey, and another merchant's file is NotFound.
//   - A live row never points at a missing blob: blobs are stored before the row is inserted, and a delete
//     marks the row first, removes the blobs, and removes the row last. A row marked deleted is invisible;
//     if removing its blobs failed, Sweep finishes the job later. (Blobs stored just before a crash that
//     prevented their row's insert are not found by anyone: the blob store cannot be listed.)
//
// Cross-tenant path (the only one): Sweep, a platform job that finishes deletions of every merchant through
// db.WithSystemTx; the files policies admit the system path for reading and removing deleted rows only.
package storage

import (
	"bytes"
	"embed"
	"mime"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/goodgo/goodgo/internal/platform/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

// Migrations creates the module's files table on either engine.
var Migrations = migrate.Embedded("storage", migrationFiles)

// Domain events, written to the outbox on Subject (merchant-wide: no shop).
const (
	Subject          = "storage.events"
	EventFileCreated = "file.created"
	EventFileDeleted = "file.deleted"
)

// Defaults of Options.
const (
	DefaultMaxBytes  = 10 << 20
	DefaultURLTTL    = time.Hour
	DefaultMaxPixels = 40_000_000
)

// ThumbnailSize is the longest side of a thumbnail, in pixels.
const ThumbnailSize = 320

// Purpose says what a file is for.
type Purpose string

// The purposes of files.
const (
	ProductImage Purpose = "product_image"
	Document     Purpose = "document"
)

// Valid reports whether p is a known purpose.
func (p Purpose) Valid() bool { return p == ProductImage || p == Document }

// The content types the module accepts, as sniffed from the bytes.
const (
	JPEG = "image/jpeg"
	PNG  = "image/png"
	WebP = "image/webp"
	PDF  = "application/pdf"
)

// IsImage reports whether contentType is one of the image types the module accepts.
func IsImage(contentType string) bool {
	return contentType == JPEG || contentType == PNG || contentType == WebP
}

// File is an uploaded file of a merchant with links to fetch it.
type File struct {
	ID          string  `json:"id"`
	ContentType string  `json:"content_type" enum:"image/jpeg,image/png,image/webp,application/pdf" doc:"The type sniffed from the file's bytes."`
	Size        int64   `json:"size" doc:"Bytes."`
	Filename    string  `json:"filename" doc:"The uploaded file's name, cleaned of paths and control characters."`
	Purpose     Purpose `json:"purpose" enum:"product_image,document"`
	Width       int     `json:"width,omitempty" doc:"Pixels, images only."`
	Height      int     `json:"height,omitempty" doc:"Pixels, images only."`
	SHA256      string  `json:"sha256" doc:"Hex SHA-256 of the content."`
	// URL and ThumbnailURL are signed links that work for anyone holding them until URLExpiresAt.
	URL          string    `json:"url" doc:"Signed link to the file; it stops working at url_expires_at."`
	ThumbnailURL string    `json:"thumbnail_url,omitempty" doc:"Signed link to the thumbnail (images only)."`
	URLExpiresAt time.Time `json:"url_expires_at"`
	CreatedBy    string    `json:"created_by" doc:"The user who uploaded it."`
	CreatedAt    time.Time `json:"created_at"`

	key, thumbKey string // the blobs' keys ("" thumbKey without a thumbnail)
}

// FilePage is one page of files and the cursor of the next ("" at the end).
type FilePage struct {
	Items      []File `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// kind is what sniffing found in a file.
type kind struct {
	contentType string
	ext         string   // canonical extension, with the dot
	exts        []string // every extension a file of this type may carry
}

var kinds = []kind{
	{JPEG, ".jpg", []string{".jpg", ".jpeg", ".jpe", ".jfif"}},
	{PNG, ".png", []string{".png"}},
	{WebP, ".webp", []string{".webp"}},
	{PDF, ".pdf", []string{".pdf"}},
}

// sniff names the type of a file from its first bytes (at least 12 of them when there are that many): the
// magic numbers of the four accepted formats, nothing else. ok is false for any other content.
func sniff(head []byte) (kind, bool) {
	var ct string
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		ct = JPEG
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		ct = PNG
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		ct = WebP
	case bytes.HasPrefix(head, []byte("%PDF-")):
		ct = PDF
	default:
		return kind{}, false
	}
	for _, k := range kinds {
		if k.contentType == ct {
			return k, true
		}
	}
	return kind{}, false
}

// contradicts reports whether what the client said about a file (the part's Content-Type and the filename's
// extension) names a type other than the sniffed k. Saying nothing, or the generic
// application/octet-stream, contradicts nothing.
func (k kind) contradicts(declaredType, filename string) bool {
	if declaredType != "" {
		mt, _, err := mime.ParseMediaType(declaredType)
		if err != nil {
			return true
		}
		if mt != "application/octet-stream" && mt != k.contentType && !(k.contentType == JPEG && mt == "image/pjpeg") {
			return true
		}
	}
	if ext := strings.ToLower(path.Ext(filename)); ext != "" {
		for _, e := range k.exts {
			if ext == e {
				return false
			}
		}
		return true
	}
	return false
}

// maxFilenameLen bounds a stored filename, in characters.
const maxFilenameLen = 200

// cleanFilename makes the name a client gave a file safe to store and show: the last element of any path
// (either slash), valid UTF-8, no control or format characters, trimmed, at most maxFilenameLen characters
// (the extension kept). An empty result becomes "file" with the type's extension.
func cleanFilename(name string, k kind) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "file" + k.ext
	}
	if utf8.RuneCountInString(name) > maxFilenameLen {
		ext := path.Ext(name)
		if utf8.RuneCountInString(ext) > 16 {
			ext = ""
		}
		runes := []rune(strings.TrimSuffix(name, ext))
		name = string(runes[:maxFilenameLen-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// maxSlugLen bounds the readable part of a blob key.
const maxSlugLen = 80

// keySlug turns a filename into the readable part of a blob key (the name a download is saved under): the
// base name folded to ASCII (Vietnamese letters lose their marks, đ becomes d), other characters turned into
// '-', at most maxSlugLen characters, and the type's canonical extension.
func keySlug(filename string, k kind) string {
	base := strings.TrimSuffix(filename, path.Ext(filename))
	var b strings.Builder
	dash := false
	for _, r := range base {
		if mark(r) {
			continue // a combining mark of a decomposed (NFD) name: its letter was kept already
		}
		r = foldVietnamese(r)
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
		if !ok {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
		if b.Len() >= maxSlugLen {
			break
		}
	}
	slug := strings.TrimRight(b.String(), "-")
	if slug == "" {
		slug = "file"
	}
	return slug + k.ext
}

func mark(r rune) bool { return r >= 0x0300 && r <= 0x036F }

// vietnamese lists the precomposed Vietnamese letters by the ASCII letter they fold to.
var vietnamese = map[rune]string{
	'a': "àáảãạăằắẳẵặâầấẩẫậ",
	'e': "èéẻẽẹêềếểễệ",
	'i': "ìíỉĩị",
	'o': "òóỏõọôồốổỗộơờớởỡợ",
	'u': "ùúủũụưừứửữự",
	'y': "ỳýỷỹỵ",
	'd': "đ",
}

var vietnameseFold = func() map[rune]rune {
	m := map[rune]rune{}
	for base, letters := range vietnamese {
		for _, r := range letters {
			m[r] = base
			m[unicode.ToUpper(r)] = unicode.ToUpper(base)
		}
	}
	return m
}()

func foldVietnamese(r rune) rune {
	if f, ok := vietnameseFold[r]; ok {
		return f
	}
	return r
}
