-- The big screen's store leaderboard: orders and paid money per store and day (China
-- Standard Time), folded from the sales feed with the per-minute totals.
CREATE TABLE sales_store_days (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    day          BIGINT NOT NULL,
    store_id     TEXT NOT NULL,
    placed       BIGINT NOT NULL,
    paid         BIGINT NOT NULL,
    paid_amount  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day, store_id)
);
CREATE INDEX ix_sales_store_days_rank ON sales_store_days (merchant_id, day, paid_amount);

-- Paid order lines waiting to be folded (one row per line; the id is the line's), and
-- the products' units and paid money per day (China Standard Time): the big screen's
-- top products.
CREATE TABLE sales_feed_products (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL,
    product_id   TEXT NOT NULL,
    units        BIGINT NOT NULL,
    amount       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE TABLE sales_product_days (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    day          BIGINT NOT NULL,
    product_id   TEXT NOT NULL,
    units        BIGINT NOT NULL,
    paid_amount  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day, product_id)
);
CREATE INDEX ix_sales_product_days_rank ON sales_product_days (merchant_id, day, paid_amount);
