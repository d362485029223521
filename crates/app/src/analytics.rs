//! Analytics for the console: sales by day and channel, mobile share, the store and
//! product leaderboards, member growth and points outstanding, flash-sale results and
//! the scan funnel, over a range of China Standard Time days. Sales figures come from
//! day totals folded from the sales feed, so a year reads a few thousand rows however
//! many orders there were. Store managers see their own stores' figures only.

use std::collections::BTreeMap;

use sweep_domain::channel::Channel;
use sweep_domain::day::CstDay;
use sweep_domain::ids::{LocationId, MerchantId};
use sweep_domain::roles::{Actor, Permission};
use sweep_domain::text::{Lang, Localized};
use sweep_domain::{FieldError, Timestamp};

use crate::cards::funnel::FunnelRow;
use crate::page::all_pages;
use crate::{AppError, AppResult, Sweep, require, tenant};

/// The longest range one report covers.
pub const MAX_RANGE_DAYS: i64 = 400;
/// The range when none is given: the last 30 days, today included.
pub const DEFAULT_RANGE_DAYS: i64 = 30;
const LEADERBOARD_SIZE: u32 = 20;
/// Cards listed in the funnel by card (the most scanned).
const FUNNEL_CARDS: usize = 30;

fn empty_funnel(key: String) -> FunnelRow {
    FunnelRow { label: key.clone(), key, scans: 0, views: 0, carts: 0, orders: 0, paid_orders: 0, paid_amount: 0 }
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: CstDay,
    pub to: CstDay,
}

impl DayRange {
    /// `from` and `to` as `YYYY-MM-DD` (either may be empty: the default range around
    /// the other end, or ending today).
    pub fn parse(from: &str, to: &str, today: CstDay) -> Result<DayRange, AppError> {
        let day = |field: &'static str, text: &str| -> Result<Option<CstDay>, FieldError> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            CstDay::parse(text).map(Some).ok_or_else(|| FieldError::new(field, "invalid_date", "a date as YYYY-MM-DD"))
        };
        let (from, to) = (day("from", from)?, day("to", to)?);
        let (from, to) = match (from, to) {
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, f.plus(DEFAULT_RANGE_DAYS - 1).min(today.max(f))),
            (None, Some(t)) => (t.plus(1 - DEFAULT_RANGE_DAYS), t),
            (None, None) => (today.plus(1 - DEFAULT_RANGE_DAYS), today),
        };
        if to < from {
            return Err(AppError::invalid("to", "out_of_range", "the last day comes before the first"));
        }
        if to.0 - from.0 + 1 > MAX_RANGE_DAYS {
            return Err(AppError::invalid("to", "out_of_range", format!("at most {MAX_RANGE_DAYS} days")));
        }
        Ok(DayRange { from, to })
    }

    pub fn days(&self) -> impl Iterator<Item = CstDay> + use<> {
        (self.from.0..=self.to.0).map(CstDay)
    }
}

/// One day's orders and paid money on one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sales {
    pub placed: i64,
    pub paid: i64,
    /// Fen.
    pub gmv: i64,
}

impl Sales {
    fn add(&mut self, placed: i64, paid: i64, gmv: i64) {
        self.placed += placed;
        self.paid += paid;
        self.gmv += gmv;
    }
}

#[derive(Debug, Clone)]
pub struct DaySales {
    pub day: CstDay,
    pub total: Sales,
    /// By channel, in `Channel::ALL` order; empty for store-scoped reports (the store
    /// totals are not split by channel).
    pub channels: Vec<Sales>,
}

impl DaySales {
    /// Orders placed from phones (WeChat, Alipay, a mobile browser) that day, in basis
    /// points of all placed; `None` on a day without orders or without the channel split.
    pub fn mobile_share_bp(&self) -> Option<i64> {
        if self.channels.is_empty() || self.total.placed == 0 {
            return None;
        }
        let phone: i64 = Channel::ALL
            .iter()
            .zip(&self.channels)
            .filter(|(c, _)| Channel::PHONE.contains(c))
            .map(|(_, s)| s.placed)
            .sum();
        Some(phone * 10_000 / self.total.placed)
    }
}

