//! Console: products and prices. The product list, adding a product with its first SKU,
//! and (in the sibling files) a product's page, the bulk price table and CSV export and
//! import. Every change goes through the same use cases as the JSON API.

#[path = "catalog_csv.rs"]
mod csv;
#[path = "catalog_detail.rs"]
mod detail;
#[path = "catalog_prices.rs"]
mod prices;

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::catalog::{CreateProductInput, CreateSkuInput};
use sweep_app::locations::LocalizedInput;
use sweep_app::page::{PageRequest, all_pages};
use sweep_app::ports::{ProductFilter, SkuFilter};
use sweep_domain::catalog::{Attributes, Category, Product, ProductStatus, RecordStatus, Sku};
use sweep_domain::ids::{CategoryId, ProductId};
use sweep_domain::roles::Permission;
use sweep_domain::{Currency, Money};

use super::{Chrome, Console, yuan};
use crate::state::AppState;

/// Products per page of the list.
const PAGE_SIZE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/products", get(list))
        .route("/console/products.csv", get(csv::export))
        .route("/console/products/new", get(new_form).post(create))
        .route("/console/products/prices", get(prices::show).post(prices::save))
        .route("/console/products/import", get(csv::import_form).post(csv::import))
        .route("/console/products/{id}", get(detail::show).post(detail::update))
        .route("/console/products/{id}/archive", post(detail::archive))
        .route("/console/products/{id}/skus", post(detail::add_sku))
        .route("/console/products/{id}/skus/{sku_id}", post(detail::update_sku))
        .route("/console/products/{id}/skus/{sku_id}/archive", post(detail::archive_sku))
        .route("/console/products/{id}/overrides", post(detail::set_override))
        .route("/console/products/{id}/overrides/delete", post(detail::delete_override))
}

// ----- shared by the catalog pages -----

/// The list's filters, as they travel in the query string.
#[derive(Deserialize, Default, Clone)]
pub struct Filters {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub cursor: String,
    #[serde(default)]
    pub done: String,
}

impl Filters {
    pub fn from_uri(uri: &Uri) -> Filters {
        serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default()
    }

    pub fn product_filter(&self) -> ProductFilter {
        ProductFilter {
            category: self.category.parse().ok(),
            status: ProductStatus::parse(&self.status),
            query: Some(self.q.trim().to_string()).filter(|q| !q.is_empty()),
        }
    }

    /// The filters (and `cursor`, when given) as a query string, without `?`.
    pub fn query(&self, cursor: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("q", self.q.trim()), ("category", &self.category), ("status", &self.status)] {
            if !v.is_empty() {
                out.append_pair(k, v);
            }
        }
        if let Some(c) = cursor {
            out.append_pair("cursor", c);
        }
        out.finish()
    }
}

/// One page of products by the filters. On the first page, a product whose SKU code or
/// barcode is the search text comes first, so "search by code" finds it.
pub async fn product_page(
    s: &AppState,
    console: &Console,
    f: &Filters,
    size: u32,
) -> Result<(Vec<Product>, Option<String>), Response> {
    let page = PageRequest::parse(Some(&f.cursor), Some(size as i64))
        .map_err(|e| console.refusal(StatusCode::BAD_REQUEST, &e.message))?;
    let filter = f.product_filter();
    let mut found =
        s.sweep.list_products(&console.actor, filter.clone(), &page).await.map_err(|e| console.failed(&e))?;
    let q = f.q.trim();
    if page.after.is_none() && !q.is_empty() {
        let by_code = SkuFilter { code: Some(q.to_string()), ..Default::default() };
        let by_barcode = SkuFilter { barcode: Some(q.to_string()), ..Default::default() };
        for sku_filter in [by_code, by_barcode] {
            let hit = s.sweep.list_skus(&console.actor, sku_filter, &PageRequest::first(1)).await;
            let Some(sku) = hit.ok().and_then(|p| p.items.into_iter().next()) else { continue };
            if found.items.iter().any(|p| p.id == sku.product_id) {
                continue;
            }
            if let Ok(p) = s.sweep.get_product(&console.actor, sku.product_id).await
                && filter.category.is_none_or(|c| p.category_id == Some(c))
                && filter.status.is_none_or(|st| p.status == st)
            {
                found.items.insert(0, p);
            }
        }
    }
    Ok((found.items, found.next_cursor))
}

