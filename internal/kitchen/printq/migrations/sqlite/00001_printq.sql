-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
-- printq_printers are a shop's network printers (ESC/POS over TCP, usually port 9100): kitchen printers
-- serve one station each, receipt printers serve the till. address is "host:port".
CREATE TABLE printq_printers (
    id             TEXT        PRIMARY KEY,
    merchant_id    TEXT        NOT NULL,
    shop_id        TEXT        NOT NULL,
    name           TEXT        NOT NULL,
    kind           TEXT        NOT NULL,
    station        TEXT        NOT NULL DEFAULT '',
    address        TEXT        NOT NULL,
    paper_width_mm INTEGER     NOT NULL,
    enabled        BOOLEAN     NOT NULL,
    created_at     TIMESTAMP   NOT NULL,
    updated_at     TIMESTAMP   NOT NULL,
    CHECK (kind IN ('kitchen', 'receipt')),
    CHECK (paper_width_mm IN (58, 80))
);
CREATE INDEX printq_printers_shop ON printq_printers (merchant_id, shop_id, kind, station);

-- printq_jobs is the print queue. document is the escpos.Document as JSON, rendered at the printer's width
-- when sent. A job is due when due_at has passed: for a pending job that is its next attempt (never later
-- than expires_at, so a job whose printer stays down is found and expired on time), for a printing job the
-- end of its worker's lease (a worker that died leaves the job to the next one). A worker claims a job by
-- an UPDATE that checks status and due_at and sets a new lease_owner, so two workers never both claim it;
-- the outcome is written only while lease_owner is still the claimer's. printer_id is the printer chosen
-- (re-chosen by kind and station at each attempt if it went away); kind and station say where it goes.
CREATE TABLE printq_jobs (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    printer_id  TEXT        NOT NULL DEFAULT '',
    kind        TEXT        NOT NULL,
    station     TEXT        NOT NULL DEFAULT '',
    reference   TEXT        NOT NULL DEFAULT '',
    reprint_of  TEXT        NOT NULL DEFAULT '',
    document    TEXT        NOT NULL,
    status      TEXT        NOT NULL,
    attempts    INTEGER     NOT NULL DEFAULT 0,
    last_error  TEXT        NOT NULL DEFAULT '',
    ttl_seconds BIGINT      NOT NULL,
    expires_at  TIMESTAMP   NOT NULL,
    due_at      TIMESTAMP   NOT NULL,
    lease_owner TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    printed_at  TIMESTAMP  ,
    CHECK (status IN ('pending', 'printing', 'printed', 'failed', 'expired', 'no_printer')),
    CHECK (kind IN ('kitchen', 'receipt'))
);
CREATE INDEX printq_jobs_due ON printq_jobs (due_at) WHERE status IN ('pending', 'printing');
CREATE INDEX printq_jobs_shop ON printq_jobs (merchant_id, shop_id, id);
