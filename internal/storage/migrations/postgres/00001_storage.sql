-- +goose Up
-- files are a merchant's uploaded files. The blobs live in the file store (blob.Store) under key (the
-- original) and thumb_key (a small JPEG or PNG rendition of an image, '' for documents); the row is
-- inserted only after both are stored, so a live row never points at nothing. Deleting marks deleted_at
-- first; the blobs are removed afterwards and the row last, so a row with deleted_at set is a deletion whose
-- blobs may still exist (the sweeper finishes it).
CREATE TABLE files (
    id           TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    thumb_key    TEXT        NOT NULL DEFAULT '',
    content_type TEXT        NOT NULL,
    size         BIGINT      NOT NULL,
    filename     TEXT        NOT NULL,
    purpose      TEXT        NOT NULL,
    width        INTEGER     NOT NULL DEFAULT 0,
    height       INTEGER     NOT NULL DEFAULT 0,
    sha256       TEXT        NOT NULL,
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    deleted_at   TIMESTAMPTZ,
    CHECK (purpose IN ('product_image', 'document')),
    CHECK (size > 0 AND width >= 0 AND height >= 0)
);
CREATE INDEX files_merchant_page ON files (merchant_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX files_deleted ON files (deleted_at) WHERE deleted_at IS NOT NULL;

ALTER TABLE files ENABLE ROW LEVEL SECURITY;
ALTER TABLE files FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON files
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
-- The sweeper (Service.Sweep, a platform job) finishes deletions of every merchant: it reads deleted rows
-- and removes them, nothing else.
CREATE POLICY system_sweep_read ON files FOR SELECT
    USING (current_setting('app.system', true) = 'on' AND deleted_at IS NOT NULL);
CREATE POLICY system_sweep_delete ON files FOR DELETE
    USING (current_setting('app.system', true) = 'on' AND deleted_at IS NOT NULL);
