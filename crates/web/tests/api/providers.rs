//! WeChat Pay v3 and Alipay end to end, against the provider simulator mounted under
//! `/paysim`: merchants' sealed accounts, paying by QR, H5/WAP, page pay and JSAPI,
//! notifications that are forged, tampered, replayed or late, refunds, recovery by query,
//! and payment codes at the till. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sweep_app::Settings;

use crate::api_test;
use crate::helpers::*;

const PHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1";
const DESKTOP_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36";

/// Connects the merchant's own account at `provider` with fresh simulator credentials.
async fn connect(app: &TestApp, owner: &Client, provider: &str) -> Value {
    let creds = if provider == "wechatpay" { app.sim.create_wechat_account() } else { app.sim.create_alipay_account() };
    let (status, view) = owner.put(&format!("/api/v1/payment-accounts/{provider}"), creds.clone()).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    creds
}

/// A pending pickup order of one unit (35.00 for members).
async fn pending_order(shopper: &Client, slug: &str, w: &World) -> String {
    let (status, body) =
        shopper.post(&format!("/s/{slug}/api/cart/items"), json!({"sku_id": w.sku, "quantity": 1})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, order) =
        shopper.post(&format!("/s/{slug}/api/orders"), json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    order["id"].as_str().unwrap().to_string()
}

/// Starts paying; returns the answer and the new payment's `out_trade_no`.
async fn pay(shopper: &Client, slug: &str, order: &str, body: Value) -> (Value, String) {
    let (status, next) = shopper.post(&format!("/s/{slug}/api/orders/{order}/pay"), body).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    let (_, view) = shopper.get(&format!("/s/{slug}/api/orders/{order}")).await;
    let trade = view["payments"].as_array().unwrap().last().unwrap()["out_trade_no"].as_str().unwrap().to_string();
    (next, trade)
}

/// The order's status once it stops changing within `secs` (notifications are async).
async fn status_becomes(client: &Client, path: &str, want: &str, secs: u64) -> Value {
    let mut view = Value::Null;
    for _ in 0..secs * 10 {
        view = client.get(path).await.1;
        if view["status"] == want {
            return view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never became {want}: {view}");
}

async fn notification_outcomes(app: &TestApp, provider: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.db.url).await.unwrap();
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT outcome FROM payment_notifications WHERE provider = $1 ORDER BY received_at, id")
            .bind(provider)
            .fetch_all(&pool)
            .await
            .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

api_test! {
    async fn accounts_are_checked_sealed_and_never_shown_again(app) {
        let w = shop_world(&app, "acct").await;
        let creds = app.sim.create_wechat_account();
        let key = creds["merchant_private_key"].as_str().unwrap().to_string();

        // Wrong and unknown fields: 422 naming each, nothing stored.
        let mut bad = creds.clone();
        bad["api_v3_key"] = json!("too short");
        bad["merchant_private_key"] = json!("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----");
        bad["mchd"] = json!("typo");
        let (status, body) = w.owner.put("/api/v1/payment-accounts/wechatpay", bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let fields: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        for f in ["api_v3_key", "merchant_private_key", "mchd"] {
            assert!(fields.contains(&f), "{f} in {body}");
        }
        let (_, list) = w.owner.get("/api/v1/payment-accounts").await;
        assert_eq!(list, json!([]));

        // The real thing: stored, shown without secrets.
        let (status, view) = w.owner.put("/api/v1/payment-accounts/wechatpay", creds.clone()).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["settings"]["mchid"], creds["mchid"]);
        let text = view.to_string();
        assert!(!text.contains("PRIVATE KEY") && !text.contains(creds["api_v3_key"].as_str().unwrap()), "{text}");
        assert!(view["secrets"]["merchant_private_key"].as_str().unwrap().starts_with("sha256:"), "{view}");
        let (_, list) = w.owner.get("/api/v1/payment-accounts").await;
        assert!(!list.to_string().contains("PRIVATE KEY"));

        // At rest: sealed, not the key.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&app.db.url).await.unwrap();
        let (settings, sealed): (String, String) =
            sqlx::query_as("SELECT settings, sealed_secrets FROM payment_accounts").fetch_one(&pool).await.unwrap();
        assert!(sealed.starts_with("v1:") && !sealed.contains("PRIVATE") && !settings.contains("PRIVATE"), "{sealed}");
        let body_line = key.lines().nth(1).unwrap();
        assert!(!sealed.contains(body_line) && !settings.contains(body_line));

        // A change of one field keeps the secrets; the account still pays.
        let (status, changed) = w.owner.put("/api/v1/payment-accounts/wechatpay", json!({"app_secret": creds["app_secret"]})).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["secrets"]["merchant_private_key"], view["secrets"]["merchant_private_key"]);

        // Only owners: a store manager and a clerk are refused, and so is another merchant.
        let manager = staff(&app, &w.owner, "m@acct.test", "store_manager", &[&w.store_a]).await;
        let (status, _) = manager.get("/api/v1/payment-accounts").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = manager.put("/api/v1/payment-accounts/wechatpay", json!({"appid": "wxevil"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, other) = app.merchant("acct2").await;
        let (_, theirs) = other.get("/api/v1/payment-accounts").await;
        assert_eq!(theirs, json!([]), "accounts are per merchant");
        let (status, _) = w.owner.put("/api/v1/payment-accounts/paypal", json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // Shoppers are offered it. While a payment made with it is open, the account
        // stays (its keys may rotate; it may not become another account).
        let shopper = app.shopper("acct", "13800138001").await;
        let (_, methods) = shopper.get("/s/acct/api/payment-methods").await;
        assert!(methods["providers"].as_array().unwrap().contains(&json!("wechatpay")), "{methods}");
        let order = pending_order(&shopper, "acct", &w).await;
        pay(&shopper, "acct", &order, json!({"provider": "wechatpay", "qr": true})).await;
        let (status, body) = w.owner.delete("/api/v1/payment-accounts/wechatpay").await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("account_in_use")), "{body}");
        let other = app.sim.create_wechat_account();
        let (status, body) = w.owner.put("/api/v1/payment-accounts/wechatpay", other).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("account_in_use")), "{body}");
        let (status, body) = w.owner.put("/api/v1/payment-accounts/wechatpay", json!({"app_secret": "rotated"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = shopper.post(&format!("/s/acct/api/orders/{order}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = w.owner.delete("/api/v1/payment-accounts/wechatpay").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, methods) = shopper.get("/s/acct/api/payment-methods").await;
        assert!(!methods["providers"].as_array().unwrap().contains(&json!("wechatpay")), "{methods}");
    }
}

api_test! {
    async fn each_browser_gets_its_method_and_only_the_notification_pays(app) {
        let w = shop_world(&app, "wx").await;
        connect(&app, &w.owner, "wechatpay").await;
        connect(&app, &w.owner, "alipay").await;
        let desktop = app.shopper("wx", "13800138002").await.with_header("user-agent", DESKTOP_UA);
        let phone = app.shopper("wx", "13800138003").await.with_header("user-agent", PHONE_UA);
        let in_wechat = app.shopper("wx", "13800138004").await.with_header("user-agent", "Mozilla/5.0 (iPhone) Mobile MicroMessenger/8.0.47");
        let in_alipay = app.shopper("wx", "13800138005").await.with_header("user-agent", "Mozilla/5.0 (Linux; Android 13) Mobile AlipayClient/10.5.36");

        let methods = |c: &Client| { let c = c.clone(); async move { c.get("/s/wx/api/payment-methods").await.1["providers"].clone() } };
        assert_eq!(methods(&in_wechat).await, json!(["wechatpay", "sandbox"]), "no Alipay inside WeChat");
        assert_eq!(methods(&in_alipay).await, json!(["alipay", "sandbox"]), "no WeChat Pay inside Alipay");
        assert_eq!(methods(&phone).await.as_array().unwrap().len(), 3);

        // Desktop: WeChat Pay shows a QR to scan with the phone.
        let order = pending_order(&desktop, "wx", &w).await;
        let (next, trade) = pay(&desktop, "wx", &order, json!({"provider": "wechatpay"})).await;
        assert_eq!(next["next"], "qr", "{next}");
        assert!(next["qr_code"].as_str().unwrap().starts_with(&format!("{}/paysim/wechat/", app.url)), "{next}");
        let (_, still) = desktop.get(&format!("/s/wx/api/orders/{order}")).await;
        assert_eq!(still["status"], "pending_payment", "starting to pay pays nothing");
        app.sim.pay_wechat(&trade).await.unwrap();
        let paid = status_becomes(&desktop, &format!("/s/wx/api/orders/{order}"), "paid", 5).await;
        assert_eq!(paid["payments"].as_array().unwrap().last().unwrap()["status"], "captured");
        assert!(paid["pickup_code"]["code"].is_string(), "{paid}");

        // A phone browser: WeChat H5 sends the browser to WeChat, and back to the order.
        let order = pending_order(&phone, "wx", &w).await;
        let (next, _) = pay(&phone, "wx", &order, json!({"provider": "wechatpay"})).await;
        assert_eq!(next["next"], "redirect");
        let url = next["pay_url"].as_str().unwrap();
        assert!(url.contains("/paysim/wechat/h5?") && url.contains("redirect_url="), "{url}");

        // Alipay on a phone: WAP pay, signed, on Alipay's page; by QR on a desktop.
        let (next, trade) = pay(&phone, "wx", &order, json!({"provider": "alipay"})).await;
        let url = next["pay_url"].as_str().unwrap();
        assert!(url.contains("/paysim/alipay/gateway.do?") && url.contains("alipay.trade.wap.pay") && url.contains("sign="), "{url}");
        let page = reqwest::get(url).await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "the simulator accepts the signed request");
        app.sim.pay_alipay(&trade).await.unwrap();
        let paid = status_becomes(&phone, &format!("/s/wx/api/orders/{order}"), "paid", 5).await;
        // The WeChat attempt left open is closed (and a job closes it at WeChat Pay).
        let states: Vec<(&str, &str)> = paid["payments"].as_array().unwrap().iter()
            .map(|p| (p["provider"].as_str().unwrap(), p["status"].as_str().unwrap())).collect();
        assert_eq!(states, vec![("wechatpay", "closed"), ("alipay", "captured")], "{paid}");
        app.run_jobs().await;
        let desktop_order = pending_order(&desktop, "wx", &w).await;
        let (next, trade) = pay(&desktop, "wx", &desktop_order, json!({"provider": "alipay", "qr": true})).await;
        assert_eq!(next["next"], "qr");
        app.sim.pay_alipay(&trade).await.unwrap();
        status_becomes(&desktop, &format!("/s/wx/api/orders/{desktop_order}"), "paid", 5).await;
        let answered: Vec<Option<u16>> = app.sim.deliveries().iter().filter(|d| d.provider == "alipay").map(|d| d.status).collect();
        assert!(answered.iter().all(|s| *s == Some(200)), "Sweep answers Alipay's notifications: {answered:?}");

        // Inside WeChat, asking for WeChat Pay without the payer's openid: authorise first.
        let order = pending_order(&in_wechat, "wx", &w).await;
        let (status, next) = in_wechat.post(&format!("/s/wx/api/orders/{order}/pay"), json!({})).await;
        assert_eq!((status, next["next"].as_str()), (StatusCode::OK, Some("authorise")), "{next}");
        let url = next["pay_url"].as_str().unwrap();
        assert!(url.contains("/paysim/wechat/connect/oauth2/authorize?") && url.contains("scope=snsapi_base"), "{url}");
        assert!(url.contains(&format!("orders%2F{order}%2Fpay%2Fauthorised")), "comes back to the payment page: {url}");
        // Alipay cannot be chosen there.
        let (status, body) = in_wechat.post(&format!("/s/wx/api/orders/{order}/pay"), json!({"provider": "alipay"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
}

api_test! {
    async fn inside_wechat_the_payer_is_authorised_and_pays_with_the_jsapi(app) {
        let w = shop_world(&app, "js").await;
        connect(&app, &w.owner, "wechatpay").await;
        // A phone in WeChat that follows redirects, like the real one.
        let mut phone = app.phone("198.51.100.20", true);
        app.sign_in_shopper(&mut phone, "js", "13800138010").await;
        let order = pending_order(&phone, "js", &w).await;
        let page = phone.raw(reqwest::Method::GET, &format!("/s/js/orders/{order}")).await.send().await.unwrap().text().await.unwrap();
        let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert!(page.contains("data-provider=\"wechatpay\"") && !page.contains("data-provider=\"alipay\""), "{page}");

        // Pay: to WeChat's authorisation (the simulator) and back with a code, then the
        // page with the signed JSAPI parameters.
        let page = phone
            .raw(reqwest::Method::POST, &format!("/s/js/orders/{order}/pay")).await
            .form(&[("csrf", csrf.as_str()), ("provider", "wechatpay")])
            .send().await.unwrap().text().await.unwrap();
        // A page that moves on by itself (the CSP keeps form redirects on the site).
        let onward = page.split("id=\"pay-continue\" href=\"").nth(1).expect("the onward link").split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
        assert!(page.contains("http-equiv=\"refresh\"") && onward.contains("/paysim/wechat/connect/oauth2/authorize?"), "{page}");
        let response = phone.http.get(&onward).headers(phone.headers.clone()).send().await.unwrap();
        assert!(response.url().path().ends_with("/pay/authorised"), "{}", response.url());
        let page = response.text().await.unwrap();
        let params = page.split("id=\"jsapi-params\">").nth(1).expect("the JSAPI parameters").split("</script>").next().unwrap();
        let params: Value = serde_json::from_str(params).unwrap();
        assert_eq!(params["signType"], "RSA");
        assert!(params["package"].as_str().unwrap().starts_with("prepay_id="));

        // A tampered amount-free field breaks the signature: WeChat refuses it.
        let http = reqwest::Client::new();
        let mut forged = params.clone();
        forged["nonceStr"] = json!("forged");
        let refused = http.post(format!("{}/paysim/wechat/jsapi/pay", app.url)).json(&forged).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        // WeChat's payment sheet, as the client would call it.
        let ok = http.post(format!("{}/paysim/wechat/jsapi/pay", app.url)).json(&params).send().await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        status_becomes(&phone, &format!("/s/js/api/orders/{order}"), "paid", 5).await;

        // A code not from this browser's authorisation is refused.
        let order = pending_order(&phone, "js", &w).await;
        let response = phone
            .raw(reqwest::Method::GET, &format!("/s/js/orders/{order}/pay/authorised?provider=wechatpay&code=stolen&state=guess")).await
            .send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT);
    }
}

api_test! {
    async fn forged_tampered_replayed_and_misaddressed_notifications_change_nothing(app) {
        let w = shop_world(&app, "forge").await;
        connect(&app, &w.owner, "wechatpay").await;
        connect(&app, &w.owner, "alipay").await;
        let shopper = app.shopper("forge", "13800138020").await;
        let order = pending_order(&shopper, "forge", &w).await;
        let (_, trade) = pay(&shopper, "forge", &order, json!({"provider": "wechatpay"})).await;
        let notify = format!("{}/api/v1/payments/wechatpay/notify/{}", app.url, w.merchant_id);
        let http = reqwest::Client::new();
        let post = |headers: Vec<(String, String)>, body: Vec<u8>| {
            let mut request = http.post(&notify).header("content-type", "application/json").body(body);
            for (k, v) in headers { request = request.header(k, v); }
            request.send()
        };

        // The shopper pays; the simulator's notifications are dropped (we replay them).
        app.sim.set_faults(sweep_paysim::Faults { drop_notifications: true, ..Default::default() });
        app.sim.pay_wechat(&trade).await.unwrap();
        let (headers, body) = app.sim.wechat_payment_notification(&trade).expect("a signed notification");

        // Tampered body: the signature fails, 401, still unpaid.
        let mut tampered = body.clone();
        let at = tampered.iter().position(|b| *b == b'"').unwrap() + 1;
        tampered[at] ^= 0x01;
        let refused = post(headers.clone(), tampered).await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        // In WeChat Pay v3's own form, so the provider logs why and retries.
        assert_eq!(refused.headers()["content-type"], "application/json");
        assert_eq!(refused.json::<Value>().await.unwrap(), json!({"code": "FAIL", "message": "verification failed"}));
        // Signed by another account's platform key (another merchant's notification).
        let (_, intruder) = app.merchant("forge2").await;
        connect(&app, &intruder, "wechatpay").await;
        let w2 = shop_world(&app, "forge3").await;
        connect(&app, &w2.owner, "wechatpay").await;
        let other_shopper = app.shopper("forge3", "13800138021").await;
        let other_order = pending_order(&other_shopper, "forge3", &w2).await;
        let (_, other_trade) = pay(&other_shopper, "forge3", &other_order, json!({"provider": "wechatpay"})).await;
        app.sim.pay_wechat(&other_trade).await.unwrap();
        let (h2, b2) = app.sim.wechat_payment_notification(&other_trade).unwrap();
        assert_eq!(post(h2, b2).await.unwrap().status(), StatusCode::UNAUTHORIZED, "another account's key");
        // A signature probe (WECHATPAY/SIGNTEST/) must fail.
        let mut probe = headers.clone();
        for (k, v) in probe.iter_mut() { if k.eq_ignore_ascii_case("wechatpay-signature") { *v = format!("WECHATPAY/SIGNTEST/{v}"); } }
        assert_eq!(post(probe, body.clone()).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        let (_, view) = shopper.get(&format!("/s/forge/api/orders/{order}")).await;
        assert_eq!(view["status"], "pending_payment", "nothing forged was believed");

        // The genuine one, then the same again three times (a replay and duplicates).
        for _ in 0..4 {
            assert_eq!(post(headers.clone(), body.clone()).await.unwrap().status(), StatusCode::OK);
        }
        let (_, view) = shopper.get(&format!("/s/forge/api/orders/{order}")).await;
        assert_eq!(view["status"], "paid");
        assert_eq!(view["payments"].as_array().unwrap().iter().filter(|p| p["status"] == "captured").count(), 1);
        assert_eq!(view["events"].as_array().unwrap().iter().filter(|e| e["to"] == "paid").count(), 1, "paid once");
        let outcomes = notification_outcomes(&app, "wechatpay").await;
        assert_eq!(outcomes.iter().filter(|o| *o == "rejected").count(), 3, "{outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| *o == "paid").count(), 1, "{outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| *o == "duplicate").count(), 3, "{outcomes:?}");

        // Alipay: a notification with one value changed does not verify; the genuine one
        // gets exactly `success`, once or many times.
        let order = pending_order(&shopper, "forge", &w).await;
        let (_, trade) = pay(&shopper, "forge", &order, json!({"provider": "alipay", "qr": true})).await;
        app.sim.pay_alipay(&trade).await.unwrap();
        let form = app.sim.alipay_payment_notification(&trade).unwrap();
        let notify = format!("{}/api/v1/payments/alipay/notify/{}", app.url, w.merchant_id);
        let forged = String::from_utf8(form.clone()).unwrap().replace("total_amount=35.00", "total_amount=0.01");
        let answer = http.post(&notify).header("content-type", "application/x-www-form-urlencoded").body(forged).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        let (_, view) = shopper.get(&format!("/s/forge/api/orders/{order}")).await;
        assert_eq!(view["status"], "pending_payment");
        for _ in 0..2 {
            let answer = http.post(&notify).header("content-type", "application/x-www-form-urlencoded").body(form.clone()).send().await.unwrap();
            assert_eq!(answer.status(), StatusCode::OK);
            assert_eq!(answer.text().await.unwrap(), "success");
        }
        let (_, view) = shopper.get(&format!("/s/forge/api/orders/{order}")).await;
        assert_eq!(view["status"], "paid");
        // Sent to another merchant's address: that merchant's key does not verify it.
        let elsewhere = format!("{}/api/v1/payments/alipay/notify/{}", app.url, w2.merchant_id);
        let answer = http.post(&elsewhere).header("content-type", "application/x-www-form-urlencoded").body(form).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "no Alipay account there");
    }
}

api_test! {
    async fn refunds_go_back_through_the_provider_partly_and_in_full(app) {
        let w = shop_world(&app, "rf").await;
        connect(&app, &w.owner, "wechatpay").await;
        connect(&app, &w.owner, "alipay").await;
        let shopper = app.shopper("rf", "13800138030").await;
        for provider in ["wechatpay", "alipay"] {
            let (status, _) = shopper.post("/s/rf/api/cart/items", json!({"sku_id": w.sku, "quantity": 2})).await;
            assert_eq!(status, StatusCode::OK);
            let (_, order) = shopper.post("/s/rf/api/orders", json!({"fulfilment": "pickup", "store_id": w.store_a})).await;
            let order = order["id"].as_str().unwrap().to_string();
            let (_, trade) = pay(&shopper, "rf", &order, json!({"provider": provider, "qr": true})).await;
            if provider == "wechatpay" { app.sim.pay_wechat(&trade).await.unwrap() } else { app.sim.pay_alipay(&trade).await.unwrap() }
            status_becomes(&w.owner, &format!("/api/v1/orders/{order}"), "paid", 5).await;
            let (_, mine) = shopper.get(&format!("/s/rf/api/orders/{order}")).await;
            let code = mine["pickup_code"]["code"].as_str().unwrap();
            let (status, done) = w.owner.post(&format!("/api/v1/orders/{order}/handover"), json!({"code": code})).await;
            assert_eq!(status, StatusCode::OK, "{done}");

            // Part, then the rest; more than is left is refused.
            let (status, body) = w.owner.post(&format!("/api/v1/orders/{order}/refunds"), json!({"amount": 2000, "reason": "stain"})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let (status, body) = w.owner.post(&format!("/api/v1/orders/{order}/refunds"), json!({"amount": 6000, "reason": "too much"})).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            let (status, body) = w.owner.post(&format!("/api/v1/orders/{order}/refunds"), json!({"amount": 5000, "reason": "the rest"})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            // WeChat refunds are PROCESSING first: the job asks again until SUCCESS.
            let mut view = Value::Null;
            for _ in 0..50 {
                app.run_jobs().await;
                view = w.owner.get(&format!("/api/v1/orders/{order}")).await.1;
                if view["refunds"].as_array().unwrap().iter().all(|r| r["status"] == "succeeded") { break; }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let refunds = view["refunds"].as_array().unwrap();
            assert_eq!(refunds.len(), 2, "{view}");
            assert!(refunds.iter().all(|r| r["status"] == "succeeded"), "{provider}: {view}");
            assert_eq!(view["payments"][0]["refunded"]["amount"], 7000);
        }
    }
}

/// With no notification, pending payments are asked about once they are a little old
/// (here at once) by the worker's periodic job.
mod recovery {
    use super::*;

    async fn body(app: TestApp) {
        let w = shop_world(&app, "qy").await;
        connect(&app, &w.owner, "wechatpay").await;
        connect(&app, &w.owner, "alipay").await;
        app.sim.set_faults(sweep_paysim::Faults { drop_notifications: true, ..Default::default() });
        let shopper = app.shopper("qy", "13800138040").await;
        let mut orders = vec![];
        for provider in ["wechatpay", "alipay"] {
            let order = pending_order(&shopper, "qy", &w).await;
            let (_, trade) = pay(&shopper, "qy", &order, json!({"provider": provider, "qr": true})).await;
            if provider == "wechatpay" {
                app.sim.pay_wechat(&trade).await.unwrap()
            } else {
                app.sim.pay_alipay(&trade).await.unwrap()
            }
            orders.push(order);
        }
        // An unpaid one stays pending after the queries.
        let unpaid = pending_order(&shopper, "qy", &w).await;
        pay(&shopper, "qy", &unpaid, json!({"provider": "wechatpay", "qr": true})).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for order in &orders {
            let (_, view) = shopper.get(&format!("/s/qy/api/orders/{order}")).await;
            assert_eq!(view["status"], "pending_payment", "no notification came");
        }
        // The query job, which the worker schedules every minute.
        app.sweep.schedule_payment_queries().await.unwrap();
        app.run_jobs().await;
        for order in &orders {
            let (_, view) = shopper.get(&format!("/s/qy/api/orders/{order}")).await;
            assert_eq!(view["status"], "paid", "{view}");
        }
        let (_, view) = shopper.get(&format!("/s/qy/api/orders/{unpaid}")).await;
        assert_eq!(view["status"], "pending_payment");
        let outcomes = notification_outcomes(&app, "wechatpay").await;
        assert!(outcomes.contains(&"paid".to_string()), "recorded as paid by query: {outcomes:?}");
    }

    fn settings() -> Settings {
        Settings { payment_query_after_secs: 0, ..Settings::default() }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn payments_whose_notifications_never_come_are_found_by_query_sqlite() {
        body(TestApp::spawn_with(sweep_store::Backend::Sqlite, settings()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(not(sweep_pg_tests), ignore = "set SWEEP_TEST_DATABASE_URL to run the PostgreSQL tests")]
    async fn payments_whose_notifications_never_come_are_found_by_query_postgres() {
        body(TestApp::spawn_with(sweep_store::Backend::Postgres, settings()).await).await
    }
}

api_test! {
    async fn money_that_arrives_after_the_order_closed_is_refunded(app) {
        let w = shop_world(&app, "late").await;
        connect(&app, &w.owner, "wechatpay").await;
        let shopper = app.shopper("late", "13800138050").await;
        let order = pending_order(&shopper, "late", &w).await;
        let (_, trade) = pay(&shopper, "late", &order, json!({"provider": "wechatpay", "qr": true})).await;
        app.sim.set_faults(sweep_paysim::Faults { drop_notifications: true, ..Default::default() });
        // The shopper cancels; before the close reaches WeChat, they pay on the open QR.
        let (status, _) = shopper.post(&format!("/s/late/api/orders/{order}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::OK);
        app.sim.pay_wechat(&trade).await.unwrap();
        app.sim.set_faults(sweep_paysim::Faults::default());
        // The close job finds it paid, and the money goes back (WeChat confirms the refund
        // with its own notification); the order stays cancelled.
        for _ in 0..30 {
            app.run_jobs().await;
            let (_, view) = w.owner.get(&format!("/api/v1/orders/{order}")).await;
            if view["refunds"].as_array().is_some_and(|r| r.len() == 1 && r[0]["status"] == "succeeded") { break; }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (_, view) = w.owner.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!(view["status"], "cancelled", "{view}");
        let refunds = view["refunds"].as_array().unwrap();
        assert_eq!((refunds.len(), refunds[0]["amount"]["amount"].as_i64(), refunds[0]["status"].as_str()), (1, Some(3500), Some("succeeded")), "{view}");
        // The notification that arrives late changes nothing more.
        let (headers, body) = app.sim.wechat_payment_notification(&trade).unwrap();
        let mut request = reqwest::Client::new().post(format!("{}/api/v1/payments/wechatpay/notify/{}", app.url, w.merchant_id)).body(body);
        for (k, v) in headers { request = request.header(k, v); }
        assert_eq!(request.send().await.unwrap().status(), StatusCode::OK);
        let (_, again) = w.owner.get(&format!("/api/v1/orders/{order}")).await;
        assert_eq!((again["status"].as_str(), again["refunds"].as_array().unwrap().len()), (Some("cancelled"), 1));
    }
}

/// A sale of one unit (39.00) paid with a payment code.
fn coded_sale(w: &World, sale_id: &str, method: &str, code: &str) -> Value {
    json!({
        "sale_id": sale_id, "store_id": w.store_a, "till_id": "T1",
        "lines": [{"sku_id": w.sku, "quantity": 1}],
        "payments": [{"method": method, "amount": 3900, "auth_code": code}]
    })
}

api_test! {
    async fn payment_codes_wait_for_the_payer_and_are_cancelled_when_they_do_not_confirm(app) {
        let w = shop_world(&app, "pc").await;
        connect(&app, &w.owner, "wechatpay").await;
        connect(&app, &w.owner, "alipay").await;
        let clerk = staff(&app, &w.owner, "a@pc.test", "clerk", &[&w.store_a]).await;
        // The payer confirms after a moment (codes ending 1111 in the simulator).
        for (sale, method, code) in [("PC-1", "wechat_code", "134567890123451111"), ("PC-2", "alipay_code", "284567890123451111")] {
            let (status, body) = clerk.post("/api/v1/pos/sales", coded_sale(&w, sale, method, code)).await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            let (_, view) = w.owner.get(&format!("/api/v1/orders/{}", body["order"]["id"].as_str().unwrap())).await;
            let provider = if method == "wechat_code" { "wechatpay" } else { "alipay" };
            assert_eq!(view["payments"][0]["provider"], provider, "{view}");
        }
        // Never confirms (2222): the till gives up, the charge is cancelled, nothing sold.
        for (sale, method, code) in [("PC-3", "wechat_code", "134567890123452222"), ("PC-4", "alipay_code", "284567890123452222")] {
            let (status, body) = clerk.post("/api/v1/pos/sales", coded_sale(&w, sale, method, code)).await;
            assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("payment_declined")), "{body}");
        }
        // An empty wallet is declined at once.
        let (status, body) = clerk.post("/api/v1/pos/sales", coded_sale(&w, "PC-5", "wechat_code", "134567890123450000")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("payment_declined")), "{body}");
        assert_eq!(level(&w.owner, &w.sku, &w.store_a).await, (8, 0), "two sold, three not");
    }
}

api_test! {
    async fn the_daily_reconciliation_finds_and_applies_what_only_the_provider_saw(app) {
        let w = shop_world(&app, "rec").await;
        connect(&app, &w.owner, "wechatpay").await;
        let shopper = app.shopper("rec", "13800138060").await;
        // One paid the usual way, refunded in part.
        let fine = pending_order(&shopper, "rec", &w).await;
        let (_, trade) = pay(&shopper, "rec", &fine, json!({"provider": "wechatpay", "qr": true})).await;
        app.sim.pay_wechat(&trade).await.unwrap();
        status_becomes(&w.owner, &format!("/api/v1/orders/{fine}"), "paid", 5).await;
        // One whose notification never came.
        app.sim.set_faults(sweep_paysim::Faults { drop_notifications: true, ..Default::default() });
        let lost = pending_order(&shopper, "rec", &w).await;
        let (_, lost_trade) = pay(&shopper, "rec", &lost, json!({"provider": "wechatpay", "qr": true})).await;
        app.sim.pay_wechat(&lost_trade).await.unwrap();
        // One never paid.
        let unpaid = pending_order(&shopper, "rec", &w).await;
        pay(&shopper, "rec", &unpaid, json!({"provider": "wechatpay", "qr": true})).await;

        let day = {
            let beijing = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
            format!("{}-{:02}-{:02}", beijing.year(), u8::from(beijing.month()), beijing.day())
        };
        let (status, report) = w.owner.post("/api/v1/reconciliations", json!({"day": day})).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["checked"], 3, "{report}");
        let mismatches = report["mismatches"].as_array().unwrap();
        assert_eq!(mismatches.len(), 1, "{report}");
        assert_eq!((mismatches[0]["kind"].as_str(), mismatches[0]["out_trade_no"].as_str()), (Some("paid_only_at_provider"), Some(lost_trade.as_str())));
        let (_, view) = w.owner.get(&format!("/api/v1/orders/{lost}")).await;
        assert_eq!(view["status"], "paid", "applied on the way");
        // Run again: nothing left to report; the report is kept per day.
        let (_, again) = w.owner.post("/api/v1/reconciliations", json!({"day": day})).await;
        assert_eq!(again["mismatches"], json!([]), "{again}");
        let (_, list) = w.owner.get("/api/v1/reconciliations").await;
        assert_eq!(list.as_array().unwrap().len(), 1);
        // Bad days and store staff are refused.
        let (status, _) = w.owner.post("/api/v1/reconciliations", json!({"day": "2026-13-01"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let manager = staff(&app, &w.owner, "m@rec.test", "store_manager", &[&w.store_a]).await;
        let (status, _) = manager.get("/api/v1/reconciliations").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
