//! Parsing card SVGs with usvg, and rendering a card to PNG with resvg.

use resvg::{tiny_skia, usvg};

use crate::{CardError, CardFace, fonts, layout, qr};

/// Resolutions accepted by `card_png`: below 72 dpi the QR code's modules
/// blur; at 1200 dpi a card's pixmap is already about 100 MB.
const DPI_RANGE: std::ops::RangeInclusive<f32> = 72.0..=1200.0;

pub(crate) fn check_urls(faces: &[CardFace]) -> Result<(), CardError> {
    for face in faces {
        qr::encode(&face.url)?;
    }
    Ok(())
}

pub(crate) fn parse(svg: &str) -> Result<usvg::Tree, CardError> {
    usvg::Tree::from_str(svg, &fonts::usvg_options()).map_err(|e| CardError::Render(format!("SVG parse: {e}")))
}

pub(crate) fn card_png(face: &CardFace, dpi: f32) -> Result<Vec<u8>, CardError> {
    if !DPI_RANGE.contains(&dpi) {
        return Err(CardError::InvalidDpi(dpi));
    }
    check_urls(std::slice::from_ref(face))?;
    let tree = parse(&layout::card_svg(face))?;
    // usvg sizes documents in CSS pixels, 96 per inch.
    let scale = dpi / 96.0;
    // Round up: a partial pixel row still shows the card's edge.
    let width = (tree.size().width() * scale).ceil() as u32;
    let height = (tree.size().height() * scale).ceil() as u32;
    let mut pixmap =
        tiny_skia::Pixmap::new(width, height).ok_or_else(|| CardError::Render("cannot allocate pixmap".to_owned()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let transform = tiny_skia::Transform::from_scale(scale, scale);
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| CardError::Render(format!("PNG encode: {e}")))
}
