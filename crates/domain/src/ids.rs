//! Time-ordered identifiers (UUID v7), one type per entity so they cannot be mixed up.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        pub struct $name(Uuid);

        impl $name {
            /// A new id, ordered after every id made before it in this process.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.as_hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

define_id!(MerchantId);
define_id!(StaffId);
define_id!(ApiTokenId);
define_id!(LocationId);
define_id!(CategoryId);
define_id!(ProductId);
define_id!(ImageId);
define_id!(SkuId);
define_id!(MovementId);
define_id!(TransferId);
define_id!(JobId);
define_id!(ShopperId);
define_id!(AddressId);
define_id!(OrderId);
define_id!(OrderLineId);
define_id!(ShipmentId);
define_id!(PaymentId);
define_id!(RefundId);
define_id!(ReturnId);
define_id!(BannerId);
define_id!(CampaignId);
define_id!(CardId);
define_id!(CouponDefId);
define_id!(CouponId);
define_id!(FlashSaleId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_in_creation_order_as_text() {
        let ids: Vec<SkuId> = (0..1000).map(|_| SkuId::new()).collect();
        let texts: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        let mut sorted = texts.clone();
        sorted.sort();
        assert_eq!(texts, sorted, "text order of v7 ids must follow creation order");
    }

    #[test]
    fn ids_round_trip_through_text() {
        let id = ProductId::new();
        assert_eq!(id.to_string().parse::<ProductId>().unwrap(), id);
        assert!("not-a-uuid".parse::<ProductId>().is_err());
    }
}
