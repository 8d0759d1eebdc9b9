-- +goose Up
-- SQLite has no row-level security: every query of the module filters by merchant_id (the PostgreSQL
-- migration adds the policies). Tables and columns match the PostgreSQL migration exactly; see it for
-- what they mean.
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
    created_at   TIMESTAMP   NOT NULL,
    deleted_at   TIMESTAMP,
    CHECK (purpose IN ('product_image', 'document')),
    CHECK (size > 0 AND width >= 0 AND height >= 0)
);
CREATE INDEX files_merchant_page ON files (merchant_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX files_deleted ON files (deleted_at) WHERE deleted_at IS NOT NULL;
