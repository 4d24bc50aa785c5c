//! What makes a location valid, and distances on the globe.

use std::collections::HashSet;
use std::str::FromStr;

use crate::error::FieldError;
use crate::standards::dto::Channel;
use crate::standards::rules::code_problem;

/// The fields of a location as they would be stored, for checking.
pub struct LocationFields<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub region: &'a str,
    pub address: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub geofence_radius_m: i32,
    pub time_zone: &'a str,
    pub channels: &'a [Channel],
}

/// Every problem of a location (empty when valid).
pub fn validate(l: &LocationFields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(p) = code_problem(l.code) {
        errors.push(FieldError::new("code", p));
    }
    for (field, value, max) in [("name", l.name, 200), ("region", l.region, 100)] {
        if value.trim().is_empty() || value.chars().count() > max {
            errors.push(FieldError::new(
                field,
                format!("must be 1 to {max} characters"),
            ));
        }
    }
    if l.address.chars().count() > 500 {
        errors.push(FieldError::new("address", "must be at most 500 characters"));
    }
    if !(l.latitude.is_finite() && (-90.0..=90.0).contains(&l.latitude)) {
        errors.push(FieldError::new("latitude", "must be between -90 and 90"));
    }
    if !(l.longitude.is_finite() && (-180.0..=180.0).contains(&l.longitude)) {
        errors.push(FieldError::new("longitude", "must be between -180 and 180"));
    }
    if !(10..=100_000).contains(&l.geofence_radius_m) {
        errors.push(FieldError::new(
            "geofence_radius_m",
            "must be between 10 and 100000 metres",
        ));
    }
    if chrono_tz::Tz::from_str(l.time_zone).is_err() {
        errors.push(FieldError::new(
            "time_zone",
            "must be an IANA time zone such as Europe/Berlin",
        ));
    }
    if l.channels.is_empty() {
        errors.push(FieldError::new("channels", "name at least one channel"));
    } else if l.channels.iter().collect::<HashSet<_>>().len() != l.channels.len() {
        errors.push(FieldError::new("channels", "names a channel twice"));
    }
    errors
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> LocationFields<'static> {
        LocationFields {
            code: "BER-01",
            name: "Berlin Mitte",
            region: "East",
            address: "Unter den Linden 1",
            latitude: 52.517,
            longitude: 13.389,
            geofence_radius_m: 150,
            time_zone: "Europe/Berlin",
            channels: &[Channel::InPerson, Channel::Phone],
        }
    }

    #[test]
    fn a_sound_location_passes_and_problems_are_named() {
        assert!(validate(&fields()).is_empty());
        let bad = LocationFields {
            code: "bad code",
            name: "",
            latitude: 91.0,
            longitude: -181.0,
            geofence_radius_m: 1,
            time_zone: "Mars/Olympus",
            channels: &[],
            ..fields()
        };
        let names: Vec<String> = validate(&bad).into_iter().map(|e| e.field).collect();
        assert_eq!(
            names,
            [
                "code",
                "name",
                "latitude",
                "longitude",
                "geofence_radius_m",
                "time_zone",
                "channels"
            ]
        );
    }

    #[test]
    fn distances() {
        // Berlin Brandenburg Gate to Berlin TV tower: about 2.1 km.
        let d = distance_m(52.5163, 13.3777, 52.5208, 13.4094);
        assert!((2_100.0..2_250.0).contains(&d), "{d}");
        assert!(distance_m(10.0, 10.0, 10.0, 10.0) < 1e-6);
        // A quarter of the meridian.
        assert!((distance_m(0.0, 0.0, 90.0, 0.0) - 10_007_557.0).abs() < 100.0);
    }
}
