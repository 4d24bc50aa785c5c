//! The pure rules of photo analysis: where a hash's bands fall, how far two hashes are apart,
//! what an Exif time means in UTC, and when a photo lies outside its visit.

use chrono::{NaiveDateTime, TimeDelta, TimeZone};

/// The hash is cut into this many bytes; two hashes at most `BANDS - 1` bits apart share at
/// least one of them (pigeonhole), so an index over the bands finds every such pair.
pub const BANDS: usize = 8;

/// The largest Hamming distance the band index can guarantee to find.
pub const MAX_MATCH_DISTANCE: u32 = (BANDS as u32) - 1;

/// The band keys of a 64-bit hash: band number × 256 + the band's byte.
pub fn band_keys(hash: u64) -> [i32; BANDS] {
    let mut keys = [0; BANDS];
    for (band, key) in keys.iter_mut().enumerate() {
        *key = (band as i32) * 256 + ((hash >> (8 * band)) & 0xff) as i32;
    }
    keys
}

/// Bits in which two hashes differ.
pub fn distance(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// A hash as stored (a signed 64-bit integer) and back.
pub fn to_stored(hash: u64) -> i64 {
    hash as i64
}

pub fn from_stored(stored: i64) -> u64 {
    stored as u64
}

/// A hash as the API shows it: 16 hexadecimal digits.
pub fn to_hex(stored: i64) -> String {
    format!("{:016x}", from_stored(stored))
}

/// An Exif capture time in UTC. Exif records the camera's wall-clock time, with its offset from
/// UTC only when the camera wrote `OffsetTimeOriginal`; without one, the time is read as the
/// location's local time (the shopper took it there). `None` when the local time does not
/// exist there (a daylight-saving gap) or the zone is unknown.
pub fn capture_time_utc(
    local: NaiveDateTime,
    offset_minutes: Option<i16>,
    time_zone: &str,
) -> Option<NaiveDateTime> {
    match offset_minutes {
        Some(minutes) => Some(local - TimeDelta::minutes(i64::from(minutes))),
        None => {
            let tz: chrono_tz::Tz = time_zone.parse().ok()?;
            tz.from_local_datetime(&local)
                .earliest()
                .map(|t| t.naive_utc())
        }
    }
}

/// Whether a photo's capture time lies outside the visit, widened by `tolerance` on both sides
/// (the outside of the building before going in, the receipt just after).
pub fn outside_visit(
    captured: NaiveDateTime,
    visit_start: NaiveDateTime,
    visit_end: NaiveDateTime,
    tolerance: TimeDelta,
) -> bool {
    captured < visit_start - tolerance || captured > visit_end + tolerance
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn hashes_a_few_bits_apart_share_a_band() {
        let a: u64 = 0x0123_4567_89ab_cdef;
        // Seven bits flipped, one in each of seven bands: the eighth band is shared.
        let b = a ^ 0x0001_0101_0101_0101;
        assert_eq!(distance(a, b), 7);
        let shared = band_keys(a)
            .iter()
            .zip(band_keys(b).iter())
            .filter(|(x, y)| x == y)
            .count();
        assert_eq!(shared, 1);
        assert_eq!(band_keys(a)[0], 0xef);
        assert_eq!(band_keys(a)[7], 7 * 256 + 0x01);
    }

    #[test]
    fn stored_hashes_round_trip() {
        for hash in [0, 1, u64::MAX, 0x8000_0000_0000_0000] {
            assert_eq!(from_stored(to_stored(hash)), hash);
        }
        assert_eq!(to_hex(-1), "ffffffffffffffff");
        assert_eq!(to_hex(255), "00000000000000ff");
    }

    #[test]
    fn exif_times_become_utc() {
        let local = at("2026-07-01 14:30:00");
        // With the camera's offset.
        assert_eq!(
            capture_time_utc(local, Some(120), "UTC"),
            Some(at("2026-07-01 12:30:00"))
        );
        // Without one, the location's zone in summer.
        assert_eq!(
            capture_time_utc(local, None, "Europe/Berlin"),
            Some(at("2026-07-01 12:30:00"))
        );
        assert_eq!(capture_time_utc(local, None, "Nowhere/Else"), None);
        // A wall-clock time that does not exist there.
        assert_eq!(
            capture_time_utc(at("2026-03-29 02:30:00"), None, "Europe/Berlin"),
            None
        );
    }

    #[test]
    fn photos_outside_the_visit() {
        let (start, end) = (at("2026-07-01 12:00:00"), at("2026-07-01 12:40:00"));
        let tolerance = TimeDelta::minutes(30);
        assert!(!outside_visit(
            at("2026-07-01 11:31:00"),
            start,
            end,
            tolerance
        ));
        assert!(!outside_visit(
            at("2026-07-01 13:10:00"),
            start,
            end,
            tolerance
        ));
        assert!(outside_visit(
            at("2026-07-01 11:29:00"),
            start,
            end,
            tolerance
        ));
        assert!(outside_visit(
            at("2026-06-28 12:20:00"),
            start,
            end,
            tolerance
        ));
    }
}
