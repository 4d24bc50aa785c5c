//! Timestamps written to JSON exactly as chrono's serde writes them (RFC 3339 in UTC with `Z`, the
//! fraction only as long as needed: none, 3, 6 or 9 digits), without `core::fmt`.
//!
//! chrono formats through `Display` and serde_json's `collect_str`, which escapes each piece
//! `fmt` writes: on the job board (50 jobs, four timestamps each) that was 6.7 % of the server's
//! CPU a request (perf). Here the digits go into a buffer written once. Years outside 0-9999 and
//! leap seconds are rare and left to chrono.
//!
//! `#[serde(serialize_with = "crate::json_time::serialize")]` on a `DateTime<Utc>` field,
//! `crate::json_time::option::serialize` on an `Option<DateTime<Utc>>` one.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 30];
    // Only ASCII digits and separators are written, so the text is always UTF-8; whatever the
    // buffer cannot hold is chrono's to write.
    match write(at, &mut buf).and_then(|len| std::str::from_utf8(&buf[..len]).ok()) {
        Some(text) => serializer.serialize_str(text),
        None => at.serialize(serializer),
    }
}

pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::serialize(at, serializer),
            None => serializer.serialize_none(),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z` into `buf`; the length, or `None` where
/// chrono's own formatting is needed.
fn write(at: &DateTime<Utc>, buf: &mut [u8; 30]) -> Option<usize> {
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut len = put(buf, 0, year, 4);
    buf[len] = b'-';
    len = put(buf, len + 1, at.month(), 2);
    buf[len] = b'-';
    len = put(buf, len + 1, at.day(), 2);
    buf[len] = b'T';
    len = put(buf, len + 1, at.hour(), 2);
    buf[len] = b':';
    len = put(buf, len + 1, at.minute(), 2);
    buf[len] = b':';
    len = put(buf, len + 1, at.second(), 2);
    if nanos != 0 {
        buf[len] = b'.';
        len = if nanos.is_multiple_of(1_000_000) {
            put(buf, len + 1, nanos / 1_000_000, 3)
        } else if nanos.is_multiple_of(1_000) {
            put(buf, len + 1, nanos / 1_000, 6)
        } else {
            put(buf, len + 1, nanos, 9)
        };
    }
    buf[len] = b'Z';
    Some(len + 1)
}

/// `value`'s last `width` decimal digits, zero-padded, at `at`; returns where they end.
fn put(buf: &mut [u8; 30], at: usize, value: u32, width: u32) -> usize {
    for i in 0..width {
        buf[at + i as usize] = b'0' + (value / 10u32.pow(width - 1 - i) % 10) as u8;
    }
    at + width as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[derive(Serialize)]
    struct Ours(#[serde(serialize_with = "serialize")] DateTime<Utc>);

    fn both(at: DateTime<Utc>) -> (String, String) {
        (
            serde_json::to_string(&Ours(at)).unwrap(),
            serde_json::to_string(&at).unwrap(),
        )
    }

    proptest! {
        /// Every instant of years 0-9999, at each precision the fraction can take.
        #[test]
        fn writes_what_chrono_writes(
            secs in -62_167_219_200i64..253_402_300_799,
            nanos in 0u32..1_000_000_000,
            precision in 0usize..4,
        ) {
            let nanos = [0, nanos / 1_000_000 * 1_000_000, nanos / 1_000 * 1_000, nanos][precision];
            let at = Utc.timestamp_opt(secs, nanos).unwrap();
            let (ours, chrono) = both(at);
            prop_assert_eq!(ours, chrono);
        }
    }

    #[test]
    fn edges_and_what_is_left_to_chrono() {
        for at in [
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 4, 19, 32, 2).unwrap()
                + chrono::TimeDelta::nanoseconds(48_994_000),
            // Outside 0-9999 and a leap second: chrono's own text.
            Utc.with_ymd_and_hms(-1, 6, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.timestamp_opt(1_483_228_799, 1_500_000_000).unwrap(),
        ] {
            let (ours, chrono) = both(at);
            assert_eq!(ours, chrono);
        }
        assert_eq!(
            both(
                Utc.with_ymd_and_hms(2026, 12, 4, 19, 32, 2).unwrap()
                    + chrono::TimeDelta::microseconds(48_994)
            )
            .0,
            "\"2026-12-04T19:32:02.048994Z\""
        );
    }
}