#[derive(Debug, Clone)]
pub struct StoreRow {
    pub store_id: LocationId,
    pub name: Localized,
    pub code: String,
    pub sales: Sales,
}

#[derive(Debug, Clone)]
pub struct ProductRow {
    pub product_id: sweep_domain::ids::ProductId,
    pub name: Localized,
    pub units: i64,
    pub gmv: i64,
}

/// Members at a day's end, the change over the day (joined, net of any who left), and
/// the points they held.
#[derive(Debug, Clone)]
pub struct MemberDayRow {
    pub day: CstDay,
    pub joined: i64,
    pub members: i64,
    pub points_outstanding: i64,
}

#[derive(Debug, Clone)]
pub struct MemberGrowth {
    pub days: Vec<MemberDayRow>,
    pub members: i64,
    pub holding_points: i64,
    /// Points held by members now: the merchant's liability.
    pub points_outstanding: i64,
}

#[derive(Debug, Clone)]
pub struct FlashRow {
    pub name: String,
    pub starts_at: Timestamp,
    pub ended: bool,
    pub pool: i64,
    pub taken: i64,
    pub orders: i64,
    pub paid_orders: i64,
    /// Paid, net of refunds, in fen.
    pub paid_amount: i64,
}

#[derive(Debug, Clone)]
pub struct Analytics {
    pub range: DayRange,
    /// Only the actor's stores (store managers).
    pub store_scoped: bool,
    pub totals: Sales,
    /// Share of orders placed from phones (WeChat, Alipay, mobile browser), basis points.
    pub mobile_share_bp: i64,
    pub channel_totals: Vec<(Channel, Sales)>,
    pub days: Vec<DaySales>,
    pub stores: Vec<StoreRow>,
    /// Head office only: the merchant's products, members and flash sales.
    pub products: Vec<ProductRow>,
    pub members: Option<MemberGrowth>,
    pub flash: Vec<FlashRow>,
    /// The scan funnel per store and per card.
    pub funnel: Vec<FunnelRow>,
    pub funnel_cards: Vec<FunnelRow>,
}

impl Sweep {
    pub fn today(&self) -> CstDay {
        CstDay::of(self.now())
    }

    pub async fn analytics(&self, actor: &Actor, range: DayRange) -> AppResult<Analytics> {
        require(actor, Permission::ViewReports)?;
        let m = tenant(actor)?;
        let scoped = !actor.is_head_office();
        let stores = scoped.then(|| actor.stores.clone());
        let (from, to) = (range.from.0, range.to.0);
        let mut days: BTreeMap<i64, DaySales> = range
            .days()
            .map(|d| {
                let channels = if scoped { vec![] } else { vec![Sales::default(); Channel::ALL.len()] };
                (d.0, DaySales { day: d, total: Sales::default(), channels })
            })
            .collect();
        let mut channel_totals: Vec<(Channel, Sales)> = Channel::ALL.iter().map(|c| (*c, Sales::default())).collect();
        let mut totals = Sales::default();
        let mut mobile = 0;
        if scoped {
            for r in self.repos.analytics.store_days(m, from, to, stores.as_deref()).await? {
                if let Some(d) = days.get_mut(&r.day) {
                    d.total.add(r.placed, r.paid, r.paid_amount);
                }
                totals.add(r.placed, r.paid, r.paid_amount);
            }
        } else {
            for r in self.repos.analytics.channel_days(m, from, to).await? {
                let Some(i) = Channel::ALL.iter().position(|c| c.as_str() == r.channel) else { continue };
                if let Some(d) = days.get_mut(&r.day) {
                    d.total.add(r.placed, r.paid, r.paid_amount);
                    d.channels[i].add(r.placed, r.paid, r.paid_amount);
                }
                channel_totals[i].1.add(r.placed, r.paid, r.paid_amount);
                totals.add(r.placed, r.paid, r.paid_amount);
                if Channel::PHONE.contains(&Channel::ALL[i]) {
                    mobile += r.placed;
                }
            }
        }
        let mut store_rows = vec![];
        for s in self.repos.analytics.store_totals(m, from, to, stores.as_deref(), LEADERBOARD_SIZE).await? {
            let (name, code) = match self.repos.locations.location(m, s.store_id).await? {
                Some(l) => (l.name, l.code),
                None => (Localized::default(), String::new()),
            };
            store_rows.push(StoreRow {
                store_id: s.store_id,
                name,
                code,
                sales: Sales { placed: s.placed, paid: s.paid, gmv: s.paid_amount },
            });
        }
        let (funnel, funnel_cards) = self.card_funnel(m, range, stores.as_deref()).await?;
        let mut report = Analytics {
            range,
            store_scoped: scoped,
            mobile_share_bp: if totals.placed > 0 { mobile * 10_000 / totals.placed } else { 0 },
            totals,
            channel_totals: if scoped { vec![] } else { channel_totals },
            days: days.into_values().collect(),
            stores: store_rows,
            products: vec![],
            members: None,
            flash: vec![],
            funnel,
            funnel_cards,
        };
        if !scoped {
            report.products = self.top_products_between(m, range).await?;
            report.members = Some(self.member_growth(m, range).await?);
            report.flash = self.flash_results(m, range).await?;
        }
        Ok(report)
    }

