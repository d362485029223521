-- The member card (points ledger, loyalty programme) and sales at the till.

-- Every shopper signed in by phone is a member; `points` is the sum of their ledger.
-- One row per merchant of kind 'walk_in' stands for till customers without a card.
ALTER TABLE shoppers ADD COLUMN kind TEXT NOT NULL DEFAULT 'member';
ALTER TABLE shoppers ADD COLUMN points BIGINT NOT NULL DEFAULT 0 CHECK (points >= 0);
ALTER TABLE shoppers ADD COLUMN joined_channel TEXT NOT NULL DEFAULT 'mobile';
ALTER TABLE shoppers ADD COLUMN joined_store_id TEXT;

-- Points spent on the order (part of its discount).
ALTER TABLE orders ADD COLUMN points_used BIGINT NOT NULL DEFAULT 0;
-- Till sales: the id the till gave the sale (applied once however often it is sent),
-- the till, and whether it happened while the till was offline.
ALTER TABLE orders ADD COLUMN sale_id TEXT;
ALTER TABLE orders ADD COLUMN till_id TEXT;
ALTER TABLE orders ADD COLUMN offline BIGINT NOT NULL DEFAULT 0 CHECK (offline IN (0, 1));
CREATE UNIQUE INDEX uq_orders_sale ON orders (merchant_id, sale_id);

-- Append-only. `source` names the one event behind each entry, so none is applied twice.
CREATE TABLE points_entries (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    shopper_id   TEXT NOT NULL REFERENCES shoppers (id),
    kind         TEXT NOT NULL,
    delta        BIGINT NOT NULL CHECK (delta <> 0),
    source       TEXT NOT NULL,
    order_id     TEXT REFERENCES orders (id),
    store_id     TEXT,
    note         TEXT NOT NULL,
    expires_at   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_points_source ON points_entries (merchant_id, source);
CREATE INDEX ix_points_shopper ON points_entries (shopper_id, id);
CREATE INDEX ix_points_order ON points_entries (order_id);
-- Finds members holding points in that have passed their expiry.
CREATE INDEX ix_points_expiry ON points_entries (shopper_id, expires_at);

CREATE TABLE loyalty_programs (
    merchant_id  TEXT PRIMARY KEY REFERENCES merchants (id),
    program      TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- The rotating code a member's phone shows for the till to scan: short-lived, so a
-- screenshot is soon worthless, and used once.
CREATE TABLE member_codes (
    code         TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    shopper_id   TEXT NOT NULL REFERENCES shoppers (id),
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX ix_member_codes_expiry ON member_codes (expires_at);

-- A till's shift, closed by counting the cash drawer. `since` is the close before it
-- (0 for a till's first), so two closes of the same shift cannot both be written.
CREATE TABLE till_shifts (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    store_id       TEXT NOT NULL REFERENCES locations (id),
    till_id        TEXT NOT NULL,
    since          BIGINT NOT NULL,
    closed_at      BIGINT NOT NULL,
    closed_by      TEXT NOT NULL,
    opening_float  BIGINT NOT NULL,
    cash_sales     BIGINT NOT NULL,
    cash_refunds   BIGINT NOT NULL,
    sales          BIGINT NOT NULL,
    expected_cash  BIGINT NOT NULL,
    counted_cash   BIGINT NOT NULL,
    note           TEXT NOT NULL
);
CREATE UNIQUE INDEX uq_till_shifts_since ON till_shifts (merchant_id, store_id, till_id, since);
CREATE INDEX ix_till_shifts_store ON till_shifts (merchant_id, store_id, id);
CREATE INDEX ix_orders_till ON orders (merchant_id, till_id, created_at);

-- Coupons: definitions belong to campaigns; `issued` never passes `total_limit`.
CREATE TABLE coupon_defs (
    id                TEXT PRIMARY KEY,
    merchant_id       TEXT NOT NULL REFERENCES merchants (id),
    campaign_id       TEXT NOT NULL REFERENCES campaigns (id),
    name_zh           TEXT NOT NULL,
    name_en           TEXT NOT NULL,
    value             TEXT NOT NULL,
    min_spend         BIGINT NOT NULL,
    channels          TEXT NOT NULL,
    stores            TEXT NOT NULL,
    starts_at         BIGINT NOT NULL,
    ends_at           BIGINT NOT NULL,
    total_limit       BIGINT,
    per_member_limit  BIGINT NOT NULL,
    claimable         BIGINT NOT NULL CHECK (claimable IN (0, 1)),
    issued            BIGINT NOT NULL CHECK (issued >= 0),
    status            TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    CHECK (total_limit IS NULL OR issued <= total_limit)
);
CREATE INDEX ix_coupon_defs_merchant ON coupon_defs (merchant_id, id);
-- How many of a definition each member was ever given: the per-member limit.
CREATE TABLE coupon_holdings (
    def_id      TEXT NOT NULL REFERENCES coupon_defs (id),
    shopper_id  TEXT NOT NULL REFERENCES shoppers (id),
    held        BIGINT NOT NULL CHECK (held >= 1),
    PRIMARY KEY (def_id, shopper_id)
);
CREATE TABLE coupons (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    def_id       TEXT NOT NULL REFERENCES coupon_defs (id),
    shopper_id   TEXT NOT NULL REFERENCES shoppers (id),
    status       TEXT NOT NULL,
    order_id     TEXT REFERENCES orders (id),
    issued_at    BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX ix_coupons_shopper ON coupons (merchant_id, shopper_id, id);
CREATE INDEX ix_coupons_order ON coupons (order_id);
ALTER TABLE orders ADD COLUMN coupon_id TEXT;
ALTER TABLE orders ADD COLUMN coupon_discount BIGINT NOT NULL DEFAULT 0;
