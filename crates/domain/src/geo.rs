//! Distances on the earth.

use crate::location::GeoPoint;

/// The mean earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine).
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlng = (b.lng - a.lng).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_hand_computed_values() {
        let p = |lat, lng| GeoPoint { lat, lng };
        // One degree of latitude: R * pi / 180.
        assert!((distance_m(p(0.0, 0.0), p(1.0, 0.0)) - 111_195.08).abs() < 1.0);
        // A quarter of the equator.
        assert!((distance_m(p(0.0, 0.0), p(0.0, 90.0)) - 10_007_557.22).abs() < 1.0);
        assert_eq!(distance_m(p(30.25, 120.16), p(30.25, 120.16)), 0.0);
    }
}
