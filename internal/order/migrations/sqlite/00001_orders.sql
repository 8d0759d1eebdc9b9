-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
-- orders are a shop's bills: a table, a karaoke room or a takeaway. The shop's terms (VAT rate, whether prices
-- include VAT, service charge) are copied in when the order opens, so later changes to the shop never
-- reprice it. Totals are kept with the row (recomputed from the lines on every change). version increases
-- with every change; writers bump it first, which also takes the row lock on PostgreSQL.
-- At most one live order per table and per room: the partial unique indexes enforce it under concurrency.
CREATE TABLE orders (
    id                     TEXT        PRIMARY KEY,
    merchant_id            TEXT        NOT NULL,
    shop_id                TEXT        NOT NULL,
    type                   TEXT        NOT NULL,
    status                 TEXT        NOT NULL,
    table_id               TEXT        NOT NULL DEFAULT '',
    room_id                TEXT        NOT NULL DEFAULT '',
    place_name             TEXT        NOT NULL DEFAULT '',
    guests                 INTEGER     NOT NULL DEFAULT 0,
    pickup_number          INTEGER     NOT NULL DEFAULT 0,
    note                   TEXT        NOT NULL DEFAULT '',
    vat_rate_percent       INTEGER     NOT NULL,
    prices_include_vat     BOOLEAN     NOT NULL,
    service_charge_percent INTEGER     NOT NULL,
    subtotal               BIGINT      NOT NULL DEFAULT 0,
    discount               BIGINT      NOT NULL DEFAULT 0,
    service_charge         BIGINT      NOT NULL DEFAULT 0,
    vat                    BIGINT      NOT NULL DEFAULT 0,
    total                  BIGINT      NOT NULL DEFAULT 0,
    paid                   BIGINT      NOT NULL DEFAULT 0,
    version                BIGINT      NOT NULL DEFAULT 1,
    opened_by              TEXT        NOT NULL,
    opened_at              TIMESTAMP   NOT NULL,
    updated_at             TIMESTAMP   NOT NULL,
    closed_at              TIMESTAMP  ,
    cancel_reason          TEXT        NOT NULL DEFAULT '',
    CHECK (type IN ('dine_in', 'room', 'takeaway')),
    CHECK (status IN ('open', 'ordering', 'served', 'billing', 'paid', 'closed', 'cancelled'))
);
CREATE UNIQUE INDEX orders_live_table ON orders (table_id)
    WHERE table_id <> '' AND status IN ('open', 'ordering', 'served', 'billing', 'paid');
CREATE UNIQUE INDEX orders_live_room ON orders (room_id)
    WHERE room_id <> '' AND status IN ('open', 'ordering', 'served', 'billing', 'paid');
CREATE INDEX orders_shop ON orders (merchant_id, shop_id, status, opened_at);

-- order_lines are what was ordered. A line is priced when added (the catalog's shop price with its options);
-- sent_at is set when it goes to the kitchen, after which its quantity no longer changes (a change is a void
-- and a new line, so the kitchen and the stock see each unit once). A voided line stays, with its reason.
CREATE TABLE order_lines (
    id           TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    order_id     TEXT        NOT NULL REFERENCES orders (id),
    position     INTEGER     NOT NULL,
    product_id   TEXT        NOT NULL,
    variant_id   TEXT        NOT NULL DEFAULT '',
    name         TEXT        NOT NULL,
    variant_name TEXT        NOT NULL DEFAULT '',
    category_id  TEXT        NOT NULL DEFAULT '',
    station      TEXT        NOT NULL,
    tax_class    TEXT        NOT NULL,
    quantity     INTEGER     NOT NULL,
    unit_price   BIGINT      NOT NULL,
    modifiers    TEXT        NOT NULL,
    components   TEXT        NOT NULL,
    note         TEXT        NOT NULL DEFAULT '',
    seat         INTEGER     NOT NULL DEFAULT 0,
    course       INTEGER     NOT NULL DEFAULT 0,
    status       TEXT        NOT NULL,
    void_reason  TEXT        NOT NULL DEFAULT '',
    void_sent    BOOLEAN     NOT NULL DEFAULT FALSE,
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMP   NOT NULL,
    sent_at      TIMESTAMP  ,
    voided_at    TIMESTAMP  ,
    CHECK (quantity > 0),
    CHECK (unit_price >= 0),
    CHECK (status IN ('active', 'voided'))
);
CREATE INDEX order_lines_order ON order_lines (order_id, position);

-- order_pickup_numbers hands out takeaway pickup numbers per shop and local day.
CREATE TABLE order_pickup_numbers (
    merchant_id TEXT    NOT NULL,
    shop_id     TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (shop_id, day)
);

-- +goose Down
DROP TABLE order_pickup_numbers;
DROP TABLE order_lines;
DROP TABLE orders;
