package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/goodgo/goodgo/internal/platform/apperr"
)

// S3Config configures an S3 store (GOODGO_S3_*).
type S3Config struct {
	// Endpoint is host[:port] of the S3 API, or a URL whose scheme sets Secure (https://s3.example.com).
	Endpoint  string
	Bucket    string
	AccessKey string
	SecretKey string
	// Region defaults to us-east-1; setting it avoids a bucket-location request before presigning.
	Region string
	// Secure selects HTTPS when Endpoint has no scheme.
	Secure bool
	// PathStyle forces http://host/bucket/key addressing (MinIO and most self-hosted stores); otherwise the
	// client picks virtual-host style where the endpoint supports it.
	PathStyle bool
	// PublicEndpoint, when set, is the host (or URL) put in presigned links instead of Endpoint, for stores
	// the app reaches on an internal address but browsers reach on a public one.
	PublicEndpoint string
	// CreateBucket creates the bucket when it is missing (development and tests; production buckets are
	// provisioned by operators).
	CreateBucket bool
	// Transport overrides the HTTP transport (tests).
	Transport http.RoundTripper
}

// S3 stores files in a bucket of an S3-compatible object store; links are presigned GET URLs.
type S3 struct {
	client    *minio.Client
	presigner *minio.Client
	bucket    string
}

// OpenS3 connects to the store and checks that the bucket exists (creating it if cfg.CreateBucket).
func OpenS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, fmt.Errorf("open s3: bucket is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client, err := newMinioClient(cfg, cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	presigner := client
	if cfg.PublicEndpoint != "" {
		if presigner, err = newMinioClient(cfg, cfg.PublicEndpoint); err != nil {
			return nil, err
		}
	}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, apperr.Wrap(fmt.Errorf("open s3: check bucket %s: %w", cfg.Bucket, err), apperr.Unavailable, "file store unavailable")
	}
	if !exists {
		if !cfg.CreateBucket {
			return nil, fmt.Errorf("open s3: bucket %s does not exist", cfg.Bucket)
		}
		if err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			return nil, fmt.Errorf("open s3: create bucket %s: %w", cfg.Bucket, err)
		}
	}
	return &S3{client: client, presigner: presigner, bucket: cfg.Bucket}, nil
}

func newMinioClient(cfg S3Config, endpoint string) (*minio.Client, error) {
	secure := cfg.Secure
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("open s3: endpoint %q must be host[:port] or an http(s) URL", endpoint)
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 %s: %w", endpoint, err)
	}
	return client, nil
}

// uploadPartSize bounds the memory an upload of unknown size buffers per part (S3's minimum is 5 MiB).
const uploadPartSize = 16 << 20

// Put uploads the content of r under key with its content type.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	ct, err := normalizeContentType(contentType)
	if err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: ct}
	var body io.Reader = &exactReader{r: r, size: size}
	switch {
	case size < 0:
		opts.PartSize = uploadPartSize
	case size == 0:
		// minio-go does not read the body of an empty object; check it is empty here.
		if _, err := body.Read(make([]byte, 1)); err != io.EOF {
			return putError(key, err)
		}
		body = http.NoBody
	}
	if _, err := s.client.PutObject(ctx, s.bucket, key, body, size, opts); err != nil {
		return putError(key, storeError(err))
	}
	return nil
}

// Get opens the object under key.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Info{}, s.getError(key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Info{}, s.getError(key, err)
	}
	ct := st.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	return obj, Info{Size: st.Size, ContentType: ct, ModTime: st.LastModified.UTC()}, nil
}

func (s *S3) getError(key string, err error) error {
	if code := minio.ToErrorResponse(err).Code; code == minio.NoSuchKey || code == "NotFound" {
		return notFound(key, err)
	}
	return fmt.Errorf("get %s: %w", key, storeError(err))
}

// Delete removes the object under key.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete %s: %w", key, storeError(err))
	}
	return nil
}

// Ready reports whether the bucket can be reached (for /health/ready).
func (s *S3) Ready(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return storeError(err)
	}
	if !ok {
		return fmt.Errorf("bucket %s does not exist", s.bucket)
	}
	return nil
}

// URL returns a presigned GET link valid for ttl. Like the disk store's links, it makes the store send
// raster images inline and everything else as an attachment, so an uploaded HTML or SVG file can never run
// in a browser; that costs one metadata request to the store.
func (s *S3) URL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if err := checkTTL(ttl); err != nil {
		return "", err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return "", s.getError(key, err)
	}
	params := url.Values{}
	params.Set("response-content-disposition", contentDisposition(key, info.ContentType))
	u, err := s.presigner.PresignedGetObject(ctx, s.bucket, key, ttl, params)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return u.String(), nil
}

// storeError marks failures to reach the store as Unavailable; S3 error responses keep their text.
func storeError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isSizeMismatch(err) {
		return err
	}
	if minio.ToErrorResponse(err).Code == "" && apperr.KindOf(err) == apperr.Unknown {
		return apperr.Wrap(err, apperr.Unavailable, "file store unavailable")
	}
	return err
}

var _ Store = (*S3)(nil)
