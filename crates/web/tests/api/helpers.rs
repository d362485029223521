use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sweep_app::{Settings, Sweep, SystemClock};
use sweep_store::Backend;
use sweep_store::testing::TestDb;
use sweep_web::{AppState, WebConfig};

pub const PASSWORD: &str = "correct horse battery";
pub const ADMIN: &str = "admin@test.sweep";

/// The sandbox provider's signing key in tests (shared by a test's processes).
pub const SANDBOX_KEY: &str = "test sandbox signing key";
/// The key sealing merchants' payment secrets in tests (shared by a test's processes).
pub const SECRETS_KEY: [u8; 32] = [42; 32];

pub struct TestApp {
    pub url: String,
    pub sweep: Arc<Sweep>,
    pub sandbox: Arc<sweep_pay::sandbox::Sandbox>,
    /// WeChat Pay and Alipay, played by the simulator under `/paysim` on the same server.
    pub sim: Arc<sweep_paysim::Simulator>,
    /// Kept alive for the test: dropping the last handle deletes the database files.
    #[allow(dead_code)]
    pub db: Arc<TestDb>,
    broken_on_purpose: Arc<std::sync::atomic::AtomicBool>,
}

/// What a test leaves behind, held past its end so `sweep check` can read the books.
pub struct Books {
    sweep: Arc<Sweep>,
    _db: Arc<TestDb>,
    /// Set by tests that break the books on purpose, to see the check notice.
    broken_on_purpose: Arc<std::sync::atomic::AtomicBool>,
}

impl Books {
    /// Every story ends with the whole database passing `sweep check`: stock, points,
    /// orders, payments, refunds, coupons, flash sales and sold units.
    pub async fn assert_balanced(self) {
        if self.broken_on_purpose.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        assert_balanced(&self.sweep, "after the test").await;
    }
}

async fn assert_balanced(sweep: &Sweep, when: &str) {
    let report = sweep.check().await.unwrap();
    assert!(report.is_clean(), "sweep check {when}: {report:#?}");
}

