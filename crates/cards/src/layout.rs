//! Builds card and sheet SVG documents. All lengths are millimetres: the
//! viewBox of every document is in mm, so print sizes are exact.

use std::fmt::Write as _;

use crate::fonts::CSS_FONT_FAMILY;
use crate::text::{clean, ellipsize, escape, fit_size, width, wrap};
use crate::{CardFace, qr};

/// Card size: a common shelf-talker format.
pub(crate) const CARD_W: f32 = 90.0;
pub(crate) const CARD_H: f32 = 130.0;

/// A4 portrait.
pub(crate) const PAGE_W: f32 = 210.0;
pub(crate) const PAGE_H: f32 = 297.0;
pub(crate) const COLUMNS: usize = 2;
pub(crate) const ROWS: usize = 2;
/// Space between cards, room for the crop marks of both neighbours.
const GAP: f32 = 8.0;

/// Left and right text margin inside a card.
const MARGIN: f32 = 6.0;
const TEXT_W: f32 = CARD_W - 2.0 * MARGIN;

/// The QR code box (code plus quiet zone), centred horizontally.
const QR_BOX: f32 = 52.0;
const QR_Y: f32 = 57.0;

const INK: &str = "#1a1a1a";
const GREY: &str = "#6b6b6b";
const LIGHT_GREY: &str = "#8c8c8c";
/// The brand red, for member prices and campaigns.
const RED: &str = "#e4393c";

/// One card as a standalone SVG document, 90 mm x 130 mm.
pub(crate) fn card_svg(face: &CardFace) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = write!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{CARD_W}mm" height="{CARD_H}mm" viewBox="0 0 {CARD_W} {CARD_H}" font-family="{CSS_FONT_FAMILY}" font-weight="700">
"#
    );
    card_body(&mut out, face);
    out.push_str("</svg>\n");
    out
}

/// One A4 page holding up to `COLUMNS * ROWS` cards, with crop marks and a
/// page number. `page` is 1-based.
pub(crate) fn page_svg(faces: &[CardFace], page: usize, pages: usize) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W}mm" height="{PAGE_H}mm" viewBox="0 0 {PAGE_W} {PAGE_H}" font-family="{CSS_FONT_FAMILY}" font-weight="700">
<rect width="{PAGE_W}" height="{PAGE_H}" fill="#ffffff"/>
"##
    );
    let grid_w = COLUMNS as f32 * CARD_W + (COLUMNS - 1) as f32 * GAP;
    let grid_h = ROWS as f32 * CARD_H + (ROWS - 1) as f32 * GAP;
    let left = (PAGE_W - grid_w) / 2.0;
    let top = (PAGE_H - grid_h) / 2.0;
    let mut marks = String::new();
    for (i, face) in faces.iter().take(COLUMNS * ROWS).enumerate() {
        let x = left + (i % COLUMNS) as f32 * (CARD_W + GAP);
        let y = top + (i / COLUMNS) as f32 * (CARD_H + GAP);
        let _ = writeln!(out, r#"<g transform="translate({x} {y})">"#);
        card_body(&mut out, face);
        out.push_str("</g>\n");
        crop_marks(&mut marks, x, y);
    }
    let _ = write!(
        out,
        r##"<path d="{marks}" fill="none" stroke="#9a9a9a" stroke-width="0.2"/>
<text x="{cx}" y="{fy}" font-size="2.6" fill="#9a9a9a" text-anchor="middle">Sweep · {page} / {pages}</text>
</svg>
"##,
        cx = PAGE_W / 2.0,
        fy = PAGE_H - 5.0,
    );
    out
}

/// Short lines extending each card edge outwards from its corners, so the
/// cards can be cut out along them even after the border is trimmed away.
fn crop_marks(d: &mut String, x: f32, y: f32) {
    const OFFSET: f32 = 1.0;
    const LEN: f32 = 2.5;
    for (cx, sx) in [(x, -1.0), (x + CARD_W, 1.0)] {
        for (cy, sy) in [(y, -1.0), (y + CARD_H, 1.0)] {
            let _ = write!(d, "M{} {cy}h{}M{cx} {}v{}", cx + sx * OFFSET, sx * LEN, cy + sy * OFFSET, sy * LEN,);
        }
    }
}

/// Writes a `<text>` element; `content` is escaped here.
fn text(out: &mut String, x: f32, y: f32, size: f32, fill: &str, anchor: &str, content: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{x}" y="{y}" font-size="{size}" fill="{fill}" text-anchor="{anchor}">{}</text>"#,
        escape(content)
    );
}

