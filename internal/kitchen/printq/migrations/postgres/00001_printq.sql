-- +goose Up
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
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
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
    expires_at  TIMESTAMPTZ NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    lease_owner TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    printed_at  TIMESTAMPTZ,
    CHECK (status IN ('pending', 'printing', 'printed', 'failed', 'expired', 'no_printer')),
    CHECK (kind IN ('kitchen', 'receipt'))
);
CREATE INDEX printq_jobs_due ON printq_jobs (due_at) WHERE status IN ('pending', 'printing');
CREATE INDEX printq_jobs_shop ON printq_jobs (merchant_id, shop_id, id);

ALTER TABLE printq_printers ENABLE ROW LEVEL SECURITY;
ALTER TABLE printq_printers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON printq_printers
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

ALTER TABLE printq_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE printq_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON printq_jobs
    USING (merchant_id = current_setting('app.merchant_id', true))
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true));

-- The audited system path (db.WithSystemTx: app.system = 'on', never set by a tenant request): shop transfer
-- moves a shop's printers and jobs to the receiving merchant, and the print worker finds due jobs of every
-- merchant (it reads only ids there, and handles each job in its merchant's own transaction).
CREATE POLICY system_transfer ON printq_printers
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
CREATE POLICY system_transfer ON printq_jobs
    USING (current_setting('app.system', true) = 'on') WITH CHECK (current_setting('app.system', true) = 'on');
