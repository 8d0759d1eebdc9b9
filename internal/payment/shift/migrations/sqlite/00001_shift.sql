-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
-- shifts are cashiers' shifts at a shop's till. A shift is open while closed_at is NULL; the partial unique
-- indexes below let a cashier hold at most one open shift per shop, and a registered terminal (device_id,
-- '' when the shift is bound to none) serve at most one open shift, whatever the concurrency: the second
-- INSERT of a race finds the first's index entry. counted_cash, expected_cash and variance are written when
-- the shift closes (expected = Σ of its movements, variance = counted − expected).
CREATE TABLE shifts (
    id            TEXT        PRIMARY KEY,
    merchant_id   TEXT        NOT NULL,
    shop_id       TEXT        NOT NULL,
    cashier_id    TEXT        NOT NULL,
    device_id     TEXT        NOT NULL DEFAULT '',
    opening_cash  BIGINT      NOT NULL,
    opened_at     TIMESTAMP   NOT NULL,
    closed_at     TIMESTAMP,
    closed_by     TEXT        NOT NULL DEFAULT '',
    counted_cash  BIGINT,
    expected_cash BIGINT,
    variance      BIGINT,
    close_note    TEXT        NOT NULL DEFAULT '',
    updated_at    TIMESTAMP   NOT NULL,
    CHECK (opening_cash >= 0),
    CHECK (counted_cash IS NULL OR counted_cash >= 0),
    CHECK ((closed_at IS NULL) = (counted_cash IS NULL))
);
CREATE UNIQUE INDEX shifts_open_per_cashier ON shifts (merchant_id, shop_id, cashier_id) WHERE closed_at IS NULL;
CREATE UNIQUE INDEX shifts_open_per_device ON shifts (merchant_id, shop_id, device_id)
    WHERE closed_at IS NULL AND device_id <> '';
CREATE INDEX shifts_shop ON shifts (merchant_id, shop_id, id);

-- shift_movements are every change to a shift's cash drawer, one row each, so the cash a drawer should hold
-- is a SUM and never a counter that can drift. amount is the signed effect on the drawer: opening (≥ 0),
-- sale and cash_in add (> 0); refund and cash_out take out (< 0). reference is the payment (sale) or the
-- refund (refund) the movement records, '' for the others; it is unique per kind, so the payment module's
-- retried call records nothing twice.
CREATE TABLE shift_movements (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    shift_id    TEXT        NOT NULL REFERENCES shifts (id),
    kind        TEXT        NOT NULL,
    amount      BIGINT      NOT NULL,
    reference   TEXT        NOT NULL DEFAULT '',
    reason      TEXT        NOT NULL DEFAULT '',
    created_by  TEXT        NOT NULL,
    created_at  TIMESTAMP   NOT NULL,
    CHECK (kind IN ('opening', 'sale', 'refund', 'cash_in', 'cash_out')),
    CHECK ((kind = 'opening' AND amount >= 0) OR (kind IN ('sale', 'cash_in') AND amount > 0)
        OR (kind IN ('refund', 'cash_out') AND amount < 0))
);
CREATE UNIQUE INDEX shift_movements_reference ON shift_movements (merchant_id, kind, reference) WHERE reference <> '';
CREATE INDEX shift_movements_shift ON shift_movements (merchant_id, shift_id, id);

-- +goose Down
DROP TABLE shift_movements;
DROP TABLE shifts;
