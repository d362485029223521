//! The sandbox payment provider.

mod cashier;
mod gateway;
pub mod protocol;

pub use cashier::router;
use gateway::now as gateway_now;
pub use gateway::{NOTIFY_JOB, PROVIDER, Sandbox};
