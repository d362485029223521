//! Starting a payment: the method follows the shopper's browser (WeChat's in-app
//! browser pays with WeChat Pay, Alipay's with Alipay, any other browser chooses), and
//! the provider is told how the shopper will pay (JSAPI, H5, QR, page).

use sweep_domain::channel::Channel;
use sweep_domain::ids::{OrderId, PaymentId};
use sweep_domain::order::*;
use sweep_domain::{Money, Timestamp};

use crate::ports::{CreatePayment, GatewayError, PayAction, PayScene};
use crate::shop::ShopContext;
use crate::{AppError, AppResult, Sweep};

pub const WECHAT_PAY: &str = "wechatpay";
pub const ALIPAY: &str = "alipay";

/// The browser a shopper pays from, as its User-Agent tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayDevice {
    /// WeChat's in-app browser: only WeChat Pay (JSAPI) works there.
    WeChat,
    /// Alipay's in-app browser: only Alipay works there.
    Alipay,
    /// Any other phone browser: WeChat H5 or Alipay WAP.
    Phone,
    /// A desktop browser: a QR to scan with the phone, or Alipay's page pay.
    Desktop,
}

impl PayDevice {
    /// From the channel the storefront read off the browser's User-Agent.
    pub fn from_channel(channel: Channel) -> PayDevice {
        match channel {
            Channel::Wechat => PayDevice::WeChat,
            Channel::Alipay => PayDevice::Alipay,
            Channel::Mobile => PayDevice::Phone,
            Channel::Web | Channel::Pos | Channel::Api => PayDevice::Desktop,
        }
    }

    /// Whether `provider` can take a payment in this browser.
    fn takes(self, provider: &str) -> bool {
        match self {
            PayDevice::WeChat => provider != ALIPAY,
            PayDevice::Alipay => provider != WECHAT_PAY,
            PayDevice::Phone | PayDevice::Desktop => true,
        }
    }
}

/// How the shopper asked to pay.
#[derive(Debug, Clone)]
pub struct PayRequest {
    /// A provider name; the best one for the browser when omitted.
    pub provider: Option<String>,
    pub device: PayDevice,
    /// Show a QR to scan with the phone instead of going to the provider's page.
    pub qr: bool,
    /// The payer's WeChat openid, once WeChat's web authorisation told it (JSAPI).
    pub openid: Option<String>,
    pub client_ip: String,
}

/// What the shopper's page does next.
#[derive(Debug, Clone, PartialEq)]
pub enum PayNext {
    Act {
        provider: String,
        action: PayAction,
    },
    /// WeChat Pay inside WeChat needs the payer's openid first: send the browser to
    /// WeChat's web authorisation, which comes back with a code.
    Authorise {
        provider: String,
    },
}

impl Sweep {
    /// The payment methods this shop offers in this browser, best first.
    pub async fn payment_choices(&self, ctx: &ShopContext, device: PayDevice) -> AppResult<Vec<String>> {
        let mut names = self.merchant_providers(ctx.merchant.id).await?;
        names.retain(|p| device.takes(p));
        let preferred = match device {
            PayDevice::WeChat => Some(WECHAT_PAY),
            PayDevice::Alipay => Some(ALIPAY),
            _ => None,
        };
        if let Some(first) = preferred {
            names.sort_by_key(|p| p != first);
        }
        Ok(names)
    }

