//! A product's console page: its names, description, status and category; its SKUs with
//! base, member, channel and store prices; adding a SKU and archiving.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::catalog::{CreateSkuInput, UpdateProductInput, UpdateSkuInput};
use sweep_app::locations::LocalizedInput;
use sweep_app::page::all_pages;
use sweep_app::ports::LocationFilter;
use sweep_app::pricing::SetPriceInput;
use sweep_domain::catalog::{ProductStatus, RecordStatus};
use sweep_domain::channel::Channel;
use sweep_domain::ids::{CategoryId, LocationId, ProductId, SkuId};
use sweep_domain::location::{LocationKind, LocationStatus};
use sweep_domain::pricing::PriceScope;
use sweep_domain::roles::Permission;

use super::{
    Choice, Errors, Filters, attributes_text, categories, category_choices, done_notice, parse_attributes, parse_price,
    status_choices,
};
use crate::console::{Chrome, Console, yuan};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct ProductForm {
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    description_zh: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
}

#[derive(Deserialize, Default)]
pub struct SkuForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    barcode: String,
    #[serde(default)]
    attributes: String,
    #[serde(default)]
    base_price: String,
    #[serde(default)]
    member_price: String,
}

#[derive(Deserialize, Default)]
pub struct OverrideForm {
    #[serde(default)]
    sku: String,
    /// `channel:<name>` or `store:<location id>`.
    #[serde(default)]
    scope: String,
    #[serde(default)]
    price: String,
}

/// What a failed form sent, shown again with its problems.
#[derive(Default)]
struct Draft {
    product: Option<ProductForm>,
    sku: Option<SkuForm>,
    row: Option<(SkuId, String, String)>,
    ov: Option<OverrideForm>,
}

struct OverrideRow {
    scope: String,
    label: String,
    price: String,
}

struct SkuRow {
    id: SkuId,
    code: String,
    barcode: String,
    attributes: String,
    base: String,
    member: String,
    active: bool,
    overrides: Vec<OverrideRow>,
}

#[derive(Template)]
#[template(path = "console/products_detail.html")]
struct DetailPage {
    c: Chrome,
    id: ProductId,
    archived: bool,
    p: ProductForm,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    skus: Vec<SkuRow>,
    sku: SkuForm,
    ov: OverrideForm,
    sku_choices: Vec<Choice>,
    scopes: Vec<Choice>,
    errors: Errors,
    can_edit: bool,
    can_price: bool,
}

fn channel_label(console: &Console, c: Channel) -> &'static str {
    match c {
        Channel::Mobile => console.tr("手机浏览器", "Phone browser"),
        Channel::Wechat => console.tr("微信", "WeChat"),
        Channel::Alipay => console.tr("支付宝", "Alipay"),
        Channel::Web => console.tr("网页", "Web"),
        Channel::Pos => console.tr("门店收银", "Store till"),
        Channel::Api => "API",
    }
}

fn scope_value(scope: PriceScope) -> String {
    match scope {
        PriceScope::Channel(c) => format!("channel:{}", c.as_str()),
        PriceScope::Store(l) => format!("store:{l}"),
    }
}

fn parse_scope(text: &str) -> Option<PriceScope> {
    match text.split_once(':')? {
        ("channel", c) => Channel::parse(c).map(PriceScope::Channel),
        ("store", l) => l.parse::<LocationId>().ok().map(PriceScope::Store),
        _ => None,
    }
}

async fn render(s: &AppState, console: &Console, id: ProductId, draft: Draft, errors: Errors) -> Response {
    render_page(s, console, id, draft, errors, None).await
}

