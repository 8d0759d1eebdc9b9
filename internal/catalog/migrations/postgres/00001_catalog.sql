-- +goose Up
-- Every table is tenant data with row-level security on app.merchant_id. Every table also admits the audited
-- system path (app.system = 'on', set only by db.WithSystemTx): a shop transfer copies the giving merchant's
-- catalog into the receiving one's and moves the shop's overrides (CopyForShopTransfer).

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
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ
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
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    archived_at   TIMESTAMPTZ,
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
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ,
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
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, product_id),
    CHECK (price IS NULL OR price >= 0)
);
CREATE INDEX catalog_shop_products_merchant ON catalog_shop_products (merchant_id, shop_id);

ALTER TABLE catalog_locks ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_locks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_locks
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_locks
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_categories ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_categories FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_categories
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_categories
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_products ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_products
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_products
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_variants ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_variants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_variants
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_variants
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_modifier_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_modifier_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_modifier_groups
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_modifier_groups
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_modifier_options ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_modifier_options FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_modifier_options
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_modifier_options
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_product_modifier_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_product_modifier_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_product_modifier_groups
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_product_modifier_groups
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_combo_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_combo_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_combo_items
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_combo_items
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE catalog_shop_products ENABLE ROW LEVEL SECURITY;
ALTER TABLE catalog_shop_products FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON catalog_shop_products
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON catalog_shop_products
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

