//! Abuse: member codes guessed at the till, card scans flooded, bodies too big or too
//! deep, clients that trickle their headers. Each limit holds against the abuser while
//! honest staff and shoppers still get through. On both databases.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;
use crate::till_pages::{get, post_form, text_of, till_form};

/// Wrong member codes one staff member may try per window (crates/app/src/loyalty/members.rs).
const MEMBER_CODE_MISSES: usize = 20;
/// Scans of one card from one address in a minute before the rest are turned away.
const SCANS_PER_MINUTE: usize = sweep_domain::card::scan_rule::SCANS_PER_ADDRESS_PER_MINUTE as usize;

fn error_code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

/// A well-formed member code (18 digits starting 99) that no phone was given.
fn guess(i: usize) -> String {
    format!("99{:016}", 4_200_000_000 + i)
}

/// The code the member's phone shows now.
async fn member_code(shopper: &Client, slug: &str) -> String {
    let (status, code) = shopper.post_empty(&format!("/s/{slug}/api/member/code")).await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    code["code"].as_str().unwrap().to_string()
}

api_test! {
    /// A till guessing member codes is held back after twenty misses (in parallel or
    /// one by one) and never finds anyone; the member's own code still works for an
    /// honest clerk, on the API and on the till page.
    async fn member_code_guessing_is_throttled_per_clerk(app) {
        let w = shop_world(&app, "mcg").await;
        let (clerk_a, clerk_b) = store_clerks(&app, &w, "mcg").await;
        let shopper = app.shopper("mcg", "13900139001").await;
        let member = shopper_id(&shopper, "mcg").await;
        let code = member_code(&shopper, "mcg").await;

        // One by one: twenty misses, then the till must wait, the right code included.
        for i in 0..MEMBER_CODE_MISSES {
            let (status, body) = clerk_a.post("/api/v1/members/by-code", json!({"code": guess(i)})).await;
            assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_member_code")), "guess {i}: {body}");
        }
        let refused = clerk_a
            .raw(Method::POST, "/api/v1/members/by-code")
            .await
            .json(&json!({"code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after: i64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=600).contains(&retry_after), "retry after {retry_after} s");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(error_code(&body), Some("too_many_attempts"));
        assert!(body.get("shopper_id").is_none() && !body.to_string().contains("9001"), "nothing of the member: {body}");

        // The refused code was not used up: the clerk at store B finds the member with it.
        let (status, found) = clerk_b.post("/api/v1/members/by-code", json!({"code": code})).await;
        assert_eq!((status, found["shopper_id"].as_str(), found["phone"].as_str()), (StatusCode::OK, Some(member.as_str()), Some("139****9001")), "{found}");

        // In parallel: forty guesses at once from a fresh till; exactly twenty are checked.
        let bot = staff(&app, &w.owner, "bot@mcg.test", "clerk", &[&w.store_a]).await;
        let guesses = (100..140).map(|i| {
            let bot = bot.clone();
            async move { bot.post("/api/v1/members/by-code", json!({"code": guess(i)})).await.0 }
        });
        let statuses = futures::future::join_all(guesses).await;
        let checked = statuses.iter().filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY).count();
        let throttled = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!((checked, throttled), (MEMBER_CODE_MISSES, 40 - MEMBER_CODE_MISSES), "{statuses:?}");

        // Right codes take nothing off an honest clerk's allowance: thirty members served
        // in a row (with a few mistyped codes among them) and never throttled.
        for i in 0..30 {
            let code = member_code(&shopper, "mcg").await;
            let (status, found) = clerk_b.post("/api/v1/members/by-code", json!({"code": code})).await;
            assert_eq!((status, found["shopper_id"].as_str()), (StatusCode::OK, Some(member.as_str())), "member {i}");
            if i % 10 == 0 {
                let (status, _) = clerk_b.post("/api/v1/members/by-code", json!({"code": guess(1_000 + i)})).await;
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
            }
        }

        // The till page: the throttled clerk is told to wait and sees no member; the
        // honest clerk's till finds the member with the same code.
        let code = member_code(&shopper, "mcg").await;
        let (_, page) = get(&clerk_a, &format!("/clerk/till?store={}", w.store_a)).await;
        let (status, _, page) = post_form(&clerk_a, "/clerk/till", &till_form(&page, &w.store_a, &[("phone", &code), ("action", "member")])).await;
        assert!(status.is_success() || status.is_client_error(), "{status}");
        assert!(text_of(&page, "flash").contains("错误次数过多"), "{page}");
        assert!(!page.contains("139****9001"), "no member revealed");
        let (_, page) = get(&clerk_b, &format!("/clerk/till?store={}", w.store_b)).await;
        let (status, _, page) = post_form(&clerk_b, "/clerk/till", &till_form(&page, &w.store_b, &[("phone", &code), ("action", "member")])).await;
        assert_eq!(status, StatusCode::OK);
        assert!(text_of(&page, "member").contains("139****9001"), "{page}");
    }
}

/// One card's counted scans in today's funnel (0 when it has no row).
async fn counted_scans(app: &TestApp, owner: &Client, card: &str) -> i64 {
    let now = app.sweep.now();
    let enc = |t: sweep_domain::Timestamp| t.to_rfc3339().replace('+', "%2B");
    let period = format!("from={}&to={}", enc(now.minus_seconds(86_400)), enc(now.plus_seconds(86_400)));
    let (status, rows) = owner.get(&format!("/api/v1/reports/scan-funnel?{period}&by=card")).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    rows.as_array().unwrap().iter().find(|r| r["key"] == card).map(|r| r["scans"].as_i64().unwrap()).unwrap_or(0)
}

async fn scan_status(client: &Client, slug: &str, code: &str) -> StatusCode {
    client.raw(Method::GET, &format!("/s/{slug}/scan/{code}")).await.send().await.unwrap().status()
}

api_test! {
    /// One phone hammering a card's QR code counts once and is turned away after sixty
    /// scans a minute; a shopper elsewhere scanning the card meanwhile counts, and so does
    /// a shopper on the flood's own network scanning another card.
    async fn a_scan_flood_counts_once_and_does_not_crowd_out_shoppers(app) {
        let w = shop_world(&app, "flood").await;
        let campaign = campaign(&w.owner, "Shelf").await;
        let card_a = w.owner.create("/api/v1/cards", json!({"store_id": w.store_a, "sku_ids": [w.sku], "campaign_id": campaign})).await[0].clone();
        let card_b = w.owner.create("/api/v1/cards", json!({"store_id": w.store_b, "sku_ids": [w.sku], "campaign_id": campaign})).await[0].clone();
        let (code_a, id_a) = (card_a["code"].as_str().unwrap(), card_a["id"].as_str().unwrap());
        let (code_b, id_b) = (card_b["code"].as_str().unwrap(), card_b["id"].as_str().unwrap());

        // The bot's first scan gets it a session; then it floods, eight at a time, while
        // a shopper on another network scans the same card.
        let bot = app.phone("203.0.113.7", false);
        assert_eq!(scan_status(&bot, "flood", code_a).await, StatusCode::SEE_OTHER);
        let flood = (0..79).map(|_| {
            let bot = bot.clone();
            async move { scan_status(&bot, "flood", code_a).await }
        });
        let honest = app.phone("198.51.100.20", false);
        let (statuses, honest_status) = tokio::join!(
            futures::StreamExt::collect::<Vec<_>>(futures::StreamExt::buffer_unordered(futures::stream::iter(flood), 8)),
            async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                scan_status(&honest, "flood", code_a).await
            }
        );
        assert_eq!(honest_status, StatusCode::SEE_OTHER, "the shopper lands on the product");
        let landed = 1 + statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
        let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert_eq!((landed, refused), (SCANS_PER_MINUTE, 80 - SCANS_PER_MINUTE), "{statuses:?}");
        assert_eq!(counted_scans(&app, &w.owner, id_a).await, 2, "the bot's eighty scans count once, the shopper's once");

        // Behind the bot's address (a mall's Wi-Fi): another card scans and counts; the
        // flooded card waits out its minute, for everyone on that address.
        let neighbour = app.phone("203.0.113.7", false);
        assert_eq!(scan_status(&neighbour, "flood", code_b).await, StatusCode::SEE_OTHER);
        assert_eq!(counted_scans(&app, &w.owner, id_b).await, 1);
        assert_eq!(scan_status(&neighbour, "flood", code_a).await, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(counted_scans(&app, &w.owner, id_a).await, 2, "refused scans count nothing");
    }
}

/// Sends `body` as one request on a connection of its own (the server may answer an
/// oversized body before reading it all and close the connection); answers the status,
/// the body as JSON (or text) and how long the answer took.
async fn send_raw(client: &Client, path: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let response = client
        .raw(Method::POST, path)
        .await
        .header("connection", "close")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), started.elapsed())
}

