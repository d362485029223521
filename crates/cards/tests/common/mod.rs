//! Helpers shared by the integration tests. Reading cards back (PDF pages, PNGs, QR
//! codes) is in `sweep_cards::testing`, shared with the other crates' tests.

use sweep_cards::CardFace;

/// A typical card; `i` makes the URL and code unique.
pub fn face(i: usize, product_name: &str) -> CardFace {
    let code = format!("7KQ2M9X{i}");
    CardFace {
        merchant_name: "云眠家纺".into(),
        product_name: product_name.into(),
        product_name_en: Some("Long-staple cotton bedding set".into()),
        sku_label: "1.8m / 雾霾蓝".into(),
        price: "¥399.00".into(),
        member_price: Some("¥359.00".into()),
        store_name: "湖滨银泰店".into(),
        campaign: i.is_multiple_of(2).then(|| "Double 11 2026".into()),
        url: format!("https://shop.example.com/c/{code}"),
        code,
    }
}
