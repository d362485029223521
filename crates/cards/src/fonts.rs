//! The card font: embedded, shared by every render, and used to estimate text
//! widths for wrapping (SVG has no way to measure text itself).

use std::sync::{Arc, LazyLock};

use resvg::usvg::{self, fontdb};

/// Family name of the embedded font, as written in its `name` table.
pub(crate) const FONT_FAMILY: &str = "Noto Sans CJK SC";

/// The CSS `font-family` value put on every card, with a generic fallback.
pub(crate) const CSS_FONT_FAMILY: &str = "'Noto Sans CJK SC', sans-serif";

/// Noto Sans CJK SC Bold, subset to GB2312 plus Latin and punctuation
/// (see `fonts/README.md`). Embedded so cards look the same on every host.
static FONT: &[u8] = include_bytes!("../fonts/NotoSansCJKsc-Bold-GB2312.otf");

/// The font database shared by every render: loading system fonts scans the
/// disk, so it is done once per process.
///
/// System fonts are only a fallback for characters outside the embedded
/// subset (rare hanzi, other scripts). Any system face that claims our family
/// name is dropped, so card text always uses the embedded font.
pub(crate) fn database() -> Arc<fontdb::Database> {
    static DB: LazyLock<Arc<fontdb::Database>> = LazyLock::new(|| {
        let mut db = fontdb::Database::new();
        db.load_system_fonts();
        let shadowing: Vec<fontdb::ID> = db
            .faces()
            .filter(|face| face.families.iter().any(|(name, _)| name == FONT_FAMILY))
            .map(|face| face.id)
            .collect();
        for id in shadowing {
            db.remove_face(id);
        }
        db.load_font_source(fontdb::Source::Binary(Arc::new(FONT)));
        db.set_sans_serif_family(FONT_FAMILY);
        Arc::new(db)
    });
    Arc::clone(&DB)
}

/// usvg options for parsing card and sheet SVGs: the shared font database,
/// with the embedded font as the default family.
pub(crate) fn usvg_options() -> usvg::Options<'static> {
    usvg::Options {
        font_family: FONT_FAMILY.to_owned(),
        languages: vec!["zh-CN".to_owned(), "en".to_owned()],
        fontdb: database(),
        ..usvg::Options::default()
    }
}

/// Horizontal advance of `c` in em, read from the embedded font.
///
/// Characters the font lacks are drawn by a fallback font we cannot predict,
/// so they get a generous guess: 1 em for wide (CJK) characters, 0.6 em
/// otherwise.
pub(crate) fn advance_em(c: char) -> f32 {
    static FACE: LazyLock<Option<ttf_parser::Face<'static>>> = LazyLock::new(|| ttf_parser::Face::parse(FONT, 0).ok());
    let measured = FACE.as_ref().and_then(|face| {
        let glyph = face.glyph_index(c)?;
        let advance = face.glyph_hor_advance(glyph)?;
        Some(f32::from(advance) / f32::from(face.units_per_em()))
    });
    measured.unwrap_or(if is_wide(c) { 1.0 } else { 0.6 })
}

/// East Asian wide characters: CJK ideographs, kana, hangul, full-width
/// forms. Lines may break between any two of them.
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_font_is_in_the_database_under_its_family() {
        let db = database();
        let query = fontdb::Query {
            families: &[fontdb::Family::Name(FONT_FAMILY)],
            weight: fontdb::Weight::BOLD,
            ..fontdb::Query::default()
        };
        let id = db.query(&query).expect("embedded family found");
        let face = db.face(id).expect("face exists");
        assert!(
            matches!(face.source, fontdb::Source::Binary(_)),
            "the embedded font, not a system copy, must be chosen"
        );
    }

    #[test]
    fn advances_come_from_the_font() {
        assert!((advance_em('中') - 1.0).abs() < 0.01);
        let digit = advance_em('0');
        assert!(digit > 0.4 && digit < 0.7, "digit advance {digit}");
        assert!(advance_em('i') < advance_em('W'));
    }
}
