//! QR codes of survey links: SVG from the `qrcode` crate's renderer, PNG from its module grid
//! encoded with the `png` crate (8-bit grey, 8 pixels a module, the standard 4-module margin).

use qrcode::{Color, QrCode};

use crate::error::{ApiError, ApiResult};

const PIXELS_PER_MODULE: usize = 8;
const QUIET_ZONE: usize = 4;

fn code(text: &str) -> ApiResult<QrCode> {
    QrCode::new(text.as_bytes()).map_err(ApiError::internal)
}

pub fn svg(text: &str) -> ApiResult<String> {
    Ok(code(text)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .build())
}

pub fn png(text: &str) -> ApiResult<Vec<u8>> {
    let code = code(text)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * PIXELS_PER_MODULE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (x, y) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for dy in 0..PIXELS_PER_MODULE {
            let row = (y * PIXELS_PER_MODULE + dy) * side;
            let start = row + x * PIXELS_PER_MODULE;
            pixels[start..start + PIXELS_PER_MODULE].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let side = u32::try_from(side).map_err(ApiError::internal)?;
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(ApiError::internal)?;
        writer
            .write_image_data(&pixels)
            .map_err(ApiError::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_encode_the_address() {
        let url = "https://surveys.example.com/public/v1/surveys/AbCdEfGhIjKlMnOpQrStUv";
        let svg = svg(url).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
        let png = png(url).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = ::png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        assert_eq!(info.width as usize % PIXELS_PER_MODULE, 0);
    }
}
