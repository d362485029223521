//! The flash-sale page in the storefront: rendered by the server in the sale's phase
//! (counting down, on, ended), with the sale and usual prices, units and the limit;
//! without scripts its buy button places the order and opens it, or says why not.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

/// `secs` from now (negative: ago), as RFC 3339.
fn secs_from_now(secs: i64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let now = sweep_domain::Timestamp::from_unix_micros(i64::try_from(now.as_micros()).unwrap());
    now.plus_seconds(secs).to_rfc3339()
}

/// A sale of the world's towel at store A, at ¥19.90 (usually ¥39.00), one per member.
async fn sale(w: &World, campaign: &str, name: &str, starts: i64, ends: i64, units: i64) -> Value {
    w.owner
        .create(
            "/api/v1/flash-sales",
            json!({"campaign_id": campaign, "name": name, "location_id": w.store_a,
                   "starts_at": secs_from_now(starts), "ends_at": secs_from_now(ends),
                   "per_member_limit": 1, "members_only": false, "pay_within_secs": 300,
                   "items": [{"sku_id": w.sku, "price": 1990, "units": units}]}),
        )
        .await
}

async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    let r = client.raw(Method::GET, path).await.send().await.unwrap();
    let status = r.status();
    assert!(
        status != StatusCode::OK || r.headers()["cache-control"].to_str().unwrap().contains("no-store"),
        "the page is never cached: its phase and units change"
    );
    (status, r.text().await.unwrap())
}

fn hidden_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// The text of the element with id `id` (no nested tags).
fn text_of(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let start = at + html[at..].find('>').unwrap() + 1;
    html[start..start + html[start..].find('<').unwrap()].trim().to_string()
}

