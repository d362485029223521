//! Writes a sample sheet and card, to eyeball the layout:
//! `cargo run -p sweep-cards --example sample -- /tmp/cards-sample.pdf /tmp/card-sample.png`

use sweep_cards::{CardFace, card_png, sheet_pdf};

fn face(i: usize, product: &str, en: Option<&str>, sku: &str, member: bool, campaign: bool) -> CardFace {
    let code = format!("7KQ2M9X{}", (b'A' + i as u8) as char);
    CardFace {
        merchant_name: "云眠家纺".into(),
        product_name: product.into(),
        product_name_en: en.map(Into::into),
        sku_label: sku.into(),
        price: "¥399.00".into(),
        member_price: member.then(|| "¥359.00".into()),
        store_name: "湖滨银泰店".into(),
        campaign: campaign.then(|| "Double 11 2026".into()),
        url: format!("https://shop.example.com/c/{code}"),
        code,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let pdf_path = args.next().unwrap_or_else(|| "/tmp/cards-sample.pdf".into());
    let png_path = args.next().unwrap_or_else(|| "/tmp/card-sample.png".into());
    let faces = vec![
        face(0, "60支长绒棉四件套 雾霾蓝", Some("60s Long-staple Cotton Bedding Set"), "1.8m / 雾霾蓝", true, true),
        face(
            1,
            "新疆长绒棉超柔加厚浴巾礼盒装（两条装）赠品牌收纳袋 限量款",
            Some("Xinjiang cotton bath towel gift box, set of two, with branded storage bag"),
            "70×140cm / 奶油白",
            false,
            false,
        ),
        face(2, "Tom & Jerry <b>\"联名\"</b> 儿童毛毯", None, "", true, false),
        face(3, "乳胶枕", Some("Latex pillow"), "标准款", false, true),
        face(4, "真丝眼罩", None, "桑蚕丝 / 香槟金", true, false),
    ];
    std::fs::write(&pdf_path, sheet_pdf(&faces)?)?;
    std::fs::write(&png_path, card_png(&faces[0], 300.0)?)?;
    println!("wrote {pdf_path} and {png_path}");
    Ok(())
}
