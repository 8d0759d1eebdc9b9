-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
-- Provider payments (VietQR, VNPay, MoMo, ZaloPay), the customer wallet, refunds and bank transfers.
--
-- A payment row is one intent: pending until its provider settles it (succeeded or failed), or immediate
-- (cash, wallet). reference is our short, globally unique code (VNPay TxnRef, MoMo orderId, the suffix of
-- ZaloPay's app_trans_id, the VietQR transfer note); provider_ref is the provider's transaction id, written
-- only when the payment is accepted, and unique per (method, account_ref): the dedupe of callbacks.
-- applied says whether the order counts the payment: a success that arrives for an intent that expired, was
-- cancelled, or that the order no longer accepts is kept succeeded but unapplied, for a manager to refund.
-- refunded sums the refunds that did not fail (a pending refund holds its amount; see payment_refunds).
ALTER TABLE payments ADD COLUMN reference TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN account_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN provider_order_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN provider_code TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN refunded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN applied BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE payments ADD COLUMN failure_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN wallet_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN shift_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN pay_url TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN deeplink TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN qr_content TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN return_url TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN public_token TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN expires_at TIMESTAMP;
CREATE UNIQUE INDEX payments_reference ON payments (reference) WHERE reference <> '';
CREATE UNIQUE INDEX payments_provider_txn ON payments (method, account_ref, provider_ref) WHERE provider_ref <> '';
CREATE UNIQUE INDEX payments_public_token ON payments (public_token) WHERE public_token <> '';
CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'pending';
CREATE INDEX payments_unapplied ON payments (merchant_id, shop_id, created_at) WHERE applied = 0;

-- payment_refunds are money given back on a payment. A provider refund is first committed pending (its id is
-- the provider's request id, so it is never sent twice as two refunds), then marked succeeded or failed from
-- the provider's answer or, after a crash, by the reconciliation job. applied says whether the order counted
-- the refund (not for an unapplied payment); reinstated says the order took a failed refund's amount back.
CREATE TABLE payment_refunds (
    id           TEXT        PRIMARY KEY,
    merchant_id  TEXT        NOT NULL,
    shop_id      TEXT        NOT NULL,
    order_id     TEXT        NOT NULL,
    payment_id   TEXT        NOT NULL,
    method       TEXT        NOT NULL,
    amount       BIGINT      NOT NULL,
    reason       TEXT        NOT NULL,
    status       TEXT        NOT NULL,
    applied      BOOLEAN     NOT NULL,
    reinstated   BOOLEAN     NOT NULL DEFAULT 0,
    provider_ref TEXT        NOT NULL DEFAULT '',
    failure      TEXT        NOT NULL DEFAULT '',
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    CHECK (amount > 0),
    CHECK (status IN ('pending', 'succeeded', 'failed'))
);
CREATE INDEX payment_refunds_payment ON payment_refunds (merchant_id, payment_id, created_at);
CREATE INDEX payment_refunds_pending ON payment_refunds (created_at) WHERE status = 'pending';

-- bank_transfers keep every statement line a bank-statement service reported (spec §2.8), deduped by the
-- service's id: matched (a pending VietQR payment of that amount took it), partial (less than the payment:
-- applied as a payment of its own), unmatched (no code, a code of no pending payment, or more than the
-- payment: for a manager), ignored (money out), assigned (a manager applied it to an order), dismissed.
CREATE TABLE bank_transfers (
    id             TEXT        PRIMARY KEY,
    merchant_id    TEXT        NOT NULL,
    shop_id        TEXT        NOT NULL,
    provider       TEXT        NOT NULL,
    provider_id    TEXT        NOT NULL,
    bank           TEXT        NOT NULL,
    account_number TEXT        NOT NULL,
    incoming       BOOLEAN     NOT NULL,
    amount         BIGINT      NOT NULL,
    content        TEXT        NOT NULL,
    bank_reference TEXT        NOT NULL,
    booked_at      TIMESTAMP NOT NULL,
    status         TEXT        NOT NULL,
    payment_id     TEXT        NOT NULL DEFAULT '',
    order_id       TEXT        NOT NULL DEFAULT '',
    note           TEXT        NOT NULL DEFAULT '',
    resolved_by    TEXT        NOT NULL DEFAULT '',
    received_at    TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    CHECK (amount > 0),
    CHECK (status IN ('matched', 'partial', 'unmatched', 'ignored', 'assigned', 'dismissed'))
);
CREATE UNIQUE INDEX bank_transfers_dedupe ON bank_transfers (provider, account_number, provider_id);
CREATE INDEX bank_transfers_shop ON bank_transfers (merchant_id, shop_id, status, received_at);

-- payment_order_locks hold one row per order the module ever took money on. Every writer that changes what an
-- order may still take (a new intent, a payment applied, a refund) first upserts the row: on PostgreSQL that
-- takes its row lock until commit, so the check "amount ≤ due − pending holds" and the write that follows are
-- serialised per order (SQLite has one writer anyway). version counts the changes of the order's paid amount
-- made here; an intent re-reads the order's amount due when it moved.
CREATE TABLE payment_order_locks (
    merchant_id TEXT        NOT NULL,
    order_id    TEXT        NOT NULL,
    shop_id     TEXT        NOT NULL,
    version     BIGINT      NOT NULL DEFAULT 0,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (merchant_id, order_id)
);

-- +goose Down
DROP TABLE payment_order_locks;
DROP TABLE bank_transfers;
DROP TABLE payment_refunds;
DROP INDEX payments_unapplied;
DROP INDEX payments_pending;
DROP INDEX payments_public_token;
DROP INDEX payments_provider_txn;
DROP INDEX payments_reference;
ALTER TABLE payments DROP COLUMN expires_at;
ALTER TABLE payments DROP COLUMN public_token;
ALTER TABLE payments DROP COLUMN return_url;
ALTER TABLE payments DROP COLUMN qr_content;
ALTER TABLE payments DROP COLUMN deeplink;
ALTER TABLE payments DROP COLUMN pay_url;
ALTER TABLE payments DROP COLUMN shift_id;
ALTER TABLE payments DROP COLUMN wallet_id;
ALTER TABLE payments DROP COLUMN failure_reason;
ALTER TABLE payments DROP COLUMN applied;
ALTER TABLE payments DROP COLUMN refunded;
ALTER TABLE payments DROP COLUMN provider_code;
ALTER TABLE payments DROP COLUMN provider_order_id;
ALTER TABLE payments DROP COLUMN account_ref;
ALTER TABLE payments DROP COLUMN reference;
