//! Sales channels: where an order is placed and which prices apply.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// The storefront in a phone's own browser.
    Mobile,
    /// The storefront inside WeChat's in-app browser.
    Wechat,
    /// The storefront inside Alipay's in-app browser.
    Alipay,
    /// The storefront on a desktop browser.
    Web,
    /// The till in a store.
    Pos,
}

impl Channel {
    pub const ALL: [Channel; 5] = [Channel::Mobile, Channel::Wechat, Channel::Alipay, Channel::Web, Channel::Pos];
    /// Channels reached from a shopper's phone.
    pub const PHONE: [Channel; 3] = [Channel::Mobile, Channel::Wechat, Channel::Alipay];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Mobile => "mobile",
            Channel::Wechat => "wechat",
            Channel::Alipay => "alipay",
            Channel::Web => "web",
            Channel::Pos => "pos",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn is_phone(self) -> bool {
        Channel::PHONE.contains(&self)
    }
}
