//! A browser standing in a store (it scanned one of the store's cards): the store's
//! prices, its stock of the card's variant, "pick up here" kept across signing in, and
//! checkout charging exactly what it shows for each choice. On both databases.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_test;
use crate::helpers::*;

async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    let r = client.raw(reqwest::Method::GET, path).await.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The value of `attr` on the first radio whose value starts with `value`.
fn radio_attr(html: &str, value: &str, attr: &str) -> Option<String> {
    let at = html.find(&format!("value=\"{value}"))?;
    let tag = &html[at..at + html[at..].find('>')?];
    let start = tag.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(tag[start..start + tag[start..].find('"')?].to_string())
}

async fn card_at(w: &World, store: &str, sku: &str) -> Value {
    w.owner.create("/api/v1/cards", json!({"store_id": store, "sku_ids": [sku]})).await[0].clone()
}

api_test! {
    async fn a_stores_prices_hold_for_pickup_there_and_checkout_charges_what_it_shows(app) {
        let w = shop_world(&app, "ctx").await;
        w.owner.create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 5}]})).await;
        let (status, _) = w.owner.put(&format!("/api/v1/skus/{}/prices/stores/{}", w.sku, w.store_b), json!({"price": 3000})).await;
        assert_eq!(status, StatusCode::OK);
        let card = card_at(&w, &w.store_b, &w.sku).await;

        // Standing in store B: B's price.
        let mut phone = app.phone("203.0.113.30", true);
        let (status, html) = page(&phone, &format!("/c/{}", card["code"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("¥30.00"), "the store's own price");
        app.sign_in_shopper(&mut phone, "ctx", "13900000010").await;
        phone.post("/s/ctx/api/cart/items", json!({"sku_id": w.sku, "quantity": 1})).await;
        let (status, address) = phone.post("/s/ctx/api/addresses", address_body("13900000010")).await;
        assert_eq!(status, StatusCode::CREATED, "{address}");

        // Checkout quotes each choice: B at its price, A and delivery at the member price.
        let (_, html) = page(&phone, "/s/ctx/checkout").await;
        assert_eq!(radio_attr(&html, &format!("pickup:{}", w.store_b), "data-total").as_deref(), Some("30.00"));
        assert_eq!(radio_attr(&html, &format!("pickup:{}", w.store_a), "data-total").as_deref(), Some("35.00"));
        assert_eq!(radio_attr(&html, "delivery:", "data-total").as_deref(), Some("35.00"));
        assert!(html.find(&format!("pickup:{}", w.store_b)) < html.find(&format!("pickup:{}", w.store_a)), "the store it stands in first");

        // ...and charges exactly that: B's price only for goods collected at B.
        let (_, addresses) = phone.get("/s/ctx/api/addresses").await;
        let lines = json!([{"sku_id": w.sku, "quantity": 1}]);
        for (body, total) in [
            (json!({"fulfilment": "pickup", "store_id": w.store_b, "lines": lines}), 3000),
            (json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": lines}), 3500),
            (json!({"fulfilment": "delivery", "address_id": addresses[0]["id"], "lines": lines}), 3500),
        ] {
            let (status, order) = phone.post("/s/ctx/api/orders", body.clone()).await;
            assert_eq!((status, order["total"]["amount"].as_i64()), (StatusCode::CREATED, Some(total)), "{body}");
        }
    }
}

api_test! {
    async fn a_disabled_card_credits_nothing_more(app) {
        let w = shop_world(&app, "off").await;
        let card = card_at(&w, &w.store_a, &w.sku).await;
        let mut phone = app.phone("203.0.113.31", true);
        page(&phone, &format!("/c/{}", card["code"].as_str().unwrap())).await;
        app.sign_in_shopper(&mut phone, "off", "13900000011").await;
        let pickup = json!({"fulfilment": "pickup", "store_id": w.store_a, "lines": [{"sku_id": w.sku, "quantity": 1}]});
        // While the card is active, the scan is credited...
        let (status, order) = phone.post("/s/off/api/orders", pickup.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert_eq!((order["card_id"].clone(), order["influencer_store_id"].clone()), (card["id"].clone(), json!(w.store_a)));
        // ...and once it is disabled, the same browser's next order is not.
        let (status, _) = w.owner.post_empty(&format!("/api/v1/cards/{}/disable", card["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK);
        let (status, order) = phone.post("/s/off/api/orders", pickup).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert!(order["card_id"].is_null() && order["influencer_store_id"].is_null(), "{order}");
    }
}

api_test! {
    async fn a_card_whose_store_is_archived_credits_nothing_more(app) {
        let w = shop_world(&app, "shut").await;
        let card = card_at(&w, &w.store_a, &w.sku).await;
        let mut phone = app.phone("203.0.113.34", true);
        page(&phone, &format!("/c/{}", card["code"].as_str().unwrap())).await;
        app.sign_in_shopper(&mut phone, "shut", "13900000013").await;
        let (status, address) = phone.post("/s/shut/api/addresses", address_body("13900000013")).await;
        assert_eq!(status, StatusCode::CREATED, "{address}");
        // Delivered from the warehouse, so the order can still be placed once the store is gone.
        let delivery = json!({"fulfilment": "delivery", "address_id": address["id"], "lines": [{"sku_id": w.sku, "quantity": 1}]});
        // While the store is open, the scan is credited...
        let (status, order) = phone.post("/s/shut/api/orders", delivery.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert_eq!((order["card_id"].clone(), order["influencer_store_id"].clone()), (card["id"].clone(), json!(w.store_a)));
        // ...and once it is archived, the same browser's next order is not, the card still active.
        let (status, store) = w.owner.post_empty(&format!("/api/v1/locations/{}/archive", w.store_a)).await;
        assert_eq!((status, store["status"].as_str()), (StatusCode::OK, Some("archived")), "{store}");
        let (_, shown) = w.owner.get(&format!("/api/v1/cards/{}", card["id"].as_str().unwrap())).await;
        assert_eq!(shown["card"]["status"], "active", "only the store closed: {shown}");
        let (status, order) = phone.post("/s/shut/api/orders", delivery).await;
        assert_eq!(status, StatusCode::CREATED, "{order}");
        assert!(order["card_id"].is_null() && order["influencer_store_id"].is_null(), "{order}");
    }
}

api_test! {
    async fn the_cards_variant_can_be_had_where_only_its_store_has_it(app) {
        let w = world(&app, "only").await;
        // A pickup-only counter with a variant nothing else stocks.
        let mut counter = location_body("PO", "store");
        counter["delivery_enabled"] = json!(false);
        let counter = w.owner.create("/api/v1/locations", counter).await;
        let rare = w.owner.create(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "TWL-RARE", "base_price": 5900})).await;
        let rare = rare["id"].as_str().unwrap().to_string();
        w.owner.create("/api/v1/stock/receipts", json!({"location_id": counter["id"], "lines": [{"sku_id": rare, "quantity": 3}]})).await;
        let card = card_at(&w, counter["id"].as_str().unwrap(), &rare).await;

        let phone = app.phone("203.0.113.32", true);
        let (_, html) = page(&phone, &format!("/c/{}", card["code"].as_str().unwrap())).await;
        let at = html.find(&format!("value=\"{rare}\"")).expect("the card's variant is offered");
        let tag = &html[at..at + html[at..].find('>').unwrap()];
        assert!(tag.contains("checked") && !tag.contains("disabled"), "chosen, and can be had: {tag}");
        assert!(html.contains("本店现货 <b>3</b>") && html.contains("id=\"pick-up-here\""), "three here, to pick up here");
    }
}

api_test! {
    async fn pick_up_there_is_kept_while_a_guest_signs_in(app) {
        let w = shop_world(&app, "keep").await;
        w.owner.create("/api/v1/stock/transfers", json!({"from_location_id": w.warehouse, "to_location_id": w.store_b, "lines": [{"sku_id": w.sku, "quantity": 5}]})).await;
        let mut guest = app.phone("203.0.113.33", false);
        let (_, session) = guest.get("/s/keep/api/session").await;
        let csrf = session["csrf_token"].as_str().unwrap().to_string();
        let chose = guest
            .raw(reqwest::Method::POST, "/s/keep/cart/add")
            .await
            .header("origin", app.url.as_str())
            .form(&[("csrf", csrf.as_str()), ("sku_id", w.sku.as_str()), ("quantity", "1"), ("then", &format!("pickup:{}", w.store_b))])
            .send()
            .await
            .unwrap();
        assert_eq!(chose.status(), StatusCode::SEE_OTHER);
        assert_eq!(chose.headers()["location"], format!("/s/keep/checkout?store={}", w.store_b).as_str());
        let (status, _) = page(&guest, &format!("/s/keep/checkout?store={}", w.store_b)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "guests sign in first");

        app.sign_in_shopper(&mut guest, "keep", "13900000012").await;
        let (status, html) = page(&guest, "/s/keep/checkout").await;
        assert_eq!(status, StatusCode::OK);
        let first = html.find("value=\"pickup:").unwrap();
        assert!(html[first..].starts_with(&format!("value=\"pickup:{}\"", w.store_b)), "store B still chosen first");
        // A store that cannot serve the cart is said so, not silently swapped.
        let (_, html) = page(&guest, &format!("/s/keep/checkout?store={}", w.warehouse)).await;
        assert!(html.contains("所选门店暂时无法提供"), "the shopper is told");
    }
}

api_test! {
    async fn a_sheet_too_long_is_refused_not_cut_short(app) {
        let w = shop_world(&app, "long").await;
        let skus: Vec<&str> = std::iter::repeat_n(w.sku.as_str(), 200).collect();
        w.owner.create("/api/v1/cards", json!({"store_id": w.store_a, "sku_ids": skus})).await;
        w.owner.create("/api/v1/cards", json!({"store_id": w.store_a, "sku_ids": [w.sku]})).await;
        let (status, body) = w.owner.get(&format!("/api/v1/cards/sheet.pdf?store_id={}", w.store_a)).await;
        assert_eq!((status, body["error"]["fields"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_length")));
    }
}
