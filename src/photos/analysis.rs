//! Reading an image: its perceptual hash and its embedded capture time. CPU work, run on a
//! blocking thread by the worker, never inside a request or a database transaction.

use std::io::Cursor;

use chrono::{NaiveDate, NaiveDateTime};
use image_hasher::{HashAlg, HasherConfig};

/// Decoding stops beyond these: a crafted file cannot make the worker allocate gigabytes.
const MAX_SIDE: u32 = 20_000;
const MAX_ALLOC_BYTES: u64 = 512 * 1024 * 1024;

/// What an image revealed.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The 64-bit gradient hash, when the image decoded.
    pub hash: Option<u64>,
    /// The Exif `DateTimeOriginal` (else `DateTime`) as written, with the camera's offset from
    /// UTC in minutes when it recorded one.
    pub captured_local: Option<(NaiveDateTime, Option<i16>)>,
    /// Why there is no hash.
    pub note: Option<String>,
}

/// Hashes and reads the capture time of an image of `content_type` (one the upload accepted).
pub fn analyse(bytes: &[u8], content_type: &str) -> Analysis {
    let captured_local = capture_time(bytes);
    let (hash, note) = match content_type {
        "image/heic" => (
            None,
            Some("HEIC has no pure-Rust decoder here; the photo is not hashed".to_string()),
        ),
        _ => match hash(bytes) {
            Ok(h) => (Some(h), None),
            Err(e) => (None, Some(format!("the image does not decode: {e}"))),
        },
    };
    Analysis {
        hash,
        captured_local,
        note,
    }
}

/// The gradient hash (dHash) of an 8 × 8 grey thumbnail: 64 bits that barely move when a photo
/// is resized or recompressed, and differ in about half their bits between unrelated photos.
pub fn hash(bytes: &[u8]) -> Result<u64, String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC_BYTES);
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| e.to_string())?;
    let hasher = HasherConfig::with_bytes_type::<[u8; 8]>()
        .hash_alg(HashAlg::Gradient)
        .hash_size(8, 8)
        .to_hasher();
    let digest = hasher.hash_image(&decoded);
    let bytes: [u8; 8] = digest
        .as_bytes()
        .try_into()
        .map_err(|_| "the hash is not 64 bits".to_string())?;
    Ok(u64::from_le_bytes(bytes))
}

/// The Exif capture time, from JPEG, HEIC, PNG or WebP containers.
pub fn capture_time(bytes: &[u8]) -> Option<(NaiveDateTime, Option<i16>)> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let ascii = |tag| match exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value) {
        Some(exif::Value::Ascii(parts)) => parts.first().cloned(),
        _ => None,
    };
    let (text, offset_tag) = match ascii(exif::Tag::DateTimeOriginal) {
        Some(text) => (text, exif::Tag::OffsetTimeOriginal),
        None => (ascii(exif::Tag::DateTime)?, exif::Tag::OffsetTime),
    };
    let mut parsed = exif::DateTime::from_ascii(&text).ok()?;
    if let Some(offset) = ascii(offset_tag) {
        let _ = parsed.parse_offset(&offset);
    }
    let local = NaiveDate::from_ymd_opt(
        i32::from(parsed.year),
        u32::from(parsed.month),
        u32::from(parsed.day),
    )?
    .and_hms_opt(
        u32::from(parsed.hour),
        u32::from(parsed.minute),
        u32::from(parsed.second),
    )?;
    Some((local, parsed.offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32, seed: u32) -> Vec<u8> {
        // A smooth picture, defined on the unit square so that sizes differ only in sampling.
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            let (u, v) = (x as f64 / width as f64, y as f64 / height as f64);
            let s = f64::from(seed);
            let wave = (u * 9.0 + s).sin() + (v * 7.0 - s).cos() + (u * v * 11.0).sin();
            let level = (128.0 + 40.0 * wave).clamp(0.0, 255.0) as u8;
            image::Rgb([level, level / 2, 255 - level])
        });
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn the_same_picture_at_another_size_hashes_alike() {
        let a = hash(&png(320, 240, 1)).unwrap();
        let b = hash(&png(160, 120, 1)).unwrap();
        let other = hash(&png(320, 240, 4)).unwrap();
        assert!(crate::photos::rules::distance(a, b) <= 6);
        assert!(crate::photos::rules::distance(a, other) > 7);
    }

    #[test]
    fn what_is_not_an_image_is_noted_not_hashed() {
        let a = analyse(b"%PDF-1.7 not an image", "image/png");
        assert_eq!(a.hash, None);
        assert!(a.note.unwrap().starts_with("the image does not decode"));
        let heic = analyse(b"\0\0\0\x18ftypheic", "image/heic");
        assert_eq!(heic.hash, None);
        assert!(heic.note.unwrap().contains("HEIC"));
        assert_eq!(heic.captured_local, None);
    }

    #[test]
    fn a_png_without_exif_has_no_capture_time() {
        assert_eq!(capture_time(&png(16, 16, 2)), None);
    }
}
