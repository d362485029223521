-- The console's order search and filters (channel, store, date) at scale.
CREATE INDEX ix_orders_channel ON orders (merchant_id, channel, id);
