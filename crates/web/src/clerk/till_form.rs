//! The till's form: the sale in progress as the page posts it, the ways a till takes
//! money, and the codes a scanner types, told apart by their shape (product barcodes are
//! EAN-13; member codes are 18 digits starting 99; WeChat payment codes 18 digits
//! starting 10-15, Alipay's 25-30).

use sweep_app::loyalty::TillPaymentMethod;
use sweep_domain::ids::{LocationId, ShopperId, SkuId};
use sweep_domain::order::MAX_LINE_QUANTITY;

/// The ways a till takes money, with what the page calls them.
pub(super) const METHODS: [(TillPaymentMethod, &str); 4] = [
    (TillPaymentMethod::Cash, "现金 Cash"),
    (TillPaymentMethod::BankCard, "银行卡 Bank card"),
    (TillPaymentMethod::WechatCode, "微信付款码 WeChat Pay code"),
    (TillPaymentMethod::AlipayCode, "支付宝付款码 Alipay code"),
];

/// What the pages call a payment by its provider: one of the till's methods, or else a
/// payment code Sweep charged through the payment provider.
pub(super) fn method_label(provider: &str) -> &'static str {
    METHODS
        .iter()
        .find(|(m, _)| m.as_str() == provider)
        .map(|(_, label)| *label)
        .unwrap_or("付款码扣款 Charged by payment code")
}

/// The method the form names, if it is one.
pub(super) fn method(name: &str) -> Option<TillPaymentMethod> {
    METHODS.iter().map(|(m, _)| *m).find(|m| m.as_str() == name)
}

/// WeChat and Alipay codes: the methods a payment code is charged for.
pub(super) fn is_code_method(method: TillPaymentMethod) -> bool {
    matches!(method, TillPaymentMethod::WechatCode | TillPaymentMethod::AlipayCode)
}

/// A member code on the phone: 18 digits starting with 99.
pub(super) fn is_member_code(text: &str) -> bool {
    text.len() == 18 && text.starts_with("99") && text.bytes().all(|b| b.is_ascii_digit())
}

/// The wallet whose payment code this is: 18 digits, WeChat's starting 10-15, Alipay's
/// 25-30.
pub(super) fn payment_code_wallet(text: &str) -> Option<TillPaymentMethod> {
    if text.len() != 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match text[..2].parse::<u8>().ok()? {
        10..=15 => Some(TillPaymentMethod::WechatCode),
        25..=30 => Some(TillPaymentMethod::AlipayCode),
        _ => None,
    }
}

/// The sale as the form carries it.
#[derive(Default)]
pub(super) struct Sale {
    pub csrf: String,
    pub store: Option<LocationId>,
    /// The sale id, made by the server when the sale began.
    pub sale: String,
    pub lines: Vec<(SkuId, i64)>,
    pub scan: String,
    /// The member field: a phone number, or a member code just scanned or typed.
    pub phone: String,
    /// The member found by their member code (the code works once; the sale keeps the
    /// member it found).
    pub member: Option<ShopperId>,
    /// The coupon to spend (its id); empty: none.
    pub coupon: String,
    pub points: String,
    pub method: String,
    pub tendered: String,
    /// The shopper's payment code, for WeChat and Alipay codes: Sweep charges it. Never
    /// put back in the page (it is money).
    pub auth_code: String,
    pub action: String,
    /// The member field is where the clerk has to look next (not sent by the form).
    pub focus_member: bool,
    /// The payment code field is (a code was just declined; not sent by the form).
    pub focus_code: bool,
}

impl Sale {
    pub fn parse(body: &[u8]) -> Sale {
        let mut sale = Sale::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.trim().to_string();
            match &*key {
                "csrf" => sale.csrf = value,
                "store" => sale.store = value.parse().ok(),
                "sale" => sale.sale = value,
                "line" => {
                    let parsed = value.split_once(':').and_then(|(id, q)| Some((id.parse().ok()?, q.parse().ok()?)));
                    if let Some((sku, quantity)) = parsed {
                        sale.add(sku, quantity);
                    }
                }
                "scan" => sale.scan = value,
                "phone" => sale.phone = value,
                "member" => sale.member = value.parse().ok(),
                "coupon" => sale.coupon = value,
                "points" => sale.points = value,
                "method" => sale.method = value,
                "tendered" => sale.tendered = value,
                // A scanner may type spaces between groups of digits.
                "auth_code" => sale.auth_code = value.split_whitespace().collect(),
                "action" => sale.action = value,
                _ => {}
            }
        }
        sale
    }

    /// Adds units of a SKU: to its line if it has one, else as a new line at the end.
    pub fn add(&mut self, sku: SkuId, quantity: i64) {
        match self.lines.iter_mut().find(|(s, _)| *s == sku) {
            Some(line) => line.1 = (line.1 + quantity).clamp(0, MAX_LINE_QUANTITY),
            None if quantity > 0 => self.lines.push((sku, quantity.min(MAX_LINE_QUANTITY))),
            None => {}
        }
        self.lines.retain(|(_, q)| *q > 0);
    }

    /// The payment code to charge: only for WeChat and Alipay codes (a code left in the
    /// field after switching to cash is not charged).
    pub fn code_to_charge(&self) -> Option<String> {
        let method = method(&self.method)?;
        (is_code_method(method) && !self.auth_code.is_empty()).then(|| self.auth_code.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_told_apart_by_their_shape() {
        assert_eq!(payment_code_wallet("134567890123456789"), Some(TillPaymentMethod::WechatCode));
        assert_eq!(payment_code_wallet("284567890123456789"), Some(TillPaymentMethod::AlipayCode));
        assert_eq!(payment_code_wallet("994567890123456789"), None, "a member code");
        assert_eq!(payment_code_wallet("6901234567892"), None, "a product barcode");
        assert_eq!(payment_code_wallet("16456789012345678x"), None);
        assert!(is_member_code("994567890123456789"));
        assert!(!is_member_code("134567890123456789"));
    }

    #[test]
    fn a_code_is_charged_only_for_a_code_method() {
        let sale = Sale::parse(b"method=wechat_code&auth_code=1345+6789+0123+4567+89");
        assert_eq!(sale.code_to_charge().as_deref(), Some("134567890123456789"));
        let sale = Sale::parse(b"method=cash&auth_code=134567890123456789");
        assert_eq!(sale.code_to_charge(), None);
        let sale = Sale::parse(b"method=alipay_code&auth_code=");
        assert_eq!(sale.code_to_charge(), None, "no code: the till's own terminal took it");
    }
}
