//! City and district centres in mainland China, bundled (no online geocoder): an
//! address picked from the list gets its district's centre as coordinates.

use crate::location::GeoPoint;

/// `city_zh,city_en,district_zh,district_en,lat,lng`, WGS-84.
const TABLE: &str = include_str!("../data/regions.csv");

#[derive(Debug, Clone, PartialEq)]
pub struct District {
    pub city_zh: &'static str,
    pub city_en: &'static str,
    pub district_zh: &'static str,
    pub district_en: &'static str,
    pub point: GeoPoint,
}

/// Every district in the table, in its order.
pub fn districts() -> impl Iterator<Item = District> {
    TABLE.lines().skip(1).filter_map(|line| {
        let mut f = line.split(',');
        let (cz, ce, dz, de) = (f.next()?, f.next()?, f.next()?, f.next()?);
        let lat = f.next()?.trim().parse().ok()?;
        let lng = f.next()?.trim().parse().ok()?;
        Some(District { city_zh: cz, city_en: ce, district_zh: dz, district_en: de, point: GeoPoint { lat, lng } })
    })
}

/// The centre of a district, by its Chinese or English names.
pub fn centre(city: &str, district: &str) -> Option<GeoPoint> {
    let (city, district) = (city.trim(), district.trim());
    districts()
        .find(|d| {
            (d.city_zh == city || d.city_en.eq_ignore_ascii_case(city))
                && (d.district_zh == district || d.district_en.eq_ignore_ascii_case(district))
        })
        .map(|d| d.point)
}

/// The cities in the table, in its order, as `(Chinese, English)` names.
pub fn cities() -> Vec<(&'static str, &'static str)> {
    let mut seen: Vec<(&'static str, &'static str)> = Vec::new();
    for d in districts() {
        if !seen.iter().any(|(zh, _)| *zh == d.city_zh) {
            seen.push((d.city_zh, d.city_en));
        }
    }
    seen
}

/// A city's centre, by its Chinese or English name: the table lists each city's old
/// urban core first (上城区 for Hangzhou, 黄浦区 for Shanghai), and its centre stands
/// for the city.
pub fn city_centre(city: &str) -> Option<GeoPoint> {
    let city = city.trim();
    districts().find(|d| d.city_zh == city || d.city_en.eq_ignore_ascii_case(city)).map(|d| d.point)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_whole_and_in_china() {
        let all: Vec<District> = districts().collect();
        assert_eq!(all.len(), TABLE.lines().count() - 1, "every line parses");
        assert!(all.len() >= 100);
        for d in &all {
            assert!((18.0..54.0).contains(&d.point.lat) && (73.0..136.0).contains(&d.point.lng), "{d:?}");
        }
        let xihu = centre("杭州", "西湖区").unwrap();
        assert_eq!(centre("Hangzhou", "xihu"), Some(xihu));
        assert!(crate::geo::distance_m(xihu, GeoPoint { lat: 30.26, lng: 120.13 }) < 5_000.0);
        assert_eq!(centre("杭州", "火星区"), None);
        assert_eq!(city_centre("hangzhou"), centre("杭州", "上城区"));
        assert_eq!(city_centre("火星"), None);
        assert_eq!(cities().first(), Some(&("杭州", "Hangzhou")));
        assert!(cities().len() >= 10);
    }
}
