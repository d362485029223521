//! The demo merchant: 云眠家纺 (Yunmian Home Textiles), a Hangzhou brand with one
//! warehouse, six stores in the city's malls, 209 SKUs, stock everywhere and staff of
//! every role. Seeding goes through the same use cases as the API, so the demo obeys
//! every rule a real merchant does. Seeding twice changes nothing.

use std::collections::BTreeMap;

use sweep_app::cards::{CampaignInput, CreateCardsInput};
use sweep_app::catalog::{CreateBannerInput, CreateCategoryInput, CreateProductInput, CreateSkuInput};
use sweep_app::flash::{FlashItemInput, FlashSaleInput};
use sweep_app::inventory::{QuantityLine, ReceiveInput};
use sweep_app::locations::{CreateLocationInput, LocalizedInput, PointInput};
use sweep_app::loyalty::{CouponDefInput, TillLineInput, TillPaymentInput, TillPaymentMethod, TillSaleInput};
use sweep_app::merchants::{CreateMerchantInput, NewOwnerInput};
use sweep_app::pricing::SetPriceInput;
use sweep_app::staff::CreateStaffInput;
use sweep_app::{AppError, AppResult, Sweep};
use sweep_domain::catalog::ProductStatus;
use sweep_domain::channel::Channel;
use sweep_domain::coupon::CouponValue;
use sweep_domain::ids::{LocationId, SkuId};
use sweep_domain::pricing::PriceScope;
use sweep_domain::roles::{Actor, Role};
use sweep_domain::text::{Localized, Login};

pub const PASSWORD: &str = "sweep-demo-2026";
pub const ADMIN: &str = "admin@sweep.demo";
pub const SLUG: &str = "yunmian";

/// (login, role, where)
pub const LOGINS: &[(&str, &str, &str)] = &[
    (ADMIN, "platform admin", "the whole deployment"),
    ("owner@yunmian.demo", "merchant owner", "云眠家纺 head office"),
    ("manager@yunmian.demo", "merchant manager", "云眠家纺 head office"),
    ("hubin.manager@yunmian.demo", "store manager", "湖滨银泰店 HZ-HB"),
    ("hubin.clerk@yunmian.demo", "clerk", "湖滨银泰店 HZ-HB"),
    ("binjiang.clerk@yunmian.demo", "clerk", "滨江龙湖天街店 HZ-BJ"),
];

pub struct Seeded {
    pub created: bool,
    pub skus: usize,
    /// The demo's flash sale, when this start seeded it.
    pub flash_sale: Option<sweep_domain::ids::FlashSaleId>,
}

struct Place {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    district: &'static str,
    address: &'static str,
    lat: f64,
    lng: f64,
}

const WAREHOUSE: Place = Place {
    code: "HZ-WH",
    zh: "余杭仓",
    en: "Yuhang Warehouse",
    district: "余杭区",
    address: "余杭区良渚街道古墩路 1888 号",
    lat: 30.4188,
    lng: 120.2990,
};

const STORES: &[Place] = &[
    Place {
        code: "HZ-HB",
        zh: "湖滨银泰店",
        en: "Hubin Intime",
        district: "上城区",
        address: "上城区延安路 258 号湖滨银泰 B1",
        lat: 30.2566,
        lng: 120.1637,
    },
    Place {
        code: "HZ-WL",
        zh: "武林银泰店",
        en: "Wulin Intime",
        district: "拱墅区",
        address: "拱墅区延安路 530 号武林银泰 5F",
        lat: 30.2729,
        lng: 120.1628,
    },
    Place {
        code: "HZ-XX",
        zh: "西溪印象城店",
        en: "Xixi Impression City",
        district: "余杭区",
        address: "余杭区五常大道 1 号西溪印象城 3F",
        lat: 30.2837,
        lng: 120.0692,
    },
    Place {
        code: "HZ-BJ",
        zh: "滨江龙湖天街店",
        en: "Binjiang Paradise Walk",
        district: "滨江区",
        address: "滨江区江汉路 1515 号龙湖天街 2F",
        lat: 30.2097,
        lng: 120.2118,
    },
    Place {
        code: "HZ-XS",
        zh: "萧山万象汇店",
        en: "Xiaoshan MixC",
        district: "萧山区",
        address: "萧山区金城路 1038 号万象汇 4F",
        lat: 30.1633,
        lng: 120.2655,
    },
    Place {
        code: "HZ-CX",
        zh: "城西银泰店",
        en: "Chengxi Intime",
        district: "西湖区",
        address: "西湖区丰潭路 380 号城西银泰 3F",
        lat: 30.2932,
        lng: 120.1167,
    },
];

