//! The catalog as CSV: an export in the import's own columns, streamed a page of
//! products at a time, and an import (pasted CSV text) with a dry-run report of every
//! problem by line and column, written only when clean, in one transaction.
//!
//! Against spreadsheet formula injection the export puts `'` before a cell starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return; the import takes it off again
//! (see `unescape_blank` and `sweep_app::import::unescape_formula`), so an export
//! imports back as it was.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sweep_app::AppError;
use sweep_app::import::{COLUMNS, ImportRow, ImportSummary};
use sweep_app::page::PageRequest;
use sweep_app::ports::{ProductFilter, SkuFilter};
use sweep_domain::catalog::{Product, RecordStatus, Sku};
use sweep_domain::ids::CategoryId;
use sweep_domain::roles::{Actor, Permission};

use super::{attributes_text, categories};
use crate::console::{Chrome, Console, yuan};
use crate::state::AppState;

/// Products per chunk of the export.
const EXPORT_PAGE: u32 = 100;
/// Most characters of CSV text one import takes (the request body limit is near).
const MAX_TEXT: usize = 1_800_000;

// ----- writing -----

/// One CSV cell: quoted when it must be, and never read as a formula by a spreadsheet.
/// A leading tab or carriage return counts too: some spreadsheet programs skip it and
/// read what follows as a formula (as the orders export does).
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn line(cells: &[String]) -> String {
    let mut out = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

/// The rows of one product: one per SKU on sale, in the import's columns.
fn product_lines(p: &Product, skus: &[Sku], category: &str) -> String {
    let mut out = String::new();
    for sku in skus.iter().filter(|s| s.status == RecordStatus::Active) {
        let value = |column: &str| -> String {
            match column {
                "product_ref" => p.id.to_string(),
                "category" => category.to_string(),
                "name_zh" => p.name.zh.clone(),
                "name_en" => p.name.en.clone(),
                "description_zh" => p.description.zh.clone(),
                "description_en" => p.description.en.clone(),
                "status" => p.status.as_str().to_string(),
                "sku_code" => sku.code.clone(),
                "barcode" => sku.barcode.clone().unwrap_or_default(),
                "attributes" => attributes_text(&sku.attributes),
                "base_price" => yuan(sku.base_price.minor()),
                "member_price" => sku.member_price.map(|m| yuan(m.minor())).unwrap_or_default(),
                _ => String::new(),
            }
        };
        out.push_str(&line(&COLUMNS.iter().map(|c| value(c)).collect::<Vec<_>>()));
    }
    out
}

struct Export {
    s: AppState,
    actor: Actor,
    categories: HashMap<CategoryId, String>,
    /// `None` once the last page is out.
    after: Option<Option<String>>,
}

/// The next chunk of the export: one page of products with their SKUs.
async fn next_chunk(mut e: Export) -> Option<(Result<Bytes, std::io::Error>, Export)> {
    let after = e.after.take()?;
    let page = PageRequest { after, limit: EXPORT_PAGE };
    let failed = |err: AppError| {
        tracing::error!(error = %err, "catalog export failed part-way");
        std::io::Error::other("the export failed")
    };
    let products = match e.s.sweep.list_products(&e.actor, ProductFilter::default(), &page).await {
        Ok(p) => p,
        Err(err) => return Some((Err(failed(err)), e)),
    };
    let mut out = String::new();
    for p in &products.items {
        let filter = SkuFilter { product: Some(p.id), status: Some(RecordStatus::Active), ..Default::default() };
        let skus = match sweep_app::page::all_pages(|page| {
            let filter = filter.clone();
            let (sweep, actor) = (&e.s.sweep, &e.actor);
            async move { sweep.list_skus(actor, filter, &page).await }
        })
        .await
        {
            Ok(s) => s,
            Err(err) => return Some((Err(failed(err)), e)),
        };
        let category = p.category_id.and_then(|c| e.categories.get(&c)).map(String::as_str).unwrap_or("");
        out.push_str(&product_lines(p, &skus, category));
    }
    e.after = products.next_cursor.map(Some);
    Some((Ok(Bytes::from(out)), e))
}

/// `GET /console/products.csv`: every product with its SKUs on sale (a product without
/// one has no row to stand in), UTF-8 with a byte-order mark for spreadsheet programs.
pub async fn export(State(s): State<AppState>, console: Console) -> Response {
    // Reading the categories checks the caller may see the catalog before anything is sent.
    let all = match categories(&s, &console).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // Categories by the name the import looks them up by: Chinese, else English.
    let names = all
        .into_iter()
        .map(|c| (c.id, if c.name.zh.is_empty() { c.name.en.clone() } else { c.name.zh.clone() }))
        .collect();
    let head = format!("\u{feff}{}", line(&COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()));
    let first = futures::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(head)) });
    let state = Export { s, actor: console.actor.clone(), categories: names, after: Some(None) };
    let rest = futures::stream::unfold(state, next_chunk);
    let body = Body::from_stream(futures::StreamExt::chain(first, rest));
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"products.csv\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ----- reading -----

