package blob

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/goodgo/internal/platform/clock"
)

// MinSecretLen is the shortest signing secret Disk accepts.
const MinSecretLen = 32

// FilesPath is where Disk.Handler expects to be mounted: links look like <PublicURL>/files/<key>?exp=…&sig=….
const FilesPath = "/files/"

// DiskConfig configures a Disk store.
type DiskConfig struct {
	Dir       string       // directory holding the files (e.g. data/files); created if missing
	PublicURL string       // base of links, e.g. https://pos.example.vn (GOODGO_PUBLIC_URL)
	Secret    []byte       // HMAC key for links, at least MinSecretLen bytes; keep it stable across restarts and replicas
	Clock     clock.Clock  // decides link expiry; nil means the system clock
	Logger    *slog.Logger // logs failures behind 5xx answers of Handler; nil discards
}

// Disk stores files in a local directory. Every access goes through an os.Root, so no key, symbolic link
// or race can reach outside the directory. A file's content type lives in a hidden sidecar beside it
// (".<name>.meta"); writes go to a temporary file that is fsynced and renamed into place, so readers see
// the old file or the new one, never a part.
type Disk struct {
	root      *os.Root
	publicURL string
	secret    []byte
	clock     clock.Clock
	log       *slog.Logger
}

// OpenDisk opens (creating if needed) the directory cfg.Dir as a file store.
func OpenDisk(cfg DiskConfig) (*Disk, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("open file store: signing secret must be at least %d bytes", MinSecretLen)
	}
	base, err := url.Parse(cfg.PublicURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("open file store: public URL %q must be an absolute http(s) URL", cfg.PublicURL)
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("open file store: %w", err)
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("open file store: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Disk{
		root:      root,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		secret:    append([]byte(nil), cfg.Secret...),
		clock:     cfg.Clock,
		log:       cfg.Logger,
	}, nil
}

// Close releases the directory handle.
func (d *Disk) Close() error { return d.root.Close() }

// sidecar is the hidden file beside key that records what Info cannot get from the file system.
type sidecar struct {
	ContentType string `json:"content_type"`
}

func metaName(key string) string {
	dir, name := path.Split(key)
	return dir + "." + name + ".meta"
}

func tempName(key string) string {
	dir, name := path.Split(key)
	return dir + "." + name + ".tmp-" + rand.Text()
}

// Put writes the file atomically: data and sidecar go to temporary files, are fsynced, then renamed into
// place (data first, so a crash in between leaves at worst a file served as application/octet-stream),
// and the directory is fsynced.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ct, err := normalizeContentType(contentType)
	if err != nil {
		return err
	}
	dir := path.Dir(key)
	if err := d.root.MkdirAll(dir, 0o750); err != nil {
		return putError(key, err)
	}
	meta, err := json.Marshal(sidecar{ContentType: ct})
	if err != nil {
		return putError(key, err)
	}
	dataTmp, err := d.writeTemp(key, contextReader{ctx, &exactReader{r: r, size: size}})
	if err != nil {
		return putError(key, err)
	}
	metaTmp, err := d.writeTemp(key, strings.NewReader(string(meta)))
	if err != nil {
		_ = d.root.Remove(dataTmp)
		return putError(key, err)
	}
	if err := d.root.Rename(dataTmp, key); err != nil {
		_ = d.root.Remove(dataTmp)
		_ = d.root.Remove(metaTmp)
		return putError(key, err)
	}
	if err := d.root.Rename(metaTmp, metaName(key)); err != nil {
		_ = d.root.Remove(metaTmp)
		return putError(key, err)
	}
	if err := d.syncDir(dir); err != nil {
		return putError(key, err)
	}
	return nil
}

// writeTemp copies r into a new temporary file beside key, fsyncs it and returns its name. On failure the
// temporary file is removed.
func (d *Disk) writeTemp(key string, r io.Reader) (string, error) {
	name := tempName(key)
	f, err := d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		_ = d.root.Remove(name)
		return "", err
	}
	return name, nil
}

func (d *Disk) syncDir(dir string) error {
	f, err := d.root.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Get opens the file under key. The returned ReadCloser is an *os.File, so it also seeks (ranges).
func (d *Disk) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	f, err := d.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, notFound(key, err)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("get %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("get %s: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, Info{}, notFound(key, errors.New("not a regular file"))
	}
	info := Info{Size: st.Size(), ContentType: DefaultContentType, ModTime: st.ModTime().UTC()}
	if raw, err := d.root.ReadFile(metaName(key)); err == nil {
		var meta sidecar
		if json.Unmarshal(raw, &meta) == nil {
			if ct, err := normalizeContentType(meta.ContentType); err == nil {
				info.ContentType = ct
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		f.Close()
		return nil, Info{}, fmt.Errorf("get %s: read metadata: %w", key, err)
	}
	return f, info, nil
}

// Delete removes the file and its sidecar. Empty directories are left in place.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	for _, name := range []string{key, metaName(key)} {
		if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s: %w", key, err)
		}
	}
	return nil
}

// URL returns <PublicURL>/files/<key>?exp=<unix seconds>&sig=<HMAC-SHA256>, valid until exp (ttl rounded
// up to a whole second). Handler serves it.
func (d *Disk) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	exp := d.clock.Now().Add(ttl + time.Second - 1).Unix()
	q := url.Values{"exp": {strconv.FormatInt(exp, 10)}, "sig": {d.sign(key, exp)}}
	return d.publicURL + FilesPath + key + "?" + q.Encode(), nil
}

// sign returns the signature of a link to key expiring at exp. The message has a purpose prefix so the
// secret's MACs cannot be confused with any other use of it.
func (d *Disk) sign(key string, exp int64) string {
	mac := hmac.New(sha256.New, d.secret)
	fmt.Fprintf(mac, "goodgo-file-link-v1\n%s\n%d", key, exp)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// verify reports whether sig is the signature of key and exp, comparing in constant time.
func (d *Disk) verify(key string, exp int64, sig string) bool {
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	want, _ := base64.RawURLEncoding.DecodeString(d.sign(key, exp))
	return hmac.Equal(got, want)
}

var _ Store = (*Disk)(nil)