api_test! {
    async fn the_flash_page_shows_the_sale_in_its_phase(app) {
        let slug = "flashpage";
        let w = shop_world(&app, slug).await;
        let campaign = campaign(&w.owner, "双十一").await;
        let base = format!("/s/{slug}/flash");

        // Tomorrow's sale counts down; its price, the usual one struck through, the
        // units set aside and the limit are there, and nothing can be bought yet.
        let upcoming = sale(&w, &campaign, "明日秒杀", 86_400, 2 * 86_400, 3).await;
        let visitor = app.anonymous();
        let (status, html) = page(&visitor, &format!("{base}/{}", upcoming["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-phase=\"upcoming\""));
        assert_eq!(text_of(&html, "fs-phase"), "即将开始");
        assert_eq!(text_of(&html, "fs-clock-label"), "距开始");
        let countdown = text_of(&html, "fs-countdown");
        assert!(countdown.starts_with("23:59:") || countdown == "1天 00:00:00", "a day to go: {countdown}");
        assert!(html.contains("¥19.90") && html.contains("<s>¥39.00</s>"), "the sale price and the usual one");
        assert!(html.contains("限量 3 件") && html.contains("每人限购 1 件") && html.contains("5 分钟"));
        assert!(html.contains(&format!("/s/{slug}/login?next=flash/{}", upcoming["id"].as_str().unwrap())), "sign in first");
        // In English too, and the server's clock for the page to count down against.
        let (_, en) = page(&app.anonymous(), &format!("{base}/{}?lang=en", upcoming["id"].as_str().unwrap())).await;
        assert_eq!(text_of(&en, "fs-phase"), "Starts soon");
        assert!(en.contains("3 units in the sale") && en.contains("data-server-ms=\""));

        // A sale on now: units left, and a signed-in member's button is live.
        let live = sale(&w, &campaign, "正在秒杀", -3_600, 86_400, 2).await;
        let live_id = live["id"].as_str().unwrap();
        let (_, html) = page(&visitor, &format!("{base}/{live_id}")).await;
        assert!(html.contains("data-phase=\"live\""));
        assert_eq!(text_of(&html, "fs-phase"), "抢购中");
        assert_eq!(text_of(&html, "fs-clock-label"), "距结束");
        assert!(html.contains("剩余 2 件") && html.contains("登录后抢购"));
        let mut member = app.phone("10.1.0.7", false);
        app.sign_in_shopper(&mut member, slug, "13800138123").await;
        let (_, html) = page(&member, &format!("{base}/{live_id}")).await;
        assert!(html.contains("data-buy >立即抢购") || html.contains("data-buy>立即抢购"), "the buy button is on");
        assert_eq!(text_of(&html, "fs-where"), "自提门店 SA店", "picked up at the sale's store");

        // Without scripts the button posts the form: the order opens, to be paid.
        let csrf = hidden_csrf(&html);
        let buy = |csrf: String| {
            let member = member.clone();
            let path = format!("{base}/{live_id}");
            let sku = w.sku.clone();
            async move {
                let r = member.raw(Method::POST, &path).await.form(&[("csrf", csrf.as_str()), ("sku_id", sku.as_str())]).send().await.unwrap();
                (r.status(), r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default())
            }
        };
        let (status, location) = buy(csrf.clone()).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.starts_with(&format!("/s/{slug}/orders/")), "{location}");
        let (_, order) = page(&member, &location).await;
        assert!(order.contains("待支付") && order.contains("id=\"pay\""), "the order waits to be paid");
        // A second one passes the limit: back to the sale, saying so.
        let (status, location) = buy(csrf.clone()).await;
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, format!("{base}/{live_id}?error=limit_reached").as_str()));
        let (_, html) = page(&member, &location).await;
        assert_eq!(text_of(&html, "fs-message"), "您已达到每人限购数量");
        // A forged form is turned away.
        let (status, _) = buy("made-up".into()).await;
        assert_eq!(status, StatusCode::CONFLICT);

        // Another member takes the last unit: sold out, said plainly, with the hope that
        // unpaid orders give units back. (The sale's figures are cached for a second.)
        let mut other = app.phone("10.1.0.8", false);
        app.sign_in_shopper(&mut other, slug, "13800138124").await;
        let (_, html) = page(&other, &format!("{base}/{live_id}")).await;
        let r = other
            .raw(Method::POST, &format!("{base}/{live_id}"))
            .await
            .form(&[("csrf", hidden_csrf(&html).as_str()), ("sku_id", w.sku.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(r.headers()["location"].to_str().unwrap().starts_with(&format!("/s/{slug}/orders/")));
        let mut html = String::new();
        for _ in 0..30 {
            html = page(&visitor, &format!("{base}/{live_id}")).await.1;
            if html.contains("data-phase=\"sold_out\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(html.contains("data-phase=\"sold_out\""), "sold out within the cache's second");
        assert_eq!(text_of(&html, "fs-phase"), "已抢光");
        assert_eq!(text_of(&html, "fs-sold-out-note"), "未支付订单的名额可能会释放，稍后再来看看");
        assert!(html.contains("剩余 0 件"));

        // Ended early by the merchant: said plainly, the units sold, nothing to buy.
        let ended = sale(&w, &campaign, "已结束秒杀", -3_600, 86_400, 1).await;
        let ended_id = ended["id"].as_str().unwrap();
        let (status, body) = w.owner.post_empty(&format!("/api/v1/flash-sales/{ended_id}/end")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, html) = page(&member, &format!("{base}/{ended_id}")).await;
        assert!(html.contains("data-phase=\"ended\""));
        assert_eq!(text_of(&html, "fs-phase"), "活动已结束");
        assert!(html.contains("id=\"fs-clock\" hidden"), "no countdown");
        assert!(html.contains("已售 0 件"));
        assert!(html.contains("data-buy disabled"), "the button is off");
        let (_, en) = page(&app.anonymous(), &format!("{base}/{ended_id}?lang=en")).await;
        assert_eq!(text_of(&en, "fs-phase"), "This sale has ended");

        // No such sale: not found.
        let (status, _) = page(&visitor, &format!("{base}/019a0000-0000-7000-8000-000000000000")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = page(&visitor, &format!("{base}/nonsense")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
