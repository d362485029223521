-- Sweep foundation schema, for SQLite and PostgreSQL alike.
-- Times are microseconds since the Unix epoch, UTC. Money is integer minor units.
-- Every merchant-owned row carries merchant_id so the data can be sharded by merchant.

CREATE TABLE merchants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_merchants_slug ON merchants (slug);

CREATE TABLE staff (
    id             TEXT PRIMARY KEY,
    merchant_id    TEXT REFERENCES merchants (id),
    login          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    status         TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_staff_login ON staff (login);
CREATE INDEX ix_staff_merchant ON staff (merchant_id, id);

CREATE TABLE locations (
    id                TEXT PRIMARY KEY,
    merchant_id       TEXT NOT NULL REFERENCES merchants (id),
    code              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    name_zh           TEXT NOT NULL,
    name_en           TEXT NOT NULL,
    address           TEXT NOT NULL,
    city              TEXT NOT NULL,
    district          TEXT NOT NULL,
    phone             TEXT NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    lng               DOUBLE PRECISION NOT NULL,
    opening_hours     TEXT NOT NULL,
    pickup_enabled    BIGINT NOT NULL CHECK (pickup_enabled IN (0, 1)),
    delivery_enabled  BIGINT NOT NULL CHECK (delivery_enabled IN (0, 1)),
    status            TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_locations_code ON locations (merchant_id, code);
CREATE INDEX ix_locations_merchant ON locations (merchant_id, id);

CREATE TABLE staff_stores (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    staff_id     TEXT NOT NULL REFERENCES staff (id),
    location_id  TEXT NOT NULL REFERENCES locations (id),
    PRIMARY KEY (staff_id, location_id)
);
CREATE INDEX ix_staff_stores_location ON staff_stores (location_id, staff_id);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    staff_id    TEXT NOT NULL REFERENCES staff (id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX ix_sessions_staff ON sessions (staff_id);
CREATE INDEX ix_sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT REFERENCES merchants (id),
    staff_id      TEXT NOT NULL REFERENCES staff (id),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    token_hash    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE UNIQUE INDEX uq_api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX ix_api_tokens_merchant ON api_tokens (merchant_id, id);

-- Counters for what attackers guess (logins, later pickup and member codes).
CREATE TABLE attempt_counters (
    key           TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    count         BIGINT NOT NULL
);

CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status_code    BIGINT,
    response_body  BYTEA,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX ix_idempotency_created ON idempotency_keys (created_at);

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedupe_key   TEXT,
    status       TEXT NOT NULL,
    run_at       BIGINT NOT NULL,
    attempts     BIGINT NOT NULL,
    lease_owner  TEXT,
    lease_until  BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE UNIQUE INDEX uq_jobs_dedupe ON jobs (dedupe_key);
CREATE INDEX ix_jobs_due ON jobs (status, run_at);

CREATE TABLE categories (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    parent_id    TEXT REFERENCES categories (id),
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    sort_order   BIGINT NOT NULL,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX ix_categories_merchant ON categories (merchant_id, id);
CREATE INDEX ix_categories_parent ON categories (parent_id);

CREATE TABLE products (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    category_id     TEXT REFERENCES categories (id),
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    description_zh  TEXT NOT NULL,
    description_en  TEXT NOT NULL,
    status          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX ix_products_merchant ON products (merchant_id, id);
CREATE INDEX ix_products_category ON products (category_id);

CREATE TABLE product_images (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    product_id    TEXT NOT NULL REFERENCES products (id),
    file_key      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    byte_size     BIGINT NOT NULL,
    sort_order    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX ix_product_images_product ON product_images (product_id, sort_order);

CREATE TABLE skus (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT NOT NULL REFERENCES merchants (id),
    product_id    TEXT NOT NULL REFERENCES products (id),
    code          TEXT NOT NULL,
    barcode       TEXT,
    attributes    TEXT NOT NULL,
    currency      TEXT NOT NULL,
    base_price    BIGINT NOT NULL CHECK (base_price >= 0),
    member_price  BIGINT CHECK (member_price >= 0),
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX uq_skus_code ON skus (merchant_id, code);
CREATE UNIQUE INDEX uq_skus_barcode ON skus (merchant_id, barcode);
CREATE INDEX ix_skus_merchant ON skus (merchant_id, id);
CREATE INDEX ix_skus_product ON skus (product_id, id);

-- scope_kind 'channel' (scope_key = channel name) or 'store' (scope_key = location id).
CREATE TABLE price_overrides (
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    sku_id       TEXT NOT NULL REFERENCES skus (id),
    scope_kind   TEXT NOT NULL,
    scope_key    TEXT NOT NULL,
    price        BIGINT NOT NULL CHECK (price >= 0),
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (sku_id, scope_kind, scope_key)
);

-- available = on_hand - reserved; the checks are the last line of defence behind the
-- conditional updates.
CREATE TABLE stock_levels (
    id           TEXT NOT NULL,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    sku_id       TEXT NOT NULL REFERENCES skus (id),
    location_id  TEXT NOT NULL REFERENCES locations (id),
    on_hand      BIGINT NOT NULL CHECK (on_hand >= 0),
    reserved     BIGINT NOT NULL CHECK (reserved >= 0),
    updated_at   BIGINT NOT NULL,
    CHECK (reserved <= on_hand),
    PRIMARY KEY (sku_id, location_id)
);
CREATE UNIQUE INDEX uq_stock_levels_id ON stock_levels (id);
CREATE INDEX ix_stock_levels_merchant ON stock_levels (merchant_id, id);
CREATE INDEX ix_stock_levels_location ON stock_levels (location_id, id);

-- Append-only: never updated, never deleted.
CREATE TABLE stock_movements (
    id              TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL REFERENCES merchants (id),
    sku_id          TEXT NOT NULL REFERENCES skus (id),
    location_id     TEXT NOT NULL REFERENCES locations (id),
    kind            TEXT NOT NULL,
    on_hand_delta   BIGINT NOT NULL,
    reserved_delta  BIGINT NOT NULL,
    on_hand_after   BIGINT NOT NULL,
    reserved_after  BIGINT NOT NULL,
    reason          TEXT,
    note            TEXT NOT NULL,
    reference       TEXT,
    actor_id        TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX ix_stock_movements_level ON stock_movements (sku_id, location_id, id);
CREATE INDEX ix_stock_movements_merchant ON stock_movements (merchant_id, id);
CREATE INDEX ix_stock_movements_location ON stock_movements (location_id, id);
