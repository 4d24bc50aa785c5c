//! What makes a location valid beyond its schema, and distances on the globe.

use std::str::FromStr;

/// A location's time zone must be one the server's time-zone database knows: a visit counts
/// for its local date there. (Every other field's limits are in the contract.)
pub fn time_zone_problem(time_zone: &str) -> Option<&'static str> {
    chrono_tz::Tz::from_str(time_zone)
        .is_err()
        .then_some("must be an IANA time zone such as Europe/Berlin")
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

    #[test]
    fn time_zones_are_named_by_iana() {
        assert_eq!(time_zone_problem("Europe/Berlin"), None);
        assert_eq!(time_zone_problem("Asia/Tehran"), None);
        assert!(time_zone_problem("Mars/Olympus").is_some());
        assert!(time_zone_problem("").is_some());
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