/// Every category of the merchant (for selects and names).
pub async fn categories(s: &AppState, console: &Console) -> Result<Vec<Category>, Response> {
    all_pages(|page| async move { s.sweep.list_categories(&console.actor, None, None, &page).await })
        .await
        .map_err(|e| console.failed(&e))
}

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn category_choices(console: &Console, all: &[Category], selected: &str) -> Vec<Choice> {
    all.iter()
        .filter(|c| c.status == RecordStatus::Active || c.id.to_string() == selected)
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.name.get(console.lang).to_string(),
            selected: c.id.to_string() == selected,
        })
        .collect()
}

pub fn status_choices(console: &Console, selected: &str, with_archived: bool) -> Vec<Choice> {
    let mut all = vec![ProductStatus::Draft, ProductStatus::Active];
    if with_archived {
        all.push(ProductStatus::Archived);
    }
    all.into_iter()
        .map(|st| Choice {
            value: st.as_str().to_string(),
            label: status_label(console, st).to_string(),
            selected: st.as_str() == selected,
        })
        .collect()
}

pub fn status_label(console: &Console, status: ProductStatus) -> &'static str {
    match status {
        ProductStatus::Draft => console.tr("草稿", "Draft"),
        ProductStatus::Active => console.tr("在售", "On sale"),
        ProductStatus::Archived => console.tr("已下架", "Archived"),
    }
}

/// Yuan typed into a price box as fen: `Ok(None)` for an empty optional box.
pub fn parse_price(console: &Console, text: &str, required: bool) -> Result<Option<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return if required { Err(console.tr("请填写价格", "Enter a price").to_string()) } else { Ok(None) };
    }
    let Some(money) = Money::parse_major(text, Currency::Cny) else {
        return Err(console
            .tr("请填写以元为单位、最多两位小数的金额，如 12.50", "Use yuan with at most two decimals, e.g. 12.50")
            .to_string());
    };
    if money.minor() < 0 {
        return Err(console.tr("价格不能为负数", "A price cannot be negative").to_string());
    }
    Money::price("price", money.minor(), Currency::Cny).map_err(|e| e.message)?;
    Ok(Some(money.minor()))
}

/// `colour=雾霾蓝; size=1.8m` as attributes; `None` when a pair has no `=`.
pub fn parse_attributes(text: &str) -> Option<Attributes> {
    let mut out = Attributes::new();
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Some(out)
}

/// Attributes as the import takes them: `colour=雾霾蓝;size=1.8m`.
pub fn attributes_text(a: &Attributes) -> String {
    a.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
}

/// Problems with a form, by field name.
#[derive(Default)]
pub struct Errors(BTreeMap<String, String>);

impl Errors {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn summary(&self, console: &Console) -> String {
        let messages: Vec<&str> = self.0.values().map(String::as_str).collect();
        format!("{}: {}", console.tr("请修改标出的内容", "Please correct the marked fields"), messages.join("; "))
    }

    /// A use case's refusal as field problems, field names mapped by `rename`; `None`
    /// for failures that are not about the input.
    pub fn from_app(e: &AppError, rename: impl Fn(&str) -> String) -> Option<Errors> {
        let mut out = Errors::default();
        match e {
            AppError::Invalid(fields) => {
                for f in fields {
                    out.add(rename(&f.field), f.message.clone());
                }
            }
            AppError::Conflict { field: Some(field), message, .. } => out.add(rename(field), message.clone()),
            _ => return None,
        }
        Some(out)
    }
}

// ----- the list -----

struct Row {
    id: ProductId,
    name: String,
    category: String,
    status: &'static str,
    archived: bool,
    skus: usize,
    price: String,
}

