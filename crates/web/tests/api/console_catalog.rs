//! The console's products, prices and stock pages: adding a product by form, bulk price
//! edits (all or nothing), CSV export and import, receiving stock once per form, and
//! store scoping. On SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_test;
use crate::helpers::*;

/// The value of the first `name="<name>"` input on a page.
fn input_value(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no input {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Every SKU of the merchant, by code: (base price, member price) in fen.
async fn prices(owner: &Client) -> std::collections::HashMap<String, (i64, Option<i64>)> {
    let (status, body) = owner.get("/api/v1/skus?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["code"].as_str().unwrap().to_string(),
                (s["base_price"]["amount"].as_i64().unwrap(), s["member_price"]["amount"].as_i64()),
            )
        })
        .collect()
}

async fn product_count(owner: &Client) -> usize {
    let (_, body) = owner.get("/api/v1/products?limit=200").await;
    body["items"].as_array().unwrap().len()
}

async fn export(client: &Client) -> String {
    let response = client.raw(reqwest::Method::GET, "/console/products.csv").await.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    response.text().await.unwrap()
}

fn new_product<'a>(name_zh: &'a str, code: &'a str, base: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("category", ""),
        ("name_zh", name_zh),
        ("name_en", "Linen pillowcase"),
        ("description_zh", "亚麻"),
        ("description_en", ""),
        ("status", "active"),
        ("code", code),
        ("barcode", ""),
        ("attributes", "colour=米白"),
        ("base_price", base),
        ("member_price", "45.5"),
    ]
}

api_test! {
    async fn a_product_added_by_form_is_in_the_api_and_the_shop(app) {
        let (_, owner) = app.merchant("cform").await;
        let (status, html) = owner.page("/console/products/new").await;
        assert_eq!(status, StatusCode::OK, "{html}");

        let (status, path, html) = owner.submit("/console/products/new", &new_product("亚麻枕套", "PIL-1", "49.90")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.starts_with("/console/products/") && path.ends_with("?done=created"), "{path}");
        assert!(html.contains("PIL-1") && html.contains("49.90"), "the product page lists the SKU");
        let id = path.trim_start_matches("/console/products/").trim_end_matches("?done=created");

        let (status, product) = owner.get(&format!("/api/v1/products/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{product}");
        assert_eq!((product["name"]["zh"].as_str(), product["status"].as_str()), (Some("亚麻枕套"), Some("active")));
        assert_eq!(product["skus"][0]["base_price"], json!({"amount": 4990, "currency": "CNY"}));
        assert_eq!(product["skus"][0]["member_price"]["amount"], 4550);
        assert_eq!(product["skus"][0]["attributes"]["colour"], "米白");

        let (status, shop) = app.anonymous().page("/s/cform/search?q=%E4%BA%9A%E9%BA%BB").await; // 亚麻
        assert_eq!(status, StatusCode::OK);
        assert!(shop.contains("亚麻枕套"), "the shop lists it: {shop}");
        let (_, list) = owner.page("/console/products?q=PIL-1").await;
        assert!(list.contains("亚麻枕套") && list.contains("¥49.90"), "found by SKU code in the list: {list}");
    }
}

api_test! {
    async fn a_bad_price_shows_the_form_again_and_writes_nothing(app) {
        let (_, owner) = app.merchant("cbad").await;
        for bad in ["12.345", "-1", "abc"] {
            let (status, _, html) = owner.submit("/console/products/new", &new_product("坏价格", "BAD-1", bad)).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
            assert!(html.contains("field-error"), "the price box says what is wrong: {html}");
            assert!(html.contains("value=\"坏价格\"") && html.contains(&format!("value=\"{bad}\"")), "values kept");
        }
        // A bad SKU code after a good product: still nothing written, both in one go.
        let mut fields = new_product("坏编码", "bad code!", "10");
        fields.retain(|(k, _)| *k != "member_price");
        let (status, _, html) = owner.submit("/console/products/new", &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert_eq!(product_count(&owner).await, 0, "no product was written");
    }
}

api_test! {
    async fn bulk_prices_change_the_changed_rows_or_none(app) {
        let w = world(&app, "cbulk").await;
        let second = w.owner.create(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "TWL-2", "base_price": 5900})).await;
        let second = second["id"].as_str().unwrap().to_string();
        let (status, html) = w.owner.page("/console/products/prices").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains(&format!("name=\"base.{}\" value=\"39.00\"", w.sku)), "{html}");

        let row = |id: &str, base: &str, member: &str, was_base: &str, was_member: &str| {
            vec![
                ("sku".to_string(), id.to_string()),
                (format!("base.{id}"), base.to_string()),
                (format!("member.{id}"), member.to_string()),
                (format!("was_base.{id}"), was_base.to_string()),
                (format!("was_member.{id}"), was_member.to_string()),
            ]
        };
        let send = |rows: Vec<Vec<(String, String)>>| {
            let owner = w.owner.clone();
            async move {
                let fields: Vec<(String, String)> = rows.into_iter().flatten().collect();
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                owner.submit("/console/products/prices", &fields).await
            }
        };

        // One bad row: nothing saved, the good row's new value shown again.
        let (status, _, html) =
            send(vec![row(&w.sku, "41.00", "36.00", "39.00", "35.00"), row(&second, "-1", "", "59.00", "")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("value=\"41.00\"") && html.contains("field-error"), "{html}");
        let now = prices(&w.owner).await;
        assert_eq!((now["TWL-1"], now["TWL-2"]), ((3900, Some(3500)), (5900, None)), "nothing changed");

        // Someone else changes TWL-2 meanwhile; a send that leaves its row as shown keeps that.
        w.owner.patch(&format!("/api/v1/skus/{second}"), json!({"base_price": 6100})).await;
        let (status, path, html) =
            send(vec![row(&w.sku, "41.00", "", "39.00", "35.00"), row(&second, "59.00", "", "59.00", "")]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("done=prices"), "{path}");
        let now = prices(&w.owner).await;
        assert_eq!(now["TWL-1"], (4100, None), "changed, member price removed");
        assert_eq!(now["TWL-2"], (6100, None), "the unchanged row was not written");
    }
}

