//! The notifications of the storm: genuine ones from the simulator (freshly signed, or
//! the copy first signed, replayed), and forgeries made the way an attacker could,
//! without the providers' private keys or the merchant's APIv3 key.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use sweep_alipay::{AppSigner, decode_form, encode_form, signed_notify_form, timestamp_utc8};
use sweep_wechatpay::types::{EVENT_TRANSACTION_SUCCESS, Notification, RESOURCE_TYPE_ENCRYPT};
use sweep_wechatpay::{
    PlatformSigner, decrypt_resource, encrypt_resource, random_aead_nonce, random_alnum, random_nonce,
};

use super::setup::{Foreign, Note, Shop, Sim, alipay_headers};
use super::{Fate, Kind, Order, Provider, Shot};
use crate::remote::{rfc3339, unix_micros};
use crate::stats::Rng;

/// How a forgery was made.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub(crate) enum Forgery {
    /// Not a notification at all: empty, random bytes, a bare `{}`, a stray form.
    Garbage,
    /// A well-formed payment notification without a signature.
    Unsigned,
    /// Signed, but the signature is over something else.
    BadSignature,
    /// Signed with the attacker's own key, naming the provider's key.
    WrongKey,
    /// Signed with the attacker's own key under a key id WeChat Pay never issued.
    UnknownKey,
    /// A genuine notification with its amount changed (Alipay: the form's amounts;
    /// WeChat Pay: bits flipped in the AES-GCM ciphertext, which is malleable).
    TamperedAmount,
    /// A genuine notification of another order made to name this one.
    TamperedTradeNo,
    /// A payment to another merchant account or application.
    WrongMerchant,
    /// The amount in another currency.
    WrongCurrency,
    /// A genuine notification made to look old (or refreshed).
    Expired,
    /// WeChat Pay's signature probe (`WECHATPAY/SIGNTEST/`); Alipay's `sign_type=RSA`.
    Probe,
}

impl Forgery {
    const WECHAT: [Forgery; 11] = [
        Forgery::Garbage,
        Forgery::Unsigned,
        Forgery::BadSignature,
        Forgery::WrongKey,
        Forgery::UnknownKey,
        Forgery::TamperedAmount,
        Forgery::TamperedTradeNo,
        Forgery::WrongMerchant,
        Forgery::WrongCurrency,
        Forgery::Expired,
        Forgery::Probe,
    ];
    /// Alipay has no key ids: no `UnknownKey`.
    const ALIPAY: [Forgery; 10] = [
        Forgery::Garbage,
        Forgery::Unsigned,
        Forgery::BadSignature,
        Forgery::WrongKey,
        Forgery::TamperedAmount,
        Forgery::TamperedTradeNo,
        Forgery::WrongMerchant,
        Forgery::WrongCurrency,
        Forgery::Expired,
        Forgery::Probe,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Forgery::Garbage => "garbage",
            Forgery::Unsigned => "unsigned",
            Forgery::BadSignature => "bad_signature",
            Forgery::WrongKey => "wrong_key",
            Forgery::UnknownKey => "unknown_key",
            Forgery::TamperedAmount => "tampered_amount",
            Forgery::TamperedTradeNo => "tampered_trade_no",
            Forgery::WrongMerchant => "wrong_merchant",
            Forgery::WrongCurrency => "wrong_currency",
            Forgery::Expired => "expired",
            Forgery::Probe => "probe",
        }
    }
}

/// What an attacker has: their own keys, and what anyone can see of the merchant (its
/// WeChat Pay merchant and app ids, the provider's public key id, Alipay's app id).
struct Attacker {
    wechat_genuine_serial: PlatformSigner,
    wechat_own_serial: PlatformSigner,
    api_v3_key: String,
    alipay: AppSigner,
}