    /// The scan funnel over a range of days, per store and per card (the busiest
    /// cards), from the cards' day totals; store managers see their stores'.
    pub async fn scan_funnel(&self, actor: &Actor, range: DayRange) -> AppResult<(Vec<FunnelRow>, Vec<FunnelRow>)> {
        require(actor, Permission::ViewReports)?;
        let m = tenant(actor)?;
        let stores = (!actor.is_head_office()).then(|| actor.stores.clone());
        self.card_funnel(m, range, stores.as_deref()).await
    }

    /// The scan funnel per store and per card (the busiest cards), from the cards' day
    /// totals. Views count product pages viewed through the card (once per visitor and
    /// product), carts SKUs put in the cart; paid money is counted when paid.
    async fn card_funnel(
        &self,
        m: MerchantId,
        range: DayRange,
        stores: Option<&[LocationId]>,
    ) -> AppResult<(Vec<FunnelRow>, Vec<FunnelRow>)> {
        let mut cards = self.repos.analytics.card_totals(m, range.from.0, range.to.0, stores).await?;
        let mut by_store: BTreeMap<LocationId, FunnelRow> = BTreeMap::new();
        let add = |row: &mut FunnelRow, c: &crate::ports::CardTotal| {
            row.scans += c.scans;
            row.views += c.views;
            row.carts += c.carts;
            row.orders += c.orders;
            row.paid_orders += c.paid_orders;
            row.paid_amount += c.paid_amount;
        };
        for c in &cards {
            let row = by_store.entry(c.store_id).or_insert_with(|| empty_funnel(c.store_id.to_string()));
            add(row, c);
        }
        let mut store_rows = vec![];
        for (id, mut row) in by_store {
            if let Some(l) = self.repos.locations.location(m, id).await? {
                row.label = format!("{} {}", l.code, l.name.get(Lang::Zh));
            }
            store_rows.push(row);
        }
        store_rows.sort_by(|a, b| b.scans.cmp(&a.scans).then(b.paid_amount.cmp(&a.paid_amount)));
        cards.sort_by(|a, b| b.scans.cmp(&a.scans).then(b.paid_amount.cmp(&a.paid_amount)));
        let mut card_rows = vec![];
        for c in cards.iter().take(FUNNEL_CARDS) {
            let mut row = empty_funnel(c.card_id.to_string());
            add(&mut row, c);
            if let Some(card) = self.repos.cards.card(m, c.card_id).await? {
                let product = self.repos.catalog.product(m, card.product_id).await?;
                let name = product.map(|p| p.name.get(Lang::Zh).to_string()).unwrap_or_default();
                row.label = format!("{} {name}", card.code);
            }
            card_rows.push(row);
        }
        Ok((store_rows, card_rows))
    }