/// A header and the rows under it.
pub type Table = (Vec<String>, Vec<ImportRow>);

/// Splits CSV text (RFC 4180: quoted cells, `""` for a quote, line breaks inside quotes)
/// into the header and rows keyed by it, each with the line it starts on. Every problem
/// of the text itself is reported as (line, message).
pub fn read_csv(text: &str) -> Result<Table, Vec<(usize, String)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    let mut problems = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    loop {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut at_start = true;
        let mut ended = false;
        loop {
            let Some(ch) = chars.next() else {
                if quoted {
                    problems.push((start, "a quoted cell is not closed".to_string()));
                }
                ended = true;
                break;
            };
            if quoted {
                match ch {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => quoted = false,
                    '\n' => {
                        line += 1;
                        field.push('\n');
                    }
                    c => field.push(c),
                }
                continue;
            }
            match ch {
                '"' if at_start => quoted = true,
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    at_start = true;
                    continue;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => {
                    line += 1;
                    break;
                }
                c => field.push(c),
            }
            at_start = false;
        }
        fields.push(field);
        // Blank lines are skipped, as spreadsheet programs leave them at the end.
        if !(fields.len() == 1 && fields[0].is_empty()) {
            records.push((start, fields));
        }
        if ended {
            break;
        }
    }
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(vec![(1, "the text is empty: paste the header row and the rows".into())]);
    };
    let headers: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut rows = Vec::new();
    for (start, fields) in records {
        if fields.len() != headers.len() {
            problems.push((start, format!("{} cells where the header has {}", fields.len(), headers.len())));
            continue;
        }
        let cells: BTreeMap<String, String> =
            headers.iter().cloned().zip(fields.into_iter().map(unescape_blank)).collect();
        rows.push(ImportRow { line: start, cells });
    }
    if problems.is_empty() { Ok((headers, rows)) } else { Err(problems) }
}

/// A cell with the `'` the export puts before a leading tab or carriage return taken
/// off again (the import's `unescape_formula` takes it off before `=`, `+`, `-`, `@`).
fn unescape_blank(cell: String) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['\t', '\r']) => rest.to_string(),
        _ => cell,
    }
}

// ----- the import page -----

#[derive(Deserialize, Default)]
pub struct ImportForm {
    #[serde(default)]
    csv: String,
    /// `check` (a dry run) or `import`.
    #[serde(default)]
    action: String,
}

struct Problem {
    line: String,
    column: String,
    message: String,
}

#[derive(Template)]
#[template(path = "console/products_import.html")]
struct ImportPage {
    c: Chrome,
    text: String,
    columns: String,
    problems: Vec<Problem>,
    /// A clean dry run: what the import would write.
    clean: Option<String>,
}

fn may_import(console: &Console) -> Result<(), Response> {
    if console.can(Permission::EditCatalog) && console.can(Permission::ReceiveStock) {
        Ok(())
    } else {
        Err(console.refusal(StatusCode::FORBIDDEN, console.tr("你没有权限导入商品", "You may not import products")))
    }
}

