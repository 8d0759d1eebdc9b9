package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/blob"
	"github.com/goodgo/goodgo/internal/platform/clock"
	"github.com/goodgo/goodgo/internal/platform/db"
	"github.com/goodgo/goodgo/internal/platform/events"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/storage/storagedb"
)

// Options tune a Service; zero values take the defaults.
type Options struct {
	// MaxBytes is the largest file accepted (DefaultMaxBytes; GOODGO_UPLOAD_MAX_BYTES).
	MaxBytes int64
	// URLTTL is how long the links in answers work (DefaultURLTTL, at most blob.MaxURLTTL).
	URLTTL time.Duration
	// MaxPixels is the largest image accepted, width × height (DefaultMaxPixels).
	MaxPixels int
	// TempDir holds uploads while they are checked ("" is the system's temporary directory).
	TempDir string
	// Nudge, if set, is called after a transaction that wrote events has committed (events.Relay.Nudge).
	Nudge func()
	// Logger receives failures that do not fail the request (leftover blobs); nil discards them.
	Logger *slog.Logger
}

// Service runs the module's use cases; each change of rows is one transaction of the merchant concerned.
type Service struct {
	db    *db.DB
	store blob.Store
	clk   clock.Clock
	opts  Options
	nudge func()
	log   *slog.Logger
	// imageSlots bounds how many images are decoded at once: a large photo decodes into tens of megabytes.
	imageSlots chan struct{}
}

