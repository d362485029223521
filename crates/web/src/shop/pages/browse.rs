//! Browsing: the home page, categories, search and the product page.

#![allow(clippy::result_large_err)]

use super::*;

pub struct BannerView {
    url: String,
    image: String,
    title: String,
}

pub struct Link {
    url: String,
    name: String,
}

#[derive(Template)]
#[template(path = "shop/home.html")]
struct HomePage {
    l: Layout,
    banners: Vec<BannerView>,
    categories: Vec<Link>,
    hot: Vec<Card>,
    new_arrivals: Vec<Card>,
}

pub async fn home(State(s): State<AppState>, shop: Shop) -> Response {
    unwrap(
        async {
            let feed = or_page(&shop, s.sweep.home_feed(&shop.ctx, shop.channel).await)?;
            let page = HomePage {
                banners: feed
                    .banners
                    .iter()
                    .map(|b| BannerView {
                        url: format!("{}{}", shop.base, b.link),
                        image: format!("/media/{}", b.image_key),
                        title: b.title.get(shop.lang).to_string(),
                    })
                    .collect(),
                categories: feed
                    .categories
                    .iter()
                    .map(|c| Link { url: format!("{}/c/{}", shop.base, c.id), name: c.name.get(shop.lang).to_string() })
                    .collect(),
                hot: feed.hot.iter().map(|c| shop.card(c)).collect(),
                new_arrivals: feed.new_arrivals.iter().map(|c| shop.card(c)).collect(),
                l: shop.layout(&s, "home").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

#[derive(Template)]
#[template(path = "shop/list.html")]
struct ListPage {
    l: Layout,
    heading: String,
    cards: Vec<Card>,
    more: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default, rename = "lang")]
    _lang: Option<String>,
}

fn list_query(uri: &axum::http::Uri) -> ListQuery {
    serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or(ListQuery { cursor: None, q: None, _lang: None })
}

pub async fn category(
    State(s): State<AppState>,
    shop: Shop,
    ApiPath(params): ApiPath<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    unwrap(
        async {
            let id: CategoryId = path_id(&params.1).map_err(|_| error_page(&shop, AppError::NotFound("category")))?;
            let q = list_query(&uri);
            let page = or_page(
                &shop,
                sweep_app::page::PageRequest::parse(q.cursor.as_deref(), Some(20)).map_err(AppError::from),
            )?;
            let (category, cards) = or_page(&shop, s.sweep.category_page(&shop.ctx, id, shop.channel, &page).await)?;
            let more = cards.next_cursor.as_ref().map(|c| format!("{}/c/{}?cursor={c}", shop.base, id));
            let page = ListPage {
                heading: category.name.get(shop.lang).to_string(),
                cards: cards.items.iter().map(|c| shop.card(c)).collect(),
                more,
                l: shop.layout(&s, "categories").await,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}

pub async fn search(State(s): State<AppState>, shop: Shop, uri: axum::http::Uri) -> Response {
    unwrap(
        async {
            let q = list_query(&uri);
            let query = q.q.clone().unwrap_or_default();
            let page = or_page(
                &shop,
                sweep_app::page::PageRequest::parse(q.cursor.as_deref(), Some(20)).map_err(AppError::from),
            )?;
            let cards = or_page(&shop, s.sweep.search_shop(&shop.ctx, &query, shop.channel, &page).await)?;
            let more = cards.next_cursor.as_ref().map(|c| {
                format!(
                    "{}/search?q={}&cursor={c}",
                    shop.base,
                    form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
                )
            });
            let mut l = shop.layout(&s, "home").await;
            l.query = query.clone();
            let page = ListPage {
                heading: format!("{} “{}”", shop.t().get("search"), query),
                cards: cards.items.iter().map(|c| shop.card(c)).collect(),
                more,
                l,
            };
            Ok(render(&shop, page))
        }
        .await,
    )
}
