//! Catalog and stock import from a table (CSV in the CLI). Every row is checked first
//! and every problem reported with its line and column; only a clean file is written,
//! in one transaction.

use std::collections::{BTreeMap, HashMap};

use sweep_domain::catalog::{Category, Product, ProductStatus, RecordStatus, Sku, validate_attributes};
use sweep_domain::error::Validator;
use sweep_domain::ids::{CategoryId, LocationId, ProductId, SkuId};
use sweep_domain::inventory::{MovementKind, Quantity, StockChange};
use sweep_domain::location::Location;
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text::{self, Localized};
use sweep_domain::{Currency, FieldError, Money};

use crate::page::{PageRequest, all_pages};
use crate::ports::{CatalogImport, LocationFilter, SkuFilter, StockLine};
use crate::{AppError, AppResult, Sweep, require, tenant};

/// Most rows one import may carry.
pub const MAX_ROWS: usize = 50_000;
const STOCK_PREFIX: &str = "stock:";
/// The columns of a catalog file, in the order an export writes them.
pub const COLUMNS: &[&str] = &[
    "product_ref",
    "category",
    "name_zh",
    "name_en",
    "description_zh",
    "description_en",
    "status",
    "sku_code",
    "barcode",
    "attributes",
    "base_price",
    "member_price",
];

/// One data row: its line in the file and its cells by column name.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: usize,
    pub cells: BTreeMap<String, String>,
}

/// How far an import has come: rows checked, then records written (of how many).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProgress {
    Checked(usize),
    Written { done: usize, total: usize },
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub categories: usize,
    pub products: usize,
    pub skus: usize,
    pub stock_lines: usize,
    pub stock_units: i64,
    /// Rows of SKUs that exist already, repeating their current values (a re-imported
    /// export): nothing to write for them beyond their stock columns.
    pub unchanged: usize,
}

fn at(line: usize, column: &str) -> String {
    format!("line {line}.{column}")
}

