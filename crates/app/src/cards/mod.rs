//! Scan to buy: campaigns, printed display cards, what happens when a phone scans one,
//! and the funnel that follows.

pub mod campaigns;
pub mod funnel;
pub mod manage;
pub mod scan;

pub use campaigns::{CampaignInput, UpdateCampaignInput};
pub use funnel::FunnelRow;
pub use manage::{CardPrint, CreateCardsInput, MAX_CARDS_PER_REQUEST};
pub use scan::{CardTarget, Scanned};
