//! The scan funnel: scans, product views, carts, orders and paid orders per card, store
//! or campaign over a period. Store managers see their own stores.

use serde::Serialize;
use sweep_domain::Timestamp;
use sweep_domain::ids::{CampaignId, CardId, LocationId};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text::Lang;

use crate::ports::{FunnelCounts, FunnelGroup};
use crate::{AppError, AppResult, Sweep, require, tenant};

/// The longest period one query covers.
const MAX_PERIOD_DAYS: i64 = 400;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelRow {
    /// The card, store or campaign id; empty for orders and scans with no campaign.
    pub key: String,
    /// For people: the card's code and product, the store's name, the campaign's name.
    pub label: String,
    pub scans: i64,
    pub views: i64,
    pub carts: i64,
    pub orders: i64,
    pub paid_orders: i64,
    /// What the paid orders brought in, net of refunds, in fen.
    pub paid_amount: i64,
}

impl Sweep {
    pub async fn funnel(&self, actor: &Actor, from: &str, to: &str, group: FunnelGroup) -> AppResult<Vec<FunnelRow>> {
        require(actor, Permission::ViewReports)?;
        let m = tenant(actor)?;
        let parse = |field: &'static str, text: &str| {
            Timestamp::parse_rfc3339(text.trim()).ok_or_else(|| {
                AppError::invalid(field, "invalid_time", "an RFC 3339 time, e.g. 2026-11-11T00:00:00+08:00")
            })
        };
        let (from, to) = (parse("from", from)?, parse("to", to)?);
        if to <= from || to.unix_seconds() - from.unix_seconds() > MAX_PERIOD_DAYS * 86_400 {
            return Err(AppError::invalid(
                "to",
                "out_of_range",
                format!("after `from`, at most {MAX_PERIOD_DAYS} days later"),
            ));
        }
        let stores = (!actor.is_head_office()).then(|| actor.stores.clone());
        let counts = self.repos.cards.funnel(m, from, to, group, stores.as_deref()).await?;
        let mut rows = Vec::with_capacity(counts.len());
        for c in counts {
            let label = self.funnel_label(m, group, &c.key).await?;
            rows.push(row(c, label));
        }
        rows.sort_by(|a, b| b.scans.cmp(&a.scans).then(b.paid_amount.cmp(&a.paid_amount)).then(a.key.cmp(&b.key)));
        Ok(rows)
    }

    async fn funnel_label(&self, m: sweep_domain::ids::MerchantId, group: FunnelGroup, key: &str) -> AppResult<String> {
        Ok(match group {
            FunnelGroup::Card => match key.parse::<CardId>() {
                Ok(id) => match self.repos.cards.card(m, id).await? {
                    Some(card) => {
                        let product = self.repos.catalog.product(m, card.product_id).await?;
                        let name = product.map(|p| p.name.get(Lang::Zh).to_string()).unwrap_or_default();
                        format!("{} {name}", card.code)
                    }
                    None => key.to_string(),
                },
                Err(_) => key.to_string(),
            },
            FunnelGroup::Store => match key.parse::<LocationId>() {
                Ok(id) => self
                    .repos
                    .locations
                    .location(m, id)
                    .await?
                    .map(|l| format!("{} {}", l.code, l.name.get(Lang::Zh)))
                    .unwrap_or_else(|| key.to_string()),
                Err(_) => key.to_string(),
            },
            FunnelGroup::Campaign => match key.parse::<CampaignId>() {
                Ok(id) => self.repos.cards.campaign(m, id).await?.map(|c| c.name).unwrap_or_else(|| key.to_string()),
                Err(_) => "无活动 No campaign".to_string(),
            },
        })
    }
}

fn row(c: FunnelCounts, label: String) -> FunnelRow {
    FunnelRow {
        key: c.key,
        label,
        scans: c.scans,
        views: c.views,
        carts: c.carts,
        orders: c.orders,
        paid_orders: c.paid_orders,
        paid_amount: c.paid_amount,
    }
}
