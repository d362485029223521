//! A shopper's delivery addresses, with coordinates for routing.

use serde::Deserialize;
use sweep_domain::error::Validator;
use sweep_domain::ids::AddressId;
use sweep_domain::location::GeoPoint;
use sweep_domain::shopper::{Address, Phone};
use sweep_domain::text;

use super::ShopContext;
use crate::{AppError, AppResult, Sweep};

pub const MAX_ADDRESSES: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressInput {
    pub recipient: String,
    pub phone: String,
    pub city: String,
    pub district: String,
    /// Street, building, room.
    pub detail: String,
    /// WGS-84 from a map pin or the browser; omit to use the district's centre.
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lng: Option<f64>,
    #[serde(default)]
    pub is_default: bool,
}

impl Sweep {
    pub async fn my_addresses(&self, ctx: &ShopContext) -> AppResult<Vec<Address>> {
        Ok(self.repos.shoppers.addresses(ctx.merchant.id, ctx.shopper_id()?).await?)
    }

    pub async fn add_address(&self, ctx: &ShopContext, input: AddressInput) -> AppResult<Address> {
        let shopper = ctx.shopper_id()?;
        let existing = self.repos.shoppers.addresses(ctx.merchant.id, shopper).await?;
        if existing.len() >= MAX_ADDRESSES {
            return Err(AppError::conflict("too_many_addresses", None, format!("at most {MAX_ADDRESSES} addresses")));
        }
        let mut v = Validator::new();
        let recipient = v.check(text::name("recipient", &input.recipient));
        let phone = v.check(Phone::parse("phone", &input.phone));
        let city = v.check(text::name("city", &input.city));
        let district = v.check(text::name("district", &input.district));
        let detail = v.check(text::bounded_text("detail", &input.detail, 1, 200));
        let point = match (input.lat, input.lng) {
            (Some(lat), Some(lng)) => v.check(GeoPoint::parse("point", lat, lng)),
            (None, None) => {
                let centre = sweep_domain::regions::centre(&input.city, &input.district);
                if centre.is_none() {
                    v.push(sweep_domain::FieldError::new(
                        "district",
                        "unknown_district",
                        "pick the district from the list, or set the location on the map",
                    ));
                }
                centre
            }
            _ => {
                v.push(sweep_domain::FieldError::new("lat", "incomplete", "give both lat and lng, or neither"));
                None
            }
        };
        v.finish()?;
        let address = Address {
            id: AddressId::new(),
            merchant_id: ctx.merchant.id,
            shopper_id: shopper,
            recipient: recipient.expect("validated"),
            phone: phone.expect("validated"),
            city: city.expect("validated"),
            district: district.expect("validated"),
            detail: detail.expect("validated"),
            point: point.expect("validated"),
            is_default: input.is_default || existing.is_empty(),
            created_at: self.now(),
        };
        self.repos.shoppers.insert_address(&address).await?;
        Ok(address)
    }

    pub async fn delete_address(&self, ctx: &ShopContext, id: AddressId) -> AppResult<()> {
        if self.repos.shoppers.delete_address(ctx.merchant.id, ctx.shopper_id()?, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("address"))
        }
    }
}
