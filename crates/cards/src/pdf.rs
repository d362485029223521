//! Sheets of cards as a multi-page A4 PDF, with svg2pdf and pdf-writer.

use std::collections::HashMap;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::layout::{self, COLUMNS, ROWS};
use crate::render::{check_urls, parse};
use crate::{CardError, CardFace};

/// A4 in PDF points (1/72 inch).
const A4_W_PT: f32 = 595.276;
const A4_H_PT: f32 = 841.89;

pub(crate) fn sheet_pdf(faces: &[CardFace]) -> Result<Vec<u8>, CardError> {
    if faces.is_empty() {
        return Err(CardError::NoCards);
    }
    check_urls(faces)?;

    let mut alloc = Ref::new(1);
    let catalog_id = alloc.bump();
    let page_tree_id = alloc.bump();
    let info_id = alloc.bump();
    let mut pdf = Pdf::new();
    let mut page_ids = Vec::new();

    let pages = faces.len().div_ceil(COLUMNS * ROWS);
    for (i, page_faces) in faces.chunks(COLUMNS * ROWS).enumerate() {
        let tree = parse(&layout::page_svg(page_faces, i + 1, pages))?;
        // Text stays text (embed_text defaults to true): searchable,
        // copyable, and sharp at any printer resolution.
        let (chunk, svg_id) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|e| CardError::Render(format!("PDF conversion: {e}")))?;
        let mut map = HashMap::new();
        let chunk = chunk.renumber(|old| *map.entry(old).or_insert_with(|| alloc.bump()));
        let svg_id = map[&svg_id];

        let page_id = alloc.bump();
        let content_id = alloc.bump();
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, A4_W_PT, A4_H_PT));
        page.parent(page_tree_id);
        page.contents(content_id);
        page.resources().x_objects().pair(Name(b"S1"), svg_id);
        page.finish();

        // The converted SVG is a 1 pt x 1 pt XObject: scale it to the page.
        let mut content = Content::new();
        content.save_state().transform([A4_W_PT, 0.0, 0.0, A4_H_PT, 0.0, 0.0]).x_object(Name(b"S1")).restore_state();
        pdf.stream(content_id, &content.finish());
        pdf.extend(&chunk);
        page_ids.push(page_id);
    }

    pdf.catalog(catalog_id).pages(page_tree_id);
    pdf.pages(page_tree_id).kids(page_ids.iter().copied()).count(page_ids.len() as i32);
    pdf.document_info(info_id).title(TextStr("Sweep display cards")).creator(TextStr("Sweep"));
    Ok(pdf.finish())
}
