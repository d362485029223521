//! WeChat Pay v3 notifications through the merchant's real notify path
//! (`PaymentGateway::read_notice` of an account opened by `WeChatPayProvider`): headers and
//! body → signature and timestamp check → envelope JSON → AES-256-GCM resource → the
//! transaction or refund inside.
//!
//! The first byte picks how far the input is trusted, so that every layer is reached:
//! * 0: headers and body exactly as given (`Name: value` lines, a blank line, the body);
//! * 1: the body as given, signed here as WeChat Pay would sign it: fuzzes the envelope;
//! * 2: a first line naming the `event_type`, then the plaintext of the resource, which is
//!   encrypted with the APIv3 key and wrapped and signed here: fuzzes what is inside.

use afl::fuzz;
use serde_json::json;
use sweep_app::ports::{NoticeError, ProviderNotice};
use sweep_fuzz::*;

fn main() {
    // Open the account before the fork server starts, so each run only reads.
    let gateway = std::panic::AssertUnwindSafe(wechat_gateway());
    let signer = wechat_signer();
    fuzz!(|data: &[u8]| {
        let Some((&mode, rest)) = data.split_first() else { return };
        match mode % 3 {
            0 => {
                let (headers, body) = headers_and_body(rest);
                let _ = gateway.read_notice(&headers, body, now());
            }
            1 => {
                let signed = signer.sign_response(NOW_UNIX, "fuzz-nonce", rest);
                let headers: Vec<(String, String)> =
                    signed.to_pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                let result = gateway.read_notice(&headers, rest, now());
                // Signed by the platform key, just now: never refused as stale or unknown.
                assert!(
                    !matches!(result, Err(NoticeError::Stale | NoticeError::UnknownKey(_))),
                    "a fresh, properly signed notice was refused: {result:?}"
                );
            }
            _ => {
                let (event_type, plaintext) = first_line(rest);
                let resource =
                    sweep_wechatpay::encrypt_resource(WX_API_V3_KEY, "fuzznonce123", "transaction", plaintext)
                        .expect("a 32-byte key and a 12-byte nonce");
                let body = json!({
                    "id": "EV-2018022511223320873",
                    "create_time": "2026-01-01T08:00:00+08:00",
                    "event_type": event_type,
                    "resource_type": "encrypt-resource",
                    "resource": resource,
                    "summary": "支付成功",
                })
                .to_string();
                let signed = signer.sign_response(NOW_UNIX, "fuzz-nonce", body.as_bytes());
                let headers: Vec<(String, String)> =
                    signed.to_pairs().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                let result = gateway.read_notice(&headers, body.as_bytes(), now());
                // Signed, fresh and encrypted with the right key: only the plaintext can be wrong.
                match &result {
                    Ok(_) | Err(NoticeError::Malformed(_)) => {}
                    Err(e) => panic!("a well-formed envelope was refused: {e:?}"),
                }
                // An event Sweep does not act on is acknowledged as such, whatever it holds.
                let acted_on = ["TRANSACTION.SUCCESS", "REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED"];
                if !acted_on.contains(&event_type.as_str()) {
                    assert_eq!(result, Ok(ProviderNotice::Other(event_type)));
                }
            }
        }
    });
}
