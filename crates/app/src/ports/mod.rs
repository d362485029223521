//! What the use cases need from the outside world. The `sweep-store` crate implements
//! the storage ports for SQLite and PostgreSQL; tests and the binary pick one.

use async_trait::async_trait;
use sweep_domain::Timestamp;
use sweep_domain::catalog::{Category, Product, ProductImage, ProductStatus, RecordStatus, Sku};
use sweep_domain::ids::*;
use sweep_domain::inventory::{AdjustReason, Movement, MovementKind, StockChange, StockRow};
use sweep_domain::location::{Location, LocationKind, LocationStatus};
use sweep_domain::merchant::Merchant;
use sweep_domain::pricing::{PriceOverride, PriceScope};
use sweep_domain::roles::Role;
use sweep_domain::staff::{ApiToken, Staff, StaffStatus};
use sweep_domain::text::Login;

use crate::page::{Page, PageRequest};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique rule was broken; `field` names the input that collided.
    #[error("duplicate {field}")]
    Duplicate { field: &'static str },
    /// A stock change would have made a level illegal; nothing was written.
    #[error("insufficient stock on line {line}")]
    InsufficientStock { line: usize, available: i64 },
    /// The coupon is not the member's, or not available (used meanwhile); nothing was written.
    #[error("coupon unavailable")]
    CouponUnavailable,
    /// A points change would have made a balance negative; nothing was written.
    #[error("insufficient points: {available} available")]
    InsufficientPoints { available: i64 },
    /// The database could not answer in time (busy, pool exhausted, restarting).
    #[error("database busy: {0}")]
    Busy(String),
    #[error("{0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

#[async_trait]
pub trait MerchantRepo: Send + Sync {
    /// Creates the merchant and its first owner in one transaction.
    async fn create_merchant(&self, merchant: &Merchant, owner: &Staff, owner_password_hash: &str) -> StoreResult<()>;
    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<Merchant>>;
    async fn merchant_by_slug(&self, slug: &str) -> StoreResult<Option<Merchant>>;
    async fn list_merchants(&self, page: &PageRequest) -> StoreResult<Page<Merchant>>;
    /// Saves the merchant if nobody changed it since `expected` (its `updated_at` when read).
    async fn update_merchant(&self, merchant: &Merchant, expected: Timestamp) -> StoreResult<bool>;
}

#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    pub role: Option<Role>,
    pub status: Option<StaffStatus>,
    /// Only staff assigned to at least one of these stores.
    pub stores: Option<Vec<LocationId>>,
}

