//! Text handling for SVG: escaping merchant-supplied strings, estimating their
//! printed width, and wrapping or shortening them to fit the card.

use crate::fonts::{advance_em, is_wide};

/// The ellipsis appended to text that had to be cut.
pub(crate) const ELLIPSIS: char = '…';

/// Collapses runs of whitespace and control characters into single spaces and
/// trims the ends. Merchant text arrives from forms and imports; a stray tab
/// or NUL must neither show nor make the XML invalid.
pub(crate) fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Escapes text for use in SVG element content or a quoted attribute value,
/// so merchant text cannot end an element or inject markup. Characters XML
/// forbids (C0 controls other than whitespace) are replaced by spaces.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Estimated printed width of `s` at `font_size` (same unit as the result).
pub(crate) fn width(s: &str, font_size: f32) -> f32 {
    // A little slack for kerning and shaping differences.
    s.chars().map(advance_em).sum::<f32>() * font_size * 1.02
}

/// `s` unchanged if it fits in `max_width`, else cut and ended with "…".
pub(crate) fn ellipsize(s: &str, font_size: f32, max_width: f32) -> String {
    if width(s, font_size) <= max_width {
        return s.to_owned();
    }
    let budget = max_width - width(&ELLIPSIS.to_string(), font_size);
    let mut out = String::new();
    let mut used = 0.0;
    for c in s.chars() {
        let w = advance_em(c) * font_size * 1.02;
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    let mut out = out.trim_end().to_owned();
    out.push(ELLIPSIS);
    out
}

/// Font size at which `s` fits in `max_width`: `size` if it already fits,
/// otherwise smaller, but never below `min_size` (callers then ellipsize).
pub(crate) fn fit_size(s: &str, size: f32, min_size: f32, max_width: f32) -> f32 {
    let w = width(s, size);
    if w <= max_width { size } else { (size * max_width / w).max(min_size) }
}

/// Wraps `s` into at most `max_lines` lines of `max_width`, ending the last
/// line with "…" if text was left over.
///
/// Lines break at spaces, and anywhere between CJK characters, but not
/// before closing punctuation or after opening punctuation. A word wider
/// than a whole line is broken between characters.
pub(crate) fn wrap(s: &str, font_size: f32, max_width: f32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (token, space_before) in tokens(s) {
        let sep = if space_before && !line.is_empty() { " " } else { "" };
        let candidate = format!("{line}{sep}{token}");
        if width(&candidate, font_size) <= max_width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The token starts a fresh line; split it if it is wider than one.
        for c in token.chars() {
            let mut next = line.clone();
            next.push(c);
            if !line.is_empty() && width(&next, font_size) > max_width {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = next;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        // Force an ellipsis even if the kept line would fit on its own.
        let with_room = ellipsize(&format!("{last}{ELLIPSIS}{ELLIPSIS}"), font_size, max_width);
        *last = with_room.trim_end_matches(ELLIPSIS).trim_end().to_owned();
        last.push(ELLIPSIS);
    }
    lines
}

/// Splits text into unbreakable tokens, each with whether a space preceded it.
fn tokens(s: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        let attach = !pending_space
            && out.last().is_some_and(|(token, _)| {
                let prev = token.chars().last().unwrap_or(' ');
                (!is_wide(c) && !is_wide(prev) && !is_opening(c)) || is_closing(c) || is_opening(prev)
            });
        match out.last_mut() {
            Some((token, _)) if attach => token.push(c),
            _ => out.push((c.to_string(), pending_space)),
        }
        pending_space = false;
    }
    out
}

/// Punctuation that must not start a line.
fn is_closing(c: char) -> bool {
    "，。、；：？！）》」』】〕〉’”…·%‰,.;:?!)]}".contains(c)
}

/// Punctuation that must not end a line.
fn is_opening(c: char) -> bool {
    "（《「『【〔〈‘“([{".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(escape(r#"<b>&"x'</b>"#), "&lt;b&gt;&amp;&quot;x&apos;&lt;/b&gt;");
        assert_eq!(escape("a\u{0}b"), "a b");
    }

    #[test]
    fn clean_collapses_whitespace_and_controls() {
        assert_eq!(clean("  云眠\t家纺 \n\u{1}x  "), "云眠 家纺 x");
    }

    #[test]
    fn short_text_is_one_line() {
        assert_eq!(wrap("四件套", 5.0, 78.0, 2), vec!["四件套"]);
    }

    #[test]
    fn cjk_wraps_between_characters_and_ellipsises() {
        let long = "超长的商品名称".repeat(10);
        let lines = wrap(&long, 6.0, 60.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(!lines[0].ends_with(ELLIPSIS));
        assert!(lines[1].ends_with(ELLIPSIS));
        for line in &lines {
            assert!(width(line, 6.0) <= 60.0, "{line} overflows");
        }
    }

    #[test]
    fn latin_wraps_at_spaces() {
        let lines = wrap("Egyptian cotton duvet cover set", 5.0, 60.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| !l.starts_with(' ') && !l.ends_with(' ')));
        assert_eq!(lines.join(" "), "Egyptian cotton duvet cover set");
    }

    #[test]
    fn closing_punctuation_stays_with_previous_character() {
        // Width for exactly four CJK characters per line.
        let w = width("四件套装", 5.0);
        let lines = wrap("四件套装，雾霾蓝", 5.0, w, 3);
        assert!(!lines[1].starts_with('，'), "{lines:?}");
    }

    #[test]
    fn ellipsize_fits() {
        let s = ellipsize(&"x".repeat(200), 3.0, 40.0);
        assert!(s.ends_with(ELLIPSIS));
        assert!(width(&s, 3.0) <= 40.0);
        assert_eq!(ellipsize("short", 3.0, 40.0), "short");
    }
}
