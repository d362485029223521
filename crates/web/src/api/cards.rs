//! Campaigns, display cards (with their QR codes, single cards and A4 sheets to print),
//! and the scan funnel.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::cards::{
    CampaignInput, CardPrint, CreateCardsInput, FunnelRow, MAX_CARDS_PER_REQUEST, UpdateCampaignInput,
};
use sweep_app::page::PageRequest;
use sweep_app::ports::{CardFilter, FunnelGroup};
use sweep_domain::card::{Campaign, CardStatus, DisplayCard};
use sweep_domain::ids::{CampaignId, CardId, LocationId, SkuId};
use sweep_domain::roles::Actor;
use utoipa::IntoParams;

use super::{PageBody, PageQuery, created, page};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, path_id};
use crate::state::AppState;

/// What a card shows, for the renderer.
pub fn card_face(p: &CardPrint) -> sweep_cards::CardFace {
    sweep_cards::CardFace {
        merchant_name: p.merchant_name.clone(),
        product_name: p.product_name_zh.clone(),
        product_name_en: Some(p.product_name_en.clone()).filter(|n| !n.is_empty() && *n != p.product_name_zh),
        sku_label: p.sku_label.clone(),
        price: format!("¥{}", p.price.to_major_string()),
        member_price: p.member_price.map(|m| format!("¥{}", m.to_major_string())),
        store_name: p.store_name.clone(),
        campaign: p.campaign_name.clone(),
        url: p.url.clone(),
        code: p.card.code.clone(),
    }
}

fn render_failed(e: impl std::fmt::Display) -> ApiError {
    AppError::Internal(format!("card rendering failed: {e}")).into()
}

/// Renders on the blocking pool: a sheet of cards is real CPU work.
async fn render<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, sweep_cards::CardError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(render_failed)?.map_err(render_failed)
}

fn file(body: Vec<u8>, content_type: &'static str, name: Option<String>) -> Response {
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Some(name) = name.and_then(|n| HeaderValue::from_str(&format!("attachment; filename=\"{n}\"")).ok()) {
        h.insert(header::CONTENT_DISPOSITION, name);
    }
    response
}

// ----- campaigns -----

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "cards", request_body = CampaignInput,
    responses((status = 201, body = Campaign), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_campaign(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CampaignInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_campaign(&actor, input).await?))
}

/// The merchant's campaigns, newest first.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "cards", params(PageQuery),
    responses((status = 200, body = PageBody<Campaign>)))]
pub async fn list_campaigns(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<PageBody<Campaign>>> {
    Ok(Json(s.sweep.list_campaigns(&actor, &q.page()?).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody)))]