// New returns the service over d (migrated with Migrations and events.Migrations), keeping the bytes in
// store and telling time with clk.
func New(d *db.DB, store blob.Store, clk clock.Clock, opts Options) *Service {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.URLTTL <= 0 {
		opts.URLTTL = DefaultURLTTL
	}
	opts.URLTTL = min(opts.URLTTL, blob.MaxURLTTL)
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	s := &Service{db: d, store: store, clk: clk, opts: opts, nudge: opts.Nudge, log: opts.Logger,
		imageSlots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
	if s.nudge == nil {
		s.nudge = func() {}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// MaxBytes is the largest file the service accepts.
func (s *Service) MaxBytes() int64 { return s.opts.MaxBytes }

// now is the current time as stored: UTC, to the microsecond (PostgreSQL's precision).
func (s *Service) now() time.Time { return s.clk.Now().UTC().Truncate(time.Microsecond) }

// ErrUnsupportedType is wrapped by the Invalid error of a file whose content is not an accepted type, or
// whose declared type or name contradicts its content; the HTTP layer answers 415 for it.
var ErrUnsupportedType = errors.New("unsupported file type")

func unsupported(format string, args ...any) error {
	return apperr.Wrap(ErrUnsupportedType, apperr.Invalid, fmt.Sprintf(format, args...))
}

// UploadInput is a file to store.
type UploadInput struct {
	// Filename and ContentType are what the client said about the file; both may be empty. Neither decides
	// the type, but either contradicting the content refuses the file.
	Filename    string
	ContentType string
	// Purpose is "" to choose by type: images are product images, PDFs documents.
	Purpose Purpose
	// Content is read to the end (or to one byte past MaxBytes).
	Content io.Reader
	// CreatedBy is the uploading user's id.
	CreatedBy string
}

// Upload stores a file of merchant m. It returns an apperr.TooLarge error for a file over MaxBytes, an
// apperr.Invalid error for an empty file, a bad purpose or an image that is too large or damaged, and an
// apperr.Invalid error wrapping ErrUnsupportedType for content of another type or a type contradicted by
// the client's claims. Nothing is stored when it fails. The file.created event is written with the row.
func (s *Service) Upload(ctx context.Context, m tenant.ID, in UploadInput) (File, error) {
	sp, err := s.receive(in.Content)
	if err != nil {
		return File{}, err
	}
	defer sp.discard()
	return s.storeReceived(ctx, m, sp, in)
}

// received is an upload spooled to a temporary file, with what was learnt while reading it.
type received struct {
	f    *os.File
	size int64
	sum  []byte
	head []byte // the first bytes, for sniffing
}

// sniffLen is how many leading bytes sniffing looks at.
const sniffLen = 32

// receive copies r to a temporary file, never more than MaxBytes+1 bytes of it: the memory an upload
// takes is bounded whatever its size. The caller discards the result.
func (s *Service) receive(r io.Reader) (*received, error) {
	f, err := os.CreateTemp(s.opts.TempDir, "goodgo-upload-*")
	if err != nil {
		return nil, fmt.Errorf("receive file: %w", err)
	}
	sp := &received{f: f}
	h := sha256.New()
	head := &headWriter{max: sniffLen}
	n, err := io.Copy(io.MultiWriter(f, h, head), io.LimitReader(r, s.opts.MaxBytes+1))
	switch {
	case err != nil:
		sp.discard()
		return nil, fmt.Errorf("receive file: %w", err)
	case n > s.opts.MaxBytes:
		sp.discard()
		return nil, apperr.E(apperr.TooLarge, "the file is larger than %d bytes", s.opts.MaxBytes)
	case n == 0:
		sp.discard()
		return nil, apperr.WithField("file", "the file is empty")
	}
	sp.size, sp.sum, sp.head = n, h.Sum(nil), head.buf.Bytes()
	return sp, nil
}

func (sp *received) discard() {
	name := sp.f.Name()
	_ = sp.f.Close()
	_ = os.Remove(name)
}

// rewind makes the spooled content readable from its start.
func (sp *received) rewind() (io.ReadSeeker, error) {
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind upload: %w", err)
	}
	return sp.f, nil
}

// headWriter keeps the first max bytes written to it.
type headWriter struct {
	buf bytes.Buffer
	max int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// storeReceived checks a spooled upload, makes its thumbnail, stores the blobs and then the row.
func (s *Service) storeReceived(ctx context.Context, m tenant.ID, sp *received, in UploadInput) (File, error) {
	k, ok := sniff(sp.head)
	if !ok {
		return File{}, unsupported("only JPEG, PNG, WebP images and PDF documents are accepted")
	}
	if k.contradicts(in.ContentType, in.Filename) {
		return File{}, unsupported("the file's name or declared type does not match its content (%s)", k.contentType)
	}
	purpose := in.Purpose
	switch {
	case purpose == "" && IsImage(k.contentType):
		purpose = ProductImage
	case purpose == "":
		purpose = Document
	case !purpose.Valid():
		return File{}, apperr.WithField("purpose", "must be product_image or document")
	case purpose == ProductImage && !IsImage(k.contentType):
		return File{}, apperr.WithField("purpose", "a product image must be a JPEG, PNG or WebP image")
	}
	var pic picture
	if IsImage(k.contentType) {
		var err error
		if pic, err = s.process(ctx, sp, k.contentType); err != nil {
			return File{}, err
		}
	}

	id := db.NewID()
	row := storagedb.InsertFileParams{ID: id, MerchantID: string(m), ContentType: k.contentType, Size: sp.size,
		Filename: cleanFilename(in.Filename, k), Purpose: string(purpose), Width: int32(pic.width),
		Height: int32(pic.height), Sha256: hex.EncodeToString(sp.sum), CreatedBy: in.CreatedBy}
	var err error
	if row.Key, err = blob.MerchantKey(m, "files/"+id+"-"+keySlug(row.Filename, k)); err != nil {
		return File{}, fmt.Errorf("upload: %w", err)
	}
	if pic.thumb != nil {
		ext := ".jpg"
		if pic.thumbType == PNG {
			ext = ".png"
		}
		if row.ThumbKey, err = blob.MerchantKey(m, "thumbs/"+id+ext); err != nil {
			return File{}, fmt.Errorf("upload: %w", err)
		}
	}

	// Blobs first, row last: a row is only ever inserted for blobs that exist.
	content, err := sp.rewind()
	if err != nil {
		return File{}, err
	}
	if err := s.store.Put(ctx, row.Key, content, sp.size, k.contentType); err != nil {
		return File{}, fmt.Errorf("upload: store file: %w", err)
	}
	if row.ThumbKey != "" {
		if err := s.store.Put(ctx, row.ThumbKey, bytes.NewReader(pic.thumb), int64(len(pic.thumb)), pic.thumbType); err != nil {
			s.removeBlobs(ctx, row.Key)
			return File{}, fmt.Errorf("upload: store thumbnail: %w", err)
		}
	}
	row.CreatedAt = s.now()
	err = s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		if err := storagedb.New(tx).InsertFile(ctx, row); err != nil {
			return fmt.Errorf("insert file: %w", err)
		}
		return addEvent(ctx, tx, m, EventFileCreated, row.CreatedAt, createdEvent(fileFromInsert(row)))
	})
	if err != nil {
		s.removeBlobs(ctx, row.Key, row.ThumbKey)
		return File{}, fmt.Errorf("upload: %w", err)
	}
	s.nudge()
	return s.withLinks(ctx, fileFromInsert(row))
}

// process makes an image's thumbnail, waiting for a free decoding slot.
func (s *Service) process(ctx context.Context, sp *received, contentType string) (picture, error) {
	select {
	case s.imageSlots <- struct{}{}:
		defer func() { <-s.imageSlots }()
	case <-ctx.Done():
		return picture{}, ctx.Err()
	}
	content, err := sp.rewind()
	if err != nil {
		return picture{}, err
	}
	return processImage(content, contentType, s.opts.MaxPixels)
}

// removeBlobs deletes blobs nothing points at any more, logging failures: the caller's outcome is decided
// already, and a blob left over costs only space.
func (s *Service) removeBlobs(ctx context.Context, keys ...string) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	ok := true
	for _, k := range keys {
		if k == "" {
			continue
		}
		if err := s.store.Delete(ctx, k); err != nil {
			ok = false
			s.log.WarnContext(ctx, "storage: blob not deleted", "key", k, "err", err)
		}
	}
	return ok
}

