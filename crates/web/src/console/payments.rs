//! Payment settings, for owners: the merchant's own WeChat Pay and Alipay accounts, each
//! shown with its settings and only fingerprints of its secrets; connecting or replacing
//! one; disconnecting one (refused while its payments are still open). Secrets typed in
//! are never written back into a page, not even when the form is refused.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};
use sweep_app::payments::PaymentAccountView;
use sweep_domain::roles::Permission;

use super::cards::{Fields, cst, done_notice};
use super::{Chrome, Console};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/payments", get(show))
        .route("/console/payments/{provider}", post(connect))
        .route("/console/payments/{provider}/disconnect", post(disconnect))
}

/// One setting of a provider's form.
struct FieldDef {
    name: &'static str,
    zh: &'static str,
    en: &'static str,
    /// Never shown again once sent: a password or an empty text area.
    secret: bool,
    multiline: bool,
    required: bool,
}

const fn field(name: &'static str, zh: &'static str, en: &'static str, secret: bool, multiline: bool) -> FieldDef {
    FieldDef { name, zh, en, secret, multiline, required: false }
}

const fn needed(name: &'static str, zh: &'static str, en: &'static str, secret: bool, multiline: bool) -> FieldDef {
    FieldDef { name, zh, en, secret, multiline, required: true }
}

const WECHAT: &[FieldDef] = &[
    needed("mchid", "商户号", "Merchant id (mchid)", false, false),
    needed("appid", "AppID", "AppID", false, false),
    needed("merchant_serial_no", "商户证书序列号", "Merchant certificate serial no.", false, false),
    needed("merchant_private_key", "商户 API 私钥（PEM）", "Merchant API private key (PEM)", true, true),
    needed("api_v3_key", "APIv3 密钥（32 位）", "APIv3 key (32 characters)", true, false),
    field("platform_public_key_id", "微信支付公钥 ID", "WeChat Pay public key id", false, false),
    field("platform_public_key", "微信支付公钥（PEM）", "WeChat Pay public key (PEM)", false, true),
    field("platform_certificates", "平台证书（PEM，可多个）", "Platform certificates (PEM, one or more)", false, true),
    field("app_secret", "AppSecret（网页授权，可选）", "AppSecret (web authorisation, optional)", true, false),
    field("gateway_url", "网关地址（可选）", "Gateway URL (optional)", false, false),
];

const ALIPAY: &[FieldDef] = &[
    needed("app_id", "应用 APPID", "App id", false, false),
    needed("seller_id", "卖家 ID（2088 开头）", "Seller id (starts 2088)", false, false),
    needed("app_private_key", "应用私钥", "App private key", true, true),
    needed("alipay_public_key", "支付宝公钥", "Alipay public key", false, true),
    field("gateway_url", "网关地址（可选）", "Gateway URL (optional)", false, false),
];

const PROVIDERS: [(&str, &str, &str, &[FieldDef]); 2] =
    [("wechatpay", "微信支付", "WeChat Pay", WECHAT), ("alipay", "支付宝", "Alipay", ALIPAY)];

pub struct Input {
    name: &'static str,
    label: &'static str,
    secret: bool,
    multiline: bool,
    required: bool,
    value: String,
}

pub struct ProviderPanel {
    provider: &'static str,
    title: &'static str,
    connected: bool,
    updated: String,
    settings: Vec<(String, String)>,
    fingerprints: Vec<(String, String)>,
    inputs: Vec<Input>,
}

#[derive(Template)]
#[template(path = "console/payments.html")]
struct PaymentsPage {
    c: Chrome,
    panels: Vec<ProviderPanel>,
}

/// A setting as the page shows it: text as is, long keys shortened, lists counted.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 48 => format!("{}…", s.chars().take(40).collect::<String>()),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.len()),
        other => other.to_string(),
    }
}

/// A stored setting as a form field's starting value.
fn prefill(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}

