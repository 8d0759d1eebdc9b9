-- +goose Up
-- SQLite has no row-level security: every query of the module filters by merchant_id (the PostgreSQL
-- migration adds the policies). Tables and columns match the PostgreSQL migration exactly.

-- catalog_locks has one row per merchant that has ever written its catalog. Every catalog write bumps it
-- first (an upsert), which on PostgreSQL holds the row lock until the transaction ends: the catalog's
-- writers of one merchant are serialised, so rules spanning rows (a category is not deleted while a product
-- is being put in it, a combo's components stay live) hold without finer locking. Catalog writes are rare
-- admin actions; SQLite has a single writer anyway.
CREATE TABLE catalog_locks (
    merchant_id  TEXT   PRIMARY KEY,
    lock_version BIGINT NOT NULL DEFAULT 0
);

-- catalog_categories group a merchant's products on the menu; station names where the kitchen display
-- routes their lines (kitchen, bar, grill or a slug of the merchant's own). Deleting one sets deleted_at
-- (order history keeps pointing at it); names are unique among the live ones of a merchant.
CREATE TABLE catalog_categories (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    station     TEXT        NOT NULL,
    sort_order  INTEGER     NOT NULL DEFAULT 0,
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    deleted_at  TIMESTAMP  
);
CREATE UNIQUE INDEX catalog_categories_name ON catalog_categories (merchant_id, name) WHERE deleted_at IS NULL;

-- catalog_products are what a merchant sells, at the merchant price (shops may override it in
-- catalog_shop_products). kind 'combo' is a set of other products (catalog_combo_items) at its own price.
-- Archiving sets archived_at; a SKU is unique among the merchant's live products.
CREATE TABLE catalog_products (
    id            TEXT        PRIMARY KEY,
    merchant_id   TEXT        NOT NULL,
    category_id   TEXT        NOT NULL REFERENCES catalog_categories (id),
    kind          TEXT        NOT NULL DEFAULT 'item',
    name          TEXT        NOT NULL,
    name_en       TEXT        NOT NULL DEFAULT '',
    description   TEXT        NOT NULL DEFAULT '',
    price         BIGINT      NOT NULL,
    sku           TEXT        NOT NULL DEFAULT '',
    tax_class     TEXT        NOT NULL DEFAULT 'standard',
    image_file_id TEXT        NOT NULL DEFAULT '',
    sort_order    INTEGER     NOT NULL DEFAULT 0,
    created_at    TIMESTAMP   NOT NULL,
    updated_at    TIMESTAMP   NOT NULL,
    archived_at   TIMESTAMP  ,
    CHECK (kind IN ('item', 'combo')),
    CHECK (price >= 0),
    CHECK (tax_class IN ('standard', 'reduced', 'exempt'))
);
CREATE INDEX catalog_products_merchant ON catalog_products (merchant_id, id);
CREATE INDEX catalog_products_category ON catalog_products (category_id);
CREATE UNIQUE INDEX catalog_products_sku ON catalog_products (merchant_id, sku) WHERE sku <> '' AND archived_at IS NULL;

-- catalog_variants are a product's sizes (M, L) with their own merchant price. They are replaced with the
-- product's variant list; a variant that stays keeps its id.
CREATE TABLE catalog_variants (
    id          TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL,
    product_id  TEXT    NOT NULL REFERENCES catalog_products (id),
    name        TEXT    NOT NULL,
    price       BIGINT  NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    CHECK (price >= 0)
);
CREATE INDEX catalog_variants_product ON catalog_variants (product_id);

-- catalog_modifier_groups are choices offered with products (sugar level, ice, toppings): between
-- min_select and max_select of their options. Deleting one sets deleted_at; names are unique among the live
-- ones of a merchant.
CREATE TABLE catalog_modifier_groups (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    min_select  INTEGER     NOT NULL,
    max_select  INTEGER     NOT NULL,
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    deleted_at  TIMESTAMP  ,
    CHECK (min_select >= 0 AND max_select >= 1 AND min_select <= max_select)
);
CREATE UNIQUE INDEX catalog_modifier_groups_name ON catalog_modifier_groups (merchant_id, name) WHERE deleted_at IS NULL;

-- catalog_modifier_options are the choices of a group, each adding price_delta (≥ 0) to the line.
CREATE TABLE catalog_modifier_options (
    id          TEXT    PRIMARY KEY,
    merchant_id TEXT    NOT NULL,
    group_id    TEXT    NOT NULL REFERENCES catalog_modifier_groups (id),
    name        TEXT    NOT NULL,
    price_delta BIGINT  NOT NULL DEFAULT 0,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    CHECK (price_delta >= 0)
);
CREATE INDEX catalog_modifier_options_group ON catalog_modifier_options (group_id);

-- catalog_product_modifier_groups attaches groups to a product, in the order the product shows them.
CREATE TABLE catalog_product_modifier_groups (
    merchant_id TEXT    NOT NULL,
    product_id  TEXT    NOT NULL REFERENCES catalog_products (id),
    group_id    TEXT    NOT NULL REFERENCES catalog_modifier_groups (id),
    sort_order  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, group_id)
);
CREATE INDEX catalog_product_modifier_groups_group ON catalog_product_modifier_groups (group_id);

-- catalog_combo_items are a combo's components (live single products) and how many of each it holds.
CREATE TABLE catalog_combo_items (
    merchant_id TEXT    NOT NULL,
    combo_id    TEXT    NOT NULL REFERENCES catalog_products (id),
    product_id  TEXT    NOT NULL REFERENCES catalog_products (id),
    quantity    INTEGER NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (combo_id, product_id),
    CHECK (quantity BETWEEN 1 AND 99)
);
CREATE INDEX catalog_combo_items_product ON catalog_combo_items (product_id);

-- catalog_shop_products are a shop's overrides of the merchant menu: its own price (NULL: the merchant's)
-- and whether the product is available there (the sold-out toggle). No row means merchant price, available.
CREATE TABLE catalog_shop_products (
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    product_id  TEXT        NOT NULL REFERENCES catalog_products (id),
    price       BIGINT,
    available   BOOLEAN     NOT NULL DEFAULT TRUE,
    updated_at  TIMESTAMP   NOT NULL,
    PRIMARY KEY (shop_id, product_id),
    CHECK (price IS NULL OR price >= 0)
);
CREATE INDEX catalog_shop_products_merchant ON catalog_shop_products (merchant_id, shop_id);