impl Sweep {
    /// Checks every row, then writes all of them or none. `dry_run` stops after the
    /// checks.
    pub async fn import_catalog(
        &self,
        actor: &Actor,
        headers: &[String],
        rows: &[ImportRow],
        dry_run: bool,
        progress: &(dyn Fn(ImportProgress) + Send + Sync),
    ) -> AppResult<ImportSummary> {
        require(actor, Permission::EditCatalog)?;
        require(actor, Permission::ReceiveStock)?;
        let merchant_id = tenant(actor)?;
        if rows.is_empty() || rows.len() > MAX_ROWS {
            return Err(AppError::invalid("rows", "invalid_length", format!("give 1 to {MAX_ROWS} rows")));
        }

        // The header: known columns, and stock columns naming the merchant's locations.
        let locations: Vec<Location> = all_pages(|page| async move {
            self.repos.locations.list_locations(merchant_id, &LocationFilter::default(), &page).await
        })
        .await?;
        let by_code: HashMap<&str, LocationId> = locations.iter().map(|l| (l.code.as_str(), l.id)).collect();
        let mut v = Validator::new();
        let mut stock_columns: Vec<(String, LocationId)> = Vec::new();
        for h in headers {
            if let Some(code) = h.strip_prefix(STOCK_PREFIX) {
                match by_code.get(code) {
                    Some(id) => stock_columns.push((h.clone(), *id)),
                    None => {
                        v.push(FieldError::new(format!("header.{h}"), "unknown_location", "no location with this code"))
                    }
                }
            } else if !COLUMNS.contains(&h.as_str()) {
                v.push(FieldError::new(
                    format!("header.{h}"),
                    "unknown_column",
                    format!("columns are {}", COLUMNS.join(", ")),
                ));
            }
        }
        // A stock-only file (sku_code and stock columns) needs no product columns.
        let new_skus_possible = headers.iter().any(|h| h == "product_ref" || h == "base_price");
        let required: &[&str] =
            if new_skus_possible { &["product_ref", "sku_code", "base_price"] } else { &["sku_code"] };
        for required in required {
            if !headers.iter().any(|h| h == required) {
                v.push(FieldError::new(format!("header.{required}"), "missing_column", "this column is required"));
            }
        }
        v.finish()?;

        let mut v = Validator::new();
        let existing_categories: Vec<Category> =
            all_pages(|page| async move { self.repos.catalog.list_categories(merchant_id, None, None, &page).await })
                .await?;
        let now = self.now();
        let currency = Currency::Cny;
        let mut batch = CatalogImport::default();
        let mut categories: HashMap<String, CategoryId> = existing_categories
            .iter()
            .flat_map(|c| [(c.name.zh.clone(), c.id), (c.name.en.to_lowercase(), c.id)])
            .filter(|(name, _)| !name.is_empty())
            .collect();
        let mut products: HashMap<String, (usize, Product)> = HashMap::new();
        let mut codes: HashMap<String, usize> = HashMap::new();
        let mut barcodes: HashMap<String, usize> = HashMap::new();
        let mut summary = ImportSummary::default();
        let mut known_products: HashMap<ProductId, Option<Product>> = HashMap::new();

        for (n, row) in rows.iter().enumerate() {
            let line = row.line;
            let cell = |name: &str| row.cells.get(name).map(|s| unescape_formula(s.trim())).unwrap_or("");

            // A SKU that exists already: the row can only add stock to it, or repeat it.
            let code_text = cell("sku_code");
            let existing = if code_text.is_empty() {
                None
            } else {
                let filter = SkuFilter { code: Some(code_text.to_string()), ..Default::default() };
                self.repos
                    .catalog
                    .list_skus(merchant_id, &filter, &PageRequest::first(1))
                    .await?
                    .items
                    .into_iter()
                    .next()
            };
            if let Some(sku) = existing {
                if let Some(first) = codes.insert(sku.code.clone(), line) {
                    v.push(FieldError::new(at(line, "sku_code"), "duplicate", format!("also on line {first}")));
                }
                let product = match known_products.get(&sku.product_id) {
                    Some(p) => p.clone(),
                    None => {
                        let p = self.repos.catalog.product(merchant_id, sku.product_id).await?;
                        known_products.insert(sku.product_id, p.clone());
                        p
                    }
                };
                // Cells may repeat what the SKU already has, as in an exported file.
                let mut repeats = false;
                for column in COLUMNS.iter().filter(|c| !matches!(**c, "sku_code" | "product_ref")) {
                    let text = cell(column);
                    if text.is_empty() {
                        continue;
                    }
                    if product.as_ref().is_some_and(|p| holds(&sku, p, &categories, column, text)) {
                        repeats = true;
                        continue;
                    }
                    v.push(FieldError::new(
                        at(line, column),
                        "sku_exists",
                        "this SKU exists already: a row for it may only add stock or repeat its current values",
                    ));
                }
                if !repeats {
                    self.stock_cells(&mut v, &mut batch, &mut summary, line, &stock_columns, &cell, sku.id);
                    continue;
                }
                // A full row again, with stock: the same file imported twice must not
                // receive its stock twice.
                for (column, _) in &stock_columns {
                    if !matches!(cell(column), "" | "0") {
                        v.push(FieldError::new(
                            at(line, column),
                            "sku_exists",
                            "this SKU exists already: a row repeating its values cannot add stock",
                        ));
                    }
                }
                summary.unchanged += 1;
                continue;
            }

            // The product this row belongs to, made on its first row.
            let reference = cell("product_ref").to_string();
            if reference.is_empty() {
                v.push(FieldError::new(at(line, "product_ref"), "required", "must not be empty"));
                continue;
            }
            let product_id = match products.get(&reference) {
                Some((first_line, product)) => {
                    for (column, value) in [("name_zh", &product.name.zh), ("name_en", &product.name.en)] {
                        if !cell(column).is_empty() && cell(column) != value {
                            v.push(FieldError::new(
                                at(line, column),
                                "conflicting",
                                format!("differs from line {first_line}"),
                            ));
                        }
                    }
                    product.id
                }
                None => {
                    let name = match Localized::parse("name", cell("name_zh"), cell("name_en"), true, text::name) {
                        Ok(name) => name,
                        Err(errors) => {
                            v.extend(
                                errors
                                    .into_iter()
                                    .map(|e| FieldError::new(at(line, &e.field.replace('.', "_")), e.code, e.message)),
                            );
                            Localized::default()
                        }
                    };
                    let description = Localized {
                        zh: check(
                            &mut v,
                            line,
                            "description_zh",
                            text::bounded_text("description_zh", cell("description_zh"), 0, 5000),
                        )
                        .unwrap_or_default(),
                        en: check(
                            &mut v,
                            line,
                            "description_en",
                            text::bounded_text("description_en", cell("description_en"), 0, 5000),
                        )
                        .unwrap_or_default(),
                    };
                    let status = match cell("status") {
                        "" => ProductStatus::Active,
                        s => ProductStatus::parse(s).unwrap_or_else(|| {
                            v.push(FieldError::new(at(line, "status"), "invalid", "use draft, active or archived"));
                            ProductStatus::Draft
                        }),
                    };
                    let category_id = match cell("category") {
                        "" => None,
                        name => {
                            let key = if name.is_ascii() { name.to_lowercase() } else { name.to_string() };
                            Some(match categories.get(&key) {
                                Some(id) => *id,
                                None => match text::name("category", name) {
                                    Ok(clean) => {
                                        let (zh, en) = if clean.is_ascii() {
                                            (String::new(), clean)
                                        } else {
                                            (clean, String::new())
                                        };
                                        let c = Category {
                                            id: CategoryId::new(),
                                            merchant_id,
                                            parent_id: None,
                                            name: Localized { zh, en },
                                            sort_order: 0,
                                            status: RecordStatus::Active,
                                            created_at: now,
                                            updated_at: now,
                                        };
                                        categories.insert(key, c.id);
                                        let id = c.id;
                                        batch.categories.push(c);
                                        id
                                    }
                                    Err(e) => {
                                        v.push(FieldError::new(at(line, "category"), e.code, e.message));
                                        CategoryId::new()
                                    }
                                },
                            })
                        }
                    };
                    let product = Product {
                        id: ProductId::new(),
                        merchant_id,
                        category_id,
                        name,
                        description,
                        status,
                        created_at: now,
                        updated_at: now,
                    };
                    let id = product.id;
                    products.insert(reference, (line, product));
                    id
                }
            };

            // The SKU.
            let code = check(&mut v, line, "sku_code", text::code("sku_code", cell("sku_code"), 64));
            let barcode = match cell("barcode") {
                "" => None,
                b => check(&mut v, line, "barcode", text::barcode("barcode", b)),
            };
            let price = |column: &str, v: &mut Validator| -> Option<Money> {
                let parsed = Money::parse_major(cell(column), currency)
                    .ok_or_else(|| {
                        FieldError::new(
                            at(line, column),
                            "invalid_amount",
                            "use yuan with up to two decimals, e.g. 899.00",
                        )
                    })
                    .and_then(|m| Money::price(&at(line, column), m.minor(), currency));
                v.check(parsed)
            };
            let base_price = price("base_price", &mut v);
            let member_price = if cell("member_price").is_empty() { None } else { price("member_price", &mut v) };
            let attributes = match parse_attributes(cell("attributes")) {
                Some(a) => match validate_attributes("attributes", &a) {
                    Ok(a) => a,
                    Err(e) => {
                        v.push(FieldError::new(at(line, "attributes"), e.code, e.message));
                        Default::default()
                    }
                },
                None => {
                    v.push(FieldError::new(
                        at(line, "attributes"),
                        "invalid",
                        "write name=value pairs separated by ';'",
                    ));
                    Default::default()
                }
            };
            // The code is the trimmed cell looked up above and no SKU has it: only another
            // row of this file can clash.
            if let Some(code) = &code
                && let Some(first) = codes.insert(code.clone(), line)
            {
                v.push(FieldError::new(at(line, "sku_code"), "duplicate", format!("also on line {first}")));
            }
            if let Some(barcode) = &barcode {
                if let Some(first) = barcodes.insert(barcode.clone(), line) {
                    v.push(FieldError::new(at(line, "barcode"), "duplicate", format!("also on line {first}")));
                } else if self
                    .sku_exists(merchant_id, SkuFilter { barcode: Some(barcode.clone()), ..Default::default() })
                    .await?
                {
                    v.push(FieldError::new(at(line, "barcode"), "duplicate", "a SKU with this barcode exists already"));
                }
            }
            let sku_id = SkuId::new();
            self.stock_cells(&mut v, &mut batch, &mut summary, line, &stock_columns, &cell, sku_id);
            if let (Some(code), Some(base_price)) = (code, base_price) {
                batch.skus.push(Sku {
                    id: sku_id,
                    merchant_id,
                    product_id,
                    code,
                    barcode,
                    attributes,
                    base_price,
                    member_price,
                    status: RecordStatus::Active,
                    created_at: now,
                    updated_at: now,
                });
            }
            if n % 100 == 99 {
                progress(ImportProgress::Checked(n + 1));
            }
        }
        progress(ImportProgress::Checked(rows.len()));
        v.finish()?;

        let mut made: Vec<(usize, Product)> = products.into_values().collect();
        made.sort_by_key(|(line, _)| *line);
        batch.products = made.into_iter().map(|(_, p)| p).collect();
        summary.categories = batch.categories.len();
        summary.products = batch.products.len();
        summary.skus = batch.skus.len();
        summary.stock_lines = batch.stock.len();
        if !dry_run {
            let total = batch.records();
            let written = |done| progress(ImportProgress::Written { done, total });
            self.repos.catalog.import_catalog(merchant_id, &batch, Some(actor.staff_id), now, &written).await?;
        }
        Ok(summary)
    }

