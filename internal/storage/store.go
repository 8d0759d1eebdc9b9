package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/goodgo/goodgo/internal/platform/apperr"
	"github.com/goodgo/goodgo/internal/platform/tenant"
	"github.com/goodgo/goodgo/internal/storage/storagedb"
)

// This file holds the module's data access on top of the sqlc queries (queries/files.sql → storagedb) and
// the mapping from rows to domain types. Every function takes the merchant explicitly and runs inside the
// caller's transaction.

// notFound turns "no row" into a NotFound error naming what was looked for; other errors are wrapped.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Wrap(err, apperr.NotFound, what+" not found")
	}
	return fmt.Errorf("read %s: %w", what, err)
}

// loadFile reads live file id of merchant m; another merchant's file, or a deleted one, is NotFound.
func loadFile(ctx context.Context, q *storagedb.Queries, m tenant.ID, id string) (File, error) {
	row, err := q.GetFile(ctx, storagedb.GetFileParams{MerchantID: string(m), ID: id})
	if err != nil {
		return File{}, notFound(err, "file")
	}
	return fileFromRow(row), nil
}

func fileFromRow(r storagedb.File) File {
	return File{ID: r.ID, ContentType: r.ContentType, Size: r.Size, Filename: r.Filename, Purpose: Purpose(r.Purpose),
		Width: int(r.Width), Height: int(r.Height), SHA256: r.Sha256, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), key: r.Key, thumbKey: r.ThumbKey}
}

func fileFromInsert(r storagedb.InsertFileParams) File {
	return fileFromRow(storagedb.File{ID: r.ID, MerchantID: r.MerchantID, Key: r.Key, ThumbKey: r.ThumbKey,
		ContentType: r.ContentType, Size: r.Size, Filename: r.Filename, Purpose: r.Purpose, Width: r.Width,
		Height: r.Height, Sha256: r.Sha256, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt})
}
