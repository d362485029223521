//! "In stock near you": a merchant's stores that have a SKU now, nearest first.

use sweep_domain::Timestamp;
use sweep_domain::geo::{Datum, distance_m, to_wgs84};
use sweep_domain::ids::SkuId;
use sweep_domain::location::{GeoPoint, Location, LocationKind, WEEKDAYS};
use sweep_domain::merchant::{Merchant, MerchantTimeZone};
use sweep_domain::regions;

use crate::{AppError, AppResult, Sweep};

/// The most stores one answer lists.
pub const MAX_NEARBY: usize = 20;

#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearbyStore {
    pub store: Location,
    /// Great-circle distance from the shopper, in whole metres.
    pub distance_m: i64,
    /// Units of the SKU that can be promised now.
    pub available: i64,
    /// Today's opening hours in the merchant's time zone, e.g. `["10:00-22:00"]`.
    pub hours_today: Vec<String>,
    pub open_now: bool,
}

/// Where the shopper is: a position from the browser or a map, or a city they chose.
#[derive(Debug, Clone, Copy)]
pub enum Whereabouts<'a> {
    Point { lat: f64, lng: f64, datum: Datum },
    City(&'a str),
}

/// Weekday (0 = Monday) and minute of the day at `now` in `tz`.
fn local_clock(now: Timestamp, tz: &MerchantTimeZone) -> (usize, u16) {
    let local = now.plus_seconds(i64::from(tz.offset_minutes()) * 60).to_offset_datetime();
    let day = local.weekday().number_days_from_monday() as usize;
    (day, local.hour() as u16 * 60 + local.minute() as u16)
}

impl Sweep {
    /// The merchant's stores with `sku` available, sorted by distance from the shopper.
    pub async fn nearby_stores(
        &self,
        merchant: &Merchant,
        sku: SkuId,
        whereabouts: Whereabouts<'_>,
        limit: usize,
    ) -> AppResult<Vec<NearbyStore>> {
        let origin = match whereabouts {
            Whereabouts::Point { lat, lng, datum } => {
                let point = GeoPoint::parse("lat", lat, lng).map_err(|e| AppError::Invalid(vec![e]))?;
                to_wgs84(point, datum)
            }
            Whereabouts::City(city) => regions::city_centre(city)
                .ok_or_else(|| AppError::invalid("city", "unknown_city", "choose a city from the list"))?,
        };
        let m = merchant.id;
        let levels = self.repos.inventory.levels_of(m, &[sku]).await?;
        let (day, minute) = local_clock(self.now(), &merchant.time_zone());
        let mut stores: Vec<NearbyStore> = self
            .active_locations(merchant)
            .await?
            .into_iter()
            .filter(|l| l.kind == LocationKind::Store)
            .filter_map(|store| {
                let available: i64 = levels
                    .iter()
                    .filter(|l| l.location_id == store.id && l.sku_id == sku)
                    .map(|l| l.level.available().max(0))
                    .sum();
                (available > 0).then(|| NearbyStore {
                    distance_m: distance_m(origin, store.point).round() as i64,
                    available,
                    hours_today: store.opening_hours.days().get(WEEKDAYS[day]).cloned().unwrap_or_default(),
                    open_now: store.opening_hours.is_open(day, minute),
                    store,
                })
            })
            .collect();
        stores.sort_by(|a, b| a.distance_m.cmp(&b.distance_m).then_with(|| a.store.code.cmp(&b.store.code)));
        stores.truncate(limit.clamp(1, MAX_NEARBY));
        Ok(stores)
    }
}
