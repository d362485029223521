-- Shoppers, carts, orders, payments, refunds, returns, pickup codes.

CREATE TABLE shoppers (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    phone         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_shoppers_phone ON shoppers (merchant_id, phone);

-- A browser's session in one merchant's shop; shopper_id is empty for guests.
CREATE TABLE shopper_sessions (
    token_hash   TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    shopper_id   TEXT REFERENCES shoppers (id),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX ix_shopper_sessions_expires ON shopper_sessions (expires_at);

-- One-time sign-in codes, stored as digests, single use.
CREATE TABLE otp_codes (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    phone        TEXT NOT NULL,
    code_hash    TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX ix_otp_codes_phone ON otp_codes (merchant_id, phone, id);

-- Messages the development SMS sender "sent".
CREATE TABLE sms_outbox (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    phone        TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX ix_sms_outbox_merchant ON sms_outbox (merchant_id, id);

CREATE TABLE shopper_addresses (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    shopper_id   TEXT NOT NULL REFERENCES shoppers (id),
    recipient    TEXT NOT NULL,
    phone        TEXT NOT NULL,
    city         TEXT NOT NULL,
    district     TEXT NOT NULL,
    detail       TEXT NOT NULL,
    lat          DOUBLE PRECISION NOT NULL,
    lng          DOUBLE PRECISION NOT NULL,
    is_default   BIGINT NOT NULL CHECK (is_default IN (0, 1)),
    created_at   BIGINT NOT NULL
);
CREATE INDEX ix_shopper_addresses_shopper ON shopper_addresses (shopper_id, id);

-- owner is 's:<shopper id>' for members or 'g:<session digest>' for guests.
CREATE TABLE cart_items (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    owner        TEXT NOT NULL,
    sku_id       TEXT NOT NULL REFERENCES skus (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    added_at     BIGINT NOT NULL,
    PRIMARY KEY (owner, sku_id)
);

CREATE TABLE orders (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT NOT NULL REFERENCES merchants (id),
    number               TEXT NOT NULL,
    shopper_id           TEXT NOT NULL REFERENCES shoppers (id),
    status               TEXT NOT NULL,
    fulfilment           TEXT NOT NULL,
    channel              TEXT NOT NULL,
    influencer_store_id  TEXT,
    influencer_clerk_id  TEXT,
    pickup_store_id      TEXT REFERENCES locations (id),
    address              TEXT,
    currency             TEXT NOT NULL,
    subtotal             BIGINT NOT NULL,
    discount             BIGINT NOT NULL,
    delivery_fee         BIGINT NOT NULL,
    total                BIGINT NOT NULL CHECK (total >= 0),
    paid                 BIGINT NOT NULL,
    refunded             BIGINT NOT NULL,
    idempotency_key      TEXT,
    pay_by               BIGINT NOT NULL,
    paid_at              BIGINT,
    completed_at         BIGINT,
    pickup_deadline      BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    CHECK (refunded >= 0 AND refunded <= paid)
);
CREATE UNIQUE INDEX uq_orders_number ON orders (merchant_id, number);
CREATE UNIQUE INDEX uq_orders_idempotency ON orders (merchant_id, shopper_id, idempotency_key);
CREATE INDEX ix_orders_shopper ON orders (shopper_id, id);
CREATE INDEX ix_orders_merchant ON orders (merchant_id, id);
CREATE INDEX ix_orders_status ON orders (merchant_id, status, id);

CREATE TABLE shipments (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    order_id         TEXT NOT NULL REFERENCES orders (id),
    location_id      TEXT NOT NULL REFERENCES locations (id),
    status           TEXT NOT NULL,
    carrier          TEXT,
    tracking_number  TEXT,
    shipped_at       BIGINT,
    delivered_at     BIGINT
);
CREATE INDEX ix_shipments_order ON shipments (order_id);
CREATE INDEX ix_shipments_location ON shipments (location_id, status, order_id);

CREATE TABLE order_lines (
    id                 TEXT PRIMARY KEY,
    merchant_id        TEXT NOT NULL REFERENCES merchants (id),
    order_id           TEXT NOT NULL REFERENCES orders (id),
    shipment_id        TEXT NOT NULL REFERENCES shipments (id),
    sku_id             TEXT NOT NULL REFERENCES skus (id),
    product_id         TEXT NOT NULL REFERENCES products (id),
    name_zh            TEXT NOT NULL,
    name_en            TEXT NOT NULL,
    sku_label          TEXT NOT NULL,
    unit_price         BIGINT NOT NULL,
    list_price         BIGINT NOT NULL,
    quantity           BIGINT NOT NULL CHECK (quantity > 0),
    subtotal           BIGINT NOT NULL,
    discount           BIGINT NOT NULL,
    total              BIGINT NOT NULL,
    returned_quantity  BIGINT NOT NULL,
    refunded           BIGINT NOT NULL,
    CHECK (returned_quantity >= 0 AND returned_quantity <= quantity),
    CHECK (refunded >= 0 AND refunded <= total)
);
CREATE INDEX ix_order_lines_order ON order_lines (order_id, id);

CREATE TABLE order_events (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    order_id     TEXT NOT NULL REFERENCES orders (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    note         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX ix_order_events_order ON order_events (order_id, id);

CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    order_id         TEXT NOT NULL REFERENCES orders (id),
    provider         TEXT NOT NULL,
    out_trade_no     TEXT NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    status           TEXT NOT NULL,
    provider_txn_id  TEXT,
    captured_at      BIGINT,
    refunded         BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    CHECK (refunded >= 0 AND refunded <= amount)
);
CREATE UNIQUE INDEX uq_payments_out_trade_no ON payments (out_trade_no);
CREATE INDEX ix_payments_order ON payments (order_id);

CREATE TABLE refunds (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT NOT NULL REFERENCES merchants (id),
    order_id       TEXT NOT NULL REFERENCES orders (id),
    payment_id     TEXT NOT NULL REFERENCES payments (id),
    out_refund_no  TEXT NOT NULL,
    amount         BIGINT NOT NULL CHECK (amount > 0),
    reason         TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    completed_at   BIGINT
);
CREATE UNIQUE INDEX uq_refunds_out_refund_no ON refunds (out_refund_no);
CREATE INDEX ix_refunds_order ON refunds (order_id);

-- Every payment notification that arrived, accepted or not: the audit trail.
CREATE TABLE payment_notifications (
    id            TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    out_trade_no  TEXT,
    outcome       TEXT NOT NULL,
    detail        TEXT NOT NULL,
    received_at   BIGINT NOT NULL
);
CREATE INDEX ix_payment_notifications_trade ON payment_notifications (out_trade_no);

CREATE TABLE order_returns (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    order_id     TEXT NOT NULL REFERENCES orders (id),
    status       TEXT NOT NULL,
    lines        TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    decided_at   BIGINT,
    decided_by   TEXT
);
CREATE INDEX ix_order_returns_order ON order_returns (order_id);

-- Codes are never reused within a store; an order has one.
CREATE TABLE pickup_codes (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    store_id     TEXT NOT NULL REFERENCES locations (id),
    code         TEXT NOT NULL,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    status       TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (store_id, code)
);
CREATE UNIQUE INDEX uq_pickup_codes_order ON pickup_codes (order_id);

-- The sandbox payment provider's own books, as a real provider keeps them.
CREATE TABLE sandbox_transactions (
    out_trade_no    TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL,
    transaction_id  TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    description     TEXT NOT NULL,
    notify_url      TEXT NOT NULL,
    return_url      TEXT NOT NULL,
    status          TEXT NOT NULL,
    refunded        BIGINT NOT NULL,
    paid_at         BIGINT,
    created_at      BIGINT NOT NULL,
    CHECK (refunded >= 0 AND refunded <= amount)
);

CREATE TABLE sandbox_refunds (
    out_refund_no  TEXT PRIMARY KEY,
    out_trade_no   TEXT NOT NULL REFERENCES sandbox_transactions (out_trade_no),
    amount         BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);

-- Deployment-wide secrets made on first start (e.g. the sandbox provider's signing key).
CREATE TABLE platform_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Merchandised modules of a shop's home feed.
CREATE TABLE shop_banners (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    title_zh     TEXT NOT NULL,
    title_en     TEXT NOT NULL,
    image_key    TEXT NOT NULL,
    link         TEXT NOT NULL,
    sort_order   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX ix_shop_banners_merchant ON shop_banners (merchant_id, sort_order);