// File returns file id of merchant m with fresh links. Another merchant's file, or a deleted one, is
// NotFound.
func (s *Service) File(ctx context.Context, m tenant.ID, id string) (File, error) {
	f, err := s.fileRow(ctx, m, id)
	if err != nil {
		return File{}, err
	}
	return s.withLinks(ctx, f)
}

// ImageURL returns a signed link, valid for ttl (at most blob.MaxURLTTL), to the thumbnail of image file
// id of merchant m: the catalog module shows product pictures with it. It returns NotFound unless id is a
// live image file of m.
func (s *Service) ImageURL(ctx context.Context, m tenant.ID, id string, ttl time.Duration) (string, error) {
	f, err := s.fileRow(ctx, m, id)
	if err != nil {
		return "", err
	}
	if !IsImage(f.ContentType) || f.thumbKey == "" {
		return "", apperr.E(apperr.NotFound, "image not found")
	}
	u, err := s.store.URL(ctx, f.thumbKey, min(ttl, blob.MaxURLTTL))
	if err != nil {
		return "", fmt.Errorf("image %s: %w", id, err)
	}
	return u, nil
}

func (s *Service) fileRow(ctx context.Context, m tenant.ID, id string) (File, error) {
	var f File
	err := s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		var err error
		f, err = loadFile(ctx, storagedb.New(tx), m, id)
		return err
	})
	return f, err
}

