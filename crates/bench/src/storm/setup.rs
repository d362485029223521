//! Before the storm: the server, the providers (the simulator, in this process), the
//! demo merchant's accounts pointed at them, the orders and their payments, the
//! payments made at the providers with their notifications held back, and the orders
//! settled or cancelled before any notification comes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use sweep_app::ports::{CreatePayment, PayScene, PaymentGateway, PaymentProvider};
use sweep_domain::ids::MerchantId;
use sweep_domain::{Money, Timestamp};
use sweep_paysim::{Faults, SimConfig, Simulator};

use super::{Fate, Order, Provider, Trade};
use crate::client::{Client, id};
use crate::remote::unix_micros;
use crate::stats::Rng;

pub(crate) const SLUG: &str = "yunmian";
const OWNER: &str = "owner@yunmian.demo";
const DEMO_PASSWORD: &str = "sweep-demo-2026";

/// The providers, played by the simulator in this process. Its own deliveries are
/// dropped until the storm is ready: the drill sends the notifications itself.
pub(crate) struct Sim {
    pub(crate) sim: Arc<Simulator>,
    task: tokio::task::JoinHandle<()>,
}

impl Sim {
    pub(crate) async fn start() -> anyhow::Result<Sim> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let sim = Simulator::new(SimConfig {
            public_base: base,
            notify_retry_ms: vec![500, 2000, 5000, 15000],
            refund_processing_ms: 300,
            ..SimConfig::default()
        });
        sim.set_faults(Faults { drop_notifications: true, ..Faults::default() });
        let app = sim.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Sim { sim, task })
    }

    /// A freshly signed payment notification of a paid trade, as the provider sends it.
    pub(crate) fn notification(&self, provider: Provider, out_trade_no: &str) -> Option<Note> {
        let (headers, body) = match provider {
            Provider::WeChat => self.sim.wechat_payment_notification(out_trade_no)?,
            Provider::Alipay => (alipay_headers(), self.sim.alipay_payment_notification(out_trade_no)?),
        };
        Some(Note { headers, body, signed_at: Instant::now() })
    }

    /// Waits until the simulator has dropped `count` notifications in all, so none of
    /// them can still go out once deliveries are switched back on.
    async fn wait_dropped(&self, count: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let dropped = self.sim.deliveries().iter().filter(|d| d.dropped).count();
            if dropped >= count {
                return Ok(());
            }
            ensure!(Instant::now() < deadline, "the simulator dropped {dropped} of {count} notifications");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) fn alipay_headers() -> Vec<(String, String)> {
    vec![("Content-Type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())]
}

/// A notification as posted: headers, body, and when it was signed.
#[derive(Clone)]
pub(crate) struct Note {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) signed_at: Instant,
}

pub(crate) struct Member {
    cookie: String,
    csrf: String,
}

/// The demo merchant as the drill sees it.
pub(crate) struct Shop {
    pub(crate) base: String,
    pub(crate) owner: Client,
    http: reqwest::Client,
    stores: Vec<String>,
    skus: Vec<String>,
    members: Vec<Member>,
    pub(crate) merchant_id: String,
    /// The accounts' credentials, as the simulator made them.
    pub(crate) credentials: HashMap<Provider, Map<String, Value>>,
    /// The merchant's accounts, spoken to by Sweep's own clients (to ask the providers).
    pub(crate) gateways: HashMap<Provider, Arc<dyn PaymentGateway>>,
}

impl Shop {
    /// Where `provider` posts notifications about this merchant's payments.
    pub(crate) fn notify_url(&self, provider: Provider) -> String {
        format!("{}/api/v1/payments/{}/notify/{}", self.base, provider.name(), self.merchant_id)
    }

    async fn shopper(&self, m: usize, path: &str, body: Value) -> anyhow::Result<(StatusCode, Value)> {
        let member = &self.members[m];
        let r = self
            .http
            .post(format!("{}/s/{SLUG}/api{path}", self.base))
            .header("cookie", &member.cookie)
            .header("x-csrf-token", &member.csrf)
            .timeout(Duration::from_secs(60))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST /s/{SLUG}/api{path}"))?;
        let status = r.status();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }
}

/// The demo owner connects the merchant's WeChat Pay and Alipay accounts at the
/// simulator, puts stock at every store (many SKUs at many stores: orders do not queue
/// for one stock row) and makes the members who shop.
pub(crate) async fn set_up(base: &str, sim: &Sim, db_url: &str, members: usize) -> anyhow::Result<Shop> {
    let owner = Client::sign_in(base, OWNER, DEMO_PASSWORD).await?;
    let merchant_id = merchant_id(db_url).await?;
    let merchant: MerchantId = merchant_id.parse()?;
    let options = sweep_pay::ProviderOptions {
        code_wait: sweep_pay::CodeWait {
            poll_every: Duration::from_millis(500),
            give_up_after: Duration::from_secs(10),
        },
        any_gateway: true,
    };
    let mut credentials = HashMap::new();
    let mut gateways = HashMap::new();
    for provider in [Provider::WeChat, Provider::Alipay] {
        let s = sim.sim.clone();
        let made = tokio::task::spawn_blocking(move || match provider {
            Provider::WeChat => s.create_wechat_account(),
            Provider::Alipay => s.create_alipay_account(),
        })
        .await?;
        let Value::Object(fields) = made.clone() else { bail!("the simulator's account is not an object") };
        let path = format!("/api/v1/payment-accounts/{}", provider.name());
        let (status, view) = owner.send(reqwest::Method::PUT, &path, Some(made)).await?;
        ensure!(status == StatusCode::OK, "PUT {path}: {status} {view}");
        let client: Box<dyn PaymentProvider> = match provider {
            Provider::WeChat => Box::new(sweep_pay::wechat::WeChatPayProvider::new(options)),
            Provider::Alipay => Box::new(sweep_pay::alipay::AlipayProvider::new(options)),
        };
        let parts = client.check_account(&fields).map_err(|e| anyhow!("{} account: {e:?}", provider.name()))?;
        gateways.insert(provider, client.open(merchant, &parts).map_err(|e| anyhow!(e))?);
        credentials.insert(provider, fields);
    }

    let listed = owner.fetch("/api/v1/locations?kind=store").await?;
    let stores: Vec<String> =
        listed["items"].as_array().context("a list of stores")?.iter().filter_map(|s| id(s).ok()).collect();
    ensure!(!stores.is_empty(), "the demo has no stores");
    let listed = owner.fetch("/api/v1/skus?limit=100").await?;
    let skus: Vec<String> =
        listed["items"].as_array().context("a list of SKUs")?.iter().filter_map(|s| id(s).ok()).collect();
    ensure!(!skus.is_empty(), "the demo has no SKUs");
    let lines: Vec<Value> = skus.iter().map(|s| json!({"sku_id": s, "quantity": 1_000_000})).collect();
    for store in &stores {
        owner.create("/api/v1/stock/receipts", json!({"location_id": store, "lines": lines})).await?;
    }

    let (status, made) =
        owner.post("/api/v1/dev/rehearsal-members", json!({"first_phone": "16700000000", "count": members})).await?;
    ensure!(status == StatusCode::CREATED, "rehearsal members: {status} {made}");
    let members = made
        .as_array()
        .context("a list of members")?
        .iter()
        .map(|m| Member {
            cookie: format!("sweep_shop={}", m["session"].as_str().unwrap_or_default()),
            csrf: m["csrf_token"].as_str().unwrap_or_default().to_string(),
        })
        .collect();
    let http = reqwest::Client::builder().build()?;
    Ok(Shop { base: base.to_string(), owner, http, stores, skus, members, merchant_id, credentials, gateways })
}

async fn merchant_id(url: &str) -> anyhow::Result<String> {
    let pool = pool(url).await?;
    let (id,): (String,) =
        sqlx::query_as("SELECT id FROM merchants WHERE slug = $1").bind(SLUG).fetch_one(&pool).await?;
    pool.close().await;
    Ok(id)
}

pub(crate) async fn pool(url: &str) -> anyhow::Result<sqlx::AnyPool> {
    sqlx::any::install_default_drivers();
    Ok(sqlx::pool::PoolOptions::new().max_connections(4).connect(url).await?)
}

/// Each member places its orders one after another (a cart is one member's), members
/// `shoppers` at a time; every order opens a payment at its provider (double: at both).
pub(crate) async fn make_orders(
    shop: &Shop,
    db_url: &str,
    plan: &[(Fate, Provider)],
    shoppers: usize,
) -> anyhow::Result<Vec<Order>> {
    let members = shop.members.len();
    let placed: Vec<anyhow::Result<Vec<(usize, String)>>> = futures::stream::iter(0..members)
        .map(|m| async move {
            let mut mine = vec![];
            for i in (m..plan.len()).step_by(members) {
                let (fate, provider) = plan[i];
                let (sku, store) = (&shop.skus[i % shop.skus.len()], &shop.stores[i % shop.stores.len()]);
                mine.push((i, place(shop, m, sku, store, fate, provider).await?));
            }
            Ok(mine)
        })
        .buffer_unordered(shoppers)
        .collect()
        .await;
    let mut ids = vec![String::new(); plan.len()];
    for batch in placed {
        for (i, order) in batch? {
            ids[i] = order;
        }
    }
    // The payments as Sweep recorded them, in the order they were opened.
    let pool = pool(db_url).await?;
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT order_id, provider, out_trade_no, amount FROM payments ORDER BY created_at, id")
            .fetch_all(&pool)
            .await?;
    pool.close().await;
    let mut trades: HashMap<String, Vec<Trade>> = HashMap::new();
    for (order, provider, out_trade_no, amount) in rows {
        if let Some(provider) = Provider::parse(&provider) {
            trades.entry(order).or_default().push(Trade { provider, out_trade_no, amount });
        }
    }
    let mut orders = Vec::with_capacity(plan.len());
    for (i, id) in ids.into_iter().enumerate() {
        let fate = plan[i].0;
        let trades = trades.remove(&id).unwrap_or_default();
        let want = if fate == Fate::Double { 2 } else { 1 };
        ensure!(trades.len() == want, "order {id} has {} payments, expected {want}", trades.len());
        orders.push(Order { id, member: i % members, fate, trades });
    }
    Ok(orders)
}

/// One pickup order of one unit, and its payment (by QR, as on a desktop) at `provider`;
/// a double order opens a second at the other provider.
async fn place(
    shop: &Shop,
    m: usize,
    sku: &str,
    store: &str,
    fate: Fate,
    provider: Provider,
) -> anyhow::Result<String> {
    let (status, body) = shop.shopper(m, "/cart/items", json!({"sku_id": sku, "quantity": 1})).await?;
    ensure!(status.is_success(), "add to cart: {status} {body}");
    let (status, order) = shop.shopper(m, "/orders", json!({"fulfilment": "pickup", "store_id": store})).await?;
    ensure!(status == StatusCode::CREATED, "place an order: {status} {order}");
    let order = id(&order)?;
    let mut providers = vec![provider];
    if fate == Fate::Double {
        providers.push(provider.other());
    }
    for p in providers {
        let (status, next) =
            shop.shopper(m, &format!("/orders/{order}/pay"), json!({"provider": p.name(), "qr": true})).await?;
        ensure!(status == StatusCode::OK, "pay order {order} with {}: {status} {next}", p.name());
    }
    Ok(order)
}

/// The shoppers pay at the providers (the notifications are dropped); returns each
/// payment's notification as the provider signed it then, delivered (and replayed) later.
pub(crate) async fn pay_at_providers(sim: &Sim, orders: &[Order]) -> anyhow::Result<HashMap<String, Note>> {
    let mut paid = 0;
    for t in orders.iter().filter(|o| o.fate.pays()).flat_map(|o| &o.trades) {
        let result = match t.provider {
            Provider::WeChat => sim.sim.pay_wechat(&t.out_trade_no).await,
            Provider::Alipay => sim.sim.pay_alipay(&t.out_trade_no).await,
        };
        result.map_err(|e| anyhow!("paying {} at {}: {e}", t.out_trade_no, t.provider.name()))?;
        paid += 1;
    }
    sim.wait_dropped(paid).await?;
    let mut early = HashMap::new();
    for t in orders.iter().filter(|o| o.fate.pays()).flat_map(|o| &o.trades) {
        let note = sim.notification(t.provider, &t.out_trade_no).context("a paid trade's notification")?;
        early.insert(t.out_trade_no.clone(), note);
    }
    Ok(early)
}

/// A trade Sweep never opened, paid at a provider that signs its notification.
pub(crate) struct Foreign {
    pub(crate) provider: Provider,
    pub(crate) out_trade_no: String,
    /// The drill's order whose payment has this number at the other provider, if any.
    pub(crate) order: Option<usize>,
    pub(crate) note: Note,
}

/// Trades paid at the providers with the merchant's own accounts but never opened by
/// Sweep (another system sharing the account): unknown numbers, and numbers of Sweep's
/// unpaid payments at the other provider with another amount.
pub(crate) async fn foreign_trades(
    shop: &Shop,
    sim: &Sim,
    orders: &[Order],
    rng: &mut Rng,
) -> anyhow::Result<Vec<Foreign>> {
    let each = (orders.len() / 40).max(2);
    let mut unpaid: Vec<usize> = (0..orders.len()).filter(|i| orders[*i].fate == Fate::Unpaid).collect();
    super::shuffle(&mut unpaid, rng);
    let mut wanted: Vec<(Provider, Option<usize>, String, i64)> = vec![];
    for n in 0..each {
        let provider = if n % 2 == 0 { Provider::WeChat } else { Provider::Alipay };
        wanted.push((provider, None, sweep_wechatpay::random_alnum(32), 990 + n as i64));
        if let Some(&i) = unpaid.get(n) {
            let t = &orders[i].trades[0];
            wanted.push((t.provider.other(), Some(i), t.out_trade_no.clone(), 1));
        }
    }
    let dropped_before = sim.sim.deliveries().iter().filter(|d| d.dropped).count();
    let now = unix_micros();
    for (provider, _, out_trade_no, amount) in &wanted {
        let create = CreatePayment {
            merchant_id: shop.merchant_id.parse()?,
            out_trade_no: out_trade_no.clone(),
            amount: Money::cny(*amount),
            description: "Storm drill: another system's sale".into(),
            notify_url: shop.notify_url(*provider),
            return_url: shop.base.clone(),
            expires_at: Timestamp::from_unix_micros(now + 900_000_000),
            scene: PayScene::Qr,
        };
        shop.gateways[provider].create(&create).await.map_err(|e| anyhow!("a foreign trade: {e:?}"))?;
        let paid = match provider {
            Provider::WeChat => sim.sim.pay_wechat(out_trade_no).await,
            Provider::Alipay => sim.sim.pay_alipay(out_trade_no).await,
        };
        paid.map_err(|e| anyhow!("paying a foreign trade: {e}"))?;
    }
    sim.wait_dropped(dropped_before + wanted.len()).await?;
    wanted
        .into_iter()
        .map(|(provider, order, out_trade_no, _)| {
            let note = sim.notification(provider, &out_trade_no).context("a foreign trade's notification")?;
            Ok(Foreign { provider, out_trade_no, order, note })
        })
        .collect()
}

/// What was settled before the storm.
pub(crate) struct Before {
    pub(crate) refunded: usize,
    pub(crate) cancelled: usize,
    /// Late orders a payment query found paid before they could be cancelled: refunded
    /// by the cancel instead, so their fate became `Refunded`.
    pub(crate) found_paid: usize,
}

/// Orders to be refunded get their notification and are cancelled by the merchant (a
/// full refund); late ones are cancelled unpaid, by the shopper or by the merchant,
/// while their payment's notification is still on its way.
pub(crate) async fn settle_some(
    shop: &Shop,
    orders: &mut [Order],
    early: &HashMap<String, Note>,
) -> anyhow::Result<Before> {
    let http = reqwest::Client::new();
    let jobs: Vec<usize> =
        (0..orders.len()).filter(|i| matches!(orders[*i].fate, Fate::Refunded | Fate::Late)).collect();
    let view: &[Order] = orders;
    let results: Vec<anyhow::Result<(usize, String)>> = futures::stream::iter(jobs)
        .map(|i| {
            let http = http.clone();
            async move {
                let o = &view[i];
                if o.fate == Fate::Refunded {
                    let t = &o.trades[0];
                    let note = &early[&t.out_trade_no];
                    let mut request = http.post(shop.notify_url(t.provider)).body(note.body.clone());
                    for (k, v) in &note.headers {
                        request = request.header(k.as_str(), v.as_str());
                    }
                    let r = request.send().await?;
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap_or_default();
                    ensure!(t.provider.acknowledged(status, &body), "order {}'s notification: {status} {body}", o.id);
                }
                Ok((i, cancel(shop, o, o.fate == Fate::Late && (i / 2) % 2 == 0).await?))
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut before = Before { refunded: 0, cancelled: 0, found_paid: 0 };
    for result in results {
        let (i, status) = result?;
        match (orders[i].fate, status.as_str()) {
            (Fate::Refunded, "refunded") => before.refunded += 1,
            (Fate::Late, "cancelled") => before.cancelled += 1,
            (Fate::Late, "refunded") => {
                orders[i].fate = Fate::Refunded;
                before.found_paid += 1;
            }
            (fate, status) => bail!("order {} ({}) became {status} when cancelled", orders[i].id, fate.name()),
        }
    }
    Ok(before)
}

/// Cancels an order, as its shopper or as the merchant; returns the status it took. A
/// payment query may apply the payment at that very moment (the order changed: 409);
/// the order, paid now, is then cancelled again (and refunded).
async fn cancel(shop: &Shop, o: &Order, by_shopper: bool) -> anyhow::Result<String> {
    for _ in 0..3 {
        let (status, view) = if by_shopper {
            shop.shopper(o.member, &format!("/orders/{}/cancel", o.id), json!({})).await?
        } else {
            shop.owner.post(&format!("/api/v1/orders/{}/cancel", o.id), json!({"reason": "storm drill"})).await?
        };
        match status {
            StatusCode::OK => return Ok(view["status"].as_str().unwrap_or_default().to_string()),
            StatusCode::CONFLICT if view["error"]["code"] == "order_changed" => continue,
            _ => bail!("cancel order {}: {status} {view}", o.id),
        }
    }
    bail!("order {} kept changing while it was cancelled", o.id)
}