#[async_trait]
pub trait StaffRepo: Send + Sync {
    async fn insert_staff(&self, staff: &Staff, password_hash: &str) -> StoreResult<()>;
    /// A staff member by id, within one merchant (`None`: platform staff).
    async fn staff(&self, merchant: Option<MerchantId>, id: StaffId) -> StoreResult<Option<Staff>>;
    async fn staff_by_login(&self, login: &Login) -> StoreResult<Option<(Staff, String)>>;
    async fn list_staff(
        &self,
        merchant: Option<MerchantId>,
        filter: &StaffFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Staff>>;
    /// Saves profile, role, status, store assignments and (when given) a new password in
    /// one transaction, if nobody changed the member since `expected`. A new password or
    /// a disabled account also ends every session of the member, in the same transaction.
    async fn update_staff(
        &self,
        staff: &Staff,
        expected: Timestamp,
        new_password_hash: Option<&str>,
    ) -> StoreResult<bool>;
    /// Sets a new password and ends every session of the member, in one transaction.
    async fn set_password(&self, staff: StaffId, password_hash: &str, now: Timestamp) -> StoreResult<()>;
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub token_hash: String,
    pub staff_id: StaffId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCount {
    pub count: i64,
    pub window_start: Timestamp,
}

impl AttemptCount {
    /// Seconds until this count's window of `window_secs` ends (at least 1): how long a
    /// caller over the limit waits.
    pub fn retry_after_secs(&self, window_secs: i64, now: Timestamp) -> i64 {
        (self.window_start.plus_seconds(window_secs).unix_seconds() - now.unix_seconds()).max(1)
    }
}

#[async_trait]
pub trait AuthRepo: Send + Sync {
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// A live session and its staff member.
    async fn session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(SessionRecord, Staff)>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn insert_token(&self, token: &ApiToken, token_hash: &str) -> StoreResult<()>;
    /// A live (unrevoked, unexpired) token and its staff member.
    async fn token_by_hash(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<(ApiToken, Staff)>>;
    async fn token(&self, merchant: Option<MerchantId>, id: ApiTokenId) -> StoreResult<Option<ApiToken>>;
    async fn list_tokens(
        &self,
        merchant: Option<MerchantId>,
        staff: Option<StaffId>,
        page: &PageRequest,
    ) -> StoreResult<Page<ApiToken>>;
    /// Marks a token revoked; false when it was already revoked.
    async fn revoke_token(&self, id: ApiTokenId, now: Timestamp) -> StoreResult<bool>;
    async fn touch_token(&self, id: ApiTokenId, now: Timestamp) -> StoreResult<()>;
    /// Counts one attempt against `key` in a fixed window of `window_secs`, in one atomic
    /// write shared by every process, and returns the count so far in the current window.
    async fn count_attempt(&self, key: &str, now: Timestamp, window_secs: i64) -> StoreResult<AttemptCount>;
    async fn clear_attempts(&self, key: &str) -> StoreResult<()>;
    /// Takes back one attempt counted before the outcome was known (it succeeded).
    async fn uncount_attempt(&self, key: &str) -> StoreResult<()>;
}

#[derive(Debug, Clone, Default)]
pub struct LocationFilter {
    pub kind: Option<LocationKind>,
    pub status: Option<LocationStatus>,
    pub city: Option<String>,
    /// Only these locations (a store role's scope).
    pub only: Option<Vec<LocationId>>,
}

#[async_trait]
pub trait LocationRepo: Send + Sync {
    async fn insert_location(&self, location: &Location) -> StoreResult<()>;
    async fn location(&self, merchant: MerchantId, id: LocationId) -> StoreResult<Option<Location>>;
    async fn list_locations(
        &self,
        merchant: MerchantId,
        filter: &LocationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Location>>;
    /// Saves if nobody changed the location since `expected`.
    async fn update_location(&self, location: &Location, expected: Timestamp) -> StoreResult<bool>;
}

#[derive(Debug, Clone, Default)]
pub struct ProductFilter {
    pub category: Option<CategoryId>,
    pub status: Option<ProductStatus>,
    /// Matches the Chinese or English name.
    pub query: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SkuFilter {
    pub product: Option<ProductId>,
    pub code: Option<String>,
    pub barcode: Option<String>,
    pub status: Option<RecordStatus>,
}

#[async_trait]
pub trait CatalogRepo: Send + Sync {
    async fn insert_category(&self, category: &Category) -> StoreResult<()>;
    async fn category(&self, merchant: MerchantId, id: CategoryId) -> StoreResult<Option<Category>>;
    async fn list_categories(
        &self,
        merchant: MerchantId,
        parent: Option<CategoryId>,
        status: Option<RecordStatus>,
        page: &PageRequest,
    ) -> StoreResult<Page<Category>>;
    async fn update_category(&self, category: &Category, expected: Timestamp) -> StoreResult<bool>;

    async fn insert_product(&self, product: &Product) -> StoreResult<()>;
    async fn product(&self, merchant: MerchantId, id: ProductId) -> StoreResult<Option<Product>>;
    async fn list_products(
        &self,
        merchant: MerchantId,
        filter: &ProductFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Product>>;
    async fn update_product(&self, product: &Product, expected: Timestamp) -> StoreResult<bool>;

    async fn insert_image(&self, image: &ProductImage) -> StoreResult<()>;
    async fn images(&self, merchant: MerchantId, product: ProductId) -> StoreResult<Vec<ProductImage>>;
    async fn delete_image(&self, merchant: MerchantId, product: ProductId, image: ImageId) -> StoreResult<bool>;

    async fn insert_sku(&self, sku: &Sku) -> StoreResult<()>;
    async fn sku(&self, merchant: MerchantId, id: SkuId) -> StoreResult<Option<Sku>>;
    async fn list_skus(&self, merchant: MerchantId, filter: &SkuFilter, page: &PageRequest) -> StoreResult<Page<Sku>>;
    async fn update_sku(&self, sku: &Sku, expected: Timestamp) -> StoreResult<bool>;
    /// Saves the base and member price (and `updated_at`) of each SKU, each only if its
    /// `updated_at` is still the one given, in one transaction: all or none (`false`).
    async fn update_sku_prices(&self, merchant: MerchantId, skus: &[(Sku, Timestamp)]) -> StoreResult<bool>;

    async fn price_overrides(&self, merchant: MerchantId, sku: SkuId) -> StoreResult<Vec<PriceOverride>>;
    /// Every override of the merchant's SKUs in `skus`.
    async fn price_overrides_for(&self, merchant: MerchantId, skus: &[SkuId]) -> StoreResult<Vec<PriceOverride>>;
    async fn set_price_override(&self, merchant: MerchantId, price: &PriceOverride) -> StoreResult<()>;
    async fn delete_price_override(&self, merchant: MerchantId, sku: SkuId, scope: PriceScope) -> StoreResult<bool>;

    /// The newest products first.
    async fn newest_products(
        &self,
        merchant: MerchantId,
        filter: &ProductFilter,
        limit: u32,
    ) -> StoreResult<Vec<Product>>;
    async fn banners(&self, merchant: MerchantId) -> StoreResult<Vec<Banner>>;
    async fn insert_banner(&self, banner: &Banner) -> StoreResult<()>;
    async fn delete_banner(&self, merchant: MerchantId, id: BannerId) -> StoreResult<bool>;

    /// Writes a whole import in one transaction: everything or nothing. `progress` is
    /// told how many records are written so far.
    async fn import_catalog(
        &self,
        merchant: MerchantId,
        batch: &CatalogImport,
        actor: Option<StaffId>,
        now: Timestamp,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> StoreResult<()>;
}

/// A picture at the top of a shop's home feed, linking somewhere in the shop.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Banner {
    pub id: BannerId,
    pub merchant_id: MerchantId,
    pub title: sweep_domain::text::Localized,
    pub image_key: String,
    /// A path within the shop, e.g. `/p/<product id>`.
    pub link: String,
    pub sort_order: i64,
    pub created_at: Timestamp,
}

/// New catalog records and opening stock, checked and ready to write.
#[derive(Debug, Clone, Default)]
pub struct CatalogImport {
    pub categories: Vec<Category>,
    pub products: Vec<Product>,
    pub skus: Vec<Sku>,
    pub stock: Vec<StockLine>,
}

impl CatalogImport {
    pub fn records(&self) -> usize {
        self.categories.len() + self.products.len() + self.skus.len() + self.stock.len()
    }
}

/// One line of an atomic stock operation.
#[derive(Debug, Clone)]
pub struct StockLine {
    pub sku_id: SkuId,
    pub location_id: LocationId,
    pub change: StockChange,
    pub reason: Option<AdjustReason>,
    pub note: String,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct StockFilter {
    pub sku: Option<SkuId>,
    pub location: Option<LocationId>,
    pub only: Option<Vec<LocationId>>,
    pub kind: Option<MovementKind>,
}

/// A stock level whose reserved units are not what open orders promise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationMismatch {
    pub merchant_id: String,
    pub sku_id: String,
    pub location_id: String,
    pub reserved: i64,
    /// Units of open orders' unshipped parts at the location.
    pub promised: i64,
}

/// A stock level whose figures do not equal the sum of its movements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerMismatch {
    pub merchant_id: String,
    pub sku_id: String,
    pub location_id: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub ledger_on_hand: i64,
    pub ledger_reserved: i64,
}

#[async_trait]
pub trait InventoryRepo: Send + Sync {
    /// Applies every line or none, each as one conditional write, and appends the
    /// movements to the ledger in the same transaction.
    async fn apply_stock(
        &self,
        merchant: MerchantId,
        lines: &[StockLine],
        actor: Option<StaffId>,
        now: Timestamp,
    ) -> StoreResult<Vec<Movement>>;
    async fn stock_levels(
        &self,
        merchant: MerchantId,
        filter: &StockFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<StockRow>>;
    async fn movements(
        &self,
        merchant: MerchantId,
        filter: &StockFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Movement>>;
    /// Every stock level of these SKUs, at every location.
    async fn levels_of(&self, merchant: MerchantId, skus: &[SkuId]) -> StoreResult<Vec<StockRow>>;
    /// Every level, across all merchants, that its ledger does not explain; and every
    /// illegal level.
    async fn ledger_mismatches(&self) -> StoreResult<Vec<LedgerMismatch>>;
    /// Stock levels whose reserved units differ from what open orders still promise
    /// from that location.
    async fn reservation_mismatches(&self) -> StoreResult<Vec<ReservationMismatch>>;
}

/// What happened when a request with an idempotency key arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyStart {
    /// First time: go ahead, then complete or abandon.
    Started,
    /// Done before with the same request: here is the answer.
    Replay { status: u16, body: Vec<u8> },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used before for a different request.
    Mismatch,
}

#[async_trait]
pub trait IdempotencyRepo: Send + Sync {
    async fn start(&self, scope: &str, key: &str, request_hash: &str, now: Timestamp) -> StoreResult<IdempotencyStart>;
    async fn complete(&self, scope: &str, key: &str, status: u16, body: &[u8]) -> StoreResult<()>;
    async fn abandon(&self, scope: &str, key: &str) -> StoreResult<()>;
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    pub run_at: Timestamp,
    /// Jobs with the same key are enqueued once (periodic jobs from several processes).
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
}

#[async_trait]
pub trait JobRepo: Send + Sync {
    /// Returns false when a job with the same dedupe key exists already.
    async fn enqueue(&self, job: &NewJob) -> StoreResult<bool>;
    /// Takes the oldest due job whose lease is free, leasing it to `worker` until
    /// `now + lease_secs`. Two workers never hold the same job.
    async fn claim(&self, worker: &str, now: Timestamp, lease_secs: i64) -> StoreResult<Option<ClaimedJob>>;
    /// Extends `worker`'s lease on a job it still holds to `until`; false when the
    /// lease is no longer its own (it ran out and another worker took the job).
    async fn renew(&self, id: JobId, worker: &str, until: Timestamp) -> StoreResult<bool>;
    async fn finish(&self, id: JobId, worker: &str, now: Timestamp) -> StoreResult<()>;
    async fn retry_later(&self, id: JobId, worker: &str, error: &str, run_at: Timestamp) -> StoreResult<()>;
    /// Deletes expired sessions, old idempotency keys, stale attempt counters and
    /// finished jobs; returns how many rows went.
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<u64>;
}

#[async_trait]
pub trait Health: Send + Sync {
    /// True when the database answers.
    async fn ready(&self) -> bool;
}

/// Where uploaded files live (a directory under the data directory by default).
#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> StoreResult<()>;
    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
}

mod analytics;
mod cards;
mod coupons;
mod flash;
mod gateway;
mod integrity;
mod loyalty;
mod payments;
mod shopping;
mod till;
pub use analytics::*;
pub use cards::*;
pub use coupons::*;
pub use flash::*;
pub use gateway::*;
pub use integrity::*;
pub use loyalty::*;
pub use payments::*;
pub use shopping::*;
pub use till::*;
