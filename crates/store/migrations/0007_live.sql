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
