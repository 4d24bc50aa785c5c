//! Which files a shopper may attach as evidence, decided by the bytes as well as the declared
//! content type: a renamed executable or a script labelled `image/jpeg` is refused.

use crate::checklists::dto::EvidenceKind;

/// A content type the server accepts, with the kinds of evidence it can serve as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub content_type: &'static str,
    pub kinds: &'static [EvidenceKind],
}

const IMAGE: &[EvidenceKind] = &[EvidenceKind::Photo, EvidenceKind::Receipt];
const DOCUMENT: &[EvidenceKind] = &[EvidenceKind::Receipt, EvidenceKind::Pdf];
const SOUND: &[EvidenceKind] = &[EvidenceKind::Audio];

/// The allow-list, by content type.
pub const ALLOWED: &[Accepted] = &[
    Accepted {
        content_type: "image/jpeg",
        kinds: IMAGE,
    },
    Accepted {
        content_type: "image/png",
        kinds: IMAGE,
    },
    Accepted {
        content_type: "image/webp",
        kinds: IMAGE,
    },
    Accepted {
        content_type: "image/heic",
        kinds: IMAGE,
    },
    Accepted {
        content_type: "application/pdf",
        kinds: DOCUMENT,
    },
    Accepted {
        content_type: "audio/mpeg",
        kinds: SOUND,
    },
    Accepted {
        content_type: "audio/mp4",
        kinds: SOUND,
    },
    Accepted {
        content_type: "audio/wav",
        kinds: SOUND,
    },
    Accepted {
        content_type: "audio/ogg",
        kinds: SOUND,
    },
];

/// The file-name extension of an accepted content type, for downloads.
pub fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "application/pdf" => "pdf",
        "audio/mpeg" => "mp3",
        "audio/mp4" => "m4a",
        "audio/wav" => "wav",
        "audio/ogg" => "ogg",
        _ => "bin",
    }
}

/// The content type the bytes' signature shows, if it is one of the allowed.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |sig: &[u8]| bytes.starts_with(sig);
    let at = |offset: usize, sig: &[u8]| {
        bytes.len() >= offset + sig.len() && &bytes[offset..offset + sig.len()] == sig
    };
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if starts(b"RIFF") && at(8, b"WAVE") {
        Some("audio/wav")
    } else if at(4, b"ftyp") && (at(8, b"heic") || at(8, b"heix") || at(8, b"mif1")) {
        Some("image/heic")
    } else if at(4, b"ftyp") && (at(8, b"M4A ") || at(8, b"mp42") || at(8, b"isom")) {
        Some("audio/mp4")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("audio/mpeg")
    } else if starts(b"OggS") {
        Some("audio/ogg")
    } else {
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The declared type is not on the allow-list.
    NotAllowed(String),
    /// The bytes are not what the declared type says.
    Mismatch {
        declared: String,
        found: Option<&'static str>,
    },
    /// Sent as `application/octet-stream`, and the bytes are none of the accepted types.
    Unrecognised,
}

/// Generic bytes: the type is read from the file's signature alone.
pub const GENERIC: &str = "application/octet-stream";

/// Checks a declared content type against the allow-list and the bytes; returns the accepted
/// entry. `application/octet-stream` (what generated clients send for a file) takes the type
/// the signature shows, when that is on the list.
pub fn check(declared: &str, bytes: &[u8]) -> Result<Accepted, Refusal> {
    let declared = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if declared == GENERIC {
        let found = sniff(bytes).ok_or(Refusal::Unrecognised)?;
        return ALLOWED
            .iter()
            .find(|a| a.content_type == found)
            .copied()
            .ok_or(Refusal::Unrecognised);
    }
    let accepted = ALLOWED
        .iter()
        .find(|a| a.content_type == declared)
        .ok_or_else(|| Refusal::NotAllowed(declared.clone()))?;
    match sniff(bytes) {
        Some(found) if found == accepted.content_type => Ok(*accepted),
        found => Err(Refusal::Mismatch { declared, found }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];

    #[test]
    fn signatures_are_recognised() {
        assert_eq!(sniff(JPEG), Some("image/jpeg"));
        assert_eq!(sniff(PNG), Some("image/png"));
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), Some("image/heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypM4A "), Some("audio/mp4"));
        assert_eq!(sniff(b"ID3\x04\0"), Some("audio/mpeg"));
        assert_eq!(sniff(b"OggS\0\x02"), Some("audio/ogg"));
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b"#!/bin/sh\nrm -rf /"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn declared_types_must_be_allowed_and_true() {
        assert_eq!(
            check("image/jpeg", JPEG).unwrap().content_type,
            "image/jpeg"
        );
        assert_eq!(
            check("Image/JPEG; charset=binary", JPEG).unwrap().kinds,
            IMAGE
        );
        assert_eq!(
            check("image/jpeg", PNG),
            Err(Refusal::Mismatch {
                declared: "image/jpeg".into(),
                found: Some("image/png")
            })
        );
        assert_eq!(
            check("image/jpeg", b"MZ\x90\0"),
            Err(Refusal::Mismatch {
                declared: "image/jpeg".into(),
                found: None
            })
        );
        assert_eq!(
            check("application/x-msdownload", b"MZ"),
            Err(Refusal::NotAllowed("application/x-msdownload".into()))
        );
        assert_eq!(check(GENERIC, PNG).unwrap().content_type, "image/png");
        assert_eq!(
            check("application/octet-stream; q=1", b"%PDF-1.7")
                .unwrap()
                .content_type,
            "application/pdf"
        );
        assert_eq!(check(GENERIC, b"MZ\x90\0"), Err(Refusal::Unrecognised));
        assert!(check("application/pdf", b"%PDF-1.4")
            .unwrap()
            .kinds
            .contains(&EvidenceKind::Pdf));
    }
}
