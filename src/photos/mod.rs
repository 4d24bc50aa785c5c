//! Trust in evidence photos (PRODUCT.md section 12). Every image attachment is analysed after
//! its upload, off the request path, by a background worker: a perceptual hash, and the capture
//! time its Exif data records. A photo within the configured Hamming distance of a photo in
//! another submission of the same organization flags both submissions `reused_photo`, each naming
//! the other; a photo taken outside the visit (beyond a tolerance) flags `photo_time`. Flags
//! never refuse the work: the reviewer weighs them.

pub mod analysis;
pub mod rules;
pub mod service;
