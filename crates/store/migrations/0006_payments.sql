-- Merchants' own accounts at payment providers (WeChat Pay, Alipay), and what the
-- reconciliation of Sweep's books against the providers' found.

-- One account per merchant and provider. `settings` is JSON that may be shown (ids,
-- certificate serials, public keys, gateway address); `sealed_secrets` is the private
-- keys and API keys, encrypted with the deployment's secrets key (AES-256-GCM, bound to
-- merchant and provider), never stored or logged in the clear.
CREATE TABLE payment_accounts (
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    provider        TEXT NOT NULL,
    settings        TEXT NOT NULL,
    sealed_secrets  TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    updated_by      TEXT,
    PRIMARY KEY (merchant_id, provider)
);

-- When a pending payment was last asked about at its provider (recovery by query).
ALTER TABLE payments ADD COLUMN queried_at BIGINT;
CREATE INDEX ix_payments_pending ON payments (status, created_at);

-- The merchant a notification was addressed to (security events are per merchant).
ALTER TABLE payment_notifications ADD COLUMN merchant_id TEXT;

-- A reconciliation run: every payment and refund of a day compared with the provider.
-- One report per merchant and day; a later run replaces it.
CREATE TABLE reconciliations (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    day          TEXT NOT NULL,
    checked      BIGINT NOT NULL,
    mismatches   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day)
);
CREATE INDEX ix_payments_created ON payments (created_at, id);
CREATE INDEX ix_refunds_created ON refunds (created_at);