api_test! {
    async fn bulk_prices_write_only_the_changed_box_and_refuse_a_price_changed_meanwhile(app) {
        let w = world(&app, "cbulk2").await;
        let second = w.owner.create(&format!("/api/v1/products/{}/skus", w.product), json!({"code": "TWL-2", "base_price": 5900})).await;
        let second = second["id"].as_str().unwrap().to_string();
        // The page's form as drawn, with some boxes retyped.
        let form = |html: String, typed: Vec<(String, &'static str)>| {
            let mut fields = vec![];
            for id in [&w.sku, &second] {
                fields.push(("sku".to_string(), id.clone()));
                for name in ["base", "member", "was_base", "was_member"] {
                    let name = format!("{name}.{id}");
                    let value = typed.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
                    let value = value.unwrap_or_else(|| input_value(&html, &name));
                    fields.push((name, value));
                }
            }
            fields
        };
        let send = |fields: Vec<(String, String)>| {
            let owner = w.owner.clone();
            async move {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                owner.submit("/console/products/prices", &fields).await
            }
        };

        // Drawn; then the member price is changed through the API; then only the base
        // price is changed on the page: the API's member price stays.
        let (_, html) = w.owner.page("/console/products/prices").await;
        let (status, body) = w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"member_price": 3300})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, path, page) = send(form(html, vec![(format!("base.{}", w.sku), "41.00")])).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(path.contains("done=prices"), "{path}");
        let now = prices(&w.owner).await;
        assert_eq!(now["TWL-1"], (4100, Some(3300)), "the member price set meanwhile is kept");

        // Drawn again; the base price moves meanwhile; a send changing it (and another
        // row) is refused whole.
        let (_, html) = w.owner.page("/console/products/prices").await;
        w.owner.patch(&format!("/api/v1/skus/{}", w.sku), json!({"base_price": 4300})).await;
        let typed = vec![(format!("base.{}", w.sku), "45.00"), (format!("base.{second}"), "61.00")];
        let (status, _, page) = send(form(html, typed)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{page}");
        assert!(page.contains("field-error") && page.contains("¥43.00"), "says what it is now: {page}");
        let now = prices(&w.owner).await;
        assert_eq!((now["TWL-1"], now["TWL-2"]), ((4300, Some(3300)), (5900, None)), "nothing written");

        // The page shown again counts from the new price: saving it again is deliberate.
        assert_eq!(input_value(&page, &format!("base.{}", w.sku)), "45.00", "the typed price is kept");
        assert_eq!(input_value(&page, &format!("was_base.{}", w.sku)), "43.00");
        let (status, _, page) = send(form(page, vec![])).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let now = prices(&w.owner).await;
        assert_eq!((now["TWL-1"], now["TWL-2"]), ((4500, Some(3300)), (6100, None)));
    }
}

