-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
-- The report module's read models. Nothing here is the source of truth: every row is derived from events of
-- the order, kitchen and shift modules, kept raw in report_events so the rest can be dropped and rebuilt.
-- Money is BIGINT đồng; day is the local date (GMT+7) as 'YYYY-MM-DD', hour the local hour 0–23.

-- report_events holds every event the module consumed, once (the id is the outbox id), as it came.
CREATE TABLE report_events (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    type        TEXT        NOT NULL,
    occurred_at TIMESTAMP   NOT NULL,
    data        TEXT        NOT NULL
);
CREATE INDEX report_events_merchant ON report_events (merchant_id, id);
CREATE INDEX report_events_shop ON report_events (merchant_id, shop_id);

-- report_orders is one row per finished (closed or cancelled) order, as it ended. counted: a closed order
-- that sold something (subtotal > 0), what "orders" counts. revenue = what its payments kept (amount −
-- refunded); refunds = what they gave back; seated_seconds = finished_at − opened_at (table turn time).
CREATE TABLE report_orders (
    merchant_id    TEXT        NOT NULL,
    order_id       TEXT        NOT NULL,
    shop_id        TEXT        NOT NULL,
    status         TEXT        NOT NULL,
    day            TEXT        NOT NULL,
    hour           INTEGER     NOT NULL,
    opened_at      TIMESTAMP   NOT NULL,
    finished_at    TIMESTAMP   NOT NULL,
    order_type     TEXT        NOT NULL,
    table_id       TEXT        NOT NULL,
    room_id        TEXT        NOT NULL,
    place_name     TEXT        NOT NULL,
    split_of       TEXT        NOT NULL,
    guests         INTEGER     NOT NULL,
    customers      INTEGER     NOT NULL,
    counted        BOOLEAN     NOT NULL,
    opened_by      TEXT        NOT NULL,
    finished_by    TEXT        NOT NULL,
    subtotal       BIGINT      NOT NULL,
    discount       BIGINT      NOT NULL,
    service_charge BIGINT      NOT NULL,
    vat            BIGINT      NOT NULL,
    total          BIGINT      NOT NULL,
    revenue        BIGINT      NOT NULL,
    refunds        BIGINT      NOT NULL,
    room_minutes   INTEGER     NOT NULL,
    seated_seconds INTEGER     NOT NULL,
    time_amount    BIGINT      NOT NULL,
    cancel_reason  TEXT        NOT NULL,
    PRIMARY KEY (merchant_id, order_id),
    CHECK (status IN ('closed', 'cancelled'))
);
CREATE INDEX report_orders_day ON report_orders (merchant_id, day, shop_id);

-- The rollups the dashboard reads instead of orders and lines: sums per shop and period — by day, by hour of
-- the day, payment method, category and product. Each event adds to them; they are never recomputed in
-- place. Every sale is added at three grains, so a long range reads few rows: period is a local day
-- 'YYYY-MM-DD', a third of a month 'DYYYY-MM-1' (days 1–10), '-2' (11–20), '-3' (21–end), or a month
-- 'MYYYY-MM'. The grains never mix in a range of keys (digits sort before 'D', 'D' before 'M'). Each sale
-- is also added to the rows of shop_id '' (every shop of the merchant), so a merchant-wide dashboard reads
-- a tenth of the rows of ten shops.
CREATE TABLE report_daily (
    merchant_id    TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    shop_id        TEXT    NOT NULL,
    orders         BIGINT  NOT NULL,
    customers      BIGINT  NOT NULL,
    cancelled      BIGINT  NOT NULL,
    revenue        BIGINT  NOT NULL,
    gross_sales    BIGINT  NOT NULL,
    discounts      BIGINT  NOT NULL,
    service_charge BIGINT  NOT NULL,
    vat            BIGINT  NOT NULL,
    total          BIGINT  NOT NULL,
    refunds        BIGINT  NOT NULL,
    PRIMARY KEY (merchant_id, period, shop_id)
) WITHOUT ROWID;

CREATE TABLE report_hourly (
    merchant_id TEXT    NOT NULL,
    period      TEXT    NOT NULL,
    shop_id     TEXT    NOT NULL,
    hour        INTEGER NOT NULL,
    orders      BIGINT  NOT NULL,
    revenue     BIGINT  NOT NULL,
    PRIMARY KEY (merchant_id, period, shop_id, hour)
) WITHOUT ROWID;

CREATE TABLE report_payments (
    merchant_id TEXT   NOT NULL,
    period      TEXT   NOT NULL,
    shop_id     TEXT   NOT NULL,
    method      TEXT   NOT NULL,
    payments    BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    refunded    BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, period, shop_id, method)
) WITHOUT ROWID;