fn render(
    console: &Console,
    text: String,
    problems: Vec<Problem>,
    clean: Option<String>,
    notice: Option<(String, bool)>,
) -> Response {
    let mut c = console.chrome(console.tr("导入商品 CSV", "Import products from CSV"));
    let status = if problems.is_empty() {
        c.notice = notice;
        StatusCode::OK
    } else {
        let text = format!(
            "{} {}",
            console.tr("文件有问题，什么都没有导入。问题数：", "Nothing was imported. Problems found:"),
            problems.len()
        );
        c.notice = Some((text, true));
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ImportPage { c, text, columns: COLUMNS.join(","), problems, clean };
    console.page_with_status(&page, status)
}

fn summary_text(console: &Console, s: &ImportSummary, dry_run: bool) -> String {
    let verb = if dry_run {
        console.tr("检查通过，将导入", "Clean: would import")
    } else {
        console.tr("已导入", "Imported")
    };
    format!(
        "{verb} {} {}, {} SKU, {} {}, {} {}; {} {}",
        s.products,
        console.tr("个商品", "products"),
        s.skus,
        s.categories,
        console.tr("个新分类", "new categories"),
        s.stock_units,
        console.tr("件库存", "units of stock"),
        s.unchanged,
        console.tr("行与现有 SKU 相同（不变）", "rows repeat existing SKUs (unchanged)"),
    )
}

pub async fn import_form(console: Console, uri: Uri) -> Response {
    if let Err(r) = may_import(&console) {
        return r;
    }
    // After an import: its counts, carried in the redirect.
    let q: HashMap<String, String> = serde_urlencoded::from_str(uri.query().unwrap_or("")).unwrap_or_default();
    let notice = (q.get("done").map(String::as_str) == Some("imported")).then(|| {
        let n = |k: &str| q.get(k).and_then(|v| v.parse().ok()).unwrap_or(0);
        let s = ImportSummary {
            products: n("products"),
            skus: n("skus"),
            categories: n("categories"),
            stock_units: n("units") as i64,
            unchanged: n("unchanged"),
            ..Default::default()
        };
        (summary_text(&console, &s, false), false)
    });
    render(&console, String::new(), vec![], None, notice)
}

/// `line 3.base_price` → ("3", "base_price"); `header.stock:X` → ("header", "stock:X").
fn place(field: &str) -> (String, String) {
    let field = field.strip_prefix("line ").unwrap_or(field);
    match field.split_once('.') {
        Some((line, column)) => (line.to_string(), column.to_string()),
        None => (field.to_string(), String::new()),
    }
}

pub async fn import(State(s): State<AppState>, console: Console, headers: HeaderMap, body: Bytes) -> Response {
    let form: ImportForm = match console.form(&s, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = may_import(&console) {
        return r;
    }
    if form.csv.len() > MAX_TEXT {
        let message = console.tr("文本过长，请分批导入", "The text is too long; import it in parts");
        let problem = Problem { line: "-".into(), column: String::new(), message: message.into() };
        return render(&console, String::new(), vec![problem], None, None);
    }
    let (header, rows) = match read_csv(&form.csv) {
        Ok(x) => x,
        Err(found) => {
            let problems = found
                .into_iter()
                .map(|(line, message)| Problem { line: line.to_string(), column: String::new(), message })
                .collect();
            return render(&console, form.csv, problems, None, None);
        }
    };
    let dry_run = form.action != "import";
    match s.sweep.import_catalog(&console.actor, &header, &rows, dry_run, &|_| {}).await {
        Ok(summary) if dry_run => {
            let clean = summary_text(&console, &summary, true);
            render(&console, form.csv, vec![], Some(clean), None)
        }
        Ok(summary) => {
            let to = format!(
                "/console/products/import?done=imported&products={}&skus={}&categories={}&units={}&unchanged={}",
                summary.products, summary.skus, summary.categories, summary.stock_units, summary.unchanged
            );
            Redirect::to(&to).into_response()
        }
        Err(AppError::Invalid(errors)) => {
            let problems = errors
                .into_iter()
                .map(|e| {
                    let (line, column) = place(&e.field);
                    Problem { line, column, message: e.message }
                })
                .collect();
            render(&console, form.csv, problems, None, None)
        }
        Err(e) => console.failed(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
        assert_eq!(cell("\t=1+1"), "'\t=1+1");
        assert_eq!(cell("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(cell(" \t"), "\" \t\"", "a tab later on is left alone");
        assert_eq!(sweep_app::import::unescape_formula("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(sweep_app::import::unescape_formula("'plain"), "'plain");
    }

    #[test]
    fn csv_reads_quotes_line_breaks_and_lines() {
        let text = "\u{feff}a,b\r\n1,\"x,\"\"y\"\"\"\r\n2,\"two\nlines\"\n\n3,z\n";
        let (headers, rows) = read_csv(text).unwrap();
        assert_eq!(headers, vec!["a", "b"]);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].cells["b"], "x,\"y\"");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].cells["b"], "two\nlines");
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[2].line, 6);
        assert_eq!(read_csv("a,b\n1\n").unwrap_err()[0].0, 2);
        assert!(read_csv("a\n\"open\n").is_err());
    }

    #[test]
    fn an_export_line_reads_back() {
        let cells = vec![
            "=1+1".to_string(),
            "a \"b\", c".to_string(),
            "多\n行".to_string(),
            "\t=HYPERLINK(1)".to_string(),
            "\r\n@x".to_string(),
        ];
        let text = format!("x,y,z,t,r\r\n{}", line(&cells));
        let (_, rows) = read_csv(&text).unwrap();
        assert_eq!(sweep_app::import::unescape_formula(&rows[0].cells["x"]), "=1+1");
        assert_eq!(rows[0].cells["y"], "a \"b\", c");
        assert_eq!(rows[0].cells["z"], "多\n行");
        assert_eq!(rows[0].cells["t"], "\t=HYPERLINK(1)", "the defusing quote is gone");
        assert_eq!(rows[0].cells["r"], "\r\n@x");
    }
}
