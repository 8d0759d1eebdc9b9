-- +goose Up
-- inventory_stock_items is the merchant's ingredient and goods list. name_key is the name folded for
-- uniqueness (NFC, lower case, trimmed): "Đường" and "đường" are one item. unit is the item's own unit, in
-- which every level, movement and recipe quantity of the item is kept.
CREATE TABLE inventory_stock_items (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    name_key    TEXT        NOT NULL,
    unit        TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX inventory_stock_items_name ON inventory_stock_items (merchant_id, name_key);

-- inventory_item_units are an item's pack units: 1 <name> = factor (thousandths) of the item's unit.
CREATE TABLE inventory_item_units (
    stock_item_id TEXT        NOT NULL REFERENCES inventory_stock_items (id),
    name          TEXT        NOT NULL,
    merchant_id   TEXT        NOT NULL,
    factor        BIGINT      NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (stock_item_id, name),
    CHECK (factor > 0)
);

-- inventory_levels is the stock of one item in one shop, in thousandths of the item's unit. quantity only
-- ever changes by `quantity = quantity + delta` together with the movement row that records the delta, so
-- the sum of a level's movements is its quantity. The UPDATE takes the row lock on PostgreSQL, which
-- serialises every writer of one level. avg_cost is the weighted average cost in đồng per item unit.
CREATE TABLE inventory_levels (
    shop_id       TEXT        NOT NULL,
    stock_item_id TEXT        NOT NULL REFERENCES inventory_stock_items (id),
    merchant_id   TEXT        NOT NULL,
    quantity      BIGINT      NOT NULL DEFAULT 0,
    reorder_level BIGINT      NOT NULL DEFAULT 0,
    avg_cost      BIGINT      NOT NULL DEFAULT 0,
    lock_version  BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, stock_item_id),
    CHECK (reorder_level >= 0 AND avg_cost >= 0)
);
CREATE INDEX inventory_levels_merchant ON inventory_levels (merchant_id, shop_id);

-- inventory_movements records every change of a level: delta (signed thousandths) and the level after it.
-- reference ties a movement to what caused it (an order line, a transfer, a stocktake). A sale and its
-- reversal exist at most once per (order line, stock item): the partial unique index makes a repeated
-- order event change nothing, whatever the inbox saw.
CREATE TABLE inventory_movements (
    id             TEXT        PRIMARY KEY,
    merchant_id    TEXT        NOT NULL,
    shop_id        TEXT        NOT NULL,
    stock_item_id  TEXT        NOT NULL REFERENCES inventory_stock_items (id),
    kind           TEXT        NOT NULL,
    delta          BIGINT      NOT NULL,
    quantity_after BIGINT      NOT NULL,
    unit_cost      BIGINT,
    supplier       TEXT        NOT NULL DEFAULT '',
    note           TEXT        NOT NULL DEFAULT '',
    actor          TEXT        NOT NULL DEFAULT '',
    reference      TEXT        NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    CHECK (kind IN ('receipt', 'waste', 'adjustment', 'sale', 'sale_reversal', 'transfer_out', 'transfer_in', 'stocktake'))
);
CREATE INDEX inventory_movements_page ON inventory_movements (merchant_id, shop_id, id);
CREATE INDEX inventory_movements_item ON inventory_movements (merchant_id, shop_id, stock_item_id, id);
CREATE UNIQUE INDEX inventory_movements_order_line ON inventory_movements (reference, stock_item_id, kind)
    WHERE kind IN ('sale', 'sale_reversal');

-- inventory_recipes are bills of materials: what one unit sold of a product or modifier option consumes,
-- in the stock item's unit (thousandths).
CREATE TABLE inventory_recipes (
    owner_kind    TEXT        NOT NULL,
    owner_id      TEXT        NOT NULL,
    stock_item_id TEXT        NOT NULL REFERENCES inventory_stock_items (id),
    merchant_id   TEXT        NOT NULL,
    quantity      BIGINT      NOT NULL,
    position      INTEGER     NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (owner_kind, owner_id, stock_item_id),
    CHECK (owner_kind IN ('product', 'option')),
    CHECK (quantity > 0)
);
CREATE INDEX inventory_recipes_owner ON inventory_recipes (merchant_id, owner_kind, owner_id);

-- inventory_settings are a shop's inventory settings; a shop without a row uses the defaults.
CREATE TABLE inventory_settings (
    shop_id     TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    deduct_on   TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    CHECK (deduct_on IN ('submit', 'paid'))
);

-- inventory_stocktakes and their lines record counts: what the level was (expected) when the count was
-- applied, what was counted, and the variance a stocktake movement recorded.
CREATE TABLE inventory_stocktakes (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    note        TEXT        NOT NULL DEFAULT '',
    actor       TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX inventory_stocktakes_shop ON inventory_stocktakes (merchant_id, shop_id, id);

CREATE TABLE inventory_stocktake_lines (
    stocktake_id  TEXT   NOT NULL REFERENCES inventory_stocktakes (id),
    stock_item_id TEXT   NOT NULL REFERENCES inventory_stock_items (id),
    merchant_id   TEXT   NOT NULL,
    expected      BIGINT NOT NULL,
    counted       BIGINT NOT NULL,
    variance      BIGINT NOT NULL,
    PRIMARY KEY (stocktake_id, stock_item_id)
);

-- Every table is tenant data. Shop transfer (db.WithSystemTx, app.system = 'on') copies stock items, units
-- and recipes into the receiving merchant and moves the shop's levels, movements, stocktakes and settings,
-- so each table also admits that audited system path; a tenant transaction never sets app.system.

ALTER TABLE inventory_stock_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_stock_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_stock_items
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_stock_items
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE inventory_item_units ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_item_units FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_item_units
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_item_units
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE inventory_levels ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_levels FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_levels
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_levels
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE inventory_movements ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_movements FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_movements
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_movements
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE inventory_recipes ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_recipes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_recipes
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_recipes
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE inventory_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_settings
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_settings
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE inventory_stocktakes ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_stocktakes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_stocktakes
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_stocktakes
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

ALTER TABLE inventory_stocktake_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory_stocktake_lines FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory_stocktake_lines
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));
CREATE POLICY system_transfer ON inventory_stocktake_lines
    USING (current_setting('app.system', true) = 'on')
    WITH CHECK (current_setting('app.system', true) = 'on');

-- +goose Down
DROP TABLE inventory_stocktake_lines;
DROP TABLE inventory_stocktakes;
DROP TABLE inventory_settings;
DROP TABLE inventory_recipes;
DROP TABLE inventory_movements;
DROP TABLE inventory_levels;
DROP TABLE inventory_item_units;
DROP TABLE inventory_stock_items;
