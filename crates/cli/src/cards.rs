//! `sweep cards print`: a store's display cards as A4 sheets (PDF) to print and cut.

use std::path::Path;

use anyhow::Context;
use sweep_app::AppError;
use sweep_app::cards::{CreateCardsInput, MAX_CARDS_PER_REQUEST};
use sweep_app::page::PageRequest;
use sweep_app::ports::{CardFilter, LocationFilter, StaffFilter, StockFilter};
use sweep_domain::card::CardStatus;
use sweep_domain::catalog::RecordStatus;
use sweep_domain::ids::{CampaignId, SkuId};
use sweep_domain::location::LocationKind;
use sweep_domain::roles::{Actor, Role};

use crate::app_error;
use crate::config::Config;

pub struct PrintArgs<'a> {
    pub merchant: &'a str,
    pub store: &'a str,
    pub campaign: Option<&'a str>,
    pub out: &'a Path,
    /// First make cards for the store's stocked SKUs that have none.
    pub create_missing: bool,
}

pub async fn print(config: &Config, args: PrintArgs<'_>) -> anyhow::Result<()> {
    let mut settings = config.settings();
    if let Some(url) = &config.public_url {
        settings.public_url = url.trim_end_matches('/').to_string();
    }
    let public_url = settings.public_url.clone();
    let (sweep, _, _) = crate::open_with(config, settings).await?;
    let repos = sweep.repos();
    let merchant = repos
        .merchants
        .merchant_by_slug(args.merchant)
        .await
        .map_err(AppError::from)
        .map_err(app_error)?
        .with_context(|| format!("no merchant {}", args.merchant))?;
    let owners = repos
        .staff
        .list_staff(
            Some(merchant.id),
            &StaffFilter { role: Some(Role::MerchantOwner), ..Default::default() },
            &PageRequest::first(1),
        )
        .await
        .map_err(AppError::from)
        .map_err(app_error)?;
    let owner = owners.items.into_iter().next().context("the merchant has no owner")?;
    // Printing acts with head-office rights in this merchant, recorded as its owner.
    let actor = Actor { staff_id: owner.id, role: Role::MerchantOwner, merchant_id: Some(merchant.id), stores: vec![] };

    let (sweep, actor) = (&*sweep, &actor);
    let filter = LocationFilter { kind: Some(LocationKind::Store), ..Default::default() };
    let stores = every_page(|page| {
        let filter = filter.clone();
        async move { sweep.list_locations(actor, filter, &page).await }
    })
    .await?;
    let store = stores
        .into_iter()
        .find(|l| l.code.eq_ignore_ascii_case(args.store) || l.id.to_string() == args.store)
        .with_context(|| format!("no store {} in {}", args.store, merchant.slug))?;
    let campaign: Option<CampaignId> = match args.campaign {
        Some(name) => {
            let all = every_page(|page| async move { sweep.list_campaigns(actor, &page).await }).await?;
            Some(all.into_iter().find(|c| c.name == name).with_context(|| format!("no campaign {name:?}"))?.id)
        }
        None => None,
    };

    let filter = CardFilter { stores: Some(vec![store.id]), campaign, sku: None, status: Some(CardStatus::Active) };
    let list_cards = |page: PageRequest| {
        let filter = filter.clone();
        async move { sweep.list_cards(actor, filter, &page).await }
    };
    let mut cards = every_page(list_cards).await?;
    if args.create_missing {
        let here = StockFilter { location: Some(store.id), ..Default::default() };
        let (merchant_id, here) = (merchant.id, &here);
        let levels = every_page(|page| async move {
            repos.inventory.stock_levels(merchant_id, here, &page).await.map_err(AppError::from)
        })
        .await?;
        let mut stocked: Vec<SkuId> = Vec::new();
        for l in levels.iter().filter(|l| l.level.available() > 0) {
            let sku = repos.catalog.sku(merchant.id, l.sku_id).await.map_err(AppError::from).map_err(app_error)?;
            if sku.is_some_and(|s| s.status == RecordStatus::Active)
                && !cards.iter().any(|c| c.sku_id == l.sku_id)
                && !stocked.contains(&l.sku_id)
            {
                stocked.push(l.sku_id);
            }
        }
        let mut made = 0;
        for chunk in stocked.chunks(MAX_CARDS_PER_REQUEST) {
            let input =
                CreateCardsInput { store_id: store.id, sku_ids: chunk.to_vec(), campaign_id: campaign, clerk_id: None };
            made += sweep.create_cards(actor, input).await.map_err(app_error)?.len();
        }
        if made > 0 {
            println!("made {made} new cards for {}", store.code);
            cards = every_page(list_cards).await?;
        }
    }
    anyhow::ensure!(!cards.is_empty(), "{} has no active cards; pass --create-missing to make them", store.code);

    let ids: Vec<_> = cards.iter().map(|c| c.id).collect();
    let prints = sweep.card_prints(actor, &ids).await.map_err(app_error)?;
    let faces: Vec<_> = prints.iter().map(sweep_web::api::cards::card_face).collect();
    let pdf = sweep_cards::sheet_pdf(&faces).context("rendering the sheets")?;
    std::fs::write(args.out, pdf).with_context(|| format!("writing {}", args.out.display()))?;
    let pages = faces.len().div_ceil(sweep_cards::CARDS_PER_PAGE);
    println!(
        "wrote {} cards on {pages} A4 pages to {} (QR codes lead to {public_url}/c/...)",
        faces.len(),
        args.out.display()
    );
    Ok(())
}

/// Every item of a paged list, page after page.
async fn every_page<T, F, Fut>(mut fetch: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = Result<sweep_app::page::Page<T>, AppError>>,
{
    let mut all = Vec::new();
    let mut page = PageRequest::first(sweep_app::page::MAX_LIMIT);
    loop {
        let got = fetch(page.clone()).await.map_err(app_error)?;
        all.extend(got.items);
        match got.next_cursor {
            Some(cursor) => page.after = Some(cursor),
            None => return Ok(all),
        }
    }
}
