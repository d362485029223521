//! Paying for an order from the shopper's browser: the method follows the browser
//! (inside WeChat, WeChat Pay's JSAPI after a silent web authorisation; inside Alipay,
//! Alipay; elsewhere a choice of the provider's page or a QR to scan with the phone).

use sha2::{Digest, Sha256};
use sweep_app::payments::PayNext;
use sweep_app::ports::PayAction;

use super::orders::order_id;
use super::*;
use crate::shop::pay_request;

#[derive(Deserialize)]
struct PayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    qr: Option<String>,
}

#[derive(Deserialize)]
pub struct AuthorisedQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    provider: String,
}

/// On the way to the provider's page (or WeChat's authorisation). A page that moves on
/// by itself rather than a redirect from the form: the pages' CSP keeps form submissions
/// (and their redirects) on this site.
#[derive(Template)]
#[template(path = "shop/pay_redirect.html")]
struct PayRedirectPage {
    l: Layout,
    provider_name: &'static str,
    to: String,
}

/// A QR to scan with the wallet app, or WeChat's in-app payment sheet.
#[derive(Template)]
#[template(path = "shop/pay.html")]
struct PayPage {
    l: Layout,
    order_url: String,
    status_url: String,
    total: String,
    provider_name: &'static str,
    /// The QR (SVG) and the text it encodes.
    qr: Option<(String, String)>,
    jsapi: Option<String>,
}

/// The state WeChat's authorisation carries back: bound to this browser's session and
/// to the order, so a code obtained elsewhere cannot be replayed into it.
pub fn authorisation_state(shop: &Shop, order: OrderId) -> String {
    let token = shop.ctx.csrf_token().unwrap_or_default();
    hex::encode(&Sha256::digest(format!("wechat-authorise:{token}:{order}").as_bytes())[..12])
}

pub async fn order_pay(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    unwrap(
        async {
            let form: PayForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let id = order_id(&shop, &params.1)?;
            let request = pay_request(&s, &shop, &headers, peer, form.provider, form.qr.is_some());
            let next = or_page(&shop, s.sweep.pay_order(&shop.ctx, id, &request).await)?;
            pay_next(&s, &shop, id, next).await
        }
        .await,
    )
}

/// WeChat's web authorisation came back: learn the payer's openid and open WeChat's
/// payment sheet.
pub async fn order_pay_authorised(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    Peer(peer): Peer,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<AuthorisedQuery>,
) -> Response {
    unwrap(
        async {
            let id = order_id(&shop, &params.1)?;
            // A signed-in shopper's own order, before anything is asked of WeChat.
            or_page(&shop, s.sweep.my_order(&shop.ctx, id).await)?;
            let expected = authorisation_state(&shop, id);
            if !sweep_app::secrets::constant_time_eq(&expected, &q.state) || q.code.is_empty() {
                let t = shop.t();
                return Err(error_page(&shop, AppError::conflict("csrf", None, t.get("expired_page"))));
            }
            let openid = or_page(&shop, s.sweep.payer_openid(&shop.ctx, &q.provider, &q.code).await)?;
            let mut request = pay_request(&s, &shop, &headers, peer, Some(q.provider.clone()), false);
            request.openid = Some(openid);
            let next = or_page(&shop, s.sweep.pay_order(&shop.ctx, id, &request).await)?;
            pay_next(&s, &shop, id, next).await
        }
        .await,
    )
}

async fn pay_next(s: &AppState, shop: &Shop, id: OrderId, next: PayNext) -> PageResult {
    let order_url = format!("{}/orders/{id}", shop.base);
    let (provider, action) = match next {
        PayNext::Act { provider, action } => (provider, action),
        PayNext::Authorise { provider } => {
            let back = format!(
                "{}{}/orders/{id}/pay/authorised?provider={provider}",
                s.sweep.settings().public_url,
                shop.base
            );
            let to = or_page(
                shop,
                s.sweep.payer_authorisation_url(&shop.ctx, id, &provider, &back, &authorisation_state(shop, id)).await,
            )?;
            return Ok(onward(s, shop, &provider, to).await);
        }
    };
    let view = or_page(shop, s.sweep.my_order(&shop.ctx, id).await)?;
    let provider_name = provider_label(&shop.t(), &provider);
    let (qr, jsapi) = match action {
        PayAction::Redirect(url) => return Ok(onward(s, shop, &provider, url).await),
        PayAction::ShowQr(text) => {
            let qr = qrcode::QrCode::new(text.as_bytes())
                .map_err(|e| error_page(shop, AppError::Internal(format!("QR: {e}"))))?;
            (Some((qr.render::<qrcode::render::svg::Color>().min_dimensions(240, 240).build(), text)), None)
        }
        // Embedded in a <script> block: no `<` may end it early.
        PayAction::WeChatJsapi(params) => (None, Some(params.to_string().replace('<', "\\u003c"))),
    };
    let page = PayPage {
        status_url: format!("{}/api/orders/{id}", shop.base),
        order_url,
        total: yuan(view.order.total),
        provider_name,
        qr,
        jsapi,
        l: shop.layout(s, "me").await,
    };
    let mut response = render(shop, page);
    // The page holds a one-off payment: never from a cache.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn onward(s: &AppState, shop: &Shop, provider: &str, to: String) -> Response {
    let page =
        PayRedirectPage { provider_name: provider_label(&shop.t(), provider), to, l: shop.layout(s, "me").await };
    let mut response = render(shop, page);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The name shoppers know a provider by.
pub(super) fn provider_label(t: &T, provider: &str) -> &'static str {
    match provider {
        sweep_app::payments::WECHAT_PAY => t.get("wechat_pay"),
        sweep_app::payments::ALIPAY => t.get("alipay"),
        _ => t.get("sandbox_pay"),
    }
}
