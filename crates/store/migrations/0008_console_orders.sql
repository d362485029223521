-- The console's order search and filters (channel, store, date) at scale.
CREATE INDEX ix_orders_channel ON orders (merchant_id, channel, id);
-- A store's orders in id order (the store filter and the pickup queue): the location
-- index above leads with status, which a store's full list does not filter on.
CREATE INDEX ix_shipments_location_order ON shipments (location_id, order_id);
