//! Campaigns, display cards, scans and funnel events.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;
use sweep_app::page::{Page, PageRequest};
use sweep_app::ports::{CardFilter, CardRepo, FunnelCounts, FunnelEvent, FunnelGroup, ScanRecord, StoreResult};
use sweep_domain::Timestamp;
use sweep_domain::card::{Campaign, CardStatus, DisplayCard};
use sweep_domain::ids::{CampaignId, CardId, LocationId, MerchantId};

use crate::Db;
use crate::sql::{Sql, enum_col, err, get, map_err, parse, parse_opt, ts};

const CAMPAIGN_COLUMNS: &str = "id, merchant_id, name, starts_at, ends_at, created_at, updated_at";
const CARD_COLUMNS: &str =
    "id, merchant_id, code, store_id, sku_id, product_id, campaign_id, clerk_id, status, created_at, updated_at";
const CAMPAIGN_UNIQUES: &[(&str, &str)] = &[("uq_campaigns_name", "name"), ("campaigns.merchant_id", "name")];
const CARD_UNIQUES: &[(&str, &str)] = &[("uq_display_cards_code", "code"), ("display_cards.code", "code")];

fn campaign_row(row: &AnyRow) -> StoreResult<Campaign> {
    Ok(Campaign {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        name: get(row, "name")?,
        starts_at: ts(row, "starts_at")?,
        ends_at: ts(row, "ends_at")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn card_row(row: &AnyRow) -> StoreResult<DisplayCard> {
    Ok(DisplayCard {
        id: parse(row, "id")?,
        merchant_id: parse(row, "merchant_id")?,
        code: get(row, "code")?,
        store_id: parse(row, "store_id")?,
        sku_id: parse(row, "sku_id")?,
        product_id: parse(row, "product_id")?,
        campaign_id: parse_opt(row, "campaign_id")?,
        clerk_id: parse_opt(row, "clerk_id")?,
        status: enum_col(row, "status", CardStatus::parse)?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// The column each table keeps the funnel's grouping key in. Orders name the card's
/// store as the store that influenced them.
fn group_columns(group: FunnelGroup) -> (&'static str, &'static str) {
    match group {
        FunnelGroup::Card => ("card_id", "card_id"),
        FunnelGroup::Store => ("store_id", "influencer_store_id"),
        FunnelGroup::Campaign => ("COALESCE(campaign_id, '')", "COALESCE(campaign_id, '')"),
    }
}

impl Db {
    async fn one_card(&self, q: Sql) -> StoreResult<Option<DisplayCard>> {
        let row = q.query().fetch_optional(self.reader()).await.map_err(err)?;
        row.as_ref().map(card_row).transpose()
    }

    /// `key -> count` rows of one funnel query.
    async fn funnel_rows(&self, q: &Sql) -> StoreResult<Vec<(String, i64, i64)>> {
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        rows.iter().map(|r| Ok((get(r, "k")?, get(r, "n")?, get(r, "extra")?))).collect()
    }
}

fn period(q: &mut Sql, merchant: MerchantId, from: Timestamp, to: Timestamp) {
    q.bind(merchant.to_string()).push(" AND created_at >= ").bind(from.unix_micros());
    q.push(" AND created_at < ").bind(to.unix_micros());
}

#[async_trait]
impl CardRepo for Db {
    async fn insert_campaign(&self, c: &Campaign) -> StoreResult<()> {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO campaigns ({CAMPAIGN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )))
        .bind(c.id.to_string())
        .bind(c.merchant_id.to_string())
        .bind(c.name.clone())
        .bind(c.starts_at.unix_micros())
        .bind(c.ends_at.unix_micros())
        .bind(c.created_at.unix_micros())
        .bind(c.updated_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(|e| map_err(e, CAMPAIGN_UNIQUES))?;
        Ok(())
    }

    async fn update_campaign(&self, c: &Campaign) -> StoreResult<()> {
        sqlx::query(
            "UPDATE campaigns SET name = $3, starts_at = $4, ends_at = $5, updated_at = $6
             WHERE merchant_id = $1 AND id = $2",
        )
        .bind(c.merchant_id.to_string())
        .bind(c.id.to_string())
        .bind(c.name.clone())
        .bind(c.starts_at.unix_micros())
        .bind(c.ends_at.unix_micros())
        .bind(c.updated_at.unix_micros())
        .execute(self.writer())
        .await
        .map_err(|e| map_err(e, CAMPAIGN_UNIQUES))?;
        Ok(())
    }

    async fn campaign(&self, merchant: MerchantId, id: CampaignId) -> StoreResult<Option<Campaign>> {
        let mut q = Sql::new("SELECT ");
        q.push(CAMPAIGN_COLUMNS).push(" FROM campaigns WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND id = ").bind(id.to_string());
        let row = q.query().fetch_optional(self.reader()).await.map_err(err)?;
        row.as_ref().map(campaign_row).transpose()
    }

    async fn campaigns(&self, merchant: MerchantId, page: &PageRequest) -> StoreResult<Page<Campaign>> {
        let mut q = Sql::new("SELECT ");
        q.push(CAMPAIGN_COLUMNS).push(" FROM campaigns WHERE merchant_id = ").bind(merchant.to_string());
        q.page("id", page, true);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(campaign_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |c| c.id.to_string()))
    }

    async fn insert_cards(&self, cards: &[DisplayCard]) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        for c in cards {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO display_cards ({CARD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )))
            .bind(c.id.to_string())
            .bind(c.merchant_id.to_string())
            .bind(c.code.clone())
            .bind(c.store_id.to_string())
            .bind(c.sku_id.to_string())
            .bind(c.product_id.to_string())
            .bind(c.campaign_id.map(|x| x.to_string()))
            .bind(c.clerk_id.map(|x| x.to_string()))
            .bind(c.status.as_str())
            .bind(c.created_at.unix_micros())
            .bind(c.updated_at.unix_micros())
            .execute(&mut *tx)
            .await
            .map_err(|e| map_err(e, CARD_UNIQUES))?;
        }
        tx.commit().await.map_err(err)
    }

    async fn card(&self, merchant: MerchantId, id: CardId) -> StoreResult<Option<DisplayCard>> {
        let mut q = Sql::new("SELECT ");
        q.push(CARD_COLUMNS).push(" FROM display_cards WHERE merchant_id = ").bind(merchant.to_string());
        q.push(" AND id = ").bind(id.to_string());
        self.one_card(q).await
    }

    async fn card_by_code(&self, code: &str) -> StoreResult<Option<DisplayCard>> {
        let mut q = Sql::new("SELECT ");
        q.push(CARD_COLUMNS).push(" FROM display_cards WHERE code = ").bind(code.to_string());
        self.one_card(q).await
    }

    async fn cards(&self, merchant: MerchantId, f: &CardFilter, page: &PageRequest) -> StoreResult<Page<DisplayCard>> {
        let mut q = Sql::new("SELECT ");
        q.push(CARD_COLUMNS).push(" FROM display_cards WHERE merchant_id = ").bind(merchant.to_string());
        if let Some(stores) = &f.stores {
            q.push(" AND store_id IN ").bind_list(stores.iter().map(|s| s.to_string()));
        }
        if let Some(c) = f.campaign {
            q.push(" AND campaign_id = ").bind(c.to_string());
        }
        if let Some(s) = f.sku {
            q.push(" AND sku_id = ").bind(s.to_string());
        }
        if let Some(s) = f.status {
            q.push(" AND status = ").bind(s.as_str());
        }
        q.page("id", page, false);
        let rows = q.query().fetch_all(self.reader()).await.map_err(err)?;
        let items = rows.iter().map(card_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |c| c.id.to_string()))
    }

    async fn set_card_status(
        &self,
        merchant: MerchantId,
        id: CardId,
        status: CardStatus,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE display_cards SET status = $3, updated_at = $4 WHERE merchant_id = $1 AND id = $2")
            .bind(merchant.to_string())
            .bind(id.to_string())
            .bind(status.as_str())
            .bind(now.unix_micros())
            .execute(self.writer())
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn record_scan(&self, s: &ScanRecord, session_token_hash: &str, steps_count: bool) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        sqlx::query(
            "INSERT INTO card_scans (id, merchant_id, card_id, store_id, campaign_id, browser, counted, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(s.id.clone())
        .bind(s.merchant_id.to_string())
        .bind(s.card_id.to_string())
        .bind(s.store_id.to_string())
        .bind(s.campaign_id.map(|c| c.to_string()))
        .bind(s.browser.as_str())
        .bind(i64::from(s.counted))
        .bind(s.at.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if s.counted {
            let step = crate::flash::feed::CardStep { kind: "scan", card: s.card_id, store: s.store_id, at: s.at };
            crate::flash::feed::insert_card_step(&mut tx, s.merchant_id, step).await?;
        }
        sqlx::query(
            "UPDATE shopper_sessions SET scan_card_id = $2, scanned_at = $3, scan_counted = $4 WHERE token_hash = $1",
        )
        .bind(session_token_hash.to_string())
        .bind(s.card_id.to_string())
        .bind(s.at.unix_micros())
        .bind(i64::from(steps_count))
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn record_funnel_event(&self, e: &FunnelEvent) -> StoreResult<()> {
        let mut tx = self.begin().await.map_err(err)?;
        let inserted = sqlx::query(
            "INSERT INTO funnel_events (merchant_id, kind, visitor, subject, card_id, store_id, campaign_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(e.merchant_id.to_string())
        .bind(e.kind.as_str())
        .bind(e.visitor.clone())
        .bind(e.subject.clone())
        .bind(e.card_id.to_string())
        .bind(e.store_id.to_string())
        .bind(e.campaign_id.map(|c| c.to_string()))
        .bind(e.at.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        // Counted once per visitor, like the event itself.
        if inserted.rows_affected() == 1 {
            let step =
                crate::flash::feed::CardStep { kind: e.kind.as_str(), card: e.card_id, store: e.store_id, at: e.at };
            crate::flash::feed::insert_card_step(&mut tx, e.merchant_id, step).await?;
        }
        tx.commit().await.map_err(err)
    }

    async fn funnel(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        group: FunnelGroup,
        stores: Option<&[LocationId]>,
    ) -> StoreResult<Vec<FunnelCounts>> {
        let (col, order_col) = group_columns(group);
        let mut rows: BTreeMap<String, FunnelCounts> = BTreeMap::new();
        fn entry(rows: &mut BTreeMap<String, FunnelCounts>, key: String) -> &mut FunnelCounts {
            rows.entry(key.clone()).or_insert_with(|| FunnelCounts { key, ..Default::default() })
        }

        let mut scans = Sql::new("SELECT ");
        scans.push(col).push(" AS k, COUNT(*) AS n, CAST(0 AS BIGINT) AS extra FROM card_scans WHERE counted = 1");
        scans.push(" AND merchant_id = ");
        period(&mut scans, merchant, from, to);
        if let Some(s) = stores {
            scans.push(" AND store_id IN ").bind_list(s.iter().map(|x| x.to_string()));
        }
        scans.push(" GROUP BY ").push(col);
        for (k, n, _) in self.funnel_rows(&scans).await? {
            entry(&mut rows, k).scans = n;
        }

        for (kind, views) in [("view", true), ("cart", false)] {
            let mut q = Sql::new("SELECT ");
            q.push(col).push(" AS k, COUNT(DISTINCT visitor) AS n, CAST(0 AS BIGINT) AS extra FROM funnel_events");
            q.push(" WHERE kind = ").bind(kind).push(" AND merchant_id = ");
            period(&mut q, merchant, from, to);
            if let Some(s) = stores {
                q.push(" AND store_id IN ").bind_list(s.iter().map(|x| x.to_string()));
            }
            q.push(" GROUP BY ").push(col);
            for (k, n, _) in self.funnel_rows(&q).await? {
                let row = entry(&mut rows, k);
                if views {
                    row.views = n;
                } else {
                    row.carts = n;
                }
            }
        }

        // Orders: all credited ones, and the paid ones with what they brought in.
        for paid in [false, true] {
            let mut q = Sql::new("SELECT ");
            q.push(order_col)
                .push(" AS k, COUNT(*) AS n, CAST(COALESCE(SUM(paid - refunded), 0) AS BIGINT) AS extra FROM orders");
            q.push(" WHERE card_id IS NOT NULL AND merchant_id = ");
            period(&mut q, merchant, from, to);
            if paid {
                q.push(" AND paid_at IS NOT NULL");
            }
            if let Some(s) = stores {
                q.push(" AND influencer_store_id IN ").bind_list(s.iter().map(|x| x.to_string()));
            }
            q.push(" GROUP BY ").push(order_col);
            for (k, n, amount) in self.funnel_rows(&q).await? {
                let row = entry(&mut rows, k);
                if paid {
                    row.paid_orders = n;
                    row.paid_amount = amount;
                } else {
                    row.orders = n;
                }
            }
        }
        Ok(rows.into_values().collect())
    }
}