    /// Reads a row's stock columns into receive lines for `sku_id`.
    #[allow(clippy::too_many_arguments)]
    fn stock_cells<'a>(
        &self,
        v: &mut Validator,
        batch: &mut CatalogImport,
        summary: &mut ImportSummary,
        line: usize,
        stock_columns: &[(String, LocationId)],
        cell: &dyn Fn(&str) -> &'a str,
        sku_id: SkuId,
    ) {
        for (column, location_id) in stock_columns {
            match cell(column) {
                "" | "0" => {}
                text => {
                    match text.parse::<i64>().map_err(|_| ()).and_then(|q| Quantity::parse(column, q).map_err(|_| ())) {
                        Ok(q) => {
                            summary.stock_units += q.get();
                            batch.stock.push(StockLine {
                                sku_id,
                                location_id: *location_id,
                                change: StockChange::of(MovementKind::Receive, q),
                                reason: None,
                                note: "import".into(),
                                reference: None,
                            });
                        }
                        Err(()) => v.push(FieldError::new(
                            at(line, column),
                            "invalid_quantity",
                            "a whole number from 0 to 1000000",
                        )),
                    }
                }
            }
        }
    }

    async fn sku_exists(&self, merchant_id: sweep_domain::ids::MerchantId, filter: SkuFilter) -> AppResult<bool> {
        Ok(!self.repos.catalog.list_skus(merchant_id, &filter, &PageRequest::first(1)).await?.items.is_empty())
    }
}

