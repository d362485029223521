-- Campaigns, display cards, their scans and the funnel after them.

CREATE TABLE campaigns (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    name         TEXT NOT NULL,
    starts_at    BIGINT NOT NULL,
    ends_at      BIGINT NOT NULL CHECK (ends_at > starts_at),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_campaigns_name ON campaigns (merchant_id, name);

-- code is global: the card's URL carries no merchant.
CREATE TABLE display_cards (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    code         TEXT NOT NULL,
    store_id     TEXT NOT NULL REFERENCES locations (id),
    sku_id       TEXT NOT NULL REFERENCES skus (id),
    product_id   TEXT NOT NULL REFERENCES products (id),
    campaign_id  TEXT REFERENCES campaigns (id),
    clerk_id     TEXT REFERENCES staff (id),
    status       TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_display_cards_code ON display_cards (code);
CREATE INDEX ix_display_cards_store ON display_cards (merchant_id, store_id, id);

-- Every scan, counted or not (see the scan rule in the domain).
CREATE TABLE card_scans (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    card_id      TEXT NOT NULL REFERENCES display_cards (id),
    store_id     TEXT NOT NULL,
    campaign_id  TEXT,
    browser      TEXT NOT NULL,
    counted      BIGINT NOT NULL CHECK (counted IN (0, 1)),
    created_at   BIGINT NOT NULL
);
CREATE INDEX ix_card_scans_merchant ON card_scans (merchant_id, created_at);

-- Product views and cart additions by browsers that came through a card, once per
-- visitor, card and product (views) or SKU (carts).
CREATE TABLE funnel_events (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    kind         TEXT NOT NULL CHECK (kind IN ('view', 'cart')),
    visitor      TEXT NOT NULL,
    subject      TEXT NOT NULL,
    card_id      TEXT NOT NULL REFERENCES display_cards (id),
    store_id     TEXT NOT NULL,
    campaign_id  TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (kind, visitor, subject, card_id)
);
CREATE INDEX ix_funnel_events_merchant ON funnel_events (merchant_id, created_at);

-- visitor names the browser across sign-in (a new session keeps it); scan_card_id is
-- the last card it scanned, for crediting its orders; scan_counted whether that scan
-- counted (only then do its views and carts count).
ALTER TABLE shopper_sessions ADD COLUMN visitor TEXT;
ALTER TABLE shopper_sessions ADD COLUMN scan_card_id TEXT;
ALTER TABLE shopper_sessions ADD COLUMN scanned_at BIGINT;
ALTER TABLE shopper_sessions ADD COLUMN scan_counted BIGINT;

ALTER TABLE orders ADD COLUMN card_id TEXT;
ALTER TABLE orders ADD COLUMN campaign_id TEXT;
CREATE INDEX ix_orders_card ON orders (merchant_id, card_id, created_at);
