-- +goose Up
-- A shop transfer runs in the audited system transaction (app.system = 'on') and records itself in both
-- merchants' audit logs there. The system path may only add entries; reading stays per tenant.
CREATE POLICY system_insert ON iam_audit_log FOR INSERT
    WITH CHECK (current_setting('app.system', true) = 'on');

-- +goose Down
DROP POLICY system_insert ON iam_audit_log;
