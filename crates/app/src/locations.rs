//! Stores and warehouses.

use std::collections::BTreeMap;

use serde::Deserialize;
use sweep_domain::error::Validator;
use sweep_domain::ids::LocationId;
use sweep_domain::location::{GeoPoint, Location, LocationKind, LocationStatus, OpeningHours};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text::{self, Localized};

use crate::page::{Page, PageRequest};
use crate::ports::LocationFilter;
use crate::{AppError, AppResult, SAVE_ATTEMPTS, Sweep, concurrent_edit, next_version, require, tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LocalizedInput {
    #[serde(default)]
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointInput {
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateLocationInput {
    /// The merchant's own short code, unique within the merchant (e.g. `HZ-XH-01`).
    pub code: String,
    pub kind: LocationKind,
    pub name: LocalizedInput,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub phone: String,
    /// WGS-84, as GPS reports it.
    pub point: PointInput,
    /// `{"mon": ["10:00-22:00"], ...}`; missing days are closed. Default: closed.
    #[serde(default)]
    pub opening_hours: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub pickup_enabled: bool,
    #[serde(default)]
    pub delivery_enabled: bool,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateLocationInput {
    #[serde(default)]
    pub name: Option<LocalizedInput>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub point: Option<PointInput>,
    #[serde(default)]
    pub opening_hours: Option<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    pub pickup_enabled: Option<bool>,
    #[serde(default)]
    pub delivery_enabled: Option<bool>,
    /// `archived` hides the location from shoppers and staff pickers; history stays.
    #[serde(default)]
    pub status: Option<LocationStatus>,
}

pub(crate) fn localized(
    v: &mut Validator,
    field: &str,
    input: &LocalizedInput,
    required: bool,
    max: usize,
) -> Localized {
    let check = |f: &str, value: &str| -> Result<String, sweep_domain::FieldError> {
        if max <= 120 { text::name(f, value) } else { text::bounded_text(f, value, 1, max) }
    };
    match Localized::parse(field, &input.zh, &input.en, required, check) {
        Ok(l) => l,
        Err(errors) => {
            v.extend(errors);
            Localized::default()
        }
    }
}

fn optional_text(v: &mut Validator, field: &str, value: &str, max: usize) -> String {
    if value.trim().is_empty() {
        return String::new();
    }
    v.check(text::bounded_text(field, value, 0, max)).unwrap_or_default()
}

impl Sweep {
    pub async fn create_location(&self, actor: &Actor, input: CreateLocationInput) -> AppResult<Location> {
        require(actor, Permission::CreateLocations)?;
        let merchant_id = tenant(actor)?;
        let mut v = Validator::new();
        let code = v.check(text::code("code", &input.code, 32)).unwrap_or_default();
        let name = localized(&mut v, "name", &input.name, true, 120);
        let address = optional_text(&mut v, "address", &input.address, 300);
        let city = optional_text(&mut v, "city", &input.city, 60);
        let district = optional_text(&mut v, "district", &input.district, 60);
        let phone = optional_text(&mut v, "phone", &input.phone, 40);
        let point = v.check(GeoPoint::parse("point", input.point.lat, input.point.lng));
        let hours = v.check(OpeningHours::parse("opening_hours", &input.opening_hours));
        v.finish()?;
        let now = self.now();
        let location = Location {
            id: LocationId::new(),
            merchant_id,
            code,
            kind: input.kind,
            name,
            address,
            city,
            district,
            phone,
            point: point.expect("validated"),
            opening_hours: hours.expect("validated"),
            pickup_enabled: input.pickup_enabled && input.kind == LocationKind::Store,
            delivery_enabled: input.delivery_enabled,
            status: LocationStatus::Active,
            created_at: now,
            updated_at: now,
        };
        if input.pickup_enabled && input.kind != LocationKind::Store {
            return Err(AppError::invalid("pickup_enabled", "not_a_store", "only stores offer pickup"));
        }
        self.repos.locations.insert_location(&location).await?;
        Ok(location)
    }

    /// A location of the caller's merchant within the caller's store scope; anything
    /// else is "not found", whether it exists elsewhere or not.
    pub async fn get_location(&self, actor: &Actor, id: LocationId) -> AppResult<Location> {
        require(actor, Permission::ViewLocations)?;
        let merchant_id = tenant(actor)?;
        if !actor.can_see_location(id) {
            return Err(AppError::NotFound("location"));
        }
        self.repos.locations.location(merchant_id, id).await?.ok_or(AppError::NotFound("location"))
    }

    pub async fn list_locations(
        &self,
        actor: &Actor,
        mut filter: LocationFilter,
        page: &PageRequest,
    ) -> AppResult<Page<Location>> {
        require(actor, Permission::ViewLocations)?;
        let merchant_id = tenant(actor)?;
        if !actor.is_head_office() {
            filter.only = Some(actor.stores.clone());
        }
        Ok(self.repos.locations.list_locations(merchant_id, &filter, page).await?)
    }

    pub async fn update_location(
        &self,
        actor: &Actor,
        id: LocationId,
        input: UpdateLocationInput,
    ) -> AppResult<Location> {
        require(actor, Permission::EditLocations)?;
        for _ in 0..SAVE_ATTEMPTS {
            let current = self.get_location(actor, id).await?;
            let mut loc = current.clone();
            apply_location_patch(actor, &mut loc, &input)?;
            loc.updated_at = next_version(self.now(), current.updated_at);
            if self.repos.locations.update_location(&loc, current.updated_at).await? {
                return Ok(loc);
            }
        }
        Err(concurrent_edit())
    }
}

/// Applies a PATCH to a location in memory, checking every field.
fn apply_location_patch(actor: &Actor, loc: &mut Location, input: &UpdateLocationInput) -> AppResult<()> {
    let mut v = Validator::new();
    if let Some(name) = &input.name {
        loc.name = localized(&mut v, "name", name, true, 120);
    }
    if let Some(a) = &input.address {
        loc.address = optional_text(&mut v, "address", a, 300);
    }
    if let Some(c) = &input.city {
        loc.city = optional_text(&mut v, "city", c, 60);
    }
    if let Some(d) = &input.district {
        loc.district = optional_text(&mut v, "district", d, 60);
    }
    if let Some(p) = &input.phone {
        loc.phone = optional_text(&mut v, "phone", p, 40);
    }
    if let Some(p) = &input.point
        && let Some(point) = v.check(GeoPoint::parse("point", p.lat, p.lng))
    {
        loc.point = point;
    }
    if let Some(h) = &input.opening_hours
        && let Some(hours) = v.check(OpeningHours::parse("opening_hours", h))
    {
        loc.opening_hours = hours;
    }
    if let Some(p) = input.pickup_enabled {
        if p && loc.kind != LocationKind::Store {
            v.push(sweep_domain::FieldError::new("pickup_enabled", "not_a_store", "only stores offer pickup"));
        }
        loc.pickup_enabled = p;
    }
    if let Some(d) = input.delivery_enabled {
        loc.delivery_enabled = d;
    }
    if let Some(status) = input.status {
        // Opening and closing locations is head office's call.
        if !actor.can(Permission::CreateLocations) {
            return Err(AppError::Forbidden);
        }
        loc.status = status;
    }
    v.finish()?;
    Ok(())
}