/// A product line: variants are the cross product of two attribute lists; the price
/// of a variant is the base price times the first attribute's factor (in percent).
struct Line {
    category: usize,
    zh: &'static str,
    en: &'static str,
    base_yuan: i64,
    first: (&'static str, &'static [(&'static str, i64)]),
    second: (&'static str, &'static [&'static str]),
    rgb: [u8; 3],
}

const CATEGORIES: &[(&str, &str)] = &[
    ("床品套件", "Bedding sets"),
    ("被子", "Duvets"),
    ("枕头", "Pillows"),
    ("毛巾浴巾", "Towels"),
    ("家居服", "Loungewear"),
    ("毯子", "Blankets"),
];

const BED_SIZES: &[(&str, i64)] = &[("1.5m", 100), ("1.8m", 115), ("2.0m", 130)];
const BED_COLOURS: &[&str] = &["雾霾蓝", "燕麦色", "樱花粉", "月光白"];
const DUVET_SIZES: &[(&str, i64)] = &[("150×200cm", 100), ("200×230cm", 130), ("220×240cm", 150)];
const WARMTH: &[&str] = &["春秋被", "冬被"];
const PILLOW_HEIGHTS: &[(&str, i64)] = &[("标准 48×74cm", 100), ("高枕 48×74cm", 110)];
const FIRMNESS: &[&str] = &["软", "中", "硬"];
const TOWEL_KINDS: &[(&str, i64)] = &[("毛巾 34×76cm", 100), ("浴巾 70×140cm", 330)];
const TOWEL_COLOURS: &[&str] = &["白", "灰", "蓝", "粉", "绿"];
const WEAR_SIZES: &[(&str, i64)] = &[("S", 100), ("M", 100), ("L", 100), ("XL", 108)];
const WEAR_COLOURS: &[&str] = &["米白", "藏青"];
const THROW_SIZES: &[(&str, i64)] = &[("100×150cm", 100), ("150×200cm", 150), ("200×230cm", 190)];
const THROW_COLOURS: &[&str] = &["驼色", "灰色", "酒红"];

const LINES: &[Line] = &[
    Line {
        category: 0,
        zh: "60支长绒棉四件套",
        en: "60s Long-Staple Cotton Bedding Set",
        base_yuan: 699,
        first: ("size", BED_SIZES),
        second: ("colour", BED_COLOURS),
        rgb: [150, 175, 205],
    },
    Line {
        category: 0,
        zh: "天丝四件套",
        en: "Tencel Bedding Set",
        base_yuan: 899,
        first: ("size", BED_SIZES),
        second: ("colour", BED_COLOURS),
        rgb: [200, 190, 170],
    },
    Line {
        category: 0,
        zh: "水洗棉四件套",
        en: "Washed Cotton Bedding Set",
        base_yuan: 399,
        first: ("size", BED_SIZES),
        second: ("colour", BED_COLOURS),
        rgb: [225, 185, 190],
    },
    Line {
        category: 0,
        zh: "真丝四件套",
        en: "Mulberry Silk Bedding Set",
        base_yuan: 2699,
        first: ("size", BED_SIZES),
        second: ("colour", BED_COLOURS),
        rgb: [235, 225, 210],
    },
    Line {
        category: 0,
        zh: "磨毛四件套",
        en: "Brushed Cotton Bedding Set",
        base_yuan: 459,
        first: ("size", BED_SIZES),
        second: ("colour", BED_COLOURS),
        rgb: [170, 160, 150],
    },
    Line {
        category: 0,
        zh: "亚麻四件套",
        en: "Linen Bedding Set",
        base_yuan: 999,
        first: ("size", BED_SIZES),
        second: ("colour", BED_COLOURS),
        rgb: [205, 195, 175],
    },
    Line {
        category: 1,
        zh: "白鹅绒被",
        en: "White Goose Down Duvet",
        base_yuan: 1299,
        first: ("size", DUVET_SIZES),
        second: ("warmth", WARMTH),
        rgb: [240, 240, 235],
    },
    Line {
        category: 1,
        zh: "蚕丝被",
        en: "Mulberry Silk Duvet",
        base_yuan: 1599,
        first: ("size", DUVET_SIZES),
        second: ("warmth", WARMTH),
        rgb: [245, 235, 215],
    },
    Line {
        category: 1,
        zh: "大豆纤维被",
        en: "Soy Fibre Duvet",
        base_yuan: 399,
        first: ("size", DUVET_SIZES),
        second: ("warmth", WARMTH),
        rgb: [230, 220, 180],
    },
    Line {
        category: 1,
        zh: "新疆棉花被",
        en: "Xinjiang Cotton Duvet",
        base_yuan: 499,
        first: ("size", DUVET_SIZES),
        second: ("warmth", WARMTH),
        rgb: [250, 248, 240],
    },
    Line {
        category: 2,
        zh: "天然乳胶枕",
        en: "Natural Latex Pillow",
        base_yuan: 299,
        first: ("height", PILLOW_HEIGHTS),
        second: ("firmness", FIRMNESS),
        rgb: [235, 230, 200],
    },
    Line {
        category: 2,
        zh: "羽绒枕",
        en: "Down Pillow",
        base_yuan: 259,
        first: ("height", PILLOW_HEIGHTS),
        second: ("firmness", FIRMNESS),
        rgb: [240, 240, 245],
    },
    Line {
        category: 2,
        zh: "记忆棉枕",
        en: "Memory Foam Pillow",
        base_yuan: 199,
        first: ("height", PILLOW_HEIGHTS),
        second: ("firmness", FIRMNESS),
        rgb: [210, 215, 225],
    },
    Line {
        category: 2,
        zh: "荞麦枕",
        en: "Buckwheat Pillow",
        base_yuan: 129,
        first: ("height", PILLOW_HEIGHTS),
        second: ("firmness", FIRMNESS),
        rgb: [180, 150, 110],
    },
    Line {
        category: 3,
        zh: "新疆长绒棉毛巾",
        en: "Xinjiang Cotton Towel",
        base_yuan: 39,
        first: ("type", TOWEL_KINDS),
        second: ("colour", TOWEL_COLOURS),
        rgb: [245, 245, 245],
    },
    Line {
        category: 3,
        zh: "竹纤维毛巾",
        en: "Bamboo Fibre Towel",
        base_yuan: 35,
        first: ("type", TOWEL_KINDS),
        second: ("colour", TOWEL_COLOURS),
        rgb: [190, 215, 190],
    },
    Line {
        category: 3,
        zh: "纱布毛巾",
        en: "Cotton Gauze Towel",
        base_yuan: 45,
        first: ("type", TOWEL_KINDS),
        second: ("colour", TOWEL_COLOURS),
        rgb: [230, 220, 225],
    },
    Line {
        category: 4,
        zh: "纯棉女士家居服",
        en: "Women's Cotton Loungewear",
        base_yuan: 259,
        first: ("size", WEAR_SIZES),
        second: ("colour", WEAR_COLOURS),
        rgb: [235, 200, 205],
    },
    Line {
        category: 4,
        zh: "纯棉男士家居服",
        en: "Men's Cotton Loungewear",
        base_yuan: 259,
        first: ("size", WEAR_SIZES),
        second: ("colour", WEAR_COLOURS),
        rgb: [90, 105, 135],
    },
    Line {
        category: 4,
        zh: "珊瑚绒睡袍",
        en: "Coral Fleece Robe",
        base_yuan: 199,
        first: ("size", WEAR_SIZES),
        second: ("colour", WEAR_COLOURS),
        rgb: [220, 170, 160],
    },
    Line {
        category: 4,
        zh: "真丝睡衣",
        en: "Silk Pyjamas",
        base_yuan: 899,
        first: ("size", WEAR_SIZES),
        second: ("colour", WEAR_COLOURS),
        rgb: [200, 160, 170],
    },
    Line {
        category: 5,
        zh: "羊毛毯",
        en: "Wool Blanket",
        base_yuan: 599,
        first: ("size", THROW_SIZES),
        second: ("colour", THROW_COLOURS),
        rgb: [185, 150, 115],
    },
    Line {
        category: 5,
        zh: "法兰绒毯",
        en: "Flannel Blanket",
        base_yuan: 159,
        first: ("size", THROW_SIZES),
        second: ("colour", THROW_COLOURS),
        rgb: [160, 165, 175],
    },
    Line {
        category: 5,
        zh: "针织沙发毯",
        en: "Knitted Throw",
        base_yuan: 229,
        first: ("size", THROW_SIZES),
        second: ("colour", THROW_COLOURS),
        rgb: [150, 70, 80],
    },
];

/// A small deterministic generator: the demo is the same on every machine.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// An EAN-13 with the GS1 China prefix and a valid check digit.
fn ean13(serial: u32) -> String {
    let body = format!("690123{serial:06}");
    let sum: u32 = body.bytes().enumerate().map(|(i, b)| (b - b'0') as u32 * if i % 2 == 0 { 1 } else { 3 }).sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn text(zh: &str, en: &str) -> LocalizedInput {
    LocalizedInput { zh: zh.into(), en: en.into() }
}

fn place(p: &Place, kind: sweep_domain::location::LocationKind) -> CreateLocationInput {
    let hours = sweep_domain::location::WEEKDAYS
        .iter()
        .map(|d| {
            (d.to_string(), vec![if *d == "fri" || *d == "sat" { "10:00-22:30" } else { "10:00-22:00" }.to_string()])
        })
        .collect::<BTreeMap<_, _>>();
    CreateLocationInput {
        code: p.code.into(),
        kind,
        name: text(p.zh, p.en),
        address: p.address.into(),
        city: "杭州".into(),
        district: p.district.into(),
        phone: "0571-8888 6600".into(),
        point: PointInput { lat: p.lat, lng: p.lng },
        opening_hours: if kind == sweep_domain::location::LocationKind::Store { hours } else { BTreeMap::new() },
        pickup_enabled: kind == sweep_domain::location::LocationKind::Store,
        delivery_enabled: true,
    }
}

/// Set when seeding finished; a merchant without it is a seed that stopped part-way.
const SEEDED_MARKER: &str = "demo_seeded";

/// Seeds the demo merchant unless it exists. When another process is seeding it at the
/// same moment (several `serve --demo` on one PostgreSQL), waits for that to finish.
/// A member with till purchases and points from the start.
pub const DEMO_MEMBER_PHONE: &str = "13800138000";

pub async fn seed(sweep: &Sweep) -> AppResult<Seeded> {
    let platform = &sweep.repos().platform;
    if platform.platform_value(SEEDED_MARKER).await?.is_some() {
        return Ok(Seeded { created: false, skus: 0, flash_sale: None });
    }
    if sweep.repos().merchants.merchant_by_slug(SLUG).await?.is_some() {
        return wait_for_other_seeder(sweep).await;
    }
    match seed_everything(sweep).await {
        Err(AppError::Conflict { code: "duplicate", field: Some(f), .. }) if f == "slug" => {
            wait_for_other_seeder(sweep).await
        }
        other => other,
    }
}

/// Orders of sales history the demo starts with, so the analytics have something to show.
const DEMO_HISTORY_ORDERS: u64 = 20_000;
const DEMO_HISTORY_DAYS: u32 = 90;

/// Fills the freshly seeded demo merchant with 90 days of finished orders (as
/// `sweep history` does), so the console's charts and leaderboards have a past.
pub async fn seed_history(sweep: &Sweep, db: &sweep_store::Db) -> anyhow::Result<()> {
    let merchant = sweep
        .repos()
        .merchants
        .merchant_by_slug(SLUG)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("the demo merchant is missing"))?;
    let plan = sweep_store::HistoryPlan {
        merchant: merchant.id,
        orders: DEMO_HISTORY_ORDERS,
        days: DEMO_HISTORY_DAYS,
        until: sweep.now(),
        seed: 2026,
    };
    let report = db.generate_history(&plan, &|_| {}).await.map_err(|e| anyhow::anyhow!("demo history: {e}"))?;
    tracing::info!(orders = report.orders, days = DEMO_HISTORY_DAYS, "demo sales history written");
    Ok(())
}

/// Connects the demo merchant's WeChat Pay and Alipay accounts to the simulator. The
/// simulator keeps its books in memory, so every start makes fresh accounts there and
/// stores them (sealed) for the merchant.
pub async fn connect_simulator(sweep: &Sweep, sim: &sweep_paysim::Simulator) -> AppResult<()> {
    let Some(merchant) = sweep.repos().merchants.merchant_by_slug(SLUG).await? else {
        return Ok(());
    };
    for (provider, account) in [
        (sweep_app::payments::WECHAT_PAY, sim.create_wechat_account()),
        (sweep_app::payments::ALIPAY, sim.create_alipay_account()),
    ] {
        let serde_json::Value::Object(fields) = account else {
            return Err(AppError::Internal("the simulator's account is not an object".into()));
        };
        // A restart (or a crash) lost the simulator's old accounts with its memory.
        sweep.replace_forgotten_payment_account(merchant.id, provider, fields).await?;
    }
    Ok(())
}

async fn wait_for_other_seeder(sweep: &Sweep) -> AppResult<Seeded> {
    for _ in 0..120 {
        if sweep.repos().platform.platform_value(SEEDED_MARKER).await?.is_some() {
            return Ok(Seeded { created: false, skus: 0, flash_sale: None });
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    Err(AppError::Internal(format!(
        "the demo merchant '{SLUG}' exists but its seeding never finished (a process stopped part-way); \
         start from an empty data directory or database"
    )))
}

async fn seed_everything(sweep: &Sweep) -> AppResult<Seeded> {
    let admin_login = Login::parse("login", ADMIN)?;
    let admin = match sweep.create_platform_admin(ADMIN, "平台管理员 Platform admin", PASSWORD).await {
        Ok(admin) => admin,
        // There already (an earlier start, or another process seeding right now).
        Err(AppError::Conflict { code: "duplicate", .. }) => {
            match sweep.repos().staff.staff_by_login(&admin_login).await? {
                Some((staff, _)) => staff,
                None => return Err(AppError::Internal("the demo admin vanished".into())),
            }
        }
        Err(e) => return Err(e),
    };
    let admin = Actor { staff_id: admin.id, role: Role::PlatformAdmin, merchant_id: None, stores: vec![] };
    let created = sweep
        .create_merchant(
            &admin,
            CreateMerchantInput {
                name: "云眠家纺 Yunmian Home Textiles".into(),
                slug: SLUG.into(),
                time_zone: None,
                owner: NewOwnerInput {
                    login: LOGINS[1].0.into(),
                    display_name: "陈静 Chen Jing".into(),
                    password: PASSWORD.into(),
                },
            },
        )
        .await?;
    let owner = Actor {
        staff_id: created.owner.id,
        role: Role::MerchantOwner,
        merchant_id: Some(created.merchant.id),
        stores: vec![],
    };

    let warehouse =
        sweep.create_location(&owner, place(&WAREHOUSE, sweep_domain::location::LocationKind::Warehouse)).await?;
    let mut stores = Vec::new();
    for p in STORES {
        stores.push(sweep.create_location(&owner, place(p, sweep_domain::location::LocationKind::Store)).await?);
    }

    let people: [(&str, &str, Role, Vec<LocationId>); 4] = [
        (LOGINS[2].0, "王磊 Wang Lei", Role::MerchantManager, vec![]),
        (LOGINS[3].0, "李娜 Li Na", Role::StoreManager, vec![stores[0].id]),
        (LOGINS[4].0, "张敏 Zhang Min", Role::Clerk, vec![stores[0].id]),
        (LOGINS[5].0, "刘洋 Liu Yang", Role::Clerk, vec![stores[3].id]),
    ];
    let mut staff = Vec::new();
    for (login, name, role, stores) in people {
        let input = CreateStaffInput {
            login: login.into(),
            display_name: name.into(),
            password: PASSWORD.into(),
            role,
            stores,
        };
        staff.push(sweep.create_staff(&owner, input).await?);
    }

    let mut categories = Vec::new();
    for (i, (zh, en)) in CATEGORIES.iter().enumerate() {
        let input = CreateCategoryInput { name: text(zh, en), parent_id: None, sort_order: i as i64 };
        categories.push(sweep.create_category(&owner, input).await?);
    }

    let mut rng = Rng(0x5EED_2026_1111);
    let mut skus: Vec<SkuId> = Vec::new();
    let mut serial = 0u32;
    let mut first_product = None;
    for (n, line) in LINES.iter().enumerate() {
        let description = format!("{}，云眠家纺出品。", line.zh);
        let product = sweep
            .create_product(
                &owner,
                CreateProductInput {
                    name: text(line.zh, line.en),
                    description: Some(text(&description, &format!("{} by Yunmian.", line.en))),
                    category_id: Some(categories[line.category].id),
                    status: Some(ProductStatus::Active),
                },
            )
            .await?;
        sweep.add_product_image(&owner, product.id, &crate::images::swatch(line.rgb, n as u32)).await?;
        first_product.get_or_insert(product.id);
        for (first, factor) in line.first.1 {
            for second in line.second.1 {
                serial += 1;
                let base = line.base_yuan * 100 * factor / 100;
                let mut attributes = BTreeMap::new();
                attributes.insert(line.first.0.to_string(), first.to_string());
                attributes.insert(line.second.0.to_string(), second.to_string());
                let sku = sweep
                    .create_sku(
                        &owner,
                        product.id,
                        CreateSkuInput {
                            code: format!("YM{:02}-{serial:04}", n + 1),
                            barcode: Some(ean13(serial)),
                            attributes,
                            base_price: base,
                            // Members pay 90%, rounded down to the yuan.
                            member_price: Some(base * 9 / 10 / 100 * 100),
                        },
                    )
                    .await?;
                skus.push(sku.id);
            }
        }
    }

    // Stock: plenty in the warehouse, a little in each store, some stores out of some SKUs.
    let receive = |location: LocationId, quantities: Vec<(SkuId, i64)>| ReceiveInput {
        location_id: location,
        lines: quantities.into_iter().map(|(sku_id, quantity)| QuantityLine { sku_id, quantity }).collect(),
        note: "开业备货 Opening stock".into(),
    };
    let in_warehouse: Vec<(SkuId, i64)> = skus.iter().map(|s| (*s, 80 + rng.below(320) as i64)).collect();
    sweep.receive_stock(&owner, receive(warehouse.id, in_warehouse)).await?;
    // The flagship line (the first product, on the first banner) is in every store.
    let flagship = LINES[0].first.1.len() * LINES[0].second.1.len();
    for store in &stores {
        let mut lines: Vec<(SkuId, i64)> = Vec::new();
        for (i, sku) in skus.iter().enumerate() {
            if i < flagship || rng.below(100) >= 15 {
                lines.push((*sku, 1 + rng.below(24) as i64));
            }
        }
        sweep.receive_stock(&owner, receive(store.id, lines)).await?;
    }

    // An online-only offer on the first bedding set and a cheaper store in Xiaoshan:
    // both show in the price-parity report.
    for sku in skus.iter().take(3) {
        let base = sweep.get_sku(&owner, *sku).await?.base_price.minor();
        for channel in Channel::PHONE {
            sweep
                .set_price_override(&owner, *sku, PriceScope::Channel(channel), SetPriceInput { price: base - 2000 })
                .await?;
        }
    }
    for sku in skus.iter().skip(150).take(5) {
        let base = sweep.get_sku(&owner, *sku).await?.base_price.minor();
        sweep
            .set_price_override(&owner, *sku, PriceScope::Store(stores[4].id), SetPriceInput { price: base - 500 })
            .await?;
    }
    // Two banners at the top of the home feed: the first bedding set, and the towels.
    let banners = [
        (
            "双十一 · 长绒棉四件套直降",
            "Double 11: cotton bedding sets",
            [150, 175, 205],
            format!("/p/{}", first_product.expect("products exist")),
        ),
        ("毛巾浴巾 · 柔软亲肤", "Towels: soft on the skin", [190, 215, 190], format!("/c/{}", categories[3].id)),
    ];
    for (i, (zh, en, rgb, link)) in banners.into_iter().enumerate() {
        let image_key = sweep.upload_media(&owner, &crate::images::banner(rgb, i as u32 + 3)).await?;
        let input = CreateBannerInput { title: text(zh, en), image_key, link, sort_order: i as i64 };
        sweep.create_banner(&owner, input).await?;
    }
    // Display cards for Double 11: the flagship line on every store's shelf; the Hubin
    // store's cards credit its clerk.
    let campaign = sweep
        .create_campaign(
            &owner,
            CampaignInput {
                name: "双十一 2026 Double 11".into(),
                starts_at: "2026-11-01T00:00:00+08:00".into(),
                ends_at: "2026-11-12T00:00:00+08:00".into(),
            },
        )
        .await?;
    for (i, store) in stores.iter().enumerate() {
        let input = CreateCardsInput {
            store_id: store.id,
            sku_ids: skus.iter().take(flagship).copied().collect(),
            campaign_id: Some(campaign.id),
            clerk_id: (i == 0).then(|| staff[2].id),
        };
        sweep.create_cards(&owner, input).await?;
    }
    // A welcome coupon for members to claim on the phone ("我的优惠券") and spend once,
    // online or at any store's till, for a year from the seeding.
    let now = sweep.now();
    let perks = CampaignInput {
        name: "会员福利 Member perks".into(),
        starts_at: now.minus_seconds(86_400).to_rfc3339(),
        ends_at: now.plus_seconds(365 * 86_400).to_rfc3339(),
    };
    let perks = sweep.create_campaign(&owner, perks).await?;
    let welcome = CouponDefInput {
        campaign_id: perks.id,
        name: Localized { zh: "会员礼券 满100减15".into(), en: "Members: ¥15 off ¥100".into() },
        value: CouponValue::Fixed { amount: 1500 },
        min_spend: 10_000,
        channels: vec![],
        stores: vec![],
        starts_at: None,
        ends_at: None,
        total_limit: None,
        per_member_limit: Some(1),
        claimable: true,
    };
    sweep.create_coupon_def(&owner, welcome).await?;
    // A Double 11 flash sale at the Hubin store: two bedding sets at half price, 20 of
    // each set aside, one per member, starting two minutes after the seeding (the
    // countdown shows first) and running for a month.
    let flash_skus = [skus[0], skus[1]];
    sweep.receive_stock(&owner, receive(stores[0].id, flash_skus.iter().map(|s| (*s, 20)).collect())).await?;
    let mut items = vec![];
    for sku in flash_skus {
        let base = sweep.get_sku(&owner, sku).await?.base_price.minor();
        items.push(FlashItemInput { sku_id: sku, price: base / 2, units: 20 });
    }
    let flash = FlashSaleInput {
        campaign_id: perks.id,
        name: "双十一秒杀 · 长绒棉四件套半价".into(),
        location_id: stores[0].id,
        starts_at: now.plus_seconds(120).to_rfc3339(),
        ends_at: now.plus_seconds(30 * 86_400).to_rfc3339(),
        per_member_limit: 1,
        members_only: false,
        pay_within_secs: None,
        items,
    };
    let flash_sale = sweep.create_flash_sale(&owner, flash).await?.sale.id;
    // A regular at the Hubin store: two sales at the till on her member card, so the
    // card shows points and in-store purchases as soon as she signs in on her phone.
    let clerk = Actor {
        staff_id: staff[2].id,
        role: Role::Clerk,
        merchant_id: Some(created.merchant.id),
        stores: vec![stores[0].id],
    };
    for (n, (sku, quantity)) in [(skus[0], 1), (skus[flagship + 2], 2)].into_iter().enumerate() {
        let price = sweep.get_sku(&owner, sku).await?.member_price.expect("demo SKUs have member prices");
        let input = TillSaleInput {
            sale_id: format!("HZ-HB-T1-{:04}", n + 1),
            store_id: stores[0].id,
            till_id: "T1".into(),
            occurred_at: None,
            offline: false,
            lines: vec![TillLineInput { sku_id: Some(sku), barcode: None, quantity }],
            member_phone: Some(DEMO_MEMBER_PHONE.into()),
            member_id: None,
            points: 0,
            coupon_id: None,
            payments: vec![TillPaymentInput {
                method: TillPaymentMethod::WechatCode,
                amount: price.minor() * quantity,
                auth_code: None,
            }],
        };
        sweep.record_till_sale(&clerk, input).await?;
    }
    sweep.repos().platform.platform_secret(SEEDED_MARKER, &created.merchant.id.to_string(), sweep.now()).await?;
    Ok(Seeded { created: true, skus: skus.len(), flash_sale: Some(flash_sale) })
}

pub fn print_logins(seeded: Seeded) {
    if seeded.created {
        println!("Demo merchant 云眠家纺 seeded: 1 warehouse, {} stores, {} SKUs.", STORES.len(), seeded.skus);
    }
    println!("Demo member (sign in on the shop with this phone; codes are in the SMS outbox): {DEMO_MEMBER_PHONE}");
    println!("Demo logins (password for all: {PASSWORD}):");
    for (login, role, place) in LOGINS {
        println!("  {login:<30} {role:<17} {place}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn barcodes_have_valid_check_digits() {
        // 6901234567892 is a well-known valid EAN-13.
        assert_eq!(ean13(0).len(), 13);
        let check = |code: &str| {
            let sum: u32 =
                code[..12].bytes().enumerate().map(|(i, b)| (b - b'0') as u32 * if i % 2 == 0 { 1 } else { 3 }).sum();
            (10 - sum % 10) % 10 == (code.as_bytes()[12] - b'0') as u32
        };
        assert!(check("6901234567892"));
        assert!((1..300).all(|s| check(&ean13(s))));
    }

    #[test]
    fn the_catalog_is_big_enough() {
        let skus: usize = LINES.iter().map(|l| l.first.1.len() * l.second.1.len()).sum();
        assert!(skus >= 200, "{skus} SKUs");
        assert!(STORES.len() >= 5);
    }
}