// withLinks fills f's signed links. They are made outside any transaction: an S3 store asks the store.
func (s *Service) withLinks(ctx context.Context, f File) (File, error) {
	ttl := s.opts.URLTTL
	var err error
	if f.URL, err = s.store.URL(ctx, f.key, ttl); err != nil {
		return File{}, fmt.Errorf("link to file %s: %w", f.ID, err)
	}
	if f.thumbKey != "" {
		if f.ThumbnailURL, err = s.store.URL(ctx, f.thumbKey, ttl); err != nil {
			return File{}, fmt.Errorf("link to thumbnail of file %s: %w", f.ID, err)
		}
	}
	f.URLExpiresAt = s.clk.Now().UTC().Add(ttl).Truncate(time.Second)
	return f, nil
}

// Page sizes of Files.
const (
	DefaultPageSize = 50
	MaxPageSize     = 100
)

// FileQuery selects a page of files.
type FileQuery struct {
	// Limit is the page size (0: DefaultPageSize; at most MaxPageSize).
	Limit int
	// Cursor is the NextCursor of the previous page, "" for the first.
	Cursor string
	// Purpose limits the list to files of one purpose; "" lists all.
	Purpose Purpose
}

// Files returns a page of merchant m's live files, newest first, with fresh links. It returns an
// apperr.Invalid error for a bad limit or purpose, or a cursor it did not make.
func (s *Service) Files(ctx context.Context, m tenant.ID, q FileQuery) (FilePage, error) {
	limit := q.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return FilePage{}, apperr.WithField("limit", "must be between 1 and "+strconv.Itoa(MaxPageSize))
	}
	if q.Purpose != "" && !q.Purpose.Valid() {
		return FilePage{}, apperr.WithField("purpose", "must be product_image or document")
	}
	before, err := decodeCursor(q.Cursor)
	if err != nil {
		return FilePage{}, err
	}
	var files []File
	err = s.db.ReadTx(ctx, m, func(tx *sql.Tx) error {
		rows, err := storagedb.New(tx).ListFilesBefore(ctx, storagedb.ListFilesBeforeParams{MerchantID: string(m),
			Purpose: string(q.Purpose), BeforeCreatedAt: before.createdAt, BeforeID: before.id, PageSize: int32(limit + 1)})
		if err != nil {
			return fmt.Errorf("list files: %w", err)
		}
		for _, r := range rows {
			files = append(files, fileFromRow(r))
		}
		return nil
	})
	if err != nil {
		return FilePage{}, err
	}
	page := FilePage{Items: make([]File, 0, min(len(files), limit))}
	if len(files) > limit {
		files = files[:limit]
		last := files[limit-1]
		page.NextCursor = encodeCursor(fileCursor{createdAt: last.CreatedAt, id: last.ID})
	}
	for _, f := range files {
		f, err := s.withLinks(ctx, f)
		if err != nil {
			return FilePage{}, err
		}
		page.Items = append(page.Items, f)
	}
	return page, nil
}

// fileCursor is a position in the (created_at, id) descending order of files.
type fileCursor struct {
	createdAt time.Time
	id        string
}

// firstPage is the cursor before every file: files are listed newest first.
var firstPage = fileCursor{createdAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}

// encodeCursor makes the opaque cursor clients pass back: base64url of "<unix microseconds>:<id>".
func encodeCursor(c fileCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.createdAt.UnixMicro(), 10) + ":" + c.id))
}

func decodeCursor(s string) (fileCursor, error) {
	if s == "" {
		return firstPage, nil
	}
	bad := apperr.WithField("cursor", "is not a cursor this API returned")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return fileCursor{}, bad
	}
	micros, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 || n < 0 || n > firstPage.createdAt.UnixMicro() {
		return fileCursor{}, bad
	}
	return fileCursor{createdAt: time.UnixMicro(n).UTC(), id: id}, nil
}

