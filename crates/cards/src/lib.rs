//! Printable QR display cards for shop shelves.
//!
//! A display card stands next to a product in a physical store; shoppers scan
//! its QR code with a phone and land on the product page, to buy and pick up
//! in the store. This crate lays cards out as SVG and renders them to PNG (one
//! card) or to A4 PDF sheets (several cards per page, for office printers).
//!
//! Everything here is a pure function of its input: no I/O, no database, no
//! async. Text is set in an embedded Noto Sans CJK SC Bold subset (see
//! `fonts/README.md`), so output does not depend on the host's fonts except
//! for characters the subset lacks.

mod fonts;
mod layout;
mod pdf;
mod qr;
mod render;
mod text;

#[cfg(feature = "test-support")]
pub mod testing;

/// What one card shows. Strings come from merchants and are escaped, cleaned
/// of control characters, and wrapped or shortened with "…" to fit the card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardFace {
    /// Brand or shop name, printed small at the top, e.g. "云眠家纺".
    pub merchant_name: String,
    /// Product name, printed large; wraps to at most two lines, then "…".
    pub product_name: String,
    /// Optional second-language product name, one small line.
    pub product_name_en: Option<String>,
    /// The variant, e.g. "1.8m / 雾霾蓝"; nothing is printed if empty.
    pub sku_label: String,
    /// The price, already formatted, e.g. "¥399.00".
    pub price: String,
    /// Optional member price, already formatted, e.g. "¥359.00"; printed as
    /// "会员价 Member ¥359.00" in red.
    pub member_price: Option<String>,
    /// The store the card stands in, printed at the bottom, e.g. "湖滨银泰店".
    pub store_name: String,
    /// Optional campaign, e.g. "Double 11 2026", printed as a badge.
    pub campaign: Option<String>,
    /// What the QR code encodes, e.g. `https://shop.example.com/c/7KQ2M9XD`;
    /// also printed small under the code for people who type it.
    pub url: String,
    /// The card's short code, e.g. "7KQ2M9XD", printed small in the footer
    /// so staff can find the card in the back office.
    pub code: String,
}

/// Why a card could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// [`sheet_pdf`] was given no cards: an empty PDF is never what was meant.
    #[error("no cards to print")]
    NoCards,
    /// A card's URL is empty, or too long for a QR code that still scans
    /// from arm's length when printed on a card (about 200 bytes at most).
    #[error("invalid card URL: {0}")]
    InvalidUrl(String),
    /// [`card_png`] resolution outside 72..=1200 dpi: lower blurs the QR
    /// modules, higher makes pixmaps of over 100 MB.
    #[error("dpi must be between 72 and 1200, got {0}")]
    InvalidDpi(f32),
    /// The SVG renderer or PDF writer failed; a bug, not a bad input.
    #[error("card rendering failed: {0}")]
    Render(String),
}

/// Cards on each A4 page of [`sheet_pdf`]: 2 columns x 2 rows of 90 x 130 mm
/// cards, 8 mm apart, leaving 11 mm side and 14.5 mm top/bottom margins that
/// every office printer can print.
pub const CARDS_PER_PAGE: usize = layout::COLUMNS * layout::ROWS;

/// One card as a standalone SVG document, 90 mm x 130 mm (viewBox in mm), for
/// previews in the browser and for print shops that take vector files.
///
/// Text is real SVG text in the "Noto Sans CJK SC" family; viewers without
/// that font substitute their own, so use [`card_png`] or [`sheet_pdf`] when
/// the exact look matters. A URL that cannot be encoded (see
/// [`CardError::InvalidUrl`]) gets a visible placeholder instead of a code;
/// [`card_png`] and [`sheet_pdf`] reject it.
pub fn card_svg(face: &CardFace) -> String {
    layout::card_svg(face)
}

/// One card as a PNG at `dpi` (300 for print, 150 for screens), rendered
/// with the embedded font so it looks the same everywhere.
///
/// # Errors
/// [`CardError::InvalidDpi`], [`CardError::InvalidUrl`], or
/// [`CardError::Render`] if rendering fails.
pub fn card_png(face: &CardFace, dpi: f32) -> Result<Vec<u8>, CardError> {
    render::card_png(face, dpi)
}

/// Cards laid out on A4 portrait pages, [`CARDS_PER_PAGE`] per page with
/// crop marks, as one PDF for an office printer. Text stays selectable text
/// with the font subset embedded.
///
/// # Errors
/// [`CardError::NoCards`] for an empty slice, [`CardError::InvalidUrl`] if
/// any card's URL cannot be encoded, [`CardError::Render`] if conversion
/// fails.
pub fn sheet_pdf(faces: &[CardFace]) -> Result<Vec<u8>, CardError> {
    pdf::sheet_pdf(faces)
}

/// Just the QR code for `url` as an SVG document, with the standard 4-module
/// quiet zone, for merchants who want the bare code for their own designs.
///
/// Error correction level M, version 3 at least. A URL that cannot be
/// encoded (see [`CardError::InvalidUrl`]) yields a placeholder saying so.
pub fn qr_svg(url: &str) -> String {
    qr::qr_svg(url)
}
