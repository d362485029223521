-- Analytics: orders and money per merchant, day (China Standard Time) and channel,
-- folded from the sales feed with the per-minute totals, so charts over months read a
-- few hundred rows whatever the number of orders.
CREATE TABLE sales_channel_days (
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    day           BIGINT NOT NULL,
    channel       TEXT NOT NULL,
    placed        BIGINT NOT NULL,
    placed_amount BIGINT NOT NULL,
    paid          BIGINT NOT NULL,
    paid_amount   BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day, channel)
);