CREATE TABLE report_categories (
    merchant_id TEXT   NOT NULL,
    period      TEXT   NOT NULL,
    shop_id     TEXT   NOT NULL,
    category_id TEXT   NOT NULL,
    quantity    BIGINT NOT NULL,
    revenue     BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, period, shop_id, category_id)
) WITHOUT ROWID;

CREATE TABLE report_products (
    merchant_id TEXT   NOT NULL,
    period      TEXT   NOT NULL,
    shop_id     TEXT   NOT NULL,
    product_id  TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    quantity    BIGINT NOT NULL,
    revenue     BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, period, shop_id, product_id)
) WITHOUT ROWID;

-- report_voids: lines withdrawn after they went to the kitchen (order.lines_voided), one row per line.
CREATE TABLE report_voids (
    merchant_id   TEXT        NOT NULL,
    order_line_id TEXT        NOT NULL,
    shop_id       TEXT        NOT NULL,
    day           TEXT        NOT NULL,
    voided_at     TIMESTAMP   NOT NULL,
    order_id      TEXT        NOT NULL,
    product_id    TEXT        NOT NULL,
    category_id   TEXT        NOT NULL,
    name          TEXT        NOT NULL,
    quantity      INTEGER     NOT NULL,
    amount        BIGINT      NOT NULL,
    reason        TEXT        NOT NULL,
    voided_by     TEXT        NOT NULL,
    approved_by   TEXT        NOT NULL,
    PRIMARY KEY (merchant_id, order_line_id)
);
CREATE INDEX report_voids_day ON report_voids (merchant_id, day, shop_id);

-- report_tickets: cooking tickets and when they were (last) ready; prep_seconds = ready_at − created_at.
CREATE TABLE report_tickets (
    merchant_id  TEXT        NOT NULL,
    ticket_id    TEXT        NOT NULL,
    shop_id      TEXT        NOT NULL,
    order_id     TEXT        NOT NULL,
    station      TEXT        NOT NULL,
    created_at   TIMESTAMP   NOT NULL,
    ready_at     TIMESTAMP  ,
    prep_seconds INTEGER,
    PRIMARY KEY (merchant_id, ticket_id)
);
CREATE INDEX report_tickets_order ON report_tickets (merchant_id, order_id);

-- report_shifts: closed shifts and their drawers (shift.closed), by the local day they closed.
CREATE TABLE report_shifts (
    merchant_id   TEXT        NOT NULL,
    shift_id      TEXT        NOT NULL,
    shop_id       TEXT        NOT NULL,
    day           TEXT        NOT NULL,
    cashier_id    TEXT        NOT NULL,
    closed_by     TEXT        NOT NULL,
    opened_at     TIMESTAMP   NOT NULL,
    closed_at     TIMESTAMP   NOT NULL,
    opening_cash  BIGINT      NOT NULL,
    cash_sales    BIGINT      NOT NULL,
    sales_count   INTEGER     NOT NULL,
    cash_refunds  BIGINT      NOT NULL,
    refunds_count INTEGER     NOT NULL,
    cash_in       BIGINT      NOT NULL,
    cash_out      BIGINT      NOT NULL,
    expected_cash BIGINT      NOT NULL,
    counted_cash  BIGINT      NOT NULL,
    variance      BIGINT      NOT NULL,
    PRIMARY KEY (merchant_id, shift_id)
);
CREATE INDEX report_shifts_day ON report_shifts (merchant_id, shop_id, day);

-- report_settings and report_station_targets are the shop's report settings (the only rows here a person
-- writes): the hours a shop is open a day (karaoke occupancy) and the kitchen's target minutes per station.
CREATE TABLE report_settings (
    merchant_id            TEXT        NOT NULL,
    shop_id                TEXT        NOT NULL,
    open_minutes_per_day   INTEGER     NOT NULL,
    default_target_minutes INTEGER     NOT NULL,
    updated_at             TIMESTAMP   NOT NULL,
    PRIMARY KEY (merchant_id, shop_id),
    CHECK (open_minutes_per_day BETWEEN 1 AND 1440),
    CHECK (default_target_minutes BETWEEN 1 AND 240)
);

CREATE TABLE report_station_targets (
    merchant_id    TEXT        NOT NULL,
    shop_id        TEXT        NOT NULL,
    station        TEXT        NOT NULL,
    target_minutes INTEGER     NOT NULL,
    updated_at     TIMESTAMP   NOT NULL,
    PRIMARY KEY (merchant_id, shop_id, station),
    CHECK (target_minutes BETWEEN 1 AND 240)
);

-- +goose Down
DROP TABLE report_station_targets;
DROP TABLE report_settings;
DROP TABLE report_shifts;
DROP TABLE report_tickets;
DROP TABLE report_voids;
DROP TABLE report_products;
DROP TABLE report_categories;
DROP TABLE report_payments;
DROP TABLE report_hourly;
DROP TABLE report_daily;
DROP TABLE report_orders;
DROP TABLE report_events;
