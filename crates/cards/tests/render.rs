//! Rendered output is what a shopper's phone and a printer will see: QR codes
//! scan to the right URL, PDFs hold real text and the right number of pages.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::face;
use sweep_cards::testing::{decode_luma_in_cells, decode_png, png_to_luma, render_pdf};
use sweep_cards::{CARDS_PER_PAGE, CardError, CardFace, card_png, qr_svg, sheet_pdf};

#[test]
fn card_png_scans_to_the_url() {
    let face = face(1, "60支长绒棉四件套 雾霾蓝");
    let png = card_png(&face, 150.0).unwrap();
    assert_eq!(decode_png(&png), vec![face.url.clone()]);
}

#[test]
fn card_png_has_the_requested_resolution() {
    let png = card_png(&face(1, "四件套"), 150.0).unwrap();
    let (w, h, _) = png_to_luma(&png);
    // 90 x 130 mm at 150 dpi.
    assert_eq!((w, h), (532, 768));
}

#[test]
fn card_png_rejects_bad_input() {
    let mut no_url = face(1, "四件套");
    no_url.url.clear();
    assert!(matches!(card_png(&no_url, 150.0), Err(CardError::InvalidUrl(_))));
    assert!(matches!(card_png(&face(1, "四件套"), 0.0), Err(CardError::InvalidDpi(_))));
    assert!(matches!(card_png(&face(1, "四件套"), f32::NAN), Err(CardError::InvalidDpi(_))));
}

#[test]
fn bare_qr_svg_scans_to_the_url() {
    let url = "https://shop.example.com/c/7KQ2M9XD";
    let svg = qr_svg(url);
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default()).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(&tree, resvg::tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    assert_eq!(decode_png(&pixmap.encode_png().unwrap()), vec![url.to_owned()]);
}

#[test]
fn empty_sheet_is_an_error() {
    assert!(matches!(sheet_pdf(&[]), Err(CardError::NoCards)));
}

const HOSTILE_NAME: &str = r#"儿童毛毯 <b>&"联名"#;

fn sheet_faces() -> Vec<CardFace> {
    let names = [
        "60支长绒棉四件套 雾霾蓝",
        "乳胶枕 护颈款",
        "真丝眼罩",
        "羽绒被 冬季加厚",
        "竹纤维毛巾三条装",
        "记忆棉床垫",
        HOSTILE_NAME,
    ];
    names.iter().enumerate().map(|(i, name)| face(i, name)).collect()
}

#[test]
fn sheet_pdf_prints_every_card_scannably() {
    let faces = sheet_faces();
    assert_eq!(CARDS_PER_PAGE, 4);
    let pdf = sheet_pdf(&faces).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let pages = render_pdf(&pdf, 150.0);
    assert_eq!(pages.len(), 2, "7 cards at 4 per page");
    let mut decoded = Vec::new();
    for (w, h, luma) in &pages {
        // The 2 x 2 grid is centred, so the page's halves split it into cards.
        decoded.extend(decode_luma_in_cells(*w, *h, luma, 2, 2));
    }
    assert_eq!(decoded.len(), faces.len(), "decoded {decoded:?}");
    let decoded: BTreeSet<String> = decoded.into_iter().collect();
    let expected: BTreeSet<String> = faces.iter().map(|f| f.url.clone()).collect();
    assert_eq!(decoded, expected);
}

/// Text is embedded as text (searchable, copyable), the hostile name printed literally.
/// Read back with poppler's `pdftotext`, which CI installs.
#[test]
#[cfg_attr(not(sweep_poppler_tests), ignore = "install poppler-utils to read the PDF's text back with pdftotext")]
fn sheet_pdf_keeps_real_text() {
    let faces = sheet_faces();
    let pdf = sheet_pdf(&faces).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf_path = dir.path().join("sheet.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let output = Command::new("pdftotext")
        .arg(&pdf_path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| panic!("cannot run pdftotext ({e}): install poppler-utils"));
    assert!(output.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    for face in &faces {
        assert!(text.contains(&face.product_name), "{:?} not in {text}", face.product_name);
    }
    assert!(text.contains("湖滨银泰店"));
    assert!(text.contains("会员价 Member ¥359.00"));
}