async fn render_page(
    s: &AppState,
    console: &Console,
    id: ProductId,
    draft: Draft,
    errors: Errors,
    notice: Option<(String, bool)>,
) -> Response {
    let detail = match s.sweep.product_detail(&console.actor, id).await {
        Ok(d) => d,
        Err(e) => return console.failed(&e),
    };
    let all_categories = match categories(s, console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let filter =
        LocationFilter { kind: Some(LocationKind::Store), status: Some(LocationStatus::Active), ..Default::default() };
    let stores = match all_pages(|page| {
        let filter = filter.clone();
        async move { s.sweep.list_locations(&console.actor, filter, &page).await }
    })
    .await
    {
        Ok(l) => l,
        Err(e) => return console.failed(&e),
    };
    let store_name = |l: LocationId| {
        stores.iter().find(|s| s.id == l).map(|s| s.name.get(console.lang).to_string()).unwrap_or_else(|| l.to_string())
    };
    let mut rows = Vec::with_capacity(detail.skus.len());
    for sku in &detail.skus {
        let overrides = match s.sweep.sku_prices(&console.actor, sku.id).await {
            Ok(p) => p.overrides,
            Err(e) => return console.failed(&e),
        };
        let (base, member) = match &draft.row {
            Some((row, base, member)) if *row == sku.id => (base.clone(), member.clone()),
            _ => (yuan(sku.base_price.minor()), sku.member_price.map(|m| yuan(m.minor())).unwrap_or_default()),
        };
        rows.push(SkuRow {
            id: sku.id,
            code: sku.code.clone(),
            barcode: sku.barcode.clone().unwrap_or_default(),
            attributes: attributes_text(&sku.attributes),
            base,
            member,
            active: sku.status == RecordStatus::Active,
            overrides: overrides
                .into_iter()
                .map(|o| OverrideRow {
                    scope: scope_value(o.scope),
                    label: match o.scope {
                        PriceScope::Channel(c) => channel_label(console, c).to_string(),
                        PriceScope::Store(l) => store_name(l),
                    },
                    price: yuan(o.price.minor()),
                })
                .collect(),
        });
    }
    let product = &detail.product;
    let p = draft.product.unwrap_or_else(|| ProductForm {
        name_zh: product.name.zh.clone(),
        name_en: product.name.en.clone(),
        description_zh: product.description.zh.clone(),
        description_en: product.description.en.clone(),
        status: product.status.as_str().to_string(),
        category: product.category_id.map(|c| c.to_string()).unwrap_or_default(),
    });
    let ov = draft.ov.unwrap_or_default();
    let mut scopes: Vec<Choice> = Channel::ALL
        .into_iter()
        .map(|c| Choice {
            value: scope_value(PriceScope::Channel(c)),
            label: format!("{}: {}", console.tr("渠道", "Channel"), channel_label(console, c)),
            selected: false,
        })
        .collect();
    scopes.extend(stores.iter().map(|l| Choice {
        value: scope_value(PriceScope::Store(l.id)),
        label: format!("{}: {}", console.tr("门店", "Store"), l.name.get(console.lang)),
        selected: false,
    }));
    for choice in &mut scopes {
        choice.selected = choice.value == ov.scope;
    }
    let sku_choices = rows
        .iter()
        .filter(|r| r.active)
        .map(|r| Choice { value: r.id.to_string(), label: r.code.clone(), selected: r.id.to_string() == ov.sku })
        .collect();
    let mut c = console.chrome(product.name.get(console.lang));
    let status = if errors.is_empty() {
        c.notice = notice;
        StatusCode::OK
    } else {
        c.notice = Some((errors.summary(console), true));
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DetailPage {
        c,
        id,
        archived: product.status == ProductStatus::Archived,
        categories: category_choices(console, &all_categories, &p.category),
        statuses: status_choices(console, &p.status, true),
        p,
        skus: rows,
        sku: draft.sku.unwrap_or_default(),
        ov,
        sku_choices,
        scopes,
        errors,
        can_edit: console.can(Permission::EditCatalog),
        can_price: console.can(Permission::EditPrices),
    };
    console.page_with_status(&page, status)
}

fn product_id(console: &Console, id: &str) -> Result<ProductId, Response> {
    id.parse().map_err(|_| console.refusal(StatusCode::NOT_FOUND, console.tr("找不到", "Not found")))
}

pub async fn show(State(s): State<AppState>, console: Console, Path(id): Path<String>, uri: Uri) -> Response {
    let id = match product_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    // The outcome of the last action, after its redirect.
    let notice = done_notice(&console, &Filters::from_uri(&uri).done);
    render_page(&s, &console, id, Draft::default(), Errors::default(), notice).await
}

fn back(id: ProductId, done: &str) -> Response {
    Redirect::to(&format!("/console/products/{id}?done={done}")).into_response()
}

/// Re-renders with the use case's field problems (named with `prefix`), or fails.
async fn failed(s: &AppState, console: &Console, id: ProductId, draft: Draft, e: AppError, prefix: &str) -> Response {
    match Errors::from_app(&e, |f| format!("{prefix}{}", f.split('.').next().unwrap_or(f))) {
        Some(errors) => render(s, console, id, draft, errors).await,
        None => console.failed(&e),
    }
}

pub async fn update(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: ProductForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = match product_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut errors = Errors::default();
    let category = match form.category.trim() {
        "" => Some(None),
        c => c.parse::<CategoryId>().ok().map(Some),
    };
    if category.is_none() {
        errors.add("p.category", console.tr("请选择分类", "Choose a category"));
    }
    let status = ProductStatus::parse(&form.status);
    if status.is_none() {
        errors.add("p.status", console.tr("请选择状态", "Choose a status"));
    }
    if !errors.is_empty() {
        return render(&s, &console, id, Draft { product: Some(form), ..Default::default() }, errors).await;
    }
    let input = UpdateProductInput {
        name: Some(LocalizedInput { zh: form.name_zh.clone(), en: form.name_en.clone() }),
        description: Some(LocalizedInput { zh: form.description_zh.clone(), en: form.description_en.clone() }),
        category_id: category,
        status,
    };
    match s.sweep.update_product(&console.actor, id, input).await {
        Ok(_) => back(id, "saved"),
        Err(e) => {
            let draft = Draft { product: Some(form), ..Default::default() };
            match Errors::from_app(&e, |f| format!("p.{}", product_field(f))) {
                Some(errors) => render(&s, &console, id, draft, errors).await,
                None => console.failed(&e),
            }
        }
    }
}

fn product_field(field: &str) -> String {
    match field {
        "name" => "name_zh".into(),
        "category_id" => "category".into(),
        f => f.replace('.', "_"),
    }
}

pub async fn archive(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = console.form::<Vec<(String, String)>>(&s, &headers, &body) {
        return r;
    }
    let id = match product_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = UpdateProductInput { status: Some(ProductStatus::Archived), ..Default::default() };
    match s.sweep.update_product(&console.actor, id, input).await {
        Ok(_) => back(id, "archived"),
        Err(e) => console.failed(&e),
    }
}

pub async fn add_sku(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: SkuForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let id = match product_id(&console, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let mut errors = Errors::default();
    let base = parse_price(&console, &form.base_price, true).unwrap_or_else(|e| {
        errors.add("sku.base_price", e);
        None
    });
    let member = parse_price(&console, &form.member_price, false).unwrap_or_else(|e| {
        errors.add("sku.member_price", e);
        None
    });
    let attributes = parse_attributes(&form.attributes).unwrap_or_else(|| {
        errors
            .add("sku.attributes", console.tr("请按 名称=值 填写，用 ; 分隔", "Write name=value pairs separated by ;"));
        Default::default()
    });
    let draft = |form| Draft { sku: Some(form), ..Default::default() };
    if !errors.is_empty() {
        return render(&s, &console, id, draft(form), errors).await;
    }
    let input = CreateSkuInput {
        code: form.code.clone(),
        barcode: Some(form.barcode.trim().to_string()).filter(|b| !b.is_empty()),
        attributes,
        base_price: base.unwrap_or_default(),
        member_price: member,
    };
    match s.sweep.create_sku(&console.actor, id, input).await {
        Ok(_) => back(id, "sku_added"),
        Err(e) => failed(&s, &console, id, draft(form), e, "sku.").await,
    }
}

/// The SKU, which must belong to the product in the path.
async fn sku_of(s: &AppState, console: &Console, product: &str, sku: &str) -> Result<(ProductId, SkuId), Response> {
    let product = product_id(console, product)?;
    let not_found = || console.refusal(StatusCode::NOT_FOUND, console.tr("找不到这个 SKU", "No such SKU"));
    let id: SkuId = sku.parse().map_err(|_| not_found())?;
    match s.sweep.get_sku(&console.actor, id).await {
        Ok(found) if found.product_id == product => Ok((product, id)),
        Ok(_) => Err(not_found()),
        Err(e) => Err(console.failed(&e)),
    }
}

#[derive(Deserialize, Default)]
pub struct RowForm {
    #[serde(default)]
    base_price: String,
    #[serde(default)]
    member_price: String,
}

pub async fn update_sku(
    State(s): State<AppState>,
    console: Console,
    Path((product, sku)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: RowForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (id, sku) = match sku_of(&s, &console, &product, &sku).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut errors = Errors::default();
    let at = |field: &str| format!("row.{sku}.{field}");
    let base = parse_price(&console, &form.base_price, true).unwrap_or_else(|e| {
        errors.add(at("base_price"), e);
        None
    });
    let member = parse_price(&console, &form.member_price, false).unwrap_or_else(|e| {
        errors.add(at("member_price"), e);
        None
    });
    let draft = Draft { row: Some((sku, form.base_price.clone(), form.member_price.clone())), ..Default::default() };
    if !errors.is_empty() {
        return render(&s, &console, id, draft, errors).await;
    }
    let input = UpdateSkuInput { base_price: base, member_price: Some(member), ..Default::default() };
    match s.sweep.update_sku(&console.actor, sku, input).await {
        Ok(_) => back(id, "sku_saved"),
        Err(e) => failed(&s, &console, id, draft, e, &format!("row.{sku}.")).await,
    }
}

pub async fn archive_sku(
    State(s): State<AppState>,
    console: Console,
    Path((product, sku)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = console.form::<Vec<(String, String)>>(&s, &headers, &body) {
        return r;
    }
    let (id, sku) = match sku_of(&s, &console, &product, &sku).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let input = UpdateSkuInput { status: Some(RecordStatus::Archived), ..Default::default() };
    match s.sweep.update_sku(&console.actor, sku, input).await {
        Ok(_) => back(id, "sku_archived"),
        Err(e) => console.failed(&e),
    }
}

pub async fn set_override(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: OverrideForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (id, sku) = match sku_of(&s, &console, &id, &form.sku).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let mut errors = Errors::default();
    let scope = parse_scope(&form.scope);
    if scope.is_none() {
        errors.add("ov.scope", console.tr("请选择渠道或门店", "Choose a channel or a store"));
    }
    let price = parse_price(&console, &form.price, true).unwrap_or_else(|e| {
        errors.add("ov.price", e);
        None
    });
    let (Some(scope), Some(price)) = (scope, price) else {
        return render(&s, &console, id, Draft { ov: Some(form), ..Default::default() }, errors).await;
    };
    match s.sweep.set_price_override(&console.actor, sku, scope, SetPriceInput { price }).await {
        Ok(_) => back(id, "override_set"),
        Err(e) => failed(&s, &console, id, Draft { ov: Some(form), ..Default::default() }, e, "ov.").await,
    }
}

pub async fn delete_override(
    State(s): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: OverrideForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (id, sku) = match sku_of(&s, &console, &id, &form.sku).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(scope) = parse_scope(&form.scope) else {
        return console.refusal(StatusCode::BAD_REQUEST, console.tr("请选择渠道或门店", "Choose a channel or a store"));
    };
    match s.sweep.delete_price_override(&console.actor, sku, scope).await {
        Ok(()) => back(id, "override_deleted"),
        Err(e) => console.failed(&e),
    }
}