/// A cell with the `'` an export puts before `=`, `+`, `-` or `@` (so that spreadsheet
/// programs show it as text, not run it as a formula) taken off again.
pub fn unescape_formula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

/// Whether `text` in `column` says what the existing SKU (of `product`) already has.
fn holds(sku: &Sku, product: &Product, categories: &HashMap<String, CategoryId>, column: &str, text: &str) -> bool {
    let price = |m: Option<Money>| m.is_some() && Money::parse_major(text, sku.base_price.currency()) == m;
    match column {
        "name_zh" => text == product.name.zh,
        "name_en" => text == product.name.en,
        "description_zh" => text == product.description.zh,
        "description_en" => text == product.description.en,
        "status" => text == product.status.as_str(),
        "category" => {
            let key = if text.is_ascii() { text.to_lowercase() } else { text.to_string() };
            product.category_id.is_some() && categories.get(&key).copied() == product.category_id
        }
        "barcode" => sku.barcode.as_deref() == Some(text),
        "attributes" => parse_attributes(text).as_ref() == Some(&sku.attributes),
        "base_price" => price(Some(sku.base_price)),
        "member_price" => price(sku.member_price),
        _ => false,
    }
}

/// Keeps a valid cell value; records the error against its line and column otherwise.
fn check(v: &mut Validator, line: usize, column: &str, result: Result<String, FieldError>) -> Option<String> {
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            v.push(FieldError::new(at(line, column), e.code, e.message));
            None
        }
    }
}

/// `colour=雾霾蓝;size=1.8m` as a map; `None` when a pair has no `=`.
fn parse_attributes(text: &str) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=')?;
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::parse_attributes;

    #[test]
    fn attributes_from_a_cell() {
        let a = parse_attributes("colour=雾霾蓝; size = 1.8m").unwrap();
        assert_eq!(a["colour"], "雾霾蓝");
        assert_eq!(a["size"], "1.8m");
        assert!(parse_attributes("").unwrap().is_empty());
        assert!(parse_attributes("colour").is_none());
    }
}
