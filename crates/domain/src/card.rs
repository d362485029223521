//! Display cards: printed QR codes on a store's shelf that lead a phone to one SKU in
//! that store's context, and the campaigns they belong to. Scans of a card credit the
//! orders that follow to the card's store and clerk.

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::channel::Channel;
use crate::error::FieldError;
use crate::ids::{CampaignId, CardId, LocationId, MerchantId, ProductId, SkuId, StaffId};

/// A named marketing event with dates, such as "Double 11 2026". Cards, coupons and
/// flash sales refer to the same campaigns.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: CampaignId,
    pub merchant_id: MerchantId,
    pub name: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CardStatus {
    Active,
    /// Taken off the shelf: scanning it shows a friendly page, counts nothing.
    Disabled,
}

impl CardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<CardStatus> {
        [CardStatus::Active, CardStatus::Disabled].into_iter().find(|c| c.as_str() == s)
    }
}

/// One printed card: a store and a SKU, optionally a campaign and the clerk who placed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisplayCard {
    pub id: CardId,
    pub merchant_id: MerchantId,
    /// The short code in the card's URL (`/c/{code}`): stable for the card's life.
    pub code: String,
    pub store_id: LocationId,
    pub sku_id: SkuId,
    pub product_id: ProductId,
    pub campaign_id: Option<CampaignId>,
    pub clerk_id: Option<StaffId>,
    pub status: CardStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Card codes: 8 characters from an alphabet without look-alikes (no 0/O, 1/I),
/// so a code can be read out or typed from a photo. 32^8 is about 10^12 codes.
pub const CARD_CODE_LEN: usize = 8;
const CARD_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A card code from random bytes (one byte per character: 256 is a multiple of 32, so
/// every character is equally likely).
pub fn card_code_from_random(random: &[u8; CARD_CODE_LEN]) -> String {
    random.iter().map(|b| CARD_ALPHABET[(*b as usize) % CARD_ALPHABET.len()] as char).collect()
}

/// A code as someone may type it (any case, with spaces or dashes), or `None` if it
/// cannot be one.
pub fn clean_card_code(text: &str) -> Option<String> {
    let code: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == CARD_CODE_LEN && code.bytes().all(|b| CARD_ALPHABET.contains(&b))).then_some(code)
}

/// The in-app browser a card was scanned with: where shoppers come from matters for
/// which payment to offer and for the merchant's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BrowserClass {
    Wechat,
    Alipay,
    Other,
}

impl BrowserClass {
    pub fn of(channel: Channel) -> BrowserClass {
        match channel {
            Channel::Wechat => BrowserClass::Wechat,
            Channel::Alipay => BrowserClass::Alipay,
            _ => BrowserClass::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BrowserClass::Wechat => "wechat",
            BrowserClass::Alipay => "alipay",
            BrowserClass::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<BrowserClass> {
        [BrowserClass::Wechat, BrowserClass::Alipay, BrowserClass::Other].into_iter().find(|b| b.as_str() == s)
    }
}

/// The rule that keeps a flood of scans from inflating a store's figures:
/// a scan counts only if
/// - the same browser has not had a counted scan of the same card in the current
///   `SAME_DEVICE_SECS` window (a shopper scanning twice is one scan), and
/// - the same client address has had fewer than `PER_ADDRESS_PER_HOUR` counted scans of
///   the same card in the current hour's window (a store's Wi-Fi shares one address, a
///   script too).
///
/// The windows are fixed (a counter per key that restarts when its window ends), so at
/// a window's edge up to twice a limit can count within a short time; never more. Every
/// scan is still recorded, counted or not, and the shopper still lands on the page; the
/// product views and carts of a browser whose scan did not count do not count either.
/// Beyond `SCANS_PER_ADDRESS_PER_MINUTE` scans of one card from one address in a minute,
/// the scan page answers 429 and records nothing.
pub mod scan_rule {
    pub const SAME_DEVICE_SECS: i64 = 1_800;
    pub const PER_ADDRESS_PER_HOUR: i64 = 10;
    pub const SCANS_PER_ADDRESS_PER_MINUTE: i64 = 60;
}

/// A campaign's dates must make a period.
pub fn validate_campaign_dates(starts_at: Timestamp, ends_at: Timestamp) -> Result<(), FieldError> {
    if ends_at <= starts_at {
        return Err(FieldError::new("ends_at", "before_start", "a campaign ends after it starts"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_whole_alphabet_and_read_back() {
        assert_eq!(CARD_ALPHABET.len(), 32);
        let all: Vec<u8> = (0u8..=255).collect();
        let mut seen = std::collections::HashSet::new();
        for chunk in all.chunks(8) {
            let code = card_code_from_random(chunk.try_into().unwrap());
            assert_eq!(clean_card_code(&code), Some(code.clone()));
            seen.extend(code.chars());
        }
        assert_eq!(seen.len(), 32, "every character appears, equally often");
        assert_eq!(clean_card_code(" 7kq2-m9xd "), Some("7KQ2M9XD".into()), "typed the way people type");
        assert_eq!(clean_card_code("7KQ2M9X0"), None, "0 is not in the alphabet");
        assert_eq!(clean_card_code("7KQ2M9X"), None);
    }

    #[test]
    fn browsers_are_classed_from_the_channel() {
        assert_eq!(BrowserClass::of(Channel::Wechat), BrowserClass::Wechat);
        assert_eq!(BrowserClass::of(Channel::Alipay), BrowserClass::Alipay);
        assert_eq!(BrowserClass::of(Channel::Mobile), BrowserClass::Other);
    }
}