/// The card's content in card coordinates (0..90, 0..130).
fn card_body(out: &mut String, face: &CardFace) {
    let _ = writeln!(
        out,
        r##"<rect x="0.1" y="0.1" width="{w}" height="{h}" fill="#ffffff" stroke="#c4c4c4" stroke-width="0.2"/>
<rect x="0.1" y="0.1" width="{w}" height="1.8" fill="{RED}"/>"##,
        w = CARD_W - 0.2,
        h = CARD_H - 0.2,
    );

    // Header: merchant name, campaign badge on the right.
    let header_y = 9.6;
    let mut merchant_w = TEXT_W;
    if let Some(campaign) = face.campaign.as_deref().map(clean).filter(|c| !c.is_empty()) {
        const SIZE: f32 = 2.8;
        const PAD: f32 = 2.0;
        let label = ellipsize(&campaign, SIZE, 38.0);
        let badge_w = width(&label, SIZE) + 2.0 * PAD;
        let bx = CARD_W - MARGIN - badge_w;
        let _ = writeln!(
            out,
            r#"<rect x="{bx}" y="{by}" width="{badge_w}" height="5.2" rx="2.6" fill="{RED}"/>"#,
            by = header_y - SIZE * 0.37 - 2.6,
        );
        text(out, bx + PAD, header_y, SIZE, "#ffffff", "start", &label);
        merchant_w = bx - MARGIN - 3.0;
    }
    let merchant = ellipsize(&clean(&face.merchant_name), 3.3, merchant_w);
    text(out, MARGIN, header_y, 3.3, GREY, "start", &merchant);

    // Product name, large, up to two lines.
    const NAME_SIZE: f32 = 5.8;
    let mut y = 13.0;
    for line in wrap(&clean(&face.product_name), NAME_SIZE, TEXT_W, 2) {
        y += 6.8;
        text(out, MARGIN, y, NAME_SIZE, INK, "start", &line);
    }
    if let Some(en) = face.product_name_en.as_deref().map(clean).filter(|s| !s.is_empty()) {
        y += 4.8;
        text(out, MARGIN, y, 3.1, GREY, "start", &ellipsize(&en, 3.1, TEXT_W));
    }
    let sku = clean(&face.sku_label);
    if !sku.is_empty() {
        const SIZE: f32 = 3.2;
        const PAD: f32 = 1.6;
        y += 5.9;
        let label = ellipsize(&sku, SIZE, TEXT_W - 2.0 * PAD);
        let _ = writeln!(
            out,
            r##"<rect x="{MARGIN}" y="{ry}" width="{rw}" height="5.0" rx="1.0" fill="#f1f1f1"/>"##,
            ry = y - SIZE * 0.37 - 2.5,
            rw = width(&label, SIZE) + 2.0 * PAD,
        );
        text(out, MARGIN + PAD, y, SIZE, "#333333", "start", &label);
    }

    // Prices, anchored just above the QR code.
    price(out, &clean(&face.price), 49.5);
    if let Some(member) = face.member_price.as_deref().map(clean).filter(|s| !s.is_empty()) {
        let line = format!("会员价 Member {member}");
        let size = fit_size(&line, 3.8, 3.0, TEXT_W);
        text(out, MARGIN, 55.0, size, RED, "start", &ellipsize(&line, size, TEXT_W));
    }

    // The QR code, or a placeholder that cannot be mistaken for one.
    let qr_x = (CARD_W - QR_BOX) / 2.0;
    match qr::encode(&face.url) {
        Ok(code) => qr::draw(out, &code, qr_x, QR_Y, QR_BOX),
        Err(_) => out.push_str(&qr::placeholder(qr_x, QR_Y, QR_BOX)),
    }
    out.push('\n');

    let cx = CARD_W / 2.0;
    let hint_y = QR_Y + QR_BOX + 3.5;
    text(out, cx, hint_y, 3.4, INK, "middle", "扫码购买 · 到店自提");
    text(out, cx, hint_y + 3.5, 2.5, GREY, "middle", "Scan to buy, pick up here");
    let shown_url = clean(&face.url);
    let shown_url = shown_url.strip_prefix("https://").unwrap_or(&shown_url);
    let url_size = fit_size(shown_url, 2.3, 1.8, TEXT_W);
    let shown_url = ellipsize(shown_url, url_size, TEXT_W);
    text(out, cx, hint_y + 6.7, url_size, LIGHT_GREY, "middle", &shown_url);

    // Footer band: store name and the card's short code.
    let band_y = CARD_H - 9.0;
    let _ =
        writeln!(out, r##"<rect x="0.2" y="{band_y}" width="{w}" height="8.8" fill="#f4f4f4"/>"##, w = CARD_W - 0.4,);
    let footer_y = band_y + 5.7;
    let code = ellipsize(&clean(&face.code), 2.6, 30.0);
    let code = if code.is_empty() { code } else { format!("No. {code}") };
    let code_w = width(&code, 2.6);
    text(out, CARD_W - MARGIN, footer_y, 2.6, GREY, "end", &code);
    let store_w = TEXT_W - code_w - 3.0;
    let store = ellipsize(&clean(&face.store_name), 3.4, store_w);
    text(out, MARGIN, footer_y, 3.4, INK, "start", &store);
}

/// The price, large. In a price like "¥399.00" the currency sign and the
/// decimals are set smaller, as shelf labels usually do; the whole is shrunk
/// to fit the card width.
fn price(out: &mut String, price: &str, y: f32) {
    const BIG: f32 = 11.0;
    const SMALL_RATIO: f32 = 0.55;
    let digits_at = price.find(|c: char| c.is_ascii_digit());
    let (prefix, rest) = match digits_at {
        Some(i) => price.split_at(i),
        None => ("", price),
    };
    let (main, decimals) = match (digits_at, rest.find('.')) {
        (Some(_), Some(i)) => rest.split_at(i),
        _ => (rest, ""),
    };
    let natural = width(prefix, BIG * SMALL_RATIO) + width(main, BIG) + width(decimals, BIG * SMALL_RATIO);
    let scale = if natural > TEXT_W { TEXT_W / natural } else { 1.0 };
    let big = BIG * scale;
    let small = big * SMALL_RATIO;
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="{y}" font-size="{big}" fill="{INK}"><tspan font-size="{small}">{}</tspan>{}<tspan font-size="{small}">{}</tspan></text>"#,
        escape(prefix),
        escape(main),
        escape(decimals),
    );
}
