//! The catalog CSV import, without a database: the file read as `sweep import` reads it
//! (the csv crate with the CLI's settings: trimmed, not flexible, a UTF-8 byte-order mark
//! taken off the header), then every cell through the checks `Sweep::import_catalog` makes
//! before it looks anything up: `unescape_formula`, names, descriptions, status, category,
//! SKU code, barcode, prices (`Money::parse_major` + `Money::price`), attributes and stock
//! quantities.
//!
//! `read_csv` in crates/cli takes a path and lives in the binary, and the row checks are
//! inside an async use case that needs the repositories, so this target drives the same
//! public functions in the same order.

use std::collections::BTreeMap;

use afl::fuzz;
use sweep_app::import::{COLUMNS, ImportRow, MAX_ROWS, unescape_formula};
use sweep_domain::catalog::{ProductStatus, validate_attributes};
use sweep_domain::inventory::{MAX_QUANTITY, Quantity};
use sweep_domain::money::MAX_PRICE_MINOR;
use sweep_domain::text::{self, Localized};
use sweep_domain::{Currency, Money};

/// As `crates/cli/src/import.rs` `read_csv`, from bytes instead of a file.
fn read_csv(bytes: &[u8]) -> Result<(Vec<String>, Vec<ImportRow>), csv::Error> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(bytes);
    let headers: Vec<String> =
        reader.headers()?.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let cells = headers.iter().cloned().zip(record.iter().map(str::to_string)).collect();
        rows.push(ImportRow { line, cells });
    }
    Ok((headers, rows))
}

fn main() {
    fuzz!(|data: &[u8]| {
        let Ok((headers, rows)) = read_csv(data) else { return };
        let mut last_line = 0;
        for row in rows.iter().take(MAX_ROWS) {
            // In file order. Not strictly increasing: the csv crate counts lines by '\n', so
            // rows ended by a bare '\r' (old Mac files) share a line number in error messages.
            assert!(row.line >= last_line && row.line >= 1, "rows come in file order");
            last_line = row.line;
            let cell = |name: &str| row.cells.get(name).map(|s| unescape_formula(s.trim())).unwrap_or("");
            for column in COLUMNS.iter().copied().chain(headers.iter().map(String::as_str)) {
                let raw = row.cells.get(column).map(|s| s.trim()).unwrap_or("");
                let v = cell(column);
                // The unescaping takes off one quote before a formula character, nothing else.
                assert!(v == raw || (raw.strip_prefix('\'') == Some(v) && v.starts_with(['=', '+', '-', '@'])));
            }

            if let Ok(name) = Localized::parse("name", cell("name_zh"), cell("name_en"), true, text::name) {
                assert!(!(name.zh.is_empty() && name.en.is_empty()));
                assert!(!name.zh.contains('\n') && name.zh.chars().count() <= 120);
            }
            for column in ["description_zh", "description_en"] {
                if let Ok(d) = text::bounded_text(column, cell(column), 0, 5000) {
                    assert_eq!(d, d.trim());
                }
            }
            let _ = ProductStatus::parse(cell("status"));
            if !cell("category").is_empty() {
                let _ = text::name("category", cell("category"));
            }
            if let Ok(code) = text::code("sku_code", cell("sku_code"), 64) {
                assert!(!code.is_empty() && code.len() <= 64);
            }
            if let Ok(b) = text::barcode("barcode", cell("barcode")) {
                assert!(b.bytes().all(|c| c.is_ascii_graphic()) && b.len() <= 48);
            }
            for column in ["base_price", "member_price"] {
                let price = Money::parse_major(cell(column), Currency::Cny)
                    .and_then(|m| Money::price(column, m.minor(), Currency::Cny).ok());
                if let Some(p) = price {
                    assert!((0..=MAX_PRICE_MINOR).contains(&p.minor()));
                }
            }
            // `colour=雾霾蓝;size=1.8m`, split as the import's (private) `parse_attributes` does.
            let mut attributes = BTreeMap::new();
            let mut well_formed = true;
            for pair in cell("attributes").split(';').map(str::trim).filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some((k, v)) => {
                        attributes.insert(k.trim().to_string(), v.trim().to_string());
                    }
                    None => well_formed = false,
                }
            }
            if well_formed && let Ok(a) = validate_attributes("attributes", &attributes) {
                assert!(a.len() <= attributes.len());
            }
            for column in headers.iter().filter(|h| h.starts_with("stock:")) {
                if let Ok(q) =
                    cell(column).parse::<i64>().map_err(|_| ()).and_then(|q| Quantity::parse(column, q).map_err(|_| ()))
                {
                    assert!((1..=MAX_QUANTITY).contains(&q.get()));
                }
            }
        }
    });
}
