//! Live totals for the big screen: folded from the sales feed every half second by a
//! worker, never counted on a shared row inside an order's transaction.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sweep_domain::Timestamp;
use sweep_domain::channel::Channel;
use sweep_domain::roles::{Actor, Permission};

use crate::{AppResult, Sweep, require, tenant};

/// Feed rows folded per transaction.
const FOLD_BATCH: i64 = 5000;
/// Members and points are counted every 1,200 ticks of the folder: every five minutes
/// (it reads every member, so not more often).
const MEMBER_SNAPSHOT_TICKS: u64 = 1200;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveMinute {
    pub minute: Timestamp,
    pub channel: Channel,
    pub placed: i64,
    /// Fen.
    pub placed_amount: i64,
    pub paid: i64,
    /// Fen.
    pub paid_amount: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveTotals {
    pub since: Timestamp,
    pub placed: i64,
    pub paid: i64,
    /// Paid, in fen.
    pub gmv: i64,
    /// Orders placed from phones (the mobile storefront, WeChat, Alipay), in basis
    /// points of all orders placed (10,000 = all of them).
    pub mobile_share_bp: i64,
    pub minutes: Vec<LiveMinute>,
}

impl Sweep {
    /// Folds what the sales feed holds into per-minute totals; returns the rows folded.
    pub async fn fold_sales_feed(&self) -> AppResult<usize> {
        let mut total = 0;
        loop {
            let folded = self.repos.flash.fold_sales_feed(FOLD_BATCH).await?;
            total += folded;
            if (folded as i64) < FOLD_BATCH {
                return Ok(total);
            }
        }
    }

    /// Folds the feed four times a second until shut down.
    pub async fn run_feed_folder(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if let Err(e) = self.fold_sales_feed().await {
                tracing::warn!(error = %e, "could not fold the sales feed");
            }
            ticks += 1;
            if ticks % MEMBER_SNAPSHOT_TICKS == 1
                && let Err(e) = self.snapshot_members().await
            {
                tracing::warn!(error = %e, "could not count the members");
            }
        }
    }

    /// The merchant's orders and money per minute over the last `minutes` minutes.
    pub async fn live_totals(&self, actor: &Actor, minutes: i64) -> AppResult<LiveTotals> {
        require(actor, Permission::ViewReports)?;
        let m = tenant(actor)?;
        let minutes = minutes.clamp(1, 24 * 60);
        let now_minute = self.now().unix_seconds().div_euclid(60);
        let since = now_minute - minutes + 1;
        let rows = self.repos.flash.sales_minutes(m, since).await?;
        let mut totals = LiveTotals {
            since: Timestamp::from_unix_micros(since * 60_000_000),
            placed: 0,
            paid: 0,
            gmv: 0,
            mobile_share_bp: 0,
            minutes: vec![],
        };
        let mut mobile = 0;
        for r in rows {
            let Some(channel) = Channel::parse(&r.channel) else { continue };
            totals.placed += r.placed;
            totals.paid += r.paid;
            totals.gmv += r.paid_amount;
            if matches!(channel, Channel::Mobile | Channel::Wechat | Channel::Alipay) {
                mobile += r.placed;
            }
            totals.minutes.push(LiveMinute {
                minute: Timestamp::from_unix_micros(r.minute * 60_000_000),
                channel,
                placed: r.placed,
                placed_amount: r.placed_amount,
                paid: r.paid,
                paid_amount: r.paid_amount,
            });
        }
        if totals.placed > 0 {
            totals.mobile_share_bp = mobile * 10_000 / totals.placed;
        }
        Ok(totals)
    }
}

/// A store on the big screen's leaderboard.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveStore {
    pub store_id: sweep_domain::ids::LocationId,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub name: sweep_domain::text::Localized,
    pub placed: i64,
    pub paid: i64,
    /// Fen.
    pub gmv: i64,
}

/// A product on the big screen's leaderboard.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveProduct {
    pub product_id: sweep_domain::ids::ProductId,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub name: sweep_domain::text::Localized,
    pub units: i64,
    /// Fen.
    pub gmv: i64,
}

/// What the big screen shows: today's totals (China Standard Time) with their minutes,
/// the pace of the last minute, and the store and product leaderboards.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveBoard {
    pub at: Timestamp,
    pub today: LiveTotals,
    /// Orders placed in the last sixty seconds (the current minute and the matching part
    /// of the one before).
    pub orders_last_minute: i64,
    pub top_stores: Vec<LiveStore>,
    pub top_products: Vec<LiveProduct>,
}

const CST_SECS: i64 = 8 * 3600;

/// Head office watches the big screen; the merchant it watches.
pub fn may_watch_live(actor: &Actor) -> AppResult<sweep_domain::ids::MerchantId> {
    require(actor, Permission::ViewReports)?;
    if !actor.is_head_office() {
        return Err(crate::AppError::Forbidden);
    }
    tenant(actor)
}

impl Sweep {
    /// The big screen's figures, from the folded totals (never from the orders table).
    pub async fn live_board(&self, actor: &Actor) -> AppResult<LiveBoard> {
        let m = may_watch_live(actor)?;
        let now = self.now();
        let secs = now.unix_seconds();
        let into_day = (secs + CST_SECS).rem_euclid(86_400);
        let today = self.live_totals(actor, into_day / 60 + 1).await?;
        let this_minute = secs.div_euclid(60) * 60;
        let into_minute = secs - this_minute;
        let placed_in = |minute: i64| {
            today.minutes.iter().filter(|r| r.minute.unix_seconds() == minute).map(|r| r.placed).sum::<i64>()
        };
        let orders_last_minute = placed_in(this_minute) + placed_in(this_minute - 60) * (60 - into_minute) / 60;
        let day = (secs + CST_SECS).div_euclid(86_400);
        let mut top_stores = vec![];
        for s in self.repos.analytics.store_totals(m, day, day, None, 10).await? {
            let Some(location) = self.repos.locations.location(m, s.store_id).await? else { continue };
            top_stores.push(LiveStore {
                store_id: s.store_id,
                name: location.name,
                placed: s.placed,
                paid: s.paid,
                gmv: s.paid_amount,
            });
        }
        let mut top_products = vec![];
        for p in self.repos.analytics.product_totals(m, day, day, 10).await? {
            let Some(product) = self.repos.catalog.product(m, p.product_id).await? else { continue };
            top_products.push(LiveProduct {
                product_id: p.product_id,
                name: product.name,
                units: p.units,
                gmv: p.paid_amount,
            });
        }
        Ok(LiveBoard { at: now, today, orders_last_minute, top_stores, top_products })
    }
}