pub async fn show_campaign(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Campaign>> {
    let id: CampaignId = path_id(&id)?;
    Ok(Json(s.sweep.get_campaign(&actor, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "cards", params(("id" = String, Path)), request_body = UpdateCampaignInput,
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_campaign(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<UpdateCampaignInput>,
) -> ApiResult<Json<Campaign>> {
    let id: CampaignId = path_id(&id)?;
    Ok(Json(s.sweep.update_campaign(&actor, id, input).await?))
}

// ----- cards -----

/// Makes one card per SKU for a store (head office: any store; store managers: theirs).
#[utoipa::path(post, path = "/api/v1/cards", tag = "cards", request_body = CreateCardsInput,
    responses((status = 201, body = Vec<DisplayCard>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_cards(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiJson(input): ApiJson<CreateCardsInput>,
) -> ApiResult<impl IntoResponse> {
    Ok(created(s.sweep.create_cards(&actor, input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CardQuery {
    pub store_id: Option<LocationId>,
    pub campaign_id: Option<CampaignId>,
    pub sku_id: Option<SkuId>,
    pub status: Option<CardStatus>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

impl CardQuery {
    fn filter(&self) -> CardFilter {
        CardFilter {
            stores: self.store_id.map(|s| vec![s]),
            campaign: self.campaign_id,
            sku: self.sku_id,
            status: self.status,
        }
    }
}

/// Cards the caller may see: all for head office, their stores' for store staff.
#[utoipa::path(get, path = "/api/v1/cards", tag = "cards", params(CardQuery),
    responses((status = 200, body = PageBody<DisplayCard>)))]
pub async fn list_cards(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<CardQuery>,
) -> ApiResult<Json<PageBody<DisplayCard>>> {
    let page = page(q.cursor.as_deref(), q.limit)?;
    Ok(Json(s.sweep.list_cards(&actor, q.filter(), &page).await?.into()))
}

/// A card with everything printed on it (its URL, product, prices in its store).
#[utoipa::path(get, path = "/api/v1/cards/{id}", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, body = CardPrint), (status = 404, body = ErrorBody)))]
pub async fn show_card(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CardPrint>> {
    let id: CardId = path_id(&id)?;
    let mut prints = s.sweep.card_prints(&actor, &[id]).await?;
    Ok(Json(prints.remove(0)))
}

async fn set_status(s: &AppState, actor: &Actor, id: &str, status: CardStatus) -> ApiResult<Json<DisplayCard>> {
    let id: CardId = path_id(id)?;
    Ok(Json(s.sweep.set_card_status(actor, id, status).await?))
}

/// Takes a card off the shelf: its scans still lead into the shop, and count for nothing.
#[utoipa::path(post, path = "/api/v1/cards/{id}/disable", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, body = DisplayCard), (status = 404, body = ErrorBody)))]
pub async fn disable_card(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DisplayCard>> {
    set_status(&s, &actor, &id, CardStatus::Disabled).await
}

#[utoipa::path(post, path = "/api/v1/cards/{id}/enable", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, body = DisplayCard), (status = 404, body = ErrorBody)))]
pub async fn enable_card(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DisplayCard>> {
    set_status(&s, &actor, &id, CardStatus::Active).await
}

async fn one_print(s: &AppState, actor: &Actor, id: &str) -> ApiResult<CardPrint> {
    let id: CardId = path_id(id)?;
    Ok(s.sweep.card_prints(actor, &[id]).await?.remove(0))
}

/// The bare QR code of a card's URL, as SVG.
#[utoipa::path(get, path = "/api/v1/cards/{id}/qr.svg", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn card_qr(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let print = one_print(&s, &actor, &id).await?;
    let svg = sweep_cards::qr_svg(&print.url);
    Ok(file(svg.into_bytes(), "image/svg+xml", None))
}

/// One card, ready to print, as SVG.
#[utoipa::path(get, path = "/api/v1/cards/{id}/card.svg", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn card_svg(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let print = one_print(&s, &actor, &id).await?;
    let svg = sweep_cards::card_svg(&card_face(&print));
    Ok(file(svg.into_bytes(), "image/svg+xml", Some(format!("card-{}.svg", print.card.code))))
}

/// One card, ready to print, as a 300 dpi PNG.
#[utoipa::path(get, path = "/api/v1/cards/{id}/card.png", tag = "cards", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn card_png(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let print = one_print(&s, &actor, &id).await?;
    let face = card_face(&print);
    let png = render(move || sweep_cards::card_png(&face, 300.0)).await?;
    Ok(file(png, "image/png", Some(format!("card-{}.png", print.card.code))))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SheetQuery {
    /// Comma-separated card ids; without them, the cards matching the filters below.
    pub ids: Option<String>,
    pub store_id: Option<LocationId>,
    pub campaign_id: Option<CampaignId>,
    /// Default: active cards only.
    pub status: Option<CardStatus>,
}

/// Cards as A4 sheets to print and cut (up to 200 cards).
#[utoipa::path(get, path = "/api/v1/cards/sheet.pdf", tag = "cards", params(SheetQuery),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 422, body = ErrorBody)))]
pub async fn sheet(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<SheetQuery>,
) -> ApiResult<Response> {
    let ids: Vec<CardId> = match &q.ids {
        Some(list) => list
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().parse().map_err(|_| AppError::invalid("ids", "invalid_id", "comma-separated card ids")))
            .collect::<Result<_, _>>()?,
        None => {
            let filter = CardFilter {
                stores: q.store_id.map(|s| vec![s]),
                campaign: q.campaign_id,
                sku: None,
                status: Some(q.status.unwrap_or(CardStatus::Active)),
            };
            // One more than a sheet takes, to refuse rather than cut the list short.
            let page = PageRequest::first(MAX_CARDS_PER_REQUEST as u32 + 1);
            s.sweep.list_cards(&actor, filter, &page).await?.items.iter().map(|c| c.id).collect()
        }
    };
    if ids.is_empty() || ids.len() > MAX_CARDS_PER_REQUEST {
        return Err(AppError::invalid(
            "ids",
            "invalid_length",
            format!("1 to {MAX_CARDS_PER_REQUEST} cards per sheet: filter by campaign, or name the cards in `ids`"),
        )
        .into());
    }
    let faces: Vec<_> = s.sweep.card_prints(&actor, &ids).await?.iter().map(card_face).collect();
    let pdf = render(move || sweep_cards::sheet_pdf(&faces)).await?;
    Ok(file(pdf, "application/pdf", Some("sweep-cards.pdf".into())))
}

// ----- funnel -----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FunnelQuery {
    /// RFC 3339, inclusive.
    pub from: String,
    /// RFC 3339, exclusive; at most 400 days after `from`.
    pub to: String,
    /// `card` (default), `store` or `campaign`.
    pub by: Option<FunnelGroup>,
}

/// Scans, product views, carts, orders and paid orders after scanning, per card, store
/// or campaign. Store managers see their own stores.
#[utoipa::path(get, path = "/api/v1/reports/scan-funnel", tag = "cards", params(FunnelQuery),
    responses((status = 200, body = Vec<FunnelRow>), (status = 422, body = ErrorBody)))]
pub async fn funnel(
    State(s): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(q): ApiQuery<FunnelQuery>,
) -> ApiResult<Json<Vec<FunnelRow>>> {
    Ok(Json(s.sweep.funnel(&actor, &q.from, &q.to, q.by.unwrap_or(FunnelGroup::Card)).await?))
}