api_test! {
    async fn the_csv_export_imports_back(app) {
        let w = world(&app, "ccsv").await;
        w.owner.create(&format!("/api/v1/products/{}/skus", w.product),
            json!({"code": "TWL-2", "base_price": 5900, "barcode": "6900000000017", "attributes": {"colour": "灰", "size": "L"}})).await;
        let tricky = w.owner.create("/api/v1/products", json!({"name": {"zh": "=HYPERLINK(\"x\")", "en": "Quote \"and\", comma"},
            "description": {"zh": "第一行\n-第二行", "en": ""}, "status": "draft"})).await;
        w.owner.create(&format!("/api/v1/products/{}/skus", tricky["id"].as_str().unwrap()), json!({"code": "-TRK", "base_price": 100})).await;

        let text = export(&w.owner).await;
        assert!(text.starts_with("\u{feff}product_ref,category,name_zh,name_en,"), "{text}");
        assert!(text.contains("'=HYPERLINK") && text.contains("'-TRK"), "formulas defused: {text}");
        assert!(text.contains("\"Quote \"\"and\"\", comma\""), "quoted: {text}");

        // Back into the same merchant: accepted, nothing new.
        let (status, _, html) = w.owner.submit("/console/products/import", &[("csv", &text), ("action", "check")]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("id=\"dry-run\""), "{html}");
        let (status, path, html) = w.owner.submit("/console/products/import", &[("csv", &text), ("action", "import")]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("done=imported") && path.contains("products=0") && path.contains("unchanged=3"), "{path}");
        assert_eq!(product_count(&w.owner).await, 2);

        // Into another merchant: the same catalog, values intact.
        let (_, other) = app.merchant("ccsv2").await;
        let (status, path, html) = other.submit("/console/products/import", &[("csv", &text), ("action", "import")]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(path.contains("products=2") && path.contains("skus=3"), "{path}");
        let (_, found) = other.get("/api/v1/skus?code=-TRK").await;
        let product = found["items"][0]["product_id"].as_str().unwrap().to_string();
        let (_, p) = other.get(&format!("/api/v1/products/{product}")).await;
        assert_eq!((p["name"]["zh"].as_str(), p["name"]["en"].as_str()), (Some("=HYPERLINK(\"x\")"), Some("Quote \"and\", comma")));
        assert_eq!((p["description"]["zh"].as_str(), p["status"].as_str()), (Some("第一行\n-第二行"), Some("draft")));
        let (_, twl2) = other.get("/api/v1/skus?code=TWL-2").await;
        assert_eq!(twl2["items"][0]["attributes"], json!({"colour": "灰", "size": "L"}));
        assert_eq!(export(&other).await.lines().count(), text.lines().count(), "its export has as many lines");
    }
}

api_test! {
    async fn an_import_with_a_bad_row_names_line_and_column_and_writes_nothing(app) {
        let (_, owner) = app.merchant("cimp").await;
        let text = "product_ref,name_zh,sku_code,base_price\nP1,毛巾,IMP-1,19.90\nP2,浴巾,IMP-2,12.345\n";
        let (status, _, html) = owner.submit("/console/products/import", &[("csv", text), ("action", "import")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("<td class=\"num\">3</td><td>base_price</td>"), "line 3, column base_price: {html}");
        assert_eq!(product_count(&owner).await, 0, "not even the good row");
        // A clerk may not import at all.
        let w = world(&app, "cimp2").await;
        let (clerk, _) = store_clerks(&app, &w, "cimp2").await;
        let (status, _, _) = clerk.submit("/console/products/import", &[("csv", text), ("action", "import")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

api_test! {
    async fn receiving_by_form_counts_once_per_form(app) {
        let w = world(&app, "crcv").await;
        let (status, html) = w.owner.page("/console/stock/receive").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        let key = input_value(&html, "key");
        let fields = [("key", key.as_str()), ("location", &w.store_a), ("sku", "TWL-1"), ("quantity", "7"), ("note", "DN-1")];
        let (status, path, _) = w.owner.submit("/console/stock/receive", &fields).await;
        assert_eq!((status, path.as_str()), (StatusCode::OK, "/console/stock/receive?done=1"));
        let (status, path, _) = w.owner.submit("/console/stock/receive", &fields).await;
        assert_eq!((status, path.as_str()), (StatusCode::OK, "/console/stock/receive?done=1"), "the repeat is led on");
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 7, "received once");

        let (_, stock) = w.owner.page(&format!("/console/stock?location={}", w.store_a)).await;
        assert!(stock.contains("TWL-1") && stock.contains("<strong>7</strong>"), "{stock}");
        let (_, moves) = w.owner.page("/console/stock/movements?sku=TWL-1").await;
        assert!(moves.contains("DN-1") && moves.contains("<td>Owner</td>"), "note and who: {moves}");
    }
}

api_test! {
    async fn a_store_manager_receives_only_into_their_store(app) {
        let w = world(&app, "cscope").await;
        let manager = staff(&app, &w.owner, "sm@cscope.test", "store_manager", &[&w.store_a]).await;
        let (status, html) = manager.page("/console/stock/receive").await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains(&w.store_a) && !html.contains(&w.store_b) && !html.contains(&w.warehouse), "only store A");
        let key = input_value(&html, "key");
        let fields = [("key", key.as_str()), ("location", w.store_b.as_str()), ("sku", "TWL-1"), ("quantity", "5")];
        let (status, _, _) = manager.submit("/console/stock/receive", &fields).await;
        assert!(status.is_client_error(), "{status}");
        assert_eq!(available(&w.owner, &w.sku, &w.store_b).await, 0, "nothing received");
        let (_, stock) = manager.page("/console/stock").await;
        assert!(!stock.contains("WH ·"), "the warehouse's stock is not listed: {stock}");
        // Into their own store it works.
        let fields = [("key", key.as_str()), ("location", w.store_a.as_str()), ("sku", "TWL-1"), ("quantity", "5")];
        let (status, _, html) = manager.submit("/console/stock/receive", &fields).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(available(&w.owner, &w.sku, &w.store_a).await, 5);
    }
}

api_test! {
    async fn a_clerk_cannot_add_products(app) {
        let w = world(&app, "cclerk").await;
        let (clerk, _) = store_clerks(&app, &w, "cclerk").await;
        let (status, html) = clerk.page("/console/products/new").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
        assert!(html.contains("<html"), "a page, not bare text");
        let (status, _, _) = clerk.submit("/console/products/new", &new_product("店员的", "CLK-1", "1")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(product_count(&w.owner).await, 1);
        let (status, list) = clerk.page("/console/products").await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("纯棉毛巾") && !list.contains("/console/products/new"), "read-only list: {list}");
    }
}

api_test! {
    async fn the_product_page_edits_skus_and_channel_and_store_prices(app) {
        let w = world(&app, "cdet").await;
        let page = format!("/console/products/{}", w.product);
        let (status, html) = w.owner.page(&page).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("TWL-1") && html.contains("value=\"39.00\""), "{html}");

        let (status, path, _) = w.owner.submit(&page, &[("name_zh", "纯棉方巾"), ("name_en", "Cotton face towel"),
            ("description_zh", ""), ("description_en", ""), ("status", "active"), ("category", "")]).await;
        assert_eq!((status, path), (StatusCode::OK, format!("{page}?done=saved")));
        let (_, p) = w.owner.get(&format!("/api/v1/products/{}", w.product)).await;
        assert_eq!(p["name"]["zh"], "纯棉方巾");

        // A SKU with a bad price is not added; a good one is.
        let sku = |base: &'static str| [("code", "TWL-9"), ("barcode", ""), ("attributes", "size=S"), ("base_price", base), ("member_price", "")];
        let (status, _, html) = w.owner.submit(&format!("{page}/skus"), &sku("9.999")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        assert!(html.contains("value=\"TWL-9\""), "the draft is kept");
        assert!(!prices(&w.owner).await.contains_key("TWL-9"));
        let (status, _, _) = w.owner.submit(&format!("{page}/skus"), &sku("9.90")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(prices(&w.owner).await["TWL-9"], (990, None));

        // The SKU's own prices, then a store price, seen by the price API.
        let (status, _, _) = w.owner.submit(&format!("{page}/skus/{}", w.sku), &[("base_price", "42"), ("member_price", "38.5")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(prices(&w.owner).await["TWL-1"], (4200, Some(3850)));
        let (status, _, html) = w.owner.submit(&format!("{page}/skus/{}", w.sku), &[("base_price", "-3"), ("member_price", "")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
        let scope = format!("store:{}", w.store_a);
        let (status, _, html) = w.owner.submit(&format!("{page}/overrides"), &[("sku", &w.sku), ("scope", &scope), ("price", "36")]).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("¥36.00"), "listed on the page");
        let (_, q) = w.owner.get(&format!("/api/v1/prices/quote?sku_id={}&channel=pos&store_id={}", w.sku, w.store_a)).await;
        assert_eq!(q["unit_price"]["amount"], 3600, "{q}");
        w.owner.submit(&format!("{page}/overrides"), &[("sku", &w.sku), ("scope", "channel:wechat"), ("price", "40")]).await;
        let (_, listed) = w.owner.get(&format!("/api/v1/skus/{}/prices", w.sku)).await;
        assert_eq!(listed["overrides"].as_array().unwrap().len(), 2, "{listed}");
        let (status, _, _) = w.owner.submit(&format!("{page}/overrides/delete"), &[("sku", &w.sku), ("scope", &scope)]).await;
        assert_eq!(status, StatusCode::OK);
        let (_, listed) = w.owner.get(&format!("/api/v1/skus/{}/prices", w.sku)).await;
        assert_eq!(listed["overrides"][0]["channel"], "wechat", "{listed}");

        // Archiving: a SKU of another product is not reachable through this page.
        let (status, _, _) = w.owner.submit(&format!("/console/products/{}/skus/{}/archive", uuid_like(), w.sku), &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, _) = w.owner.submit(&format!("{page}/skus/{}/archive", w.sku), &[]).await;
        assert_eq!(status, StatusCode::OK);
        let (_, sku) = w.owner.get(&format!("/api/v1/skus/{}", w.sku)).await;
        assert_eq!(sku["status"], "archived");
        let (status, _, _) = w.owner.submit(&format!("{page}/archive"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        let (_, p) = w.owner.get(&format!("/api/v1/products/{}", w.product)).await;
        assert_eq!(p["status"], "archived");
    }
}

/// An id no product has.
fn uuid_like() -> &'static str {
    "01900000-0000-7000-8000-000000000000"
}

api_test! {
    async fn adjusting_and_transferring_by_form(app) {
        let w = world(&app, "cmove").await;
        let form = |path: &'static str| {
            let owner = w.owner.clone();
            async move { input_value(&owner.page(path).await.1, "key") }
        };
        let key = form("/console/stock/adjust").await;
        let fields = [("key", key.as_str()), ("location", &w.warehouse), ("sku", "TWL-1"), ("quantity", "-3"), ("reason", "damaged"), ("note", "")];
        let (status, path, _) = w.owner.submit("/console/stock/adjust", &fields).await;
        assert_eq!((status, path.as_str()), (StatusCode::OK, "/console/stock/adjust?done=1"));
        assert_eq!(available(&w.owner, &w.sku, &w.warehouse).await, 97);

        // More than is there: refused, nothing moved.
        let key = form("/console/stock/transfer").await;
        let too_many = [("key", key.as_str()), ("location", &w.warehouse), ("to", &w.store_b), ("sku", "TWL-1"), ("quantity", "500"), ("note", "")];
        let (status, _, html) = w.owner.submit("/console/stock/transfer", &too_many).await;
        assert_eq!(status, StatusCode::CONFLICT, "{html}");
        let fields = [("key", key.as_str()), ("location", &w.warehouse), ("to", &w.store_b), ("sku", "TWL-1"), ("quantity", "20"), ("note", "")];
        let (status, _, _) = w.owner.submit("/console/stock/transfer", &fields).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((available(&w.owner, &w.sku, &w.warehouse).await, available(&w.owner, &w.sku, &w.store_b).await), (77, 20));
        let (_, moves) = w.owner.page(&format!("/console/stock/movements?location={}", w.store_b)).await;
        assert!(moves.contains("<td class=\"num\">+20</td>") && !moves.contains("<td class=\"num\">-3</td>"), "only store B's movements: {moves}");

        // A clerk may neither adjust nor transfer.
        let (clerk, _) = store_clerks(&app, &w, "cmove").await;
        assert_eq!(clerk.page("/console/stock/adjust").await.0, StatusCode::FORBIDDEN);
        let (status, _, _) = clerk.submit("/console/stock/transfer", &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