// Delete deletes file id of merchant m: the row is marked deleted (and the file.deleted event written) in
// one transaction, so the file is gone for everyone at once; then its blobs are removed, so its links stop
// working, and the row last. A failure after the first step is logged and left to Sweep. Another merchant's
// file, or a deleted one, is NotFound.
func (s *Service) Delete(ctx context.Context, m tenant.ID, id string) error {
	var keys storagedb.MarkFileDeletedRow
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		now := s.now()
		var err error
		keys, err = storagedb.New(tx).MarkFileDeleted(ctx, storagedb.MarkFileDeletedParams{
			Now: sql.NullTime{Time: now, Valid: true}, MerchantID: string(m), ID: id})
		if err != nil {
			return notFound(err, "file")
		}
		return addEvent(ctx, tx, m, EventFileDeleted, now, deletedEvent{ID: id, DeletedAt: now})
	})
	if err != nil {
		return fmt.Errorf("delete file %s: %w", id, err)
	}
	s.nudge()
	if s.removeBlobs(ctx, keys.Key, keys.ThumbKey) {
		s.removeRow(ctx, m, id)
	}
	return nil
}

func (s *Service) removeRow(ctx context.Context, m tenant.ID, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := s.db.WithTx(ctx, m, func(tx *sql.Tx) error {
		return storagedb.New(tx).RemoveDeletedFile(ctx, storagedb.RemoveDeletedFileParams{MerchantID: string(m), ID: id})
	})
	if err != nil {
		s.log.WarnContext(ctx, "storage: deleted file's row not removed", "file_id", id, "err", err)
	}
}

// SweepGrace is how old a deletion must be before Sweep finishes it, so that it does not race the request
// still deleting the blobs (doing the same work twice would be harmless, only wasted).
const SweepGrace = time.Minute

// Sweep finishes up to limit deletions of any merchant started more than SweepGrace ago whose blobs or row
// could not be removed at the time (the store was down, the process stopped), and reports how many it
// finished. A platform job calls it periodically; it reads and removes only rows marked deleted, through the
// audited system path.
func (s *Service) Sweep(ctx context.Context, limit int) (int, error) {
	var rows []storagedb.ListUnfinishedDeletionsRow
	err := s.db.WithSystemTx(ctx, "storage: finish file deletions", func(tx *sql.Tx) error {
		var err error
		rows, err = storagedb.New(tx).ListUnfinishedDeletions(ctx, storagedb.ListUnfinishedDeletionsParams{
			Before: sql.NullTime{Time: s.now().Add(-SweepGrace), Valid: true}, PageSize: int32(limit)})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sweep files: %w", err)
	}
	done := 0
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		if !s.removeBlobs(ctx, r.Key, r.ThumbKey) {
			continue
		}
		err := s.db.WithSystemTx(ctx, "storage: finish a file deletion", func(tx *sql.Tx) error {
			return storagedb.New(tx).RemoveDeletedFile(ctx, storagedb.RemoveDeletedFileParams{MerchantID: r.MerchantID, ID: r.ID})
		})
		if err != nil {
			return done, fmt.Errorf("sweep file %s: %w", r.ID, err)
		}
		done++
	}
	return done, nil
}

// fileEvent is the data of file.created: the file without its links, which expire.
type fileEvent struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Filename    string    `json:"filename"`
	Purpose     Purpose   `json:"purpose"`
	Width       int       `json:"width,omitempty"`
	Height      int       `json:"height,omitempty"`
	SHA256      string    `json:"sha256"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func createdEvent(f File) fileEvent {
	return fileEvent{ID: f.ID, ContentType: f.ContentType, Size: f.Size, Filename: f.Filename, Purpose: f.Purpose,
		Width: f.Width, Height: f.Height, SHA256: f.SHA256, CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt}
}

// deletedEvent is the data of file.deleted.
type deletedEvent struct {
	ID        string    `json:"id"`
	DeletedAt time.Time `json:"deleted_at"`
}

func addEvent(ctx context.Context, tx *sql.Tx, m tenant.ID, typ string, at time.Time, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	return events.Add(ctx, tx, events.Event{ID: db.NewID(), Type: typ, Subject: Subject, MerchantID: m,
		OccurredAt: at, Data: b})
}