#[derive(Template)]
#[template(path = "console/products.html")]
struct ListPage {
    c: Chrome,
    f: Filters,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<Row>,
    next: Option<String>,
    paged: bool,
    can_edit: bool,
    can_price: bool,
    can_import: bool,
}

/// The price range of a product's SKUs on sale, in yuan.
fn price_range(skus: &[Sku]) -> String {
    let prices = skus.iter().filter(|s| s.status == RecordStatus::Active).map(|s| s.base_price.minor());
    match (prices.clone().min(), prices.max()) {
        (Some(lo), Some(hi)) if lo == hi => format!("¥{}", yuan(lo)),
        (Some(lo), Some(hi)) => format!("¥{} – ¥{}", yuan(lo), yuan(hi)),
        _ => "—".into(),
    }
}

async fn list(State(s): State<AppState>, console: Console, uri: Uri) -> Response {
    let f = Filters::from_uri(&uri);
    let all_categories = match categories(&s, &console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (products, next) = match product_page(&s, &console, &f, PAGE_SIZE).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let names: HashMap<CategoryId, String> =
        all_categories.iter().map(|c| (c.id, c.name.get(console.lang).to_string())).collect();
    // One SKU query per product, a few at a time so that one page cannot take every
    // database connection.
    let ids: Vec<ProductId> = products.iter().map(|p| p.id).collect();
    let skus: Vec<_> = futures::stream::iter(ids.into_iter().map(|id| {
        let filter = SkuFilter { product: Some(id), ..Default::default() };
        let actor = &console.actor;
        let sweep = &s.sweep;
        async move { sweep.list_skus(actor, filter, &PageRequest::first(200)).await }
    }))
    .buffered(4)
    .collect()
    .await;
    let mut rows = Vec::with_capacity(products.len());
    for (p, skus) in products.iter().zip(skus) {
        let skus = match skus {
            Ok(page) => page.items,
            Err(e) => return console.failed(&e),
        };
        rows.push(Row {
            id: p.id,
            name: p.name.get(console.lang).to_string(),
            category: p.category_id.and_then(|c| names.get(&c).cloned()).unwrap_or_default(),
            status: status_label(&console, p.status),
            archived: p.status == ProductStatus::Archived,
            skus: skus.iter().filter(|s| s.status == RecordStatus::Active).count(),
            price: price_range(&skus),
        });
    }
    let mut c = console.chrome(console.tr("商品与价格", "Products & prices"));
    c.notice = match f.done.as_str() {
        "imported" => Some((console.tr("导入完成", "Import finished").to_string(), false)),
        _ => None,
    };
    let page = ListPage {
        c,
        categories: category_choices(&console, &all_categories, &f.category),
        statuses: status_choices(&console, &f.status, true),
        next: next.map(|n| f.query(Some(&n))),
        paged: !f.cursor.is_empty(),
        rows,
        can_edit: console.can(Permission::EditCatalog),
        can_price: console.can(Permission::EditPrices),
        can_import: console.can(Permission::EditCatalog) && console.can(Permission::ReceiveStock),
        f,
    };
    console.page(&page)
}

// ----- a new product -----

/// What the new-product form holds, as typed.
#[derive(Deserialize, Default)]
struct NewProductForm {
    #[serde(default)]
    category: String,
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

#[derive(Template)]
#[template(path = "console/products_new.html")]
struct NewPage {
    c: Chrome,
    v: NewProductForm,
    categories: Vec<Choice>,
    statuses: Vec<Choice>,
    errors: Errors,
}

async fn render_new(s: &AppState, console: &Console, v: NewProductForm, errors: Errors) -> Response {
    let all = match categories(s, console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut c = console.chrome(console.tr("新增商品", "Add a product"));
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    if !errors.is_empty() {
        c.notice = Some((errors.summary(console), true));
    }
    let page = NewPage {
        c,
        categories: category_choices(console, &all, &v.category),
        statuses: status_choices(console, if v.status.is_empty() { "draft" } else { &v.status }, false),
        v,
        errors,
    };
    console.page_with_status(&page, status)
}

fn may_edit(console: &Console) -> Result<(), Response> {
    if console.can(Permission::EditCatalog) {
        Ok(())
    } else {
        Err(console.refusal(StatusCode::FORBIDDEN, console.tr("你没有权限编辑商品", "You may not edit the catalog")))
    }
}

async fn new_form(State(s): State<AppState>, console: Console) -> Response {
    if let Err(r) = may_edit(&console) {
        return r;
    }
    render_new(&s, &console, NewProductForm::default(), Errors::default()).await
}

async fn create(State(s): State<AppState>, console: Console, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let v: NewProductForm = match console.form(&s, &headers, &body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    if let Err(r) = may_edit(&console) {
        return r;
    }
    let mut errors = Errors::default();
    let category_id = match v.category.trim() {
        "" => None,
        text => match text.parse::<CategoryId>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("category_id", console.tr("请选择分类", "Choose a category"));
                None
            }
        },
    };
    let status = match ProductStatus::parse(&v.status) {
        Some(st @ (ProductStatus::Draft | ProductStatus::Active)) => st,
        _ => {
            errors.add("status", console.tr("请选择草稿或在售", "Choose draft or on sale"));
            ProductStatus::Draft
        }
    };
    let base_price = parse_price(&console, &v.base_price, true).unwrap_or_else(|e| {
        errors.add("base_price", e);
        None
    });
    let member_price = parse_price(&console, &v.member_price, false).unwrap_or_else(|e| {
        errors.add("member_price", e);
        None
    });
    let attributes = parse_attributes(&v.attributes).unwrap_or_else(|| {
        errors.add("attributes", console.tr("请按 名称=值 填写，用 ; 分隔", "Write name=value pairs separated by ;"));
        Attributes::new()
    });
    if !errors.is_empty() {
        return render_new(&s, &console, v, errors).await;
    }
    let product = CreateProductInput {
        name: LocalizedInput { zh: v.name_zh.clone(), en: v.name_en.clone() },
        description: Some(LocalizedInput { zh: v.description_zh.clone(), en: v.description_en.clone() }),
        category_id,
        status: Some(status),
    };
    let first = CreateSkuInput {
        code: v.code.clone(),
        barcode: Some(v.barcode.trim().to_string()).filter(|b| !b.is_empty()),
        attributes,
        base_price: base_price.unwrap_or_default(),
        member_price,
    };
    match s.sweep.create_product_with_sku(&console.actor, product, first).await {
        Ok((p, _)) => Redirect::to(&format!("/console/products/{}?done=created", p.id)).into_response(),
        Err(e) => match Errors::from_app(&e, form_field) {
            Some(errors) => render_new(&s, &console, v, errors).await,
            None => console.failed(&e),
        },
    }
}

/// A use case's field name as the form's: `name.zh` → `name_zh`, `attributes.colour` → `attributes`.
fn form_field(field: &str) -> String {
    match field {
        f if f.starts_with("attributes") => "attributes".into(),
        "name" => "name_zh".into(),
        f => f.replace('.', "_"),
    }
}

/// Lets the detail page say what happened after a redirect.
pub fn done_notice(console: &Console, done: &str) -> Option<(String, bool)> {
    let text = match done {
        "created" => console.tr("商品已创建", "Product created"),
        "saved" => console.tr("已保存", "Saved"),
        "sku_added" => console.tr("SKU 已添加", "SKU added"),
        "sku_saved" => console.tr("SKU 价格已保存", "SKU prices saved"),
        "archived" => console.tr("已下架", "Archived"),
        "sku_archived" => console.tr("SKU 已停用", "SKU archived"),
        "override_set" => console.tr("渠道/门店价已保存", "Channel/store price saved"),
        "override_deleted" => console.tr("渠道/门店价已删除", "Channel/store price removed"),
        "prices" => console.tr("价格已更新", "Prices updated"),
        "nochange" => console.tr("没有改动", "Nothing changed"),
        _ => return None,
    };
    Some((text.to_string(), false))
}