/// The page; `retry` is a refused form (its provider and fields), shown again without
/// its secrets.
fn page(
    console: &Console,
    accounts: &[PaymentAccountView],
    retry: Option<(&str, &Fields)>,
    notice: Option<(String, bool)>,
) -> PaymentsPage {
    let panels = PROVIDERS
        .iter()
        .map(|(provider, zh, en, defs)| {
            let account = accounts.iter().find(|a| a.provider == *provider);
            let retried = retry.filter(|(p, _)| p == provider).map(|(_, f)| f);
            let inputs = defs
                .iter()
                .map(|d| {
                    let value = match (d.secret, retried, account) {
                        (true, _, _) => String::new(),
                        (false, Some(f), _) => f.get(d.name).to_string(),
                        (false, None, Some(a)) => a.settings.get(d.name).map(prefill).unwrap_or_default(),
                        (false, None, None) => String::new(),
                    };
                    Input {
                        name: d.name,
                        label: console.tr(d.zh, d.en),
                        secret: d.secret,
                        multiline: d.multiline,
                        // Secrets already stored need not be pasted again.
                        required: d.required && !(d.secret && account.is_some()),
                        value,
                    }
                })
                .collect();
            ProviderPanel {
                provider,
                title: console.tr(zh, en),
                connected: account.is_some(),
                updated: account.map(|a| cst(a.updated_at)).unwrap_or_default(),
                settings: account
                    .map(|a| a.settings.iter().map(|(k, v)| (k.clone(), shown(v))).collect())
                    .unwrap_or_default(),
                fingerprints: account
                    .map(|a| a.secrets.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                inputs,
            }
        })
        .collect();
    let mut c = console.chrome(console.tr("支付设置", "Payment settings"));
    c.notice = notice;
    PaymentsPage { c, panels }
}

fn owners_only(console: &Console) -> Result<(), Response> {
    if console.can(Permission::EditMerchantSettings) {
        Ok(())
    } else {
        Err(console.refusal(StatusCode::FORBIDDEN, console.tr("只有店主可以设置收款", "Only owners set up payments")))
    }
}

pub async fn show(State(s): State<AppState>, console: Console, RawQuery(raw): RawQuery) -> Response {
    if let Err(r) = owners_only(&console) {
        return r;
    }
    let accounts = match s.sweep.payment_accounts(&console.actor).await {
        Ok(a) => a,
        Err(e) => return console.failed(&e),
    };
    let f = Fields::query(raw);
    let notice = done_notice(
        &console,
        &f,
        &[("saved", "收款账户已保存", "Account saved"), ("disconnected", "收款账户已断开", "Account disconnected")],
    );
    console.page(&page(&console, &accounts, None, notice))
}

/// The page again with why an action was refused, at the refusal's status.
async fn refused(s: &AppState, console: &Console, retry: Option<(&str, &Fields)>, e: &sweep_app::AppError) -> Response {
    let (status, message) = console.explain(e);
    let accounts = s.sweep.payment_accounts(&console.actor).await.unwrap_or_default();
    console.page_with_status(&page(console, &accounts, retry, Some((message, true))), status)
}

fn known_provider(console: &Console, provider: &str) -> Result<&'static [FieldDef], Response> {
    PROVIDERS
        .iter()
        .find(|(p, ..)| *p == provider)
        .map(|(.., defs)| *defs)
        .ok_or_else(|| console.refusal(StatusCode::NOT_FOUND, console.tr("没有这个支付方式", "No such provider")))
}

pub async fn connect(
    State(s): State<AppState>,
    console: Console,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = owners_only(&console) {
        return r;
    }
    let defs = match known_provider(&console, &provider) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let f = match Fields::posted(&console, &s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    // Fields left empty keep what is stored (a key need not be pasted again).
    let mut input = Map::new();
    for d in defs {
        let Some(text) = f.opt(d.name) else { continue };
        let value = if d.name == "platform_certificates" {
            Value::Array(pem_blocks(text).into_iter().map(Value::String).collect())
        } else {
            Value::String(text.replace("\r\n", "\n"))
        };
        input.insert(d.name.to_string(), value);
    }
    match s.sweep.put_payment_account(&console.actor, &provider, input).await {
        Ok(_) => Redirect::to("/console/payments?done=saved").into_response(),
        Err(e) => refused(&s, &console, Some((&provider, &f)), &e).await,
    }
}

/// Each `-----BEGIN …-----` … `-----END …-----` block of pasted text.
fn pem_blocks(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    let mut blocks = vec![];
    let mut current = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        current.push_str(line);
        current.push('\n');
        if line.starts_with("-----END") {
            blocks.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        blocks.push(current);
    }
    blocks
}

pub async fn disconnect(
    State(s): State<AppState>,
    console: Console,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = owners_only(&console) {
        return r;
    }
    if let Err(r) = known_provider(&console, &provider) {
        return r;
    }
    if let Err(r) = Fields::posted(&console, &s, &headers, &body) {
        return r;
    }
    match s.sweep.delete_payment_account(&console.actor, &provider).await {
        Ok(()) => Redirect::to("/console/payments?done=disconnected").into_response(),
        Err(e) => refused(&s, &console, None, &e).await,
    }
}
