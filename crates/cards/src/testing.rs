//! Reading cards back as a phone and a printer see them, for tests in this and other
//! crates: PDF sheets rendered to pixels, PNGs decoded, QR codes read off the images.
//! Behind the `test-support` feature; everything here panics on bad input, as a test
//! should.

use std::io::Cursor;

/// Decodes a PNG into (width, height, luma), compositing any alpha over white.
pub fn png_to_luma(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("valid PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("sane PNG size")];
    let info = reader.next_frame(&mut buf).expect("valid PNG data");
    let channels = info.color_type.samples();
    let (w, h) = (info.width as usize, info.height as usize);
    let luma = buf[..info.buffer_size()]
        .chunks_exact(channels)
        .map(|px| {
            let (rgb, alpha) = match channels {
                1 => ([px[0]; 3], 255),
                2 => ([px[0]; 3], px[1]),
                3 => ([px[0], px[1], px[2]], 255),
                _ => ([px[0], px[1], px[2]], px[3]),
            };
            let y = 0.299 * f32::from(rgb[0]) + 0.587 * f32::from(rgb[1]) + 0.114 * f32::from(rgb[2]);
            let a = f32::from(alpha) / 255.0;
            (y * a + 255.0 * (1.0 - a)).round() as u8
        })
        .collect();
    (w, h, luma)
}

/// Every QR code rqrr finds in a PNG (one card, or one bare code), decoded.
pub fn decode_png(png_bytes: &[u8]) -> Vec<String> {
    let (w, h, luma) = png_to_luma(png_bytes);
    decode_luma_in_cells(w, h, &luma, 1, 1)
}

/// Every QR code on a grey image of `w` x `h` pixels, looking at each cell of a
/// `columns` x `rows` grid separately, as a phone sees one card at a time. (Given a
/// whole sheet, rqrr pairs finder patterns of neighbouring codes into bogus grids.)
pub fn decode_luma_in_cells(w: usize, h: usize, luma: &[u8], columns: usize, rows: usize) -> Vec<String> {
    let (cw, ch) = (w / columns, h / rows);
    let mut out = Vec::new();
    for row in 0..rows {
        for column in 0..columns {
            let (x0, y0) = (column * cw, row * ch);
            let mut img = rqrr::PreparedImage::prepare_from_greyscale(cw, ch, |x, y| luma[(y0 + y) * w + x0 + x]);
            for grid in img.detect_grids() {
                out.push(grid.decode().expect("a QR code that decodes").1);
            }
        }
    }
    out
}

/// The pages of a PDF rendered at `dpi` by hayro (a PDF rasteriser in pure Rust, so no
/// system tools), as grey images: (width, height, pixels).
pub fn render_pdf(pdf: &[u8], dpi: f32) -> Vec<(usize, usize, Vec<u8>)> {
    let pdf = hayro::hayro_syntax::Pdf::new(pdf.to_vec()).expect("a PDF hayro can read");
    let settings = hayro::hayro_interpret::InterpreterSettings::default();
    let pages =
        hayro::render_pdf(&pdf, dpi / 72.0, settings, &hayro::RenderSettings::default(), None).expect("pages render");
    pages
        .iter()
        .map(|page| {
            let luma = page
                .data_as_u8_slice()
                .chunks_exact(4)
                .map(|p| ((u16::from(p[0]) + u16::from(p[1]) + u16::from(p[2])) / 3) as u8)
                .collect();
            (usize::from(page.width()), usize::from(page.height()), luma)
        })
        .collect()
}
