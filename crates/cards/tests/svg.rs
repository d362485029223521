//! The card SVG: merchant text cannot inject markup, never overflows the
//! card, and is set in the embedded font.

mod common;

use common::face;
use resvg::usvg::{self, Node, Tree};
use sweep_cards::{CardFace, card_svg, qr_svg};

/// Parses with a font database holding only the embedded font (no system
/// fallback), so missing glyphs show up as glyph 0.
fn parse(svg: &str) -> Tree {
    let mut options = usvg::Options { font_family: "Noto Sans CJK SC".into(), ..usvg::Options::default() };
    options
        .fontdb_mut()
        .load_font_file(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/NotoSansCJKsc-Bold-GB2312.otf"))
        .expect("font file readable");
    Tree::from_str(svg, &options).expect("card SVG parses")
}

fn texts(tree: &Tree) -> Vec<usvg::Text> {
    fn walk(group: &usvg::Group, out: &mut Vec<usvg::Text>) {
        for node in group.children() {
            match node {
                Node::Group(g) => walk(g, out),
                Node::Text(t) => out.push((**t).clone()),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(tree.root(), &mut out);
    out
}

fn all_text(tree: &Tree) -> String {
    texts(tree).iter().flat_map(|t| t.chunks().iter().map(|c| c.text().to_owned())).collect::<Vec<_>>().join("\n")
}

#[test]
fn hostile_text_is_escaped_not_interpreted() {
    let evil = r#"</text><script>alert("x")</script>&amp;<b>"#;
    let mut face = face(1, &format!("四件套{evil}"));
    face.merchant_name = evil.into();
    face.sku_label = evil.into();
    face.store_name = evil.into();
    face.campaign = Some(evil.into());
    face.member_price = Some(evil.into());
    face.price = evil.into();
    let svg = card_svg(&face);
    assert!(!svg.to_lowercase().contains("<script"), "{svg}");
    assert!(!svg.contains("<b>"));
    let tree = parse(&svg);
    let text = all_text(&tree);
    // Printed literally (possibly shortened to fit).
    assert!(text.contains("</text><script>"), "{text}");
    assert!(text.contains("&amp;<b>"), "{text}");
}

#[test]
fn control_characters_do_not_break_the_document() {
    let face = face(1, "四件套\u{0}\u{1b}\u{8}\t\n雾霾蓝");
    let svg = card_svg(&face);
    let text = all_text(&parse(&svg));
    assert!(text.contains("四件套 雾霾蓝"), "{text}");
}

#[test]
fn long_names_are_wrapped_and_ellipsised() {
    let long = format!("{}尾巴", "新疆长绒棉超柔加厚浴巾礼盒装".repeat(6));
    let svg = card_svg(&face(1, &long));
    assert!(svg.contains('…'));
    assert!(!svg.contains("尾巴"), "the end of the name must be cut");
    let tree = parse(&svg);
    let name_lines: Vec<String> = texts(&tree)
        .iter()
        .map(|t| t.chunks()[0].text().to_owned())
        .filter(|t| long.contains(t.trim_end_matches('…')))
        .collect();
    assert_eq!(name_lines.len(), 2, "{name_lines:?}");
    assert!(name_lines[1].ends_with('…'));
    let shown = format!("{}{}", name_lines[0], name_lines[1].trim_end_matches('…'));
    assert!(long.starts_with(&shown), "{shown}");
}

/// Every field at its worst: all text must stay inside the card, with a
/// margin for the cut.
#[test]
fn nothing_overflows_the_card() {
    let faces = [
        CardFace {
            merchant_name: "超长商户名称".repeat(10),
            product_name: "W".repeat(120),
            product_name_en: Some("WM".repeat(80)),
            sku_label: "蓝".repeat(60),
            price: "¥123,456,789,012.00".into(),
            member_price: Some("¥123,456,789,012.00".into()),
            store_name: "湖滨银泰店".repeat(20),
            campaign: Some("Double 11 ".repeat(12)),
            url: format!("https://shop.example.com/c/{}", "W".repeat(150)),
            code: "7KQ2M9XD".repeat(10),
        },
        CardFace {
            product_name: "Egyptian cotton duvet cover set with pillowcases, king size, \
                           extra long staple"
                .into(),
            ..face(2, "")
        },
    ];
    for face in &faces {
        let tree = parse(&card_svg(face));
        let mm = tree.size().width() / 90.0;
        let texts = texts(&tree);
        assert!(texts.len() >= 10, "only {} text elements", texts.len());
        for text in texts {
            let b = text.abs_bounding_box();
            let label = &text.chunks()[0].text();
            assert!(b.left() >= 3.0 * mm, "{label} sticks out left: {b:?}");
            assert!(b.right() <= 87.0 * mm, "{label} sticks out right: {b:?}");
            assert!(b.top() >= 0.0 && b.bottom() <= tree.size().height(), "{label}: {b:?}");
        }
    }
}

#[test]
fn card_text_renders_in_the_embedded_font_without_missing_glyphs() {
    let mut face = face(0, "60支长绒棉四件套 雾霾蓝（加厚）");
    face.sku_label = "1.8m / 雾霾蓝 · 70×140cm".into();
    let tree = parse(&card_svg(&face));
    let texts = texts(&tree);
    assert!(texts.len() >= 10, "only {} text elements", texts.len());
    let mut glyphs = 0;
    for text in &texts {
        for span in text.layouted().iter().flat_map(|l| &l.positioned_glyphs) {
            glyphs += 1;
            assert_ne!(span.id.0, 0, "no glyph for {:?}", span.text);
        }
    }
    assert!(glyphs > 100, "{glyphs} glyphs");
}

#[test]
fn card_svg_is_90_by_130_mm() {
    let svg = card_svg(&face(1, "四件套"));
    assert!(svg.contains(r#"width="90mm" height="130mm" viewBox="0 0 90 130""#));
    let tree = parse(&svg);
    let px_per_mm = 96.0 / 25.4;
    assert!((tree.size().width() - 90.0 * px_per_mm).abs() < 0.01);
    assert!((tree.size().height() - 130.0 * px_per_mm).abs() < 0.01);
}

#[test]
fn qr_svg_has_a_quiet_zone() {
    let svg = qr_svg("https://shop.example.com/c/7KQ2M9XD");
    // Version 3: 29 modules plus 4 on each side.
    assert!(svg.contains(r#"viewBox="0 0 37 37""#), "{svg}");
    assert!(svg.contains("translate(4 4)"), "{svg}");
}
