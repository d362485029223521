//! QR encoding (by the `qrcode` crate) and drawing the modules as SVG.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode, Version};

use crate::CardError;

/// Light modules required around the code by the QR specification.
pub(crate) const QUIET_ZONE: usize = 4;

/// Smallest version used: smaller codes would print under 40 mm on a card
/// (a 29-module code is already 40.8 mm in the card's 52 mm box).
const MIN_VERSION: i16 = 3;

/// Largest version accepted: beyond it modules get too small (under ~0.8 mm
/// on a card) to scan from arm's length. Version 10 at level M holds about
/// 200 bytes, plenty for a short card URL.
const MAX_VERSION: i16 = 10;

/// Error correction level M: recovers ~15% damage (scuffed or creased cards)
/// while keeping modules large.
const EC_LEVEL: EcLevel = EcLevel::M;

/// Encodes `url` for printing on a card.
pub(crate) fn encode(url: &str) -> Result<QrCode, CardError> {
    if url.trim().is_empty() {
        return Err(CardError::InvalidUrl("the URL is empty".to_owned()));
    }
    let too_long = || {
        CardError::InvalidUrl(format!(
            "the URL is {} bytes, too long for a QR code that scans from arm's length",
            url.len()
        ))
    };
    let code = QrCode::with_error_correction_level(url, EC_LEVEL).map_err(|_| too_long())?;
    match code.version() {
        Version::Normal(v) if v < MIN_VERSION => {
            QrCode::with_version(url, Version::Normal(MIN_VERSION), EC_LEVEL).map_err(|_| too_long())
        }
        Version::Normal(v) if v <= MAX_VERSION => Ok(code),
        _ => Err(too_long()),
    }
}

/// SVG path data drawing the dark modules of `code` as unit squares, with
/// module (0, 0) at the origin. Horizontal runs are merged into one rectangle
/// to keep the path short.
pub(crate) fn modules_path(code: &QrCode) -> String {
    let n = code.width();
    let mut d = String::new();
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if code[(x, y)] == Color::Dark {
                let start = x;
                while x < n && code[(x, y)] == Color::Dark {
                    x += 1;
                }
                let run = x - start;
                // Writing to a String cannot fail.
                let _ = write!(d, "M{start} {y}h{run}v1h-{run}z");
            } else {
                x += 1;
            }
        }
    }
    d
}

/// Draws `code` with its quiet zone filling the square `(x, y, size)`, in the
/// caller's user units. Edges are crisp so rasterised modules stay sharp.
pub(crate) fn draw(out: &mut String, code: &QrCode, x: f32, y: f32, size: f32) {
    let total = code.width() + 2 * QUIET_ZONE;
    let module = size / total as f32;
    let origin_x = x + module * QUIET_ZONE as f32;
    let origin_y = y + module * QUIET_ZONE as f32;
    let _ = write!(
        out,
        r##"<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="#ffffff"/><path transform="translate({origin_x} {origin_y}) scale({module})" fill="#000000" shape-rendering="crispEdges" d="{d}"/>"##,
        d = modules_path(code),
    );
}

/// Standalone SVG of `url`'s QR code with a 4-module quiet zone, 10 px per
/// module. An unencodable URL gives a grey placeholder saying so.
pub(crate) fn qr_svg(url: &str) -> String {
    match encode(url) {
        Ok(code) => {
            let total = code.width() + 2 * QUIET_ZONE;
            let px = total * 10;
            let mut out = format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{px}" height="{px}" viewBox="0 0 {total} {total}">
"#
            );
            draw(&mut out, &code, 0.0, 0.0, total as f32);
            out.push_str("\n</svg>\n");
            out
        }
        Err(_) => format!(
            r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="370" height="370" viewBox="0 0 37 37" font-family="{family}">
{placeholder}
</svg>
"##,
            family = crate::fonts::CSS_FONT_FAMILY,
            placeholder = placeholder(0.0, 0.0, 37.0),
        ),
    }
}

/// What is drawn instead of a code when the URL cannot be encoded: never a
/// code that scans to the wrong place.
pub(crate) fn placeholder(x: f32, y: f32, size: f32) -> String {
    let cx = x + size / 2.0;
    let cy = y + size / 2.0;
    let fs = size / 14.0;
    format!(
        r##"<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="#f2f2f2" stroke="#999999" stroke-width="{sw}"/><text x="{cx}" y="{ty}" font-size="{fs}" fill="#666666" text-anchor="middle">二维码无法生成</text><text x="{cx}" y="{ty2}" font-size="{fs}" fill="#666666" text-anchor="middle">QR unavailable: invalid URL</text>"##,
        sw = size / 200.0,
        ty = cy - fs * 0.3,
        ty2 = cy + fs * 1.2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_urls_get_at_least_the_minimum_version() {
        let code = encode("https://a.b/c").unwrap();
        assert_eq!(code.version(), Version::Normal(MIN_VERSION));
    }

    #[test]
    fn bad_urls_are_rejected() {
        assert!(matches!(encode(""), Err(CardError::InvalidUrl(_))));
        let long = format!("https://shop.example.com/{}", "x".repeat(400));
        assert!(matches!(encode(&long), Err(CardError::InvalidUrl(_))));
    }

    #[test]
    fn path_covers_exactly_the_dark_modules() {
        let code = encode("https://shop.example.com/c/7KQ2M9XD").unwrap();
        let dark = code.to_colors().iter().filter(|c| **c == Color::Dark).count();
        let path = modules_path(&code);
        let covered: usize = path
            .split('M')
            .skip(1)
            .map(|seg| {
                let run = seg.split('h').nth(1).unwrap().split('v').next().unwrap();
                run.parse::<usize>().unwrap()
            })
            .sum();
        assert_eq!(covered, dark);
    }
}