impl Attacker {
    fn new(shop: &Shop) -> anyhow::Result<Attacker> {
        let (pem, _) = sweep_wechatpay::generate_rsa_2048();
        let serial = text(shop, Provider::WeChat, "platform_public_key_id");
        let own = format!("PUB_KEY_ID_0116{}", digits(22));
        let (alipay_pem, _) = sweep_alipay::generate_rsa_2048().map_err(|e| anyhow!("{e}"))?;
        Ok(Attacker {
            wechat_genuine_serial: PlatformSigner::new(serial, &pem).map_err(|e| anyhow!("{e}"))?,
            wechat_own_serial: PlatformSigner::new(own, &pem).map_err(|e| anyhow!("{e}"))?,
            api_v3_key: random_alnum(32),
            alipay: AppSigner::from_key_text(&alipay_pem).map_err(|e| anyhow!("{e}"))?,
        })
    }

    /// A WeChat Pay `TRANSACTION.SUCCESS` body, its resource encrypted with the
    /// attacker's own key (the merchant's APIv3 key is secret).
    fn wechat_body(&self, out_trade_no: &str, total: i64, currency: &str, mchid: &str, appid: &str) -> Vec<u8> {
        let paid = json!({
            "appid": appid, "mchid": mchid, "out_trade_no": out_trade_no,
            "transaction_id": format!("4200{}", digits(24)), "trade_type": "NATIVE", "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功", "bank_type": "OTHERS", "success_time": rfc3339(unix_micros()),
            "payer": {"openid": format!("o{}", random_alnum(27))},
            "amount": {"total": total, "payer_total": total, "currency": currency, "payer_currency": currency},
        });
        let plain = serde_json::to_vec(&paid).unwrap_or_default();
        let mut resource = encrypt_resource(&self.api_v3_key, &random_aead_nonce(), "transaction", &plain)
            .expect("a 32-byte key and a 12-byte nonce");
        resource.original_type = Some("transaction".into());
        let notification = Notification {
            id: random_alnum(36),
            create_time: rfc3339(unix_micros()),
            event_type: EVENT_TRANSACTION_SUCCESS.into(),
            resource_type: RESOURCE_TYPE_ENCRYPT.into(),
            resource,
            summary: "支付成功".into(),
        };
        serde_json::to_vec(&notification).unwrap_or_default()
    }

