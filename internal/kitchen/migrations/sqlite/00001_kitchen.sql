-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
-- kitchen_tickets are what a station cooks: the lines of one order sent at one submit, or the voids of lines
-- already sent (kind 'void'). Status only moves forward (new → preparing → ready → served); recall is the one
-- way back (to preparing). prep_seconds is from creation to ready, for reports.
CREATE TABLE kitchen_tickets (
    id           TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    shop_id      TEXT        NOT NULL,
    order_id     TEXT        NOT NULL,
    station      TEXT        NOT NULL,
    kind         TEXT        NOT NULL,
    status       TEXT        NOT NULL,
    label        TEXT        NOT NULL DEFAULT '',
    created_at   TIMESTAMP   NOT NULL,
    updated_at   TIMESTAMP   NOT NULL,
    started_at   TIMESTAMP  ,
    ready_at     TIMESTAMP  ,
    served_at    TIMESTAMP  ,
    prep_seconds INTEGER,
    CHECK (kind IN ('order', 'void')),
    CHECK (status IN ('new', 'preparing', 'ready', 'served', 'voided'))
);
CREATE INDEX kitchen_tickets_board ON kitchen_tickets (merchant_id, shop_id, status, created_at);
CREATE INDEX kitchen_tickets_order ON kitchen_tickets (order_id);

CREATE TABLE kitchen_ticket_lines (
    id            TEXT    PRIMARY KEY,
    merchant_id   TEXT    NOT NULL,
    ticket_id     TEXT    NOT NULL REFERENCES kitchen_tickets (id),
    order_line_id TEXT    NOT NULL,
    position      INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    quantity      INTEGER NOT NULL,
    modifiers     TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    seat          INTEGER NOT NULL DEFAULT 0,
    course        INTEGER NOT NULL DEFAULT 0,
    CHECK (quantity > 0)
);
CREATE INDEX kitchen_ticket_lines_ticket ON kitchen_ticket_lines (ticket_id, position);

-- +goose Down
DROP TABLE kitchen_ticket_lines;
DROP TABLE kitchen_tickets;
