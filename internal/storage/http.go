package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/httpapi"
	"github.com/goodgo/goodgo/internal/platform/rbac"
	"github.com/goodgo/goodgo/internal/platform/tenant"
)

// StorageFile is a File as the API sends it (huma names schemas after Go types, so the name is the module's).
type StorageFile File

// StorageFilePage is a FilePage as the API sends it.
type StorageFilePage struct {
	Items      []StorageFile `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// multipartOverhead is what the multipart framing may add to a file: boundaries, part headers and the
// purpose field. The exact file-size limit is enforced while the file part is read.
const multipartOverhead = 64 << 10

// uploadReadTimeout is how long a client may take to send an upload: 10 MB over a slow mobile link.
const uploadReadTimeout = 2 * time.Minute

// Routes registers the module's operations on api: upload, list, get and delete files.
func (s *Service) Routes(api huma.API) {
	tags := []string{"Files"}

	upload := rbac.Operation("upload-file", http.MethodPost, "/api/v1/files",
		"Upload a JPEG, PNG or WebP image or a PDF document (multipart/form-data: file, optional purpose)",
		tags, rbac.FileWrite, http.StatusCreated)
	upload.Description = fmt.Sprintf("The type is sniffed from the bytes: other content, or a part whose "+
		"Content-Type or filename extension names another type, is refused with 415. Files over %d bytes are "+
		"refused with 413, images over %d pixels with 422. Images get a thumbnail (longest side %d px). The "+
		"links in the answer are signed and expire at url_expires_at.", s.opts.MaxBytes, s.opts.MaxPixels, ThumbnailSize)
	upload.BodyReadTimeout = uploadReadTimeout
	upload.Responses = map[string]*huma.Response{
		"413": {Description: "The file is larger than the limit."},
		"415": {Description: "The content is not an accepted type, or contradicts its declared type or name."},
	}
	httpapi.SetBodyLimit(&upload, s.opts.MaxBytes+multipartOverhead)
	huma.Register(api, upload, func(ctx context.Context, in *uploadInput) (*createdOutput, error) {
		p, m, err := httpapi.Caller(ctx)
		if err != nil {
			return nil, err
		}
		f, err := s.uploadForm(ctx, m, p.UserID, in)
		if err != nil {
			return nil, httpError(err)
		}
		return &createdOutput{Location: "/api/v1/files/" + f.ID, Body: StorageFile(f)}, nil
	})
	// Described only after registering: given a request body schema, huma would read and parse the body
	// itself, in memory.
	if item := api.OpenAPI().Paths[upload.Path]; item != nil && item.Post != nil {
		item.Post.RequestBody = uploadRequestBody()
	}

	huma.Register(api, rbac.Operation("list-files", http.MethodGet, "/api/v1/files",
		"The merchant's files, newest first, with fresh signed links", tags, rbac.FileRead, 0),
		func(ctx context.Context, in *listInput) (*pageOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			page, err := s.Files(ctx, m, FileQuery{Limit: in.Limit, Cursor: in.Cursor, Purpose: Purpose(in.Purpose)})
			if err != nil {
				return nil, apperr.Located(err, "query")
			}
			out := &pageOutput{Body: StorageFilePage{Items: make([]StorageFile, len(page.Items)), NextCursor: page.NextCursor}}
			for i, f := range page.Items {
				out.Body.Items[i] = StorageFile(f)
			}
			return out, nil
		})

	huma.Register(api, rbac.Operation("get-file", http.MethodGet, "/api/v1/files/{file_id}",
		"A file with fresh signed links", tags, rbac.FileRead, 0),
		func(ctx context.Context, in *filePath) (*fileOutput, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			f, err := s.File(ctx, m, in.FileID)
			return &fileOutput{Body: StorageFile(f)}, err
		})

	huma.Register(api, rbac.Operation("delete-file", http.MethodDelete, "/api/v1/files/{file_id}",
		"Delete a file: its links stop working", tags, rbac.FileWrite, http.StatusNoContent),
		func(ctx context.Context, in *filePath) (*struct{}, error) {
			_, m, err := httpapi.Caller(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.Delete(ctx, m, in.FileID)
		})
}

// uploadInput takes the request body as a stream: huma reads no body for an input without a Body field,
// and Resolve hands over the reader, so the file goes to a temporary file as it arrives instead of into
// memory.
type uploadInput struct {
	body        io.Reader
	contentType string
}

// Resolve captures the body and its Content-Type, and gives the client time to send a large file.
func (in *uploadInput) Resolve(ctx huma.Context) []error {
	in.body, in.contentType = ctx.BodyReader(), ctx.Header("Content-Type")
	_ = ctx.SetReadDeadline(time.Now().Add(uploadReadTimeout)) // not every connection supports deadlines
	return nil
}

type createdOutput struct {
	Location string `header:"Location"`
	Body     StorageFile
}

type fileOutput struct{ Body StorageFile }

type pageOutput struct{ Body StorageFilePage }

type filePath struct {
	FileID string `path:"file_id" maxLength:"64"`
}

type listInput struct {
	Limit   int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
	Cursor  string `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
	Purpose string `query:"purpose" enum:"product_image,document" doc:"Only files of this purpose."`
}

