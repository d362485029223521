//! Orders after checkout: their steps (pay, prepare, hand over, ship, cancel, refund,
//! return), for staff and shoppers, and the payment notifications that drive them.

mod lifecycle;
mod staff;

use serde::Serialize;
use sweep_domain::Timestamp;
use sweep_domain::order::{Order, OrderEvent, Payment, Refund, ReturnRequest};

pub use crate::payments::NoticeReply;
pub use lifecycle::{CLOSE_PAYMENT, PICKUP_DEADLINE, REFUND_PAYMENT};
pub(crate) use lifecycle::{new_refund, release_all, returned};
pub use staff::{RefundInput, ShipInput};

/// An order with everything that happened to it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    #[serde(flatten)]
    pub order: Order,
    pub events: Vec<OrderEvent>,
    pub payments: Vec<Payment>,
    pub refunds: Vec<Refund>,
    pub returns: Vec<ReturnRequest>,
    /// The shopper's phone, masked (`138****8000`): enough for the counter to confirm
    /// whom it hands over to.
    pub shopper_phone: Option<String>,
    /// The shopper's pickup code, shown to the shopper only, while it is live.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pickup_code: Option<PickupCode>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PickupCode {
    pub code: String,
    pub expires_at: Timestamp,
}