/// A JSON object with `field` padded past the 1 MiB JSON limit.
fn oversized(mut body: Value, field: &str) -> Vec<u8> {
    body[field] = json!("x".repeat(1024 * 1024 + 10));
    serde_json::to_vec(&body).unwrap()
}

api_test! {
    /// Bodies over the limit get 413 with the stable code on the staff API, the shop API
    /// and a form, and images over `max_image_bytes` too; nothing is written.
    async fn oversized_bodies_get_413_and_write_nothing(app) {
        let w = shop_world(&app, "big").await;
        let o = &w.owner;
        let shopper = app.shopper("big", "13900139002").await;

        // The staff API: a stock receipt with a note past the limit.
        let receipt = json!({"location_id": w.warehouse, "lines": [{"sku_id": w.sku, "quantity": 5}]});
        let (status, body, _) = send_raw(o, "/api/v1/stock/receipts", "application/json", oversized(receipt, "note")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");
        // The same with an idempotency key (its middleware reads the body first).
        let receipt = json!({"location_id": w.warehouse, "lines": [{"sku_id": w.sku, "quantity": 5}]});
        let keyed = o.clone().with_header("idempotency-key", "big-receipt-1");
        let (status, body, _) = send_raw(&keyed, "/api/v1/stock/receipts", "application/json", oversized(receipt, "note")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");
        assert_eq!(level(o, &w.sku, &w.warehouse).await, (90, 0), "no stock received");

        // The shop API: an address with a delivery detail past the limit.
        let (status, body, _) = send_raw(&shopper, "/s/big/api/addresses", "application/json", oversized(address_body("13900139002"), "detail")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");
        let (status, body, _) = send_raw(&shopper, "/s/big/api/cart/items", "application/json", oversized(json!({"sku_id": w.sku, "quantity": 1}), "pad")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");

        // A form: the shop's address form with three megabytes of detail.
        let (_, session) = shopper.get("/s/big/api/session").await;
        let csrf = session["csrf_token"].as_str().unwrap().to_string();
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", &csrf)
            .append_pair("recipient", "王小明")
            .append_pair("phone", "13900139002")
            .append_pair("district_key", "杭州|西湖区")
            .append_pair("detail", &"x".repeat(3 * 1024 * 1024))
            .finish();
        let (status, body, _) = send_raw(&shopper, "/s/big/addresses", "application/x-www-form-urlencoded", form.into_bytes()).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");
        // And a console form (staff), the same.
        let csrf = o.headers["x-csrf-token"].to_str().unwrap().to_string();
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", &csrf)
            .append_pair("code", &"9".repeat(3 * 1024 * 1024))
            .finish();
        let (status, body, _) = send_raw(o, "/console/members/code", "application/x-www-form-urlencoded", form.into_bytes()).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");
        let (_, addresses) = shopper.get("/s/big/api/addresses").await;
        assert_eq!(addresses.as_array().map(Vec::len), Some(0), "no address saved: {addresses}");
        let (_, cart) = shopper.get("/s/big/api/cart").await;
        assert_eq!(cart["units"], 0, "nothing in the cart: {cart}");

        // An image one byte over max_image_bytes (a PNG's signature, then padding).
        let max = app.sweep.settings().max_image_bytes;
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.resize(max + 1, 0);
        let (status, body, _) = send_raw(o, &format!("/api/v1/products/{}/images", w.product), "image/png", png).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");
        let (_, product) = o.get(&format!("/api/v1/products/{}", w.product)).await;
        assert_eq!(product["images"].as_array().map(Vec::len), Some(0), "no image stored: {product}");

        // And the server goes on answering.
        let (status, _) = o.get("/api/v1/locations").await;
        assert_eq!(status, StatusCode::OK);
    }
}

api_test! {
    /// A hundred thousand `[`, or a hundred thousand order lines, get a 4xx in well under
    /// the request time limit: never a 5xx, never a crash; the next request is answered.
    async fn deep_nesting_and_huge_arrays_get_a_quick_4xx(app) {
        let w = shop_world(&app, "deep").await;
        let o = &w.owner;
        let shopper = app.shopper("deep", "13900139003").await;
        let quick = Duration::from_secs(5);

        let open = "[".repeat(100_000);
        let balanced = format!("{open}{}", "]".repeat(100_000));
        let in_a_field = format!("{{\"location_id\": \"{}\", \"lines\": {open}", w.warehouse);
        for (who, path, body) in [
            (o, "/api/v1/stock/receipts", open.clone()),
            (o, "/api/v1/stock/receipts", balanced.clone()),
            (o, "/api/v1/stock/receipts", in_a_field.clone()),
            (o, "/api/v1/pos/sales", balanced.clone()),
            (&shopper, "/s/deep/api/cart/items", open.clone()),
            (&shopper, "/s/deep/api/orders", balanced.clone()),
        ] {
            let (status, body, took) = send_raw(who, path, "application/json", body.into_bytes()).await;
            // Refused by the parser's depth limit, or sooner by the field's type.
            let refused = [(StatusCode::BAD_REQUEST, Some("invalid_json")), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))];
            assert!(refused.contains(&(status, error_code(&body))), "{path}: {status} {body}");
            assert!(took < quick, "{path} took {took:?}");
        }

        // A hundred thousand lines: over the size limit as they come...
        let line = json!({"sku_id": w.sku, "quantity": 1});
        let sale = json!({"sale_id": "huge-1", "store_id": w.store_a, "till_id": "T1",
                          "lines": vec![line.clone(); 100_000], "payments": [{"method": "cash", "amount": 1}]});
        let (status, body, took) = send_raw(o, "/api/v1/pos/sales", "application/json", serde_json::to_vec(&sale).unwrap()).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")), "{body}");
        assert!(took < quick, "{took:?}");
        // ...and as many as fit in a megabyte are still refused by count, by name.
        for (path, mut body) in [
            ("/api/v1/pos/sales", json!({"sale_id": "huge-2", "store_id": w.store_a, "till_id": "T1", "payments": [{"method": "cash", "amount": 1}]})),
            ("/api/v1/stock/receipts", json!({"location_id": w.warehouse})),
        ] {
            body["lines"] = json!(vec![line.clone(); 15_000]);
            let bytes = serde_json::to_vec(&body).unwrap();
            assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
            let (status, body, took) = send_raw(o, path, "application/json", bytes).await;
            assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lines")), "{path}: {body}");
            assert!(took < quick, "{path} took {took:?}");
        }
        // A hundred thousand cards to print at once, the same.
        let ids = vec![w.sku.clone(); 100_000];
        let (status, body, took) = send_raw(o, "/api/v1/cards", "application/json", serde_json::to_vec(&json!({"store_id": w.store_a, "sku_ids": ids})).unwrap()).await;
        assert!(status.is_client_error(), "{status} {body}");
        assert!(took < quick, "{took:?}");

        // Nothing was written and the server answers the next request.
        assert_eq!(level(o, &w.sku, &w.warehouse).await, (90, 0));
        let (_, orders) = o.get("/api/v1/orders").await;
        assert_eq!(orders["items"].as_array().map(Vec::len), Some(0), "{orders}");
        let (status, _) = shopper.get("/s/deep/api/cart").await;
        assert_eq!(status, StatusCode::OK);
    }
}

/// Slow clients: header read timeout of the test server, short to keep the test quick.
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);

mod slow_clients_are_dropped_while_honest_ones_are_served {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Slowloris: many connections send a request line, then a header a byte a second,
    /// never finishing. Honest requests are answered promptly meanwhile, and the server
    /// closes every slow connection once its header read timeout has passed.
    async fn body(app: TestApp) {
        let w = world(&app, "slow").await;
        let addr = app.url.trim_start_matches("http://").to_string();
        const SLOW: usize = 150;
        let started = Instant::now();
        let mut slow = Vec::new();
        for _ in 0..SLOW {
            let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
            stream.write_all(b"GET /api/v1/locations HTTP/1.1\r\nHost: slow.test\r\nX-Slow: ").await.unwrap();
            slow.push(tokio::spawn(async move {
                // Until the server closes the connection: when, and whether it answered.
                let mut buf = [0u8; 1024];
                let mut answered = Vec::new();
                loop {
                    tokio::select! {
                        read = stream.read(&mut buf) => match read {
                            Ok(0) | Err(_) => return (started.elapsed(), answered),
                            Ok(n) => answered.extend_from_slice(&buf[..n]),
                        },
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {
                            if stream.write_all(b"a").await.is_err() {
                                return (started.elapsed(), answered);
                            }
                        }
                    }
                    if started.elapsed() > Duration::from_secs(20) {
                        panic!("a slow connection was still open after 20 s");
                    }
                }
            }));
        }

        // Meanwhile, an honest client's requests come back promptly, one after another.
        let mut slowest = Duration::ZERO;
        let mut answered = 0;
        while started.elapsed() < HEADER_TIMEOUT + Duration::from_millis(500) {
            let asked = Instant::now();
            let (status, locations) = w.owner.get("/api/v1/locations").await;
            assert_eq!(status, StatusCode::OK, "{locations}");
            assert_eq!(locations["items"].as_array().map(Vec::len), Some(3));
            slowest = slowest.max(asked.elapsed());
            answered += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(answered >= 5 && slowest < Duration::from_secs(1), "{answered} answered, the slowest in {slowest:?}");

        // Every slow connection was dropped after the timeout, none before, and none
        // reached the application.
        let mut dropped_after = Vec::new();
        for task in slow {
            let (after, answer) = task.await.unwrap();
            let answer = String::from_utf8_lossy(&answer);
            assert!(answer.is_empty(), "a slow request was answered: {answer}");
            dropped_after.push(after);
        }
        let (first, last) = (dropped_after.iter().min().unwrap(), dropped_after.iter().max().unwrap());
        assert!(*first >= HEADER_TIMEOUT - Duration::from_millis(100), "dropped after {first:?}, before the timeout");
        assert!(*last < HEADER_TIMEOUT + Duration::from_secs(3), "the last dropped after {last:?}");
        eprintln!(
            "{SLOW} slow connections dropped after {first:?} to {last:?}; {answered} honest requests answered, the slowest in {slowest:?}"
        );

        // The server still answers.
        let (status, _) = w.owner.get("/api/v1/locations").await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn spawn(backend: sweep_store::Backend) -> TestApp {
        TestApp::spawn_with_web(backend, sweep_app::Settings::default(), |web| web.header_read_timeout = HEADER_TIMEOUT)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = spawn(sweep_store::Backend::Sqlite).await;
        let books = app.books();
        body(app).await;
        books.assert_balanced().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn postgres() {
        let app = spawn(sweep_store::Backend::Postgres).await;
        let books = app.books();
        body(app).await;
        books.assert_balanced().await
    }
}
