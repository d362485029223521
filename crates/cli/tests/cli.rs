//! The `sweep` binary as a newcomer and an operator use it: serve with demo data,
//! import CSV all-or-nothing, check the ledger, serve over TLS.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{SWEEP, free_port, start, sweep};
use serde_json::{Value, json};
use sweep_store::Backend;
use sweep_store::testing::TestDb;

async fn database_url(backend: Backend, dir: &Path) -> (String, Option<TestDb>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.join("sweep.db").display()), None),
        Backend::Postgres => {
            let db = TestDb::new(Backend::Postgres).await;
            (db.url.clone(), Some(db))
        }
    }
}

async fn serve_demo_and_sign_in(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _keep) = database_url(backend, dir.path()).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let mut server = start(
        dir.path(),
        &["serve", "--demo", "--addr", &format!("127.0.0.1:{port}"), "--database-url", &url],
        &format!("{base}/readyz"),
        &client,
    )
    .await;

    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": "owner@yunmian.demo", "password": "sweep-demo-2026"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(login["staff"]["role"], "merchant_owner", "{login}");
    let stores: Value =
        client.get(format!("{base}/api/v1/locations?kind=store")).send().await.unwrap().json().await.unwrap();
    assert!(stores["items"].as_array().unwrap().len() >= 5);
    let mut skus = 0;
    let mut path = format!("{base}/api/v1/skus?limit=200");
    loop {
        let page: Value = client.get(&path).send().await.unwrap().json().await.unwrap();
        skus += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("{base}/api/v1/skus?limit=200&cursor={c}"),
            None => break,
        }
    }
    assert!(skus >= 200, "{skus} SKUs");
    let parity: Value =
        client.get(format!("{base}/api/v1/reports/price-parity")).send().await.unwrap().json().await.unwrap();
    assert!(!parity["items"].as_array().unwrap().is_empty(), "the demo shows a price-parity finding");
    // Every role can sign in with the printed password.
    for login in ["admin@sweep.demo", "manager@yunmian.demo", "hubin.manager@yunmian.demo", "hubin.clerk@yunmian.demo"]
    {
        let r = reqwest::Client::new()
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"login": login, "password": "sweep-demo-2026"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{login}");
    }

    // SIGTERM shuts down cleanly; the banner printed the address and the logins.
    terminate(server.0.id());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let mut banner = String::new();
    std::io::Read::read_to_string(&mut server.0.stdout.take().unwrap(), &mut banner).unwrap();
    assert!(
        banner.contains(&base) && banner.contains("owner@yunmian.demo") && banner.contains("sweep-demo-2026"),
        "{banner}"
    );

    // A second start finds the demo in place and does not seed twice.
    let out = sweep(dir.path(), &["demo", "--database-url", &url]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("seeded"));
}

