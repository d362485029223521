//! Signing in with a code sent by SMS, and out.

#![allow(clippy::result_large_err)]

use super::*;

#[derive(Template)]
#[template(path = "shop/login.html")]
struct LoginPage {
    l: Layout,
    phone: String,
    next: String,
    sent: bool,
    outbox: bool,
}

/// Where to go after signing in: only pages inside this shop, rebuilt from what was
/// recognised (a flash sale's id is parsed), never an open redirect.
fn known_next(next: &str) -> Option<String> {
    match next {
        "checkout" => Some("checkout".into()),
        _ => next
            .strip_prefix("flash/")
            .and_then(|id| id.parse::<sweep_domain::ids::FlashSaleId>().ok())
            .map(|id| format!("flash/{id}")),
    }
}

fn safe_next(shop: &Shop, next: &str) -> String {
    match known_next(next) {
        Some(path) => format!("{}/{path}", shop.base),
        None => format!("{}/me", shop.base),
    }
}

pub async fn login(State(s): State<AppState>, mut shop: Shop, uri: axum::http::Uri) -> Response {
    unwrap(
        async {
            // The form needs a session, so that the code comes back with its CSRF token.
            let ensured = s.sweep.ensure_shop_session(&mut shop.ctx).await;
            let token = or_page(&shop, ensured)?;
            let q: LoginQuery = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
            let page = LoginPage {
                phone: q.phone,
                next: q.next,
                sent: q.sent.is_some(),
                outbox: s.config.sms_outbox_page,
                l: shop.layout(&s, "me").await,
            };
            let mut response = render(&shop, page);
            if let Some(token) = token {
                response.headers_mut().append(header::SET_COOKIE, shop.session_cookie(&s, &token));
            }
            Ok(response)
        }
        .await,
    )
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf: String,
    phone: String,
    #[serde(default)]
    next: String,
}

pub async fn login_code(
    State(s): State<AppState>,
    shop: Shop,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    unwrap(
        async {
            let form: CodeForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let client = client_ip(&s.config, &headers, peer);
            or_page(&shop, s.sweep.send_login_code(&shop.ctx.merchant, &form.phone, &client).await)?;
            let phone: String = form_urlencoded::byte_serialize(form.phone.as_bytes()).collect();
            // `next` goes back into a header: only the known value, never what was sent.
            let next = known_next(&form.next).unwrap_or_default();
            Ok(Redirect::to(&format!("{}/login?sent=1&phone={phone}&next={next}", shop.base)).into_response())
        }
        .await,
    )
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    csrf: String,
    phone: String,
    code: String,
    #[serde(default)]
    next: String,
}

pub async fn login_submit(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: SignInForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            let (token, _) = or_page(&shop, s.sweep.sign_in_shopper(&shop.ctx, &form.phone, &form.code).await)?;
            let mut response = Redirect::to(&safe_next(&shop, &form.next)).into_response();
            response.headers_mut().insert(header::SET_COOKIE, shop.session_cookie(&s, &token));
            Ok(response)
        }
        .await,
    )
}

pub async fn logout(State(s): State<AppState>, shop: Shop, body: Bytes) -> Response {
    unwrap(
        async {
            let form: CsrfForm = parse_form(&shop, &body)?;
            check_csrf(&shop, &form.csrf)?;
            or_page(&shop, s.sweep.sign_out_shopper(&shop.ctx).await)?;
            let mut response = Redirect::to(&shop.base).into_response();
            response.headers_mut().insert(header::SET_COOKIE, shop.expired_session_cookie(&s));
            Ok(response)
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::known_next;

    #[test]
    fn only_known_pages_come_back_after_sign_in() {
        let id = sweep_domain::ids::FlashSaleId::new();
        assert_eq!(known_next("checkout").as_deref(), Some("checkout"));
        assert_eq!(known_next(&format!("flash/{id}")), Some(format!("flash/{id}")));
        for bad in ["//evil.example", "flash/../me", "flash/", "https://evil.example", "flash/x%2F..", ""] {
            assert_eq!(known_next(bad), None, "{bad}");
        }
    }
}
