//! A phone scans a display card: `/c/{code}` (the URL printed in the QR code) finds the
//! card's shop and hands over to `/s/{slug}/scan/{code}`, inside the shop's cookie path,
//! which records the scan and opens the product in the card's store.
#![allow(clippy::result_large_err)]

use super::*;
use axum::http::HeaderMap;
use sweep_app::cards::CardTarget;

use crate::extract::Peer;

/// The card's printed URL. It carries no shop, so it only finds the shop and moves on.
pub async fn card_link(State(s): State<AppState>, ApiPath(code): ApiPath<String>) -> Response {
    match s.sweep.card_target(&code).await {
        Ok(CardTarget::Live { merchant, card }) => {
            Redirect::to(&format!("/s/{}/scan/{}", merchant.slug, card.code)).into_response()
        }
        Ok(CardTarget::Retired { merchant, code, .. }) => {
            Redirect::to(&format!("/s/{}/scan/{code}", merchant.slug)).into_response()
        }
        Err(AppError::NotFound(_)) => unknown_card(),
        Err(e) => {
            tracing::error!(error = %e, "card lookup failed");
            (StatusCode::SERVICE_UNAVAILABLE, "请稍后再试 Please try again shortly").into_response()
        }
    }
}

/// A code no card has: there is no shop to lead into, so say so plainly.
fn unknown_card() -> Response {
    let page = ErrorPage {
        title: "二维码无效 · Not a valid card",
        message: "这个二维码不是有效的商品展示卡，可能印错了或已作废。请向店员咨询。 This QR code is not a valid Sweep display card: ask a member of staff.",
        back: "/".into(),
        back_label: "Sweep",
    };
    let mut response = match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(_) => "not a valid card".into_response(),
    };
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

#[derive(Template)]
#[template(path = "shop/card_retired.html")]
struct RetiredPage {
    l: Layout,
    product: Option<String>,
}

/// Records the scan and opens the product in the card's store; a retired card gets a
/// friendly page that still leads into the shop.
pub async fn scan(
    State(s): State<AppState>,
    mut shop: Shop,
    Peer(peer): Peer,
    headers: HeaderMap,
    ApiPath(params): ApiPath<(String, String)>,
) -> Response {
    unwrap(
        async {
            let target = s.sweep.card_target(&params.1).await;
            let card = match target {
                Ok(CardTarget::Live { merchant, card }) if merchant.id == shop.ctx.merchant.id => card,
                Ok(CardTarget::Retired { merchant, product, .. }) if merchant.id == shop.ctx.merchant.id => {
                    let page = RetiredPage {
                        product: product.map(|p| format!("{}/p/{p}", shop.base)),
                        l: shop.layout(&s, "home").await,
                    };
                    let mut response = render(&shop, page);
                    *response.status_mut() = StatusCode::GONE;
                    return Ok(response);
                }
                Ok(_) | Err(AppError::NotFound(_)) => return Err(error_page(&shop, AppError::NotFound("card"))),
                Err(e) => return Err(error_page(&shop, e)),
            };
            let client = client_ip(&s.config, &headers, peer);
            let channel = shop.channel;
            let scanned = s.sweep.scan_card(&mut shop.ctx, &card, channel, &client).await;
            let scanned = or_page(&shop, scanned)?;
            let to = format!("{}/p/{}?sku={}", shop.base, scanned.product_id, scanned.sku_id);
            let mut response = Redirect::to(&to).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Some(token) = scanned.new_session_token {
                headers.insert(header::SET_COOKIE, shop.session_cookie(&s, &token));
            }
            Ok(response)
        }
        .await,
    )
}
