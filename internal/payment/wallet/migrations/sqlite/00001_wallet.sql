-- +goose Up
-- See the PostgreSQL migration of the same number; SQLite has no row-level security.
-- The customer stored-value wallet is a double-entry ledger. Each wallet is a liability account of its
-- merchant (what the merchant owes the customer), merchant-wide and identified by the customer's phone
-- (domestic form, unique per merchant). balance is kept equal to the sum of the wallet's entries: it moves
-- only by a guarded UPDATE (balance + delta >= 0) in the same transaction that writes the entry, and the
-- CHECK refuses a negative balance whatever the code does. The system accounts (funding:<method>, spent)
-- have no row: they are named in the entries, and their balances are sums.
CREATE TABLE wallets (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    phone       TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    balance     BIGINT      NOT NULL DEFAULT 0,
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL,
    CHECK (balance >= 0)
);
CREATE UNIQUE INDEX wallets_phone ON wallets (merchant_id, phone);
CREATE INDEX wallets_merchant ON wallets (merchant_id, id);

-- wallet_txns are the ledger's journal transactions, each concerning one wallet: a top_up (funded by
-- method, in shop_id), a spend (reference = the payment), a refund of a spend (reference = the refund,
-- reverses_id = the spend) or a top_up_reversal (reference = reverses_id = the top-up). amount is positive;
-- balance_after is the wallet's balance once the transaction is posted. A reference is unique per kind, so
-- a retried spend or refund posts once and a top-up is reversed at most once.
CREATE TABLE wallet_txns (
    id            TEXT        PRIMARY KEY,
    merchant_id   TEXT        NOT NULL,
    wallet_id     TEXT        NOT NULL REFERENCES wallets (id),
    kind          TEXT        NOT NULL,
    amount        BIGINT      NOT NULL,
    method        TEXT        NOT NULL DEFAULT '',
    shop_id       TEXT        NOT NULL DEFAULT '',
    reference     TEXT        NOT NULL DEFAULT '',
    reverses_id   TEXT        NOT NULL DEFAULT '',
    reason        TEXT        NOT NULL DEFAULT '',
    balance_after BIGINT      NOT NULL,
    created_by    TEXT        NOT NULL,
    created_at    TIMESTAMP   NOT NULL,
    CHECK (kind IN ('top_up', 'spend', 'refund', 'top_up_reversal')),
    CHECK (amount > 0),
    CHECK (balance_after >= 0)
);
CREATE UNIQUE INDEX wallet_txns_reference ON wallet_txns (merchant_id, kind, reference) WHERE reference <> '';
CREATE INDEX wallet_txns_reverses ON wallet_txns (merchant_id, reverses_id) WHERE reverses_id <> '';
CREATE INDEX wallet_txns_wallet ON wallet_txns (merchant_id, wallet_id, id);

-- wallet_entries are the postings of the transactions: account is a wallet id or a system account
-- (funding:cash, funding:vnpay, …, spent); amount is signed, positive adding to the account's balance. The
-- entries of a transaction (at least two) sum to zero, so all entries of a merchant do too.
CREATE TABLE wallet_entries (
    id          TEXT        PRIMARY KEY,
    merchant_id TEXT        NOT NULL,
    txn_id      TEXT        NOT NULL REFERENCES wallet_txns (id),
    account     TEXT        NOT NULL,
    amount      BIGINT      NOT NULL,
    created_at  TIMESTAMP   NOT NULL,
    CHECK (amount <> 0)
);
CREATE INDEX wallet_entries_account ON wallet_entries (merchant_id, account, id);
CREATE INDEX wallet_entries_txn ON wallet_entries (merchant_id, txn_id);

-- +goose Down
DROP TABLE wallet_entries;
DROP TABLE wallet_txns;
DROP TABLE wallets;
