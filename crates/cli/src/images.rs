//! Product pictures for the demo, drawn here so the demo needs no internet: a soft
//! gradient in the product's colour with a woven pattern, as PNG.

pub fn swatch(rgb: [u8; 3], pattern: u32) -> Vec<u8> {
    picture(240, 240, rgb, pattern)
}

/// A wide picture for the top of the shop's home feed.
pub fn banner(rgb: [u8; 3], pattern: u32) -> Vec<u8> {
    picture(720, 300, rgb, pattern)
}

fn picture(width: u32, height: u32, rgb: [u8; 3], pattern: u32) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            // Lighter towards the top left, a weave of stripes whose spacing depends on the product.
            let shade = 255 - ((x + y) * 40 / (width + height)) as u8;
            let stripe = ((x / (6 + pattern % 7)) + (y / (6 + pattern % 5))).is_multiple_of(2);
            let weave = if stripe { 1.0 } else { 0.9 };
            for c in rgb {
                let v = (c as f32 * shade as f32 / 255.0 * weave) as u8;
                pixels.push(v);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("PNG header to memory");
        writer.write_image_data(&pixels).expect("PNG data to memory");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn swatches_are_png() {
        let png = super::swatch([120, 150, 200], 3);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(sweep_domain::catalog::sniff_image(&png), Some(("image/png", "png")));
    }
}