    /// Starts paying an order at a provider; says where the shopper pays.
    pub async fn pay_order(&self, ctx: &ShopContext, order: OrderId, request: &PayRequest) -> AppResult<PayNext> {
        let order = self.my_order_row(ctx, order).await?;
        let now = self.now();
        if order.status != OrderStatus::PendingPayment || order.pay_by <= now {
            return Err(AppError::conflict("not_payable", None, "this order is not waiting for payment"));
        }
        let choices = self.payment_choices(ctx, request.device).await?;
        let provider = match &request.provider {
            Some(p) if choices.contains(p) => p.clone(),
            Some(_) => {
                return Err(AppError::invalid("provider", "unknown_provider", "this shop does not take that here"));
            }
            None => {
                choices.first().cloned().ok_or_else(|| AppError::Unavailable("no payment method is set up".into()))?
            }
        };
        let scene = match (provider.as_str(), request.device, &request.openid) {
            (_, _, _) if request.qr => PayScene::Qr,
            (WECHAT_PAY, PayDevice::WeChat, Some(openid)) => PayScene::WeChatJsapi { openid: openid.clone() },
            (WECHAT_PAY, PayDevice::WeChat, None) => return Ok(PayNext::Authorise { provider }),
            (WECHAT_PAY, PayDevice::Desktop, _) => PayScene::Qr,
            (_, PayDevice::Alipay, _) => PayScene::InAlipay,
            (_, PayDevice::Desktop, _) => PayScene::DesktopBrowser,
            _ => PayScene::MobileBrowser { client_ip: request.client_ip.clone() },
        };
        let gateway = self.gateway_for(order.merchant_id, &provider).await?;
        let payment = new_payment(&order, &provider, now);
        // Recorded before the provider hears of it, so every notification finds its payment.
        if !self.repos.orders.start_payment(&payment).await? {
            return Err(AppError::conflict("not_payable", None, "this order is not waiting for payment"));
        }
        let slug = &ctx.merchant.slug;
        let create = CreatePayment {
            merchant_id: order.merchant_id,
            out_trade_no: payment.out_trade_no.clone(),
            amount: order.total,
            description: format!("{} #{}", ctx.merchant.name, order.number),
            notify_url: self.notify_url(&provider, order.merchant_id),
            return_url: format!("{}/s/{slug}/orders/{}", self.settings.public_url, order.id),
            expires_at: order.pay_by,
            scene,
        };
        let created = gateway.create(&create).await.map_err(|e| match e {
            GatewayError::Unavailable(why) => AppError::Unavailable(why),
            GatewayError::Refused(why) => AppError::conflict("payment_refused", Some("provider"), why),
        })?;
        tracing::info!(event = "payment_started", provider, payment = %payment.id, order = %order.id);
        Ok(PayNext::Act { provider, action: created.action })
    }

    /// Where to send a browser inside WeChat to learn the payer's openid (`snsapi_base`:
    /// silent, no consent screen); WeChat sends it back to `return_to` with a code.
    pub async fn payer_authorisation_url(
        &self,
        ctx: &ShopContext,
        order: OrderId,
        provider: &str,
        return_to: &str,
        state: &str,
    ) -> AppResult<String> {
        let order = self.my_order_row(ctx, order).await?;
        let gateway = self.gateway_for(order.merchant_id, provider).await?;
        gateway.web_authorisation_url(return_to, state).ok_or_else(|| {
            AppError::invalid("provider", "no_web_authorisation", "this provider cannot identify payers")
        })
    }

    /// The payer's openid from the code WeChat's web authorisation came back with.
    pub async fn payer_openid(&self, ctx: &ShopContext, provider: &str, code: &str) -> AppResult<String> {
        let gateway = self.gateway_for(ctx.merchant.id, provider).await?;
        gateway.openid_for_code(code).await.map_err(|e| match e {
            GatewayError::Unavailable(why) => AppError::Unavailable(why),
            GatewayError::Refused(why) => AppError::invalid("code", "bad_authorisation_code", why),
        })
    }

    /// Where `provider` posts notifications for `merchant`'s payments.
    pub(crate) fn notify_url(&self, provider: &str, merchant: sweep_domain::ids::MerchantId) -> String {
        let base = &self.settings.callback_url;
        if self.gateways.iter().any(|g| g.provider() == provider) {
            format!("{base}/api/v1/payments/{provider}/notify")
        } else {
            format!("{base}/api/v1/payments/{provider}/notify/{merchant}")
        }
    }
}

fn new_payment(order: &Order, provider: &str, now: Timestamp) -> Payment {
    let id = PaymentId::new();
    Payment {
        id,
        merchant_id: order.merchant_id,
        order_id: order.id,
        provider: provider.to_string(),
        // 32 characters: within WeChat's 6-32 and Alipay's 64.
        out_trade_no: id.uuid().simple().to_string(),
        amount: order.total,
        status: PaymentStatus::Pending,
        provider_txn_id: None,
        captured_at: None,
        refunded: Money::zero(order.total.currency()),
        created_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_decides_the_method() {
        let device = |ua| PayDevice::from_channel(Channel::from_user_agent(ua));
        let wechat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.47";
        let alipay = "Mozilla/5.0 (Linux; Android 13) Chrome/115 Mobile Safari/537.36 AlipayClient/10.5.36";
        let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1";
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120 Safari/537.36";
        assert_eq!(device(wechat), PayDevice::WeChat);
        assert_eq!(device(alipay), PayDevice::Alipay);
        assert_eq!(device(phone), PayDevice::Phone);
        assert_eq!(device(desktop), PayDevice::Desktop);
        assert!(!PayDevice::WeChat.takes(ALIPAY));
        assert!(!PayDevice::Alipay.takes(WECHAT_PAY));
        assert!(PayDevice::Phone.takes(ALIPAY) && PayDevice::Desktop.takes(WECHAT_PAY));
    }
}
