//! What the storage suites share: a merchant world and row builders.
#![allow(dead_code, unused_imports)]

pub use std::sync::Arc;

pub use sweep_app::page::PageRequest;
pub use sweep_app::ports::*;
pub use sweep_domain::catalog::{Attributes, Category, Product, ProductStatus, RecordStatus, Sku};
pub use sweep_domain::channel::Channel;
pub use sweep_domain::ids::*;
pub use sweep_domain::inventory::{MovementKind, Quantity, StockChange, StockLevel};
pub use sweep_domain::location::{GeoPoint, Location, LocationKind, LocationStatus, OpeningHours};
pub use sweep_domain::merchant::{Merchant, MerchantStatus};
pub use sweep_domain::pricing::{PriceOverride, PriceScope};
pub use sweep_domain::roles::Role;
pub use sweep_domain::staff::{ApiToken, Staff, StaffStatus};
pub use sweep_domain::text::{Localized, Login};
pub use sweep_domain::{Currency, Money, Timestamp};
pub use sweep_store::testing::TestDb;

pub fn t(secs: i64) -> Timestamp {
    Timestamp::from_unix_micros(1_790_000_000_000_000 + secs * 1_000_000)
}

pub fn merchant(slug: &str) -> Merchant {
    Merchant {
        id: MerchantId::new(),
        name: format!("Merchant {slug}"),
        slug: slug.into(),
        time_zone: "Asia/Shanghai".into(),
        currency: Currency::Cny,
        status: MerchantStatus::Active,
        created_at: t(0),
        updated_at: t(0),
    }
}

pub fn staff(merchant: Option<MerchantId>, login: &str, role: Role, stores: Vec<LocationId>) -> Staff {
    Staff {
        id: StaffId::new(),
        merchant_id: merchant,
        login: Login::parse("login", login).unwrap(),
        display_name: login.into(),
        role,
        status: StaffStatus::Active,
        stores,
        created_at: t(0),
        updated_at: t(0),
    }
}

pub fn location(merchant: MerchantId, code: &str, kind: LocationKind) -> Location {
    Location {
        id: LocationId::new(),
        merchant_id: merchant,
        code: code.into(),
        kind,
        name: Localized { zh: format!("{code}店"), en: format!("{code} store") },
        address: "西湖区文三路 1 号".into(),
        city: "杭州".into(),
        district: "西湖区".into(),
        phone: String::new(),
        point: GeoPoint { lat: 30.2741, lng: 120.1551 },
        opening_hours: OpeningHours::mall_hours(),
        pickup_enabled: kind == LocationKind::Store,
        delivery_enabled: true,
        status: LocationStatus::Active,
        created_at: t(0),
        updated_at: t(0),
    }
}

pub fn product(merchant: MerchantId, zh: &str, en: &str) -> Product {
    Product {
        id: ProductId::new(),
        merchant_id: merchant,
        category_id: None,
        name: Localized { zh: zh.into(), en: en.into() },
        description: Localized::default(),
        status: ProductStatus::Active,
        created_at: t(0),
        updated_at: t(0),
    }
}

pub fn sku(merchant: MerchantId, product: ProductId, code: &str, barcode: Option<&str>) -> Sku {
    let mut attributes = Attributes::new();
    attributes.insert("size".into(), "1.8m".into());
    Sku {
        id: SkuId::new(),
        merchant_id: merchant,
        product_id: product,
        code: code.into(),
        barcode: barcode.map(str::to_string),
        attributes,
        base_price: Money::cny(29900),
        member_price: Some(Money::cny(26900)),
        status: RecordStatus::Active,
        created_at: t(0),
        updated_at: t(0),
    }
}

/// A merchant with an owner, one warehouse, one store and one SKU.
pub struct World {
    pub merchant: Merchant,
    pub warehouse: Location,
    pub store: Location,
    pub sku: Sku,
}

pub async fn world(db: &TestDb, slug: &str) -> World {
    let m = merchant(slug);
    let owner = staff(Some(m.id), &format!("owner@{slug}.test"), Role::MerchantOwner, vec![]);
    db.db.create_merchant(&m, &owner, "hash").await.unwrap();
    let warehouse = location(m.id, "WH", LocationKind::Warehouse);
    let store = location(m.id, "S1", LocationKind::Store);
    db.db.insert_location(&warehouse).await.unwrap();
    db.db.insert_location(&store).await.unwrap();
    let p = product(m.id, "纯棉四件套", "Cotton bedding set");
    db.db.insert_product(&p).await.unwrap();
    let s = sku(m.id, p.id, "BED-001", Some("6901234567892"));
    db.db.insert_sku(&s).await.unwrap();
    World { merchant: m, warehouse, store, sku: s }
}

pub fn line(sku: SkuId, location: LocationId, kind: MovementKind, n: i64) -> StockLine {
    StockLine {
        sku_id: sku,
        location_id: location,
        change: StockChange::of(kind, Quantity::parse("q", n).unwrap()),
        reason: None,
        note: String::new(),
        reference: None,
    }
}

pub async fn level(db: &TestDb, w: &World, location: LocationId) -> StockLevel {
    let filter = StockFilter { sku: Some(w.sku.id), location: Some(location), ..Default::default() };
    let page = db.db.stock_levels(w.merchant.id, &filter, &PageRequest::first(10)).await.unwrap();
    page.items.first().map(|r| r.level).unwrap_or_default()
}

pub async fn raw_pool(db: &TestDb) -> Arc<sqlx::AnyPool> {
    sqlx::any::install_default_drivers();
    Arc::new(sqlx::AnyPool::connect(&db.url).await.unwrap())
}
