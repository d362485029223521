//! `sweep import`: products, SKUs and opening stock from a CSV file, all or nothing.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use sweep_app::AppError;
use sweep_app::import::{ImportProgress, ImportRow};
use sweep_app::ports::StaffFilter;
use sweep_domain::roles::{Actor, Role};
use sweep_domain::text::Login;

use crate::config::Config;
use crate::open;

pub struct ImportArgs<'a> {
    pub merchant: &'a str,
    pub file: &'a Path,
    /// The staff member the import is recorded as; default: the merchant's first owner.
    pub as_login: Option<&'a str>,
    pub dry_run: bool,
}

/// Reads the file into header names and rows keyed by header, with their line numbers.
pub fn read_csv(file: &Path) -> anyhow::Result<(Vec<String>, Vec<ImportRow>)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_path(file)
        .with_context(|| format!("opening {}", file.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .context("reading the header row")?
        .iter()
        // Spreadsheet programs often start UTF-8 files with a byte-order mark.
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.context("reading the file (is it UTF-8 CSV with the same number of columns on every line?)")?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        let cells = headers.iter().cloned().zip(record.iter().map(str::to_string)).collect();
        rows.push(ImportRow { line, cells });
    }
    Ok((headers, rows))
}

pub async fn run(config: &Config, args: ImportArgs<'_>) -> anyhow::Result<()> {
    let (headers, rows) = read_csv(args.file)?;
    let (sweep, _) = open(config).await?;
    let merchant = sweep
        .repos()
        .merchants
        .merchant_by_slug(args.merchant)
        .await
        .map_err(AppError::from)
        .map_err(crate::app_error)?
        .with_context(|| format!("no merchant with slug {:?}", args.merchant))?;
    let staff = match args.as_login {
        Some(login) => {
            let login = Login::parse("as", login).map_err(|e| anyhow::anyhow!("--as: {}", e.message))?;
            let (staff, _) = sweep
                .repos()
                .staff
                .staff_by_login(&login)
                .await
                .map_err(AppError::from)
                .map_err(crate::app_error)?
                .filter(|(s, _)| s.merchant_id == Some(merchant.id))
                .with_context(|| format!("{login} is not staff of {}", merchant.slug))?;
            staff
        }
        None => {
            let filter = StaffFilter { role: Some(Role::MerchantOwner), ..Default::default() };
            let owners = sweep
                .repos()
                .staff
                .list_staff(Some(merchant.id), &filter, &sweep_app::page::PageRequest::first(1))
                .await
                .map_err(AppError::from)
                .map_err(crate::app_error)?;
            owners.items.into_iter().next().context("the merchant has no owner to record the import as; pass --as")?
        }
    };
    // The import acts with head-office rights in this merchant, recorded as `staff`.
    let actor = Actor { staff_id: staff.id, role: Role::MerchantOwner, merchant_id: Some(merchant.id), stores: vec![] };

    let bar = ProgressBar::new(rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len}").expect("template").progress_chars("=> "),
    );
    bar.set_message("checking");
    let progress = |p: ImportProgress| match p {
        ImportProgress::Checked(n) => bar.set_position(n as u64),
        ImportProgress::Written { done, total } => {
            if bar.message() != "writing" {
                bar.set_message("writing");
                bar.set_length(total as u64);
            }
            bar.set_position(done as u64);
        }
    };
    let result = sweep.import_catalog(&actor, &headers, &rows, args.dry_run, &progress).await;
    bar.finish_and_clear();
    match result {
        Ok(s) => {
            let verb = if args.dry_run { "would import" } else { "imported" };
            println!(
                "{} into {}: {verb} {} products, {} SKUs, {} new categories, {} units of stock on {} lines (recorded as {}).",
                args.file.display(),
                merchant.slug,
                s.products,
                s.skus,
                s.categories,
                s.stock_units,
                s.stock_lines,
                staff.login
            );
            Ok(())
        }
        Err(AppError::Invalid(errors)) => {
            eprintln!("Nothing was imported: {} problem(s) in {}:", errors.len(), args.file.display());
            for e in &errors {
                let place = e.field.replace('.', ", column ").replacen("header, column ", "header: column ", 1);
                eprintln!("  {place}: {}", e.message);
            }
            std::process::exit(2);
        }
        Err(e) => Err(crate::app_error(e)),
    }
}