    async fn top_products_between(&self, m: MerchantId, range: DayRange) -> AppResult<Vec<ProductRow>> {
        let mut rows = vec![];
        for p in self.repos.analytics.product_totals(m, range.from.0, range.to.0, LEADERBOARD_SIZE).await? {
            let name = self.repos.catalog.product(m, p.product_id).await?.map(|p| p.name).unwrap_or_default();
            rows.push(ProductRow { product_id: p.product_id, name, units: p.units, gmv: p.paid_amount });
        }
        Ok(rows)
    }

    async fn member_growth(&self, m: MerchantId, range: DayRange) -> AppResult<MemberGrowth> {
        let snapshots = self.repos.analytics.member_days(m, range.from.0, range.to.0).await?;
        // Each day: the members at its end (the last snapshot so far), and the change.
        let mut last: Option<&crate::ports::MemberDay> = snapshots.iter().find(|d| d.day < range.from.0);
        let mut days = vec![];
        for d in range.days() {
            let before = last.map_or(0, |l| l.members);
            if let Some(today) = snapshots.iter().find(|s| s.day == d.0) {
                last = Some(today);
            }
            let now = last.map_or(0, |l| l.members);
            days.push(MemberDayRow {
                day: d,
                joined: now - before,
                members: now,
                points_outstanding: last.map_or(0, |l| l.points_outstanding),
            });
        }
        let latest = snapshots.last().cloned().unwrap_or_default();
        Ok(MemberGrowth {
            days,
            members: latest.members,
            holding_points: latest.holding_points,
            points_outstanding: latest.points_outstanding,
        })
    }

    /// Counts members and their points as today's snapshot (a background job does this
    /// every five minutes).
    pub async fn snapshot_members(&self) -> AppResult<()> {
        Ok(self.repos.analytics.snapshot_members(self.today().0).await?)
    }

    /// The flash sales that started in the range, latest first. All the merchant's sales
    /// are looked at: one made long before it starts is still counted on its day.
    async fn flash_results(&self, m: MerchantId, range: DayRange) -> AppResult<Vec<FlashRow>> {
        let (start, end) = (range.from.start(), range.to.plus(1).start());
        let mut sales: Vec<_> = all_pages(|page| async move { self.repos.flash.list_flash_sales(m, &page).await })
            .await?
            .into_iter()
            .filter(|s| s.starts_at >= start && s.starts_at < end)
            .collect();
        sales.sort_by_key(|s| std::cmp::Reverse(s.starts_at));
        let ids: Vec<_> = sales.iter().map(|s| s.id).collect();
        let totals = self.repos.analytics.flash_totals(m, &ids).await?;
        Ok(sales
            .into_iter()
            .map(|s| {
                let t = totals.iter().find(|t| t.sale_id == s.id);
                FlashRow {
                    name: s.name.clone(),
                    starts_at: s.starts_at,
                    ended: s.ended_at.is_some(),
                    pool: s.items.iter().map(|i| i.pool_size).sum(),
                    taken: s.items.iter().map(|i| i.taken()).sum(),
                    orders: t.map_or(0, |t| t.orders),
                    paid_orders: t.map_or(0, |t| t.paid_orders),
                    paid_amount: t.map_or(0, |t| t.paid_amount),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_default_to_the_last_thirty_days_and_refuse_nonsense() {
        let today = CstDay::parse("2026-11-26").unwrap();
        let r = DayRange::parse("", "", today).unwrap();
        assert_eq!((r.from.to_string(), r.to.to_string()), ("2026-10-28".into(), "2026-11-26".into()));
        let r = DayRange::parse("2026-11-01", "", today).unwrap();
        assert_eq!(r.to, today, "never past today when only the start is given");
        let r = DayRange::parse("", "2026-11-11", today).unwrap();
        assert_eq!(r.from.to_string(), "2026-10-13");
        assert!(DayRange::parse("2026-11-12", "2026-11-11", today).is_err());
        assert!(DayRange::parse("2024-01-01", "2026-11-11", today).is_err());
        assert!(DayRange::parse("2026-11-31", "", today).is_err());
    }
}