/// Declares a test that runs against SQLite and PostgreSQL, like the store's suite.
#[macro_export]
macro_rules! api_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: $crate::helpers::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn(sweep_store::Backend::Sqlite).await;
                let books = app.books();
                body(app).await;
                books.assert_balanced().await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
            async fn postgres() {
                let app = $crate::helpers::TestApp::spawn(sweep_store::Backend::Postgres).await;
                let books = app.books();
                body(app).await;
                books.assert_balanced().await
            }
        }
    };
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Settings::default()).await
    }

    pub async fn spawn_with(backend: Backend, settings: Settings) -> TestApp {
        Self::spawn_with_web(backend, settings, |_| {}).await
    }

    /// As [`TestApp::spawn_with`], with the web layer's settings changed by `web`
    /// (a shorter header read timeout, say).
    pub async fn spawn_with_web(backend: Backend, settings: Settings, web: fn(&mut WebConfig)) -> TestApp {
        // Warnings and errors show with a failing test's output (SWEEP_TEST_LOG for more).
        let filter = std::env::var("SWEEP_TEST_LOG").unwrap_or_else(|_| "warn,sqlx=error".into());
        let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter(filter).try_init();
        let db = TestDb::new(backend).await;
        let app = Self::serve(db.db.clone(), db.media_dir.clone(), settings, web, db).await;
        app.sweep.create_platform_admin(ADMIN, "Admin", PASSWORD).await.unwrap();
        app
    }

    /// A second server process on the same database as `self`, as when several
    /// `sweep serve` share one PostgreSQL: its own pools, nothing shared in memory.
    pub async fn second_process(&self) -> TestApp {
        let db = sweep_store::Db::connect(&self.db.url, &sweep_store::DbOptions::default()).await.unwrap();
        let keep = TestDb {
            db: Arc::new(db),
            url: self.db.url.clone(),
            media_dir: self.db.media_dir.clone(),
            dir: tempfile::tempdir().unwrap(),
        };
        Self::serve(keep.db.clone(), keep.media_dir.clone(), Settings::default(), |_| {}, keep).await
    }

    async fn serve(
        db: Arc<sweep_store::Db>,
        media: std::path::PathBuf,
        mut settings: Settings,
        web: fn(&mut WebConfig),
        keep: TestDb,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        settings.public_url = url.clone();
        settings.callback_url = url.clone();
        let repos = sweep_store::repos(db.clone(), media);
        let sandbox = Arc::new(sweep_pay::sandbox::Sandbox::new(db.clone(), db, SANDBOX_KEY, &url));
        // Payment codes: the payer "confirms" within a second; the till waits up to two.
        let options = sweep_pay::ProviderOptions {
            code_wait: sweep_pay::CodeWait {
                poll_every: std::time::Duration::from_millis(100),
                give_up_after: std::time::Duration::from_secs(2),
            },
            // The simulator lives on the test server's own address.
            any_gateway: true,
        };
        let sweep = Arc::new(
            Sweep::new(repos, Arc::new(SystemClock), settings)
                .with_secret_box(sweep_app::payments::SecretBox::new(&SECRETS_KEY).unwrap())
                .with_payment_provider(Arc::new(sweep_pay::wechat::WeChatPayProvider::new(options)))
                .with_payment_provider(Arc::new(sweep_pay::alipay::AlipayProvider::new(options)))
                .with_gateway(sandbox.clone())
                .with_job_handler(sandbox.clone()),
        );
        // Tests reach the server from 127.0.0.1 and may pose as other clients with
        // X-Forwarded-For, as a trusted proxy in front of it would.
        let mut config = WebConfig::new(&url);
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.sms_outbox_page = true;
        web(&mut config);
        let header_read_timeout = config.header_read_timeout;
        let state = AppState { sweep: sweep.clone(), config: Arc::new(config), metrics: sweep_web::metrics::handle() };
        let sim = sweep_paysim::Simulator::new(sweep_paysim::SimConfig {
            public_base: format!("{url}/paysim"),
            notify_retry_ms: vec![100, 200, 400, 800, 1600],
            userpaying_secs: 1,
            refund_processing_ms: 200,
        });
        let extra = sweep_pay::sandbox::router(sandbox.clone()).nest("/paysim", sim.router());
        // Served as `sweep serve` serves it: with the peer's address and a header read timeout.
        let app = sweep_web::router_with(state, extra);
        tokio::spawn(sweep_web::serve::serve(listener, app, header_read_timeout, std::future::pending()));
        TestApp { url, sweep, sandbox, sim, db: Arc::new(keep), broken_on_purpose: Default::default() }
    }

    pub fn books(&self) -> Books {
        Books { sweep: self.sweep.clone(), _db: self.db.clone(), broken_on_purpose: self.broken_on_purpose.clone() }
    }

    /// `sweep check` passes now: no rule of the books is broken.
    pub async fn assert_balanced(&self) {
        assert_balanced(&self.sweep, "mid-test").await;
    }

    /// This test breaks the books on purpose: skip the check at its end.
    pub fn breaks_the_books(&self) {
        self.broken_on_purpose.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Runs one statement on the database behind the application's back (to damage
    /// the books on purpose); returns the rows it touched.
    pub async fn tamper(&self, statement: &str, binds: &[&str]) -> u64 {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.db.url).await.unwrap();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(statement.to_string()));
        for b in binds {
            q = q.bind(b.to_string());
        }
        let done = q.execute(&pool).await.unwrap_or_else(|e| panic!("{statement}: {e}")).rows_affected();
        pool.close().await;
        done
    }

    /// The rules `sweep check` finds broken now, each with the rows it names.
    pub async fn broken_rules(&self) -> std::collections::BTreeMap<&'static str, Vec<String>> {
        let report = self.sweep.check().await.unwrap();
        let mut out: std::collections::BTreeMap<&'static str, Vec<String>> = Default::default();
        for m in &report.stock_ledger {
            out.entry("stock_ledger").or_default().push(format!("sku {} at {}", m.sku_id, m.location_id));
        }
        for m in &report.reservations {
            out.entry("reservations").or_default().push(format!("sku {} at {}", m.sku_id, m.location_id));
        }
        for m in &report.points {
            out.entry("points").or_default().push(format!("member {}", m.shopper_id));
        }
        for v in &report.violations {
            out.entry(v.invariant.as_str()).or_default().push(v.subject.clone());
        }
        out
    }

    /// Runs every job that is due, as the worker would (expiries, notifications, refunds).
    pub async fn run_jobs(&self) {
        while self.sweep.run_one_job("test-worker").await.unwrap() {}
    }

    /// A shopper of `slug` signed in by phone, with the code from the SMS outbox.
    pub async fn shopper(&self, slug: &str, phone: &str) -> Client {
        let mut client = self.anonymous();
        self.sign_in_shopper(&mut client, slug, phone).await;
        client
    }

    /// Signs in a shopper of `slug` by phone on `client`, which keeps its cookies (and
    /// so whatever it did as a guest, such as scanning a card) and gets the CSRF token.
    pub async fn sign_in_shopper(&self, client: &mut Client, slug: &str, phone: &str) {
        let (status, body) = client.get(&format!("/s/{slug}/api/session")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        client.headers.insert("x-csrf-token", HeaderValue::from_str(body["csrf_token"].as_str().unwrap()).unwrap());
        let (status, body) = client.post(&format!("/s/{slug}/api/login/code"), json!({"phone": phone})).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let code = self.last_code(phone).await;
        let (status, body) = client.post(&format!("/s/{slug}/api/login"), json!({"phone": phone, "code": code})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        client.headers.insert("x-csrf-token", HeaderValue::from_str(body["csrf_token"].as_str().unwrap()).unwrap());
    }

    /// A browser on a phone in WeChat: its own cookies, its own address (as the trusted
    /// proxy reports it); redirects are followed, as a phone does, unless told not to.
    pub fn phone(&self, address: &str, follow_redirects: bool) -> Client {
        let policy =
            if follow_redirects { reqwest::redirect::Policy::limited(10) } else { reqwest::redirect::Policy::none() };
        let mut client = self.anonymous();
        client.http = reqwest::Client::builder().cookie_store(true).redirect(policy).build().unwrap();
        client.headers.insert("x-forwarded-for", HeaderValue::from_str(address).unwrap());
        client.headers.insert("user-agent", HeaderValue::from_static("Mozilla/5.0 (iPhone) MicroMessenger/8.0"));
        client
    }

    /// The newest sign-in code sent to `phone`.
    pub async fn last_code(&self, phone: &str) -> String {
        let outbox = self.sweep.sms_outbox(200).await.unwrap();
        let message = outbox.iter().find(|m| m.phone == phone).expect("a text to this phone");
        let at = message.body.find("验证码 ").expect("a code in the text") + "验证码 ".len();
        message.body[at..at + 6].to_string()
    }

    /// The shopper pays on the sandbox cashier page; the notification follows through the
    /// job worker, as in production.
    pub async fn pay_in_sandbox(&self, shopper: &Client, slug: &str, order: &str) -> String {
        let (status, body) = shopper.post(&format!("/s/{slug}/api/orders/{order}/pay"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let pay_url = body["pay_url"].as_str().unwrap().to_string();
        let cashier = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let paid = cashier.post(&pay_url).send().await.unwrap();
        assert_eq!(paid.status(), StatusCode::SEE_OTHER);
        self.run_jobs().await;
        pay_url.rsplit('/').next().unwrap().to_string()
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client {
            base: self.url.clone(),
            http: reqwest::Client::builder().cookie_store(true).build().unwrap(),
            headers: HeaderMap::new(),
        }
    }

    /// Signs in through the API and returns a client with the session cookie and CSRF token.
    pub async fn sign_in(&self, login: &str) -> Client {
        let mut client = self.anonymous();
        let (status, body) = client.post("/api/v1/auth/login", json!({"login": login, "password": PASSWORD})).await;
        assert_eq!(status, StatusCode::OK, "sign-in of {login}: {body}");
        client.headers.insert("x-csrf-token", HeaderValue::from_str(body["csrf_token"].as_str().unwrap()).unwrap());
        client
    }

    pub async fn admin(&self) -> Client {
        self.sign_in(ADMIN).await
    }

    /// Creates a merchant through the API; returns its id and a signed-in owner.
    pub async fn merchant(&self, slug: &str) -> (String, Client) {
        let admin = self.admin().await;
        let owner_login = format!("owner@{slug}.test");
        let (status, body) = admin
            .post(
                "/api/v1/merchants",
                json!({"name": format!("Merchant {slug}"), "slug": slug,
                       "owner": {"login": owner_login, "display_name": "Owner", "password": PASSWORD}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["merchant"]["id"].as_str().unwrap().to_string(), self.sign_in(&owner_login).await)
    }
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub headers: HeaderMap,
}

impl Client {
    pub fn with_header(mut self, name: &'static str, value: &str) -> Client {
        self.headers.insert(name, HeaderValue::from_str(value).unwrap());
        self
    }

    pub fn without_header(mut self, name: &'static str) -> Client {
        self.headers.remove(name);
        self
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).headers(self.headers.clone());
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = req.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let value =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    pub async fn raw(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.base)).headers(self.headers.clone())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn post_empty(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::POST, path, None).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }

    /// A page as a signed-in browser sees it (redirects followed).
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// Posts a console form with the session's CSRF token, as the page's own form would.
    /// Redirects are followed; returns the final status, the final path (with query) and
    /// the body.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        let csrf = self.headers.get("x-csrf-token").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let response = self.http.post(format!("{}{path}", self.base)).form(&form).send().await.unwrap();
        let status = response.status();
        let url = response.url();
        let location = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        (status, location, response.text().await.unwrap())
    }

    /// POST that must succeed with 201; returns the body.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.post(path, body).await;
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {value}");
        value
    }
}

pub fn location_body(code: &str, kind: &str) -> Value {
    json!({
        "code": code,
        "kind": kind,
        "name": {"zh": format!("{code}店"), "en": format!("{code} store")},
        "address": "西湖区文三路 1 号",
        "city": "杭州",
        "point": {"lat": 30.2741, "lng": 120.1551},
        "opening_hours": {"mon": ["10:00-22:00"]},
        "pickup_enabled": kind == "store",
        "delivery_enabled": true
    })
}

/// A delivery address in Hangzhou for a shopper to save, reachable on `phone`.
pub fn address_body(phone: &str) -> Value {
    json!({"recipient": "王小明", "phone": phone, "city": "杭州", "district": "西湖区", "detail": "文三路 90 号"})
}

/// A merchant's basic world built through the API: a warehouse, two stores, a
/// product with one SKU, and stock in the warehouse.
pub struct World {
    pub merchant_id: String,
    pub owner: Client,
    pub warehouse: String,
    pub store_a: String,
    pub store_b: String,
    pub product: String,
    pub sku: String,
}

pub async fn world(app: &TestApp, slug: &str) -> World {
    let (merchant_id, owner) = app.merchant(slug).await;
    let warehouse =
        owner.create("/api/v1/locations", location_body("WH", "warehouse")).await["id"].as_str().unwrap().to_string();
    let store_a =
        owner.create("/api/v1/locations", location_body("SA", "store")).await["id"].as_str().unwrap().to_string();
    let store_b =
        owner.create("/api/v1/locations", location_body("SB", "store")).await["id"].as_str().unwrap().to_string();
    let product = owner
        .create("/api/v1/products", json!({"name": {"zh": "纯棉毛巾", "en": "Cotton towel"}, "status": "active"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let sku = owner
        .create(
            &format!("/api/v1/products/{product}/skus"),
            json!({"code": "TWL-1", "base_price": 3900, "member_price": 3500}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    owner
        .create(
            "/api/v1/stock/receipts",
            json!({"location_id": warehouse, "lines": [{"sku_id": sku, "quantity": 100}]}),
        )
        .await;
    World { merchant_id, owner, warehouse, store_a, store_b, product, sku }
}

/// Creates a staff member through `by` and signs them in.
pub async fn staff(app: &TestApp, by: &Client, login: &str, role: &str, stores: &[&str]) -> Client {
    staff_with_id(app, by, login, role, stores).await.0
}

/// As [`staff`], with the new staff member's id.
pub async fn staff_with_id(app: &TestApp, by: &Client, login: &str, role: &str, stores: &[&str]) -> (Client, String) {
    let created = by
        .create(
            "/api/v1/staff",
            json!({"login": login, "display_name": login, "password": PASSWORD, "role": role, "stores": stores}),
        )
        .await;
    let id = created["id"].as_str().expect("the new staff member's id").to_string();
    (app.sign_in(login).await, id)
}

pub async fn available(client: &Client, sku: &str, location: &str) -> i64 {
    let (status, body) = client.get(&format!("/api/v1/stock?sku_id={sku}&location_id={location}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().first().map(|r| r["available"].as_i64().unwrap()).unwrap_or(0)
}

/// A shop ready to sell: `world`, with 10 units moved to store A for pickup.
pub async fn shop_world(app: &TestApp, slug: &str) -> World {
    let w = world(app, slug).await;
    w.owner
        .create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 10}]}))
        .await;
    w
}

/// Stock figures of one SKU at one location: (on hand, reserved).
pub async fn level(client: &Client, sku: &str, location: &str) -> (i64, i64) {
    let (_, body) = client.get(&format!("/api/v1/stock?sku_id={sku}&location_id={location}")).await;
    body["items"]
        .as_array()
        .unwrap()
        .first()
        .map(|r| (r["level"]["on_hand"].as_i64().unwrap(), r["level"]["reserved"].as_i64().unwrap()))
        .unwrap_or((0, 0))
}

/// A clerk at each of the world's two stores, signed in.
pub async fn store_clerks(app: &TestApp, w: &World, slug: &str) -> (Client, Client) {
    let clerk_a = staff(app, &w.owner, &format!("clerk-a@{slug}.test"), "clerk", &[&w.store_a]).await;
    let clerk_b = staff(app, &w.owner, &format!("clerk-b@{slug}.test"), "clerk", &[&w.store_b]).await;
    (clerk_a, clerk_b)
}

/// `days` from now (negative: ago), as RFC 3339.
pub fn days_from_now(days: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = sweep_domain::Timestamp::from_unix_micros(i64::try_from(now.as_micros()).unwrap());
    now.plus_seconds(days * 86_400).to_rfc3339()
}

/// A campaign that began yesterday and runs for a month; returns its id.
pub async fn campaign(owner: &Client, name: &str) -> String {
    let body = json!({"name": name, "starts_at": days_from_now(-1), "ends_at": days_from_now(30)});
    owner.create("/api/v1/campaigns", body).await["id"].as_str().unwrap().to_string()
}

/// A coupon definition in `campaign` taking `value` off (`{"type": "fixed", "amount"}`
/// or `{"type": "percent", "percent", "max_discount"}`), with the `extra` fields given;
/// returns the definition.
pub async fn coupon_def(owner: &Client, campaign: &str, value: Value, extra: Value) -> Value {
    let mut body = json!({"campaign_id": campaign, "name": {"zh": "优惠券", "en": "Coupon"}, "value": value});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    owner.create("/api/v1/coupons", body).await
}

/// Gives the member with `phone` one coupon of `def`; returns the coupon's id.
pub async fn issue_coupon(owner: &Client, def: &str, phone: &str) -> String {
    let coupon = owner.create(&format!("/api/v1/coupons/{def}/issue"), json!({"phone": phone})).await;
    coupon["id"].as_str().unwrap().to_string()
}

/// The id of the shopper signed in on `client`.
pub async fn shopper_id(client: &Client, slug: &str) -> String {
    let (status, session) = client.get(&format!("/s/{slug}/api/session")).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    session["shopper"]["id"].as_str().expect("a signed-in shopper").to_string()
}
