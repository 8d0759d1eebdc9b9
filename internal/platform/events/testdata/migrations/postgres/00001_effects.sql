-- +goose Up
-- effects is what the tests' consumers write: one row per handling, no uniqueness, so a doubled effect shows.
CREATE TABLE effects (
    merchant_id TEXT NOT NULL,
    consumer    TEXT NOT NULL,
    event_id    TEXT NOT NULL
);
ALTER TABLE effects ENABLE ROW LEVEL SECURITY;
ALTER TABLE effects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON effects
    USING (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on')
    WITH CHECK (merchant_id = current_setting('app.merchant_id', true) OR current_setting('app.system', true) = 'on');

-- +goose Down
DROP TABLE effects;
