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

-- Members and the points they hold, per merchant at the end of each day (China Standard
-- Time): taken every five minutes for today by a background job reading the members, so the
-- growth and points-liability charts read one row per day.
CREATE TABLE member_days (
    merchant_id         TEXT NOT NULL REFERENCES merchants (id),
    day                 BIGINT NOT NULL,
    members             BIGINT NOT NULL,
    holding_points      BIGINT NOT NULL,
    points_outstanding  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day)
);

-- The scan funnel per display card and day: scans, product views and cart additions
-- by visitors who came through the card, and the orders credited to it. Scans and
-- funnel steps append rows to the sales feed (kinds 'scan', 'view', 'cart'), orders
-- carry their card there, and the folder sums them here.
ALTER TABLE sales_feed ADD COLUMN card_id TEXT;
CREATE TABLE sales_card_days (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    day          BIGINT NOT NULL,
    card_id      TEXT NOT NULL,
    store_id     TEXT NOT NULL,
    scans        BIGINT NOT NULL,
    views        BIGINT NOT NULL,
    carts        BIGINT NOT NULL,
    orders       BIGINT NOT NULL,
    paid_orders  BIGINT NOT NULL,
    paid_amount  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, day, card_id)
);

-- The days before these tables existed, from the orders, scans and funnel steps
-- themselves (once). Orders still waiting in the sales feed are left to the folder.
INSERT INTO sales_channel_days (merchant_id, day, channel, placed, placed_amount, paid, paid_amount)
SELECT merchant_id, (created_at / 1000000 + 28800) / 86400, channel, COUNT(*), SUM(total),
       SUM(CASE WHEN paid > 0 THEN 1 ELSE 0 END), SUM(paid)
  FROM orders
 WHERE created_at < COALESCE((SELECT MIN(created_at) FROM sales_feed), 9223372036854775807)
 GROUP BY merchant_id, (created_at / 1000000 + 28800) / 86400, channel;

INSERT INTO sales_card_days (merchant_id, day, card_id, store_id, scans, views, carts, orders, paid_orders, paid_amount)
SELECT e.merchant_id, e.day, e.card_id, d.store_id, SUM(e.scans), SUM(e.views), SUM(e.carts), SUM(e.orders),
       SUM(e.paid_orders), SUM(e.paid_amount)
  FROM (
        SELECT merchant_id, (created_at / 1000000 + 28800) / 86400 AS day, card_id, 1 AS scans, 0 AS views,
               0 AS carts, 0 AS orders, 0 AS paid_orders, CAST(0 AS BIGINT) AS paid_amount
          FROM card_scans WHERE counted = 1
        UNION ALL
        SELECT merchant_id, (created_at / 1000000 + 28800) / 86400, card_id, 0,
               CASE WHEN kind = 'view' THEN 1 ELSE 0 END, CASE WHEN kind = 'cart' THEN 1 ELSE 0 END, 0, 0, 0
          FROM funnel_events
        UNION ALL
        SELECT merchant_id, (created_at / 1000000 + 28800) / 86400, card_id, 0, 0, 0, 1,
               CASE WHEN paid > 0 THEN 1 ELSE 0 END, paid
          FROM orders WHERE card_id IS NOT NULL
       ) e
  JOIN display_cards d ON d.id = e.card_id
 GROUP BY e.merchant_id, e.day, e.card_id, d.store_id;
