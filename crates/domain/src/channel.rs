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
    /// An integration calling the API directly (a mini-program, a partner).
    Api,
}

impl Channel {
    pub const ALL: [Channel; 6] =
        [Channel::Mobile, Channel::Wechat, Channel::Alipay, Channel::Web, Channel::Pos, Channel::Api];
    /// Channels reached from a shopper's phone.
    pub const PHONE: [Channel; 3] = [Channel::Mobile, Channel::Wechat, Channel::Alipay];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Mobile => "mobile",
            Channel::Wechat => "wechat",
            Channel::Alipay => "alipay",
            Channel::Web => "web",
            Channel::Pos => "pos",
            Channel::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The channel a browser is on, from its User-Agent: WeChat's and Alipay's in-app
    /// browsers name themselves; other phones say "Mobile".
    pub fn from_user_agent(user_agent: &str) -> Channel {
        if user_agent.contains("MicroMessenger") {
            Channel::Wechat
        } else if user_agent.contains("AlipayClient") {
            Channel::Alipay
        } else if user_agent.contains("Mobile") || user_agent.contains("Android") {
            Channel::Mobile
        } else {
            Channel::Web
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_app_browsers_are_recognised() {
        let wechat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.47";
        let alipay =
            "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/115 Mobile Safari/537.36 AlipayClient/10.5.36";
        let phone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36";
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126 Safari/537.36";
        assert_eq!(Channel::from_user_agent(wechat), Channel::Wechat);
        assert_eq!(Channel::from_user_agent(alipay), Channel::Alipay);
        assert_eq!(Channel::from_user_agent(phone), Channel::Mobile);
        assert_eq!(Channel::from_user_agent(desktop), Channel::Web);
    }
}
