//! Alipay notifications through the merchant's real notify path
//! (`PaymentGateway::read_notice` of an app opened by `AlipayProvider`): the urlencoded body →
//! `verify_notify` (form decoding, duplicate and sign_type checks, RSA2) → `TradeNotify` →
//! notify_time window → exact amount.
//!
//! The first byte picks how far the input is trusted:
//! * even: the body exactly as given;
//! * odd: the body's parameters, signed here as Alipay would sign them, so the fuzzer gets
//!   past the signature to the fields.

use afl::fuzz;
use sweep_app::ports::{NoticeError, ProviderNotice};
use sweep_fuzz::*;

fn main() {
    // Open the account before the fork server starts, so each run only reads.
    let gateway = std::panic::AssertUnwindSafe(alipay_gateway());
    let signer = alipay_signer();
    fuzz!(|data: &[u8]| {
        let Some((&mode, body)) = data.split_first() else { return };
        if mode % 2 == 0 {
            let _ = gateway.read_notice(&[], body, now());
            return;
        }
        let params = sweep_alipay::decode_form(body);
        let form = sweep_alipay::signed_notify_form(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), signer)
            .expect("signing with a valid key");
        let result = gateway.read_notice(&[], form.as_bytes(), now());
        match &result {
            // Alipay signed exactly these parameters: the signature always checks out.
            Err(NoticeError::BadSignature | NoticeError::UnknownKey(_)) => {
                panic!("parameters signed by Alipay's key were refused: {result:?}")
            }
            Ok(ProviderNotice::Payment(p)) => {
                assert!(p.amount.minor() >= 0, "a negative amount was accepted: {p:?}");
                assert!(!p.out_trade_no.is_empty() && !p.provider_txn_id.is_empty(), "{p:?}");
                // The amount read is exactly the one sent.
                let sent = params.iter().find(|(k, _)| k == "total_amount").map(|(_, v)| v.as_str());
                assert_eq!(sweep_pay::amount::parse_alipay_amount(sent.unwrap_or_default()), Some(p.amount));
            }
            _ => {}
        }
    });
}
