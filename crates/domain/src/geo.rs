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

/// Which datum a position is given in. GPS and Sweep's stored points are WGS-84; maps
/// published in mainland China (AMap, Tencent, the WeChat location picker) use GCJ-02,
/// an obfuscated datum offset by a few hundred metres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Datum {
    #[default]
    Wgs84,
    Gcj02,
}

/// A position in `datum`, as WGS-84.
pub fn to_wgs84(point: GeoPoint, datum: Datum) -> GeoPoint {
    match datum {
        Datum::Wgs84 => point,
        Datum::Gcj02 => gcj02_to_wgs84(point),
    }
}

// GCJ-02 is defined by a published forward transform from WGS-84 on the Krasovsky
// ellipsoid; outside mainland China it is the identity.
const GCJ_A: f64 = 6_378_245.0;
const GCJ_EE: f64 = 0.006_693_421_622_965_943;

fn outside_china(p: GeoPoint) -> bool {
    !(72.004..=137.8347).contains(&p.lng) || !(0.8293..=55.8271).contains(&p.lat)
}

fn gcj_offset(p: GeoPoint) -> (f64, f64) {
    use std::f64::consts::PI;
    let (x, y) = (p.lng - 105.0, p.lat - 35.0);
    let wave = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt() + wave;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt() + wave;
    dlng += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlng += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = p.lat.to_radians();
    let magic = 1.0 - GCJ_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = dlat * 180.0 / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let dlng = dlng * 180.0 / (GCJ_A / sqrt_magic * rad_lat.cos() * PI);
    (dlat, dlng)
}

/// WGS-84 to GCJ-02 (the published forward transform).
pub fn wgs84_to_gcj02(p: GeoPoint) -> GeoPoint {
    if outside_china(p) {
        return p;
    }
    let (dlat, dlng) = gcj_offset(p);
    GeoPoint { lat: p.lat + dlat, lng: p.lng + dlng }
}

/// GCJ-02 to WGS-84: the forward transform inverted by fixed-point iteration, to well
/// under a centimetre.
pub fn gcj02_to_wgs84(gcj: GeoPoint) -> GeoPoint {
    if outside_china(gcj) {
        return gcj;
    }
    let mut wgs = gcj;
    for _ in 0..30 {
        let there = wgs84_to_gcj02(wgs);
        let (elat, elng) = (there.lat - gcj.lat, there.lng - gcj.lng);
        wgs = GeoPoint { lat: wgs.lat - elat, lng: wgs.lng - elng };
        if elat.abs().max(elng.abs()) < 1e-10 {
            break;
        }
    }
    wgs
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

    // Published test vectors of the GCJ-02 transform (WGS-84 in, GCJ-02 out).
    const VECTORS: [(f64, f64, f64, f64); 3] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215), // Shanghai
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363), // Shenzhen
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657), // Beijing
    ];

    #[test]
    fn gcj02_matches_published_vectors_both_ways() {
        let p = |lat, lng| GeoPoint { lat, lng };
        for (wlat, wlng, glat, glng) in VECTORS {
            let gcj = wgs84_to_gcj02(p(wlat, wlng));
            assert!((gcj.lat - glat).abs() < 1e-9 && (gcj.lng - glng).abs() < 1e-9, "{gcj:?}");
            let back = gcj02_to_wgs84(p(glat, glng));
            assert!(distance_m(back, p(wlat, wlng)) < 0.01, "{back:?} is {} m off", distance_m(back, p(wlat, wlng)));
            // The offset is real: hundreds of metres, so forgetting the conversion shows.
            assert!(distance_m(p(glat, glng), p(wlat, wlng)) > 300.0);
        }
        assert_eq!(to_wgs84(p(48.8566, 2.3522), Datum::Gcj02), p(48.8566, 2.3522), "identity outside China");
    }
}