fn terminate(pid: u32) {
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_sqlite() {
    serve_demo_and_sign_in(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
async fn serve_demo_postgres() {
    serve_demo_and_sign_in(Backend::Postgres).await
}

async fn import_all_or_nothing(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _keep) = database_url(backend, dir.path()).await;
    assert!(sweep(dir.path(), &["demo", "--database-url", &url]).status.success());

    // One good row and one bad one: nothing may be written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "product_ref,name_zh,sku_code,base_price,stock:HZ-WH\nP1,草木染四件套,NEW-001,1099,5\nP1,,NEW-002,12.345,-1\n",
    )
    .unwrap();
    let out = sweep(dir.path(), &["import", "--merchant", "yunmian", "--file", "bad.csv", "--database-url", &url]);
    assert_eq!(out.status.code(), Some(2));
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(report.contains("Nothing was imported"), "{report}");
    assert!(report.contains("line 3, column base_price") && report.contains("line 3, column stock:HZ-WH"), "{report}");

    // The good row alone goes in, which it could not if the failed run had left it behind.
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "\u{feff}product_ref,name_zh,name_en,category,sku_code,attributes,base_price,member_price,stock:HZ-WH,stock:HZ-HB\n\
         P1,草木染四件套,Plant-dyed bedding set,床品套件,NEW-001,colour=靛蓝;size=1.8m,1099,999,5,2\n",
    )
    .unwrap();
    let out = sweep(dir.path(), &["import", "--merchant", "yunmian", "--file", "good.csv", "--database-url", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("imported 1 products, 1 SKUs, 0 new categories, 7 units"), "{summary}");
    let again = sweep(dir.path(), &["import", "--merchant", "yunmian", "--file", "good.csv", "--database-url", &url]);
    assert_eq!(again.status.code(), Some(2), "re-importing the same products is refused, not doubled");

    // A stock-only file adds stock to SKUs that exist.
    std::fs::write(dir.path().join("stock.csv"), "sku_code,stock:HZ-WH,stock:HZ-XS\nNEW-001,10,\nYM01-0001,,4\n")
        .unwrap();
    let out = sweep(dir.path(), &["import", "--merchant", "yunmian", "--file", "stock.csv", "--database-url", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 0 products, 0 SKUs, 0 new categories, 14 units"));

    let out = sweep(dir.path(), &["check", "--database-url", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A level changed behind the ledger's back makes check fail and name the row.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE stock_levels SET on_hand = on_hand + 3 WHERE id = (SELECT MIN(id) FROM stock_levels)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let out = sweep(dir.path(), &["check", "--database-url", &url]);
    assert_eq!(out.status.code(), Some(1));
    let named = String::from_utf8_lossy(&out.stderr);
    assert!(named.contains("stock ledger mismatches (1)") && named.contains("sku "), "{named}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_sqlite() {
    import_all_or_nothing(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
async fn import_postgres() {
    import_all_or_nothing(Backend::Postgres).await
}

/// Two processes seeding the demo at once (as two `serve --demo` on one PostgreSQL):
/// both succeed, and there is one demo merchant.
async fn concurrent_demo_seeding(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, _keep) = database_url(backend, dir.path()).await;
    assert!(sweep(dir.path(), &["migrate", "--database-url", &url]).status.success());
    let spawn = || {
        Command::new(SWEEP)
            .args(["demo", "--database-url", &url])
            .current_dir(dir.path())
            .env("SWEEP_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let seeded = [&a, &b].iter().filter(|o| String::from_utf8_lossy(&o.stdout).contains("seeded")).count();
    assert_eq!(seeded, 1, "exactly one process seeded");
    let out = sweep(dir.path(), &["check", "--database-url", &url]);
    assert!(out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_demo_sqlite() {
    concurrent_demo_seeding(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
async fn concurrent_demo_postgres() {
    concurrent_demo_seeding(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_https_with_a_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
    let port = free_port();
    let client = reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap();
    let _server = start(
        dir.path(),
        &["serve", "--addr", &format!("127.0.0.1:{port}"), "--tls-cert", "cert.pem", "--tls-key", "key.pem"],
        &format!("https://localhost:{port}/healthz"),
        &client,
    )
    .await;
    let page = client.get(format!("https://localhost:{port}/login")).send().await.unwrap();
    assert!(page.headers().contains_key("strict-transport-security"), "https public URL turns on HSTS");
}

#[test]
fn admin_create_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let create = |password: &str| {
        Command::new(SWEEP)
            .args(["admin", "create", "--login", "root@example.com"])
            .current_dir(dir.path())
            .env("SWEEP_ADMIN_PASSWORD", password)
            .env("SWEEP_LOG", "warn")
            .output()
            .unwrap()
    };
    let short = create("short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("password"), "says which field is wrong");
    assert!(create("a long enough password").status.success());
    assert!(!create("a long enough password").status.success(), "the login is taken");

    let out = sweep(dir.path(), &["config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("addr = \"127.0.0.1:8080\"") && text.contains("data_dir"));
    // Layers: sweep.toml over the defaults, SWEEP_* over sweep.toml, flags over both.
    std::fs::write(dir.path().join("sweep.toml"), "data_dir = \"from-file\"\n").unwrap();
    assert!(sweep(dir.path(), &["migrate"]).status.success());
    assert!(dir.path().join("from-file/sweep.db").exists());
    let env = Command::new(SWEEP)
        .args(["migrate"])
        .current_dir(dir.path())
        .env("SWEEP_DATA_DIR", "from-env")
        .output()
        .unwrap();
    assert!(env.status.success());
    assert!(dir.path().join("from-env/sweep.db").exists());
    let flag = Command::new(SWEEP)
        .args(["migrate", "--data-dir", "from-flag"])
        .current_dir(dir.path())
        .env("SWEEP_DATA_DIR", "from-env")
        .output()
        .unwrap();
    assert!(flag.status.success());
    assert!(dir.path().join("from-flag/sweep.db").exists());

    std::fs::write(dir.path().join("sweep.toml"), "adrr = 1\n").unwrap();
    let out = sweep(dir.path(), &["migrate"]);
    assert!(!out.status.success(), "a typo in sweep.toml is reported, not ignored");
}

/// A newcomer prints the demo store's display cards: a PDF of A4 sheets whose codes lead
/// to the given public address.
#[test]
fn cards_print_writes_a_demo_stores_sheets() {
    let dir = tempfile::tempdir().unwrap();
    assert!(sweep(dir.path(), &["demo"]).status.success());
    let out = sweep(
        dir.path(),
        &[
            "cards",
            "print",
            "--merchant",
            "yunmian",
            "--store",
            "HZ-HB",
            "--public-url",
            "http://192.168.1.20:8080",
            "--out",
            "cards.pdf",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("wrote 12 cards on 3 A4 pages") && said.contains("http://192.168.1.20:8080/c/"), "{said}");
    let pdf = std::fs::read(dir.path().join("cards.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.len() > 10_000);
    // What was written, not just what was said: every code on the pages, read back.
    let pages = sweep_cards::testing::render_pdf(&pdf, 150.0);
    assert_eq!(pages.len(), 3, "12 cards, four to a page");
    let mut decoded = Vec::new();
    for (width, height, luma) in &pages {
        decoded.extend(sweep_cards::testing::decode_luma_in_cells(*width, *height, luma, 2, 2));
    }
    assert_eq!(decoded.len(), 12, "one code per card: {decoded:?}");
    assert!(decoded.iter().all(|url| url.starts_with("http://192.168.1.20:8080/c/")), "{decoded:?}");
    let mut distinct = decoded.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 12, "no card printed twice: {decoded:?}");

    // Cards for the store's other stocked SKUs, on request; an unknown store is named.
    let out = sweep(
        dir.path(),
        &["cards", "print", "--merchant", "yunmian", "--store", "HZ-HB", "--create-missing", "--out", "all.pdf"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("made "), "new cards were made");
    let out = sweep(dir.path(), &["cards", "print", "--merchant", "yunmian", "--store", "NOPE", "--out", "x.pdf"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store NOPE"));
}
