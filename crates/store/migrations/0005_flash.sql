-- Double 11 flash sales: a pool of stock set aside per SKU, per-member limits, and the
-- sales feed that live totals are built from.

CREATE TABLE flash_sales (
    id                TEXT PRIMARY KEY,
    merchant_id       TEXT NOT NULL REFERENCES merchants (id),
    campaign_id       TEXT NOT NULL REFERENCES campaigns (id),
    name              TEXT NOT NULL,
    location_id       TEXT NOT NULL REFERENCES locations (id),
    starts_at         BIGINT NOT NULL,
    ends_at           BIGINT NOT NULL CHECK (ends_at > starts_at),
    per_member_limit  BIGINT NOT NULL CHECK (per_member_limit > 0),
    members_only      BIGINT NOT NULL CHECK (members_only IN (0, 1)),
    pay_within_secs   BIGINT NOT NULL CHECK (pay_within_secs > 0),
    ended_at          BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX ix_flash_sales_merchant ON flash_sales (merchant_id, starts_at, id);

-- The pool: `pool_left` units are still for sale; the rest of `pool_size` is held by
-- orders. The sale's window is repeated here so that the one conditional write that
-- takes units from the pool also decides whether the sale is on. `last_grant` is what
-- that write granted (SET clauses see the old row, so it can be computed there).
-- When the sale ends, what is left goes back to the location's stock (`released`).
CREATE TABLE flash_items (
    sale_id      TEXT NOT NULL REFERENCES flash_sales (id),
    sku_id       TEXT NOT NULL REFERENCES skus (id),
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    location_id  TEXT NOT NULL REFERENCES locations (id),
    price        BIGINT NOT NULL CHECK (price >= 0),
    pool_size    BIGINT NOT NULL CHECK (pool_size > 0),
    pool_left    BIGINT NOT NULL CHECK (pool_left >= 0 AND pool_left <= pool_size),
    last_grant   BIGINT NOT NULL DEFAULT 0,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL,
    open         BIGINT NOT NULL CHECK (open IN (0, 1)),
    released     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (sale_id, sku_id)
);

-- Units each member holds in a sale, across all their orders: the upsert that adds to
-- it refuses to pass `cap`, so the limit holds however many requests race.
CREATE TABLE flash_quota (
    sale_id     TEXT NOT NULL REFERENCES flash_sales (id),
    shopper_id  TEXT NOT NULL REFERENCES shoppers (id),
    bought      BIGINT NOT NULL CHECK (bought >= 0),
    cap         BIGINT NOT NULL,
    CHECK (bought <= cap),
    PRIMARY KEY (sale_id, shopper_id)
);

ALTER TABLE orders ADD COLUMN flash_sale_id TEXT;
CREATE INDEX ix_orders_flash ON orders (flash_sale_id, id) WHERE flash_sale_id IS NOT NULL;
-- Only keyed orders need the key's uniqueness: most orders have none, and an index of
-- them all (by member, so in no useful order) costs every order a random page write.
DROP INDEX uq_orders_idempotency;
CREATE UNIQUE INDEX uq_orders_idempotency ON orders (merchant_id, shopper_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- Orders and payments as they happen, one row per order step or per group-committed
-- batch; a worker folds them into `sales_minutes` and deletes them, so live totals never
-- become a hot row inside an order's transaction.
CREATE TABLE sales_feed (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    kind         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    store_id     TEXT,
    orders       BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE sales_minutes (
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    minute        BIGINT NOT NULL,
    channel       TEXT NOT NULL,
    placed        BIGINT NOT NULL,
    placed_amount BIGINT NOT NULL,
    paid          BIGINT NOT NULL,
    paid_amount   BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, minute, channel)
);
