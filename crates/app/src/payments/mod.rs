//! Payments: merchants' provider accounts (secrets sealed at rest), starting payments
//! in the shopper's browser, providers' notifications, refunds, and recovery by query
//! when notifications do not come.

mod accounts;
mod checkout;
mod notices;
mod reconcile;
mod recovery;
mod refunds;
mod sealing;

pub use accounts::PaymentAccountView;
pub use checkout::{ALIPAY, PayDevice, PayNext, PayRequest, WECHAT_PAY};
pub use notices::NoticeReply;
pub use reconcile::RECONCILE;
pub use recovery::QUERY_PAYMENTS;
pub use sealing::SecretBox;