// uploadRequestBody documents the multipart body, which huma cannot infer from uploadInput.
func uploadRequestBody() *huma.RequestBody {
	return &huma.RequestBody{
		Required: true,
		Content: map[string]*huma.MediaType{"multipart/form-data": {Schema: &huma.Schema{
			Type:     huma.TypeObject,
			Required: []string{"file"},
			Properties: map[string]*huma.Schema{
				"file": {Type: huma.TypeString, Format: "binary",
					Description: "The file: JPEG, PNG, WebP or PDF."},
				"purpose": {Type: huma.TypeString, Enum: []any{string(ProductImage), string(Document)},
					Description: "product_image or document; by default images are product images and PDFs documents."},
			},
		}}},
	}
}

// errBodyRead marks a failure to read the client's request body (a broken connection or a malformed
// multipart stream): the client's fault, answered 400.
var errBodyRead = errors.New("the request body could not be read")

// uploadForm reads the multipart body part by part: the file part is spooled (bounded by MaxBytes) and the
// purpose field may come before or after it; other parts are skipped.
func (s *Service) uploadForm(ctx context.Context, m tenant.ID, userID string, in *uploadInput) (File, error) {
	mt, params, err := mime.ParseMediaType(in.contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return File{}, huma.Error415UnsupportedMediaType("the request must be multipart/form-data with the file in a part named file")
	}
	mr := multipart.NewReader(in.body, params["boundary"])
	var sp *received
	defer func() {
		if sp != nil {
			sp.discard()
		}
	}()
	up := UploadInput{CreatedBy: userID}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return File{}, bodyError(err)
		}
		switch part.FormName() {
		case "file":
			if sp != nil {
				return File{}, apperr.WithField("file", "send one file per request")
			}
			up.Filename, up.ContentType = part.FileName(), part.Header.Get("Content-Type")
			if sp, err = s.receive(&sourceReader{r: part}); err != nil {
				return File{}, err
			}
		case "purpose":
			b, err := io.ReadAll(io.LimitReader(&sourceReader{r: part}, 64))
			if err != nil {
				return File{}, err
			}
			up.Purpose = Purpose(strings.TrimSpace(string(b)))
		default:
			if _, err := io.Copy(io.Discard, &sourceReader{r: part}); err != nil {
				return File{}, err
			}
		}
	}
	if sp == nil {
		return File{}, apperr.WithField("file", "is required: send the file in a part named file")
	}
	return s.storeReceived(ctx, m, sp, up)
}

// sourceReader marks the errors of reading the request body, so they are not mistaken for the server's.
type sourceReader struct{ r io.Reader }

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		err = bodyError(err)
	}
	return n, err
}

// bodyError keeps a body over the limit as it is (httpapi answers 413 for it) and marks other read
// failures with errBodyRead.
func bodyError(err error) error {
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return err
	}
	return fmt.Errorf("%w: %w", errBodyRead, err)
}

// httpError gives the upload's own failures their status: 415 for an unsupported or contradicted type, 400
// for an unreadable body; field errors get the "body." prefix huma uses.
func httpError(err error) error {
	switch {
	case errors.Is(err, ErrUnsupportedType):
		return huma.Error415UnsupportedMediaType(apperr.Message(err))
	case errors.Is(err, errBodyRead):
		return huma.Error400BadRequest(errBodyRead.Error())
	}
	return apperr.Located(err, "body")
}
