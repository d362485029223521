-- A member's spend over the last year, read for every payment captured (the points it
-- earns depend on the member's tier): by merchant, member and payment time. Without it
-- SQLite chose a merchant-wide index and read every order of the merchant for each
-- payment notification, duplicates included.
CREATE INDEX ix_orders_member_spend ON orders (merchant_id, shopper_id, paid_at);