    /// The four `Wechatpay-*` headers, signed over `signed` with the attacker's key.
    fn wechat_headers(&self, signer: &PlatformSigner, signed: &[u8]) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = signer
            .sign_response(unix_micros() / 1_000_000, &random_nonce(), signed)
            .to_pairs()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        headers.push(("Wechatpay-Signature-Type".into(), "WECHATPAY2-SHA256-RSA2048".into()));
        headers.push(("Content-Type".into(), "application/json".into()));
        headers
    }

    /// The parameters of an Alipay payment notification (unsigned).
    fn alipay_params(&self, out_trade_no: &str, total: i64, app_id: &str, seller_id: &str) -> Vec<(String, String)> {
        let now = unix_micros() / 1_000_000;
        let amount = yuan(total);
        [
            ("gmt_create", timestamp_utc8(now - 30)),
            ("charset", "utf-8".into()),
            ("seller_id", seller_id.into()),
            ("subject", "云眠家纺".into()),
            ("buyer_id", format!("2088{}", digits(12))),
            ("invoice_amount", amount.clone()),
            ("notify_id", random_alnum(32)),
            ("notify_type", "trade_status_sync".into()),
            ("trade_status", "TRADE_SUCCESS".into()),
            ("receipt_amount", amount.clone()),
            ("buyer_pay_amount", amount.clone()),
            ("app_id", app_id.into()),
            ("notify_time", timestamp_utc8(now)),
            ("point_amount", "0.00".into()),
            ("trade_no", format!("2026{}", digits(24))),
            ("auth_app_id", app_id.into()),
            ("total_amount", amount),
            ("out_trade_no", out_trade_no.into()),
            ("version", "1.0".into()),
            ("buyer_logon_id", "sto***@storm.test".into()),
            ("gmt_payment", timestamp_utc8(now - 5)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    fn alipay_signed(&self, params: &[(String, String)]) -> Vec<u8> {
        signed_notify_form(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), &self.alipay)
            .expect("sign with the attacker's key")
            .into_bytes()
    }
}

fn text(shop: &Shop, provider: Provider, field: &str) -> String {
    shop.credentials[&provider].get(field).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

fn digits(n: usize) -> String {
    random_alnum(n * 3).chars().filter(char::is_ascii_digit).chain(std::iter::repeat('7')).take(n).collect()
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// Everything the shots are made from.
struct Ctx<'a> {
    shop: &'a Shop,
    sim: &'a Sim,
    orders: &'a [Order],
    early: &'a HashMap<String, Note>,
    attacker: Attacker,
    /// Orders whose first payment was paid at each provider.
    paying: HashMap<Provider, Vec<usize>>,
}

impl Ctx<'_> {
    fn shot(&self, kind: Kind, endpoint: Provider, note: Note, copies: usize, order: Option<usize>) -> Shot {
        let url = self.shop.notify_url(endpoint);
        Shot { kind, endpoint, url, headers: note.headers, body: note.body, copies, signed_at: note.signed_at, order }
    }

    /// A freshly signed notification of a paid trade, straight from the provider.
    fn fresh(&self, order: usize, trade: usize, kind: Kind, copies: usize) -> anyhow::Result<Shot> {
        let t = &self.orders[order].trades[trade];
        let note = self.sim.notification(t.provider, &t.out_trade_no).context("a paid trade's notification")?;
        Ok(self.shot(kind, t.provider, note, copies, Some(order)))
    }

    /// The copy of a trade's notification first signed, before the storm.
    fn early(&self, order: usize, trade: usize) -> Note {
        self.early[&self.orders[order].trades[trade].out_trade_no].clone()
    }

    /// A genuine notification of some order paid at `provider`, other than `not`.
    fn other_paid(&self, provider: Provider, not: usize, rng: &mut Rng) -> Option<usize> {
        let list = &self.paying[&provider];
        let at = rng.below(list.len());
        match list[at] {
            pick if pick != not => Some(pick),
            _ if list.len() > 1 => Some(list[(at + 1) % list.len()]),
            _ => None,
        }
    }
}

/// The two waves of the storm: the first with every first notification, retries,
/// bursts, late and double ones and most forgeries; the second with old copies replayed
/// and the rest of the forgeries.
pub(crate) fn shots(
    shop: &Shop,
    sim: &Sim,
    orders: &[Order],
    early: &HashMap<String, Note>,
    foreign: &[Foreign],
    rng: &mut Rng,
) -> anyhow::Result<(Vec<Shot>, Vec<Shot>)> {
    let mut paying: HashMap<Provider, Vec<usize>> = HashMap::new();
    for (i, o) in orders.iter().enumerate().filter(|(_, o)| o.fate.pays()) {
        paying.entry(o.trades[0].provider).or_default().push(i);
    }
    anyhow::ensure!(
        paying.get(&Provider::WeChat).is_some_and(|l| l.len() >= 2)
            && paying.get(&Provider::Alipay).is_some_and(|l| l.len() >= 2),
        "too few paid orders to forge from: make more orders"
    );
    let ctx = Ctx { shop, sim, orders, early, attacker: Attacker::new(shop)?, paying };
    let (mut first, mut second) = (vec![], vec![]);
    for (i, o) in orders.iter().enumerate() {
        match o.fate {
            Fate::Paid | Fate::Late | Fate::Double => {
                let kind = match o.fate {
                    Fate::Paid => Kind::Genuine,
                    Fate::Late => Kind::Late,
                    _ => Kind::Double,
                };
                for t in 0..o.trades.len() {
                    // The first attempt, as signed when the shopper paid, held up until now.
                    first.push(ctx.shot(kind, o.trades[t].provider, ctx.early(i, t), 1, Some(i)));
                    if rng.chance(0.3) {
                        first.push(ctx.fresh(i, t, Kind::Retry, 1)?);
                    }
                    if rng.chance(0.25) {
                        first.push(ctx.fresh(i, t, Kind::Duplicate, 2 + rng.below(5))?);
                    }
                    if rng.chance(0.3) {
                        let provider = o.trades[t].provider;
                        second.push(ctx.shot(Kind::Replay, provider, ctx.early(i, t), 1, Some(i)));
                    }
                }
            }
            Fate::Refunded => {
                first.push(ctx.shot(Kind::AfterRefund, o.trades[0].provider, ctx.early(i, 0), 1, Some(i)));
                if rng.chance(0.5) {
                    first.push(ctx.fresh(i, 0, Kind::AfterRefund, 1)?);
                }
            }
            Fate::Unpaid => {}
        }
        if o.fate.pays() && rng.chance(0.05) {
            first.push(misaddressed(&ctx, i, rng));
        }
        if rng.chance(0.8) {
            let shot = forge(&ctx, i, rng)?;
            if rng.chance(0.6) { first.push(shot) } else { second.push(shot) }
        }
    }
    for f in foreign {
        first.push(ctx.shot(Kind::Foreign, f.provider, f.note.clone(), 1, f.order));
    }
    Ok((first, second))
}

/// A genuine notification posted to another merchant's address, or to this merchant's
/// address at the other provider.
fn misaddressed(ctx: &Ctx, i: usize, rng: &mut Rng) -> Shot {
    let provider = ctx.orders[i].trades[0].provider;
    let note = ctx.early(i, 0);
    if rng.chance(0.5) {
        let mut shot = ctx.shot(Kind::Misaddressed, provider, note, 1, Some(i));
        let elsewhere = sweep_domain::ids::MerchantId::new();
        shot.url = format!("{}/api/v1/payments/{}/notify/{elsewhere}", ctx.shop.base, provider.name());
        shot
    } else {
        ctx.shot(Kind::Misaddressed, provider.other(), note, 1, Some(i))
    }
}

/// One forgery naming order `i` (or, for those made from a genuine notification when
/// `i` has none, the order whose notification it was made from).
fn forge(ctx: &Ctx, i: usize, rng: &mut Rng) -> anyhow::Result<Shot> {
    let o = &ctx.orders[i];
    let t = &o.trades[0];
    let p = t.provider;
    let variant = match p {
        Provider::WeChat => Forgery::WECHAT[rng.below(Forgery::WECHAT.len())],
        Provider::Alipay => Forgery::ALIPAY[rng.below(Forgery::ALIPAY.len())],
    };
    let kind = Kind::Forged(variant);
    let a = &ctx.attacker;
    // A genuine notification to tamper with: the order's own, or another's.
    let (base_order, base) = if o.fate.pays() {
        (i, ctx.early(i, 0))
    } else {
        let other = ctx.other_paid(p, i, rng).context("another paid order")?;
        (other, ctx.early(other, 0))
    };
    let (mchid, appid) = (text(ctx.shop, Provider::WeChat, "mchid"), text(ctx.shop, Provider::WeChat, "appid"));
    let (app_id, seller_id) =
        (text(ctx.shop, Provider::Alipay, "app_id"), text(ctx.shop, Provider::Alipay, "seller_id"));
    let note = |headers: Vec<(String, String)>, body: Vec<u8>| Note { headers, body, signed_at: Instant::now() };
    let (order, made) = match (variant, p) {
        (Forgery::Garbage, _) => (i, garbage(ctx, rng)),
        (Forgery::Unsigned, Provider::WeChat) => {
            let body = a.wechat_body(&t.out_trade_no, t.amount, "CNY", &mchid, &appid);
            (i, note(vec![("Content-Type".into(), "application/json".into())], body))
        }
        (Forgery::Unsigned, Provider::Alipay) => {
            let params = a.alipay_params(&t.out_trade_no, t.amount, &app_id, &seller_id);
            (i, note(alipay_headers(), encode_form(&params).into_bytes()))
        }
        (Forgery::BadSignature, Provider::WeChat) => {
            let body = a.wechat_body(&t.out_trade_no, t.amount, "CNY", &mchid, &appid);
            (i, note(a.wechat_headers(&a.wechat_genuine_serial, b"{\"something\":\"else\"}"), body))
        }
        (Forgery::BadSignature, Provider::Alipay) => {
            let mut params = a.alipay_params(&t.out_trade_no, t.amount, &app_id, &seller_id);
            params.push(("sign_type".into(), "RSA2".into()));
            params.push(("sign".into(), a.alipay.sign("something=else").map_err(|e| anyhow!("{e}"))?));
            (i, note(alipay_headers(), encode_form(&params).into_bytes()))
        }
        (Forgery::WrongKey | Forgery::UnknownKey, Provider::WeChat) => {
            let body = a.wechat_body(&t.out_trade_no, t.amount, "CNY", &mchid, &appid);
            let signer = if variant == Forgery::WrongKey { &a.wechat_genuine_serial } else { &a.wechat_own_serial };
            (i, note(a.wechat_headers(signer, &body), body))
        }
        (Forgery::WrongKey | Forgery::UnknownKey, Provider::Alipay) => {
            let params = a.alipay_params(&t.out_trade_no, t.amount, &app_id, &seller_id);
            (i, note(alipay_headers(), a.alipay_signed(&params)))
        }
        (Forgery::TamperedAmount, Provider::WeChat) => {
            let amount = ctx.orders[base_order].trades[0].amount;
            let from = format!("\"total\":{amount},");
            let to = format!("\"total\":{},", cheaper(amount));
            (base_order, flip_wechat(ctx, &base, &from, &to)?)
        }
        (Forgery::TamperedAmount, Provider::Alipay) => {
            let edited = edit_alipay(&base, |params| {
                for (k, v) in params.iter_mut() {
                    if matches!(k.as_str(), "total_amount" | "receipt_amount" | "buyer_pay_amount" | "invoice_amount") {
                        *v = "0.01".into();
                    }
                }
            });
            (base_order, edited)
        }
        (Forgery::TamperedTradeNo, _) => {
            let from_order = ctx.other_paid(p, i, rng).context("another paid order")?;
            let from = &ctx.orders[from_order].trades[0].out_trade_no;
            let genuine = ctx.early(from_order, 0);
            let made = match p {
                Provider::WeChat => flip_wechat(ctx, &genuine, from, &t.out_trade_no)?,
                // Changed in place, or a second `out_trade_no` appended (parameter pollution).
                Provider::Alipay if rng.chance(0.5) => edit_alipay(&genuine, |params| {
                    params
                        .iter_mut()
                        .filter(|(k, _)| k == "out_trade_no")
                        .for_each(|(_, v)| *v = t.out_trade_no.clone());
                }),
                Provider::Alipay => edit_alipay(&genuine, |params| {
                    params.push(("out_trade_no".into(), t.out_trade_no.clone()));
                }),
            };
            (i, made)
        }
        (Forgery::WrongMerchant, Provider::WeChat) => {
            let body = a.wechat_body(&t.out_trade_no, t.amount, "CNY", &format!("16{}", digits(8)), &appid);
            (i, note(a.wechat_headers(&a.wechat_genuine_serial, &body), body))
        }
        (Forgery::WrongMerchant, Provider::Alipay) => {
            let other = format!("2021{}", digits(12));
            let edited = edit_alipay(&base, |params| {
                params
                    .iter_mut()
                    .filter(|(k, _)| k == "app_id" || k == "auth_app_id")
                    .for_each(|(_, v)| *v = other.clone());
            });
            (base_order, edited)
        }
        (Forgery::WrongCurrency, Provider::WeChat) => {
            let from = "\"currency\":\"CNY\"";
            (base_order, flip_wechat(ctx, &base, from, "\"currency\":\"USD\"")?)
        }
        (Forgery::WrongCurrency, Provider::Alipay) => {
            let edited = edit_alipay(&base, |params| {
                params.push(("trans_currency".into(), "USD".into()));
                params.push(("settle_currency".into(), "USD".into()));
            });
            (base_order, edited)
        }
        (Forgery::Expired, Provider::WeChat) => {
            let mut made = base.clone();
            let old = (unix_micros() / 1_000_000 - 3600).to_string();
            set_header(&mut made.headers, "Wechatpay-Timestamp", old);
            (base_order, made)
        }
        (Forgery::Expired, Provider::Alipay) => {
            let old = timestamp_utc8(unix_micros() / 1_000_000 - 3 * 86_400);
            (base_order, edit_alipay(&base, |params| set_param(params, "notify_time", old)))
        }
        (Forgery::Probe, Provider::WeChat) => {
            let mut made = base.clone();
            for (k, v) in made.headers.iter_mut() {
                if k.eq_ignore_ascii_case("wechatpay-signature") {
                    *v = format!("WECHATPAY/SIGNTEST/{v}");
                }
            }
            (base_order, made)
        }
        (Forgery::Probe, Provider::Alipay) => {
            (base_order, edit_alipay(&base, |params| set_param(params, "sign_type", "RSA".into())))
        }
    };
    Ok(ctx.shot(kind, p, made, 1, Some(order)))
}

/// An amount of as many digits, and less (JSON numbers have no leading zeros).
fn cheaper(amount: i64) -> i64 {
    let unit = 10i64.pow(amount.to_string().len() as u32 - 1);
    if amount == unit { unit + 1 } else { unit }
}

/// A WeChat Pay notification with `from` turned into `to` (as long) inside its
/// ciphertext. AES-GCM encrypts by XOR, so an attacker who knows the plaintext's layout
/// can change digits without the key; only the tag and the signature stop it. (The
/// drill opens the resource with the merchant's key only to find where the text sits.)
fn flip_wechat(ctx: &Ctx, genuine: &Note, from: &str, to: &str) -> anyhow::Result<Note> {
    anyhow::ensure!(from.len() == to.len(), "a flip keeps the length");
    let mut notification: Notification = serde_json::from_slice(&genuine.body)?;
    let key = text(ctx.shop, Provider::WeChat, "api_v3_key");
    let plain = decrypt_resource(&key, &notification.resource).map_err(|e| anyhow!("{e}"))?;
    let at = plain
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .with_context(|| format!("{from} in the resource"))?;
    let mut data = STANDARD.decode(&notification.resource.ciphertext)?;
    for (k, (x, y)) in from.bytes().zip(to.bytes()).enumerate() {
        data[at + k] ^= x ^ y;
    }
    notification.resource.ciphertext = STANDARD.encode(data);
    Ok(Note {
        headers: genuine.headers.clone(),
        body: serde_json::to_vec(&notification)?,
        signed_at: genuine.signed_at,
    })
}

/// A genuine Alipay form with its parameters changed, its signature kept.
fn edit_alipay(genuine: &Note, change: impl FnOnce(&mut Vec<(String, String)>)) -> Note {
    let mut params = decode_form(&genuine.body);
    change(&mut params);
    Note { headers: genuine.headers.clone(), body: encode_form(&params).into_bytes(), signed_at: genuine.signed_at }
}

fn set_param(params: &mut [(String, String)], name: &str, value: String) {
    params.iter_mut().filter(|(k, _)| k == name).for_each(|(_, v)| *v = value.clone());
}

fn set_header(headers: &mut [(String, String)], name: &str, value: String) {
    headers.iter_mut().filter(|(k, _)| k.eq_ignore_ascii_case(name)).for_each(|(_, v)| *v = value.clone());
}

/// Not a notification: what a scanner or a fuzzer posts.
fn garbage(ctx: &Ctx, rng: &mut Rng) -> Note {
    let serial = text(ctx.shop, Provider::WeChat, "platform_public_key_id");
    let now = (unix_micros() / 1_000_000).to_string();
    let (headers, body): (Vec<(String, String)>, Vec<u8>) = match rng.below(6) {
        0 => (vec![], vec![]),
        1 => (vec![], (0..512).map(|_| rng.below(256) as u8).collect()),
        2 => (
            vec![
                ("Content-Type".into(), "application/json".into()),
                ("Wechatpay-Timestamp".into(), now),
                ("Wechatpay-Nonce".into(), random_nonce()),
                ("Wechatpay-Signature".into(), random_alnum(344)),
                ("Wechatpay-Serial".into(), serial),
            ],
            b"{}".to_vec(),
        ),
        3 => (alipay_headers(), b"a=b&sign=xyz&sign_type=RSA2&out_trade_no=1".to_vec()),
        4 => (vec![("Content-Type".into(), "application/json".into())], vec![b'['; 4096]),
        _ => (alipay_headers(), vec![0xff, 0xfe, b'=', 0xc3, b'&', b'%', b'z', b'z']),
    };
    Note { headers, body, signed_at: Instant::now() }
}
