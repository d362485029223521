//! The per-process front desk of flash checkouts: short-lived caches of what every
//! request needs (the shop, the member's session, the sale), rate limits, sold-out
//! flags, and the queue to the one writer task that group-commits purchases.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sweep_domain::ids::{FlashSaleId, MerchantId, ShopperId, SkuId};
use tokio::sync::{mpsc, oneshot};

use sweep_domain::Timestamp;

use crate::Settings;
use crate::ports::{Clock, FlashOutcome, FlashPurchase, FlashRepo, ShopperRepo, ShopperSession, StoreError};

/// How long a "sold out" seen by a batch is answered from memory before the next
/// request looks again (units of unpaid orders come back to the pool).
pub(super) const SOLD_OUT_MEMORY: Duration = Duration::from_secs(1);
/// How long sessions, shops and sales are cached.
pub(super) const CACHE_TTL: Duration = Duration::from_secs(5);
/// How long a sale's definition is cached. Staleness costs nothing: the database
/// decides whether a sale is on, and a refusal for that reason drops the entry.
const SALE_TTL: Duration = Duration::from_secs(60);
/// Attempts for a batch the database turned away as busy (deadlock, serialisation).
const BATCH_ATTEMPTS: usize = 3;

pub(super) type Reply = oneshot::Sender<Result<FlashOutcome, StoreError>>;
/// A live member session and the day the member joined.
pub(super) type MemberSession = Option<(ShopperSession, Timestamp)>;
type SessionReply = oneshot::Sender<Result<MemberSession, StoreError>>;
/// Sessions looked up in one query.
const SESSIONS_PER_LOOKUP: usize = 500;

/// A small map whose entries expire; a stale entry is a miss.
pub(crate) struct TtlCache<K, V> {
    entries: RwLock<HashMap<K, (Instant, V)>>,
    ttl: Duration,
    capacity: usize,
    /// One load at a time: when an entry expires under a burst, one request reads the
    /// database and the others wait for its answer.
    loading: tokio::sync::Mutex<()>,
}

impl<K: Hash + Eq + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        TtlCache { entries: RwLock::new(HashMap::new()), ttl, capacity, loading: tokio::sync::Mutex::new(()) }
    }

    /// The entry, or what `load` gives (cached), loaded by one caller at a time.
    pub async fn get_or_load<E, F: Future<Output = Result<V, E>>>(
        &self,
        key: K,
        load: impl FnOnce() -> F,
    ) -> Result<V, E> {
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let _one_at_a_time = self.loading.lock().await;
        if let Some(v) = self.get(&key) {
            return Ok(v);
        }
        let v = load().await?;
        self.put(key, v.clone());
        Ok(v)
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: K, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), value));
    }

    pub fn forget(&self, key: &K) {
        self.entries.write().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

pub(crate) struct FlashDesk {
    pub(super) members: DefaultKeyedRateLimiter<ShopperId>,
    pub(super) devices: DefaultKeyedRateLimiter<String>,
    pub(super) sold_out: RwLock<HashMap<(FlashSaleId, SkuId), Instant>>,
    pub(super) shops: TtlCache<String, sweep_domain::merchant::Merchant>,
    pub(super) buyers: TtlCache<String, Option<super::buy::CachedBuyer>>,
    pub(super) sales: TtlCache<(MerchantId, FlashSaleId), Option<Arc<super::buy::SaleCard>>>,
    pub(super) views: TtlCache<(MerchantId, FlashSaleId), Arc<super::FlashSaleView>>,
    queue: OnceLock<mpsc::Sender<(FlashPurchase, Reply)>>,
    lookups: OnceLock<mpsc::Sender<(String, SessionReply)>>,
    queue_size: usize,
    batch_size: usize,
    /// When the limiters last forgot idle keys, in seconds since the desk was made.
    last_trim: AtomicU64,
    born: Instant,
}

fn per_second(rate: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(rate.max(1)).expect("at least one");
    Quota::per_second(rate).allow_burst(NonZeroU32::new(burst.max(1)).expect("at least one"))
}

impl FlashDesk {
    pub fn new(s: &Settings) -> Self {
        FlashDesk {
            members: RateLimiter::keyed(per_second(s.flash_member_per_sec, s.flash_member_burst)),
            devices: RateLimiter::keyed(per_second(s.flash_device_per_sec, s.flash_device_burst)),
            sold_out: RwLock::new(HashMap::new()),
            shops: TtlCache::new(CACHE_TTL, 10_000),
            buyers: TtlCache::new(CACHE_TTL, 500_000),
            sales: TtlCache::new(SALE_TTL, 10_000),
            views: TtlCache::new(Duration::from_secs(1), 10_000),
            queue: OnceLock::new(),
            lookups: OnceLock::new(),
            queue_size: s.flash_queue.max(1),
            batch_size: s.flash_batch.clamp(1, 5000),
            last_trim: AtomicU64::new(0),
            born: Instant::now(),
        }
    }

    /// Forgets a signed-out session at once (other processes within [`CACHE_TTL`]).
    pub fn forget_session(&self, token_digest: &str) {
        self.buyers.forget(&token_digest.to_string());
    }

    /// Whether a member and device may send another flash request now.
    pub fn admit(&self, member: ShopperId, device: &str) -> bool {
        self.trim();
        self.members.check_key(&member).is_ok() && self.devices.check_key(&device.to_string()).is_ok()
    }

    /// Keeps the limiters' memory to the keys seen lately.
    fn trim(&self) {
        // One atomic read per request; the one request that wins the exchange trims.
        let now = self.born.elapsed().as_secs();
        let last = self.last_trim.load(Ordering::Relaxed);
        if now >= last + 60 && self.last_trim.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            self.members.retain_recent();
            self.devices.retain_recent();
        }
    }

    pub fn is_sold_out(&self, sale: FlashSaleId, sku: SkuId) -> bool {
        let flags = self.sold_out.read().unwrap_or_else(|e| e.into_inner());
        flags.get(&(sale, sku)).is_some_and(|at| at.elapsed() < SOLD_OUT_MEMORY)
    }

    pub fn mark_sold_out(&self, sale: FlashSaleId, sku: SkuId) {
        self.sold_out.write().unwrap_or_else(|e| e.into_inner()).insert((sale, sku), Instant::now());
    }

    /// Queues a purchase for the writer (started on first use); `None` when the queue is
    /// full and the caller should be told to come back.
    pub fn submit(
        &self,
        repo: &Arc<dyn FlashRepo>,
        purchase: FlashPurchase,
    ) -> Option<oneshot::Receiver<Result<FlashOutcome, StoreError>>> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.queue_size);
            tokio::spawn(write_batches(repo.clone(), rx, self.batch_size));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue.try_send((purchase, reply)).ok()?;
        Some(answer)
    }
}

impl FlashDesk {
    /// Looks a session up by its digest, together with the sessions other requests are
    /// waiting for: a burst of members new to this process costs one query per batch.
    pub async fn member_session(
        &self,
        repo: &Arc<dyn ShopperRepo>,
        clock: &Arc<dyn Clock>,
        digest: String,
    ) -> Result<MemberSession, StoreError> {
        let lookups = self.lookups.get_or_init(|| {
            let (tx, rx) = mpsc::channel(self.queue_size);
            tokio::spawn(look_sessions_up(repo.clone(), clock.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        lookups.try_send((digest, reply)).map_err(|_| StoreError::Busy("too many sign-ins at once".into()))?;
        answer.await.map_err(|_| StoreError::Busy("session lookup stopped".into()))?
    }
}

async fn look_sessions_up(
    repo: Arc<dyn ShopperRepo>,
    clock: Arc<dyn Clock>,
    mut rx: mpsc::Receiver<(String, SessionReply)>,
) {
    while let Some(first) = rx.recv().await {
        let mut waiting = vec![first];
        while waiting.len() < SESSIONS_PER_LOOKUP {
            match rx.try_recv() {
                Ok(next) => waiting.push(next),
                Err(_) => break,
            }
        }
        let digests: Vec<String> = waiting.iter().map(|(d, _)| d.clone()).collect();
        match repo.member_sessions(&digests, clock.now()).await {
            Ok(found) => {
                let mut found: HashMap<String, (ShopperSession, Timestamp)> =
                    found.into_iter().map(|(s, since)| (s.token_hash.clone(), (s, since))).collect();
                for (digest, reply) in waiting {
                    let hit = found.get(&digest).cloned();
                    let _ = reply.send(Ok(hit));
                }
                found.clear();
            }
            Err(e) => {
                let text = e.to_string();
                for (_, reply) in waiting {
                    let _ = reply.send(Err(StoreError::Busy(text.clone())));
                }
            }
        }
    }
}

/// The writer: takes whatever is waiting (up to a batch), commits it in one transaction,
/// answers each purchase after the commit, and goes again. While one batch commits the
/// next one gathers, so the batch grows with the load.
async fn write_batches(repo: Arc<dyn FlashRepo>, mut rx: mpsc::Receiver<(FlashPurchase, Reply)>, batch_size: usize) {
    let mut carried: Vec<(FlashPurchase, Reply)> = vec![];
    loop {
        let mut waiting = std::mem::take(&mut carried);
        if waiting.is_empty() {
            match rx.recv().await {
                Some(first) => waiting.push(first),
                None => return,
            }
        }
        while waiting.len() < batch_size {
            match rx.try_recv() {
                Ok(next) => waiting.push(next),
                Err(_) => break,
            }
        }
        // A member's second purchase in the same sale waits for the next batch: one
        // statement may not touch their quota twice.
        let mut seen = std::collections::HashSet::new();
        let (batch, later): (Vec<_>, Vec<_>) =
            waiting.into_iter().partition(|(p, _)| seen.insert((p.sale_id, p.order.shopper_id)));
        carried = later;
        let (purchases, replies): (Vec<FlashPurchase>, Vec<Reply>) = batch.into_iter().unzip();
        let mut result = repo.place_flash_orders(&purchases, &renumber).await;
        for _ in 1..BATCH_ATTEMPTS {
            if !matches!(result, Err(StoreError::Busy(_))) {
                break;
            }
            result = repo.place_flash_orders(&purchases, &renumber).await;
        }
        match result {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, purchases = purchases.len(), "flash batch failed");
                let text = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Busy(text.clone())));
                }
            }
        }
    }
}

/// A fresh number for an order whose number was taken: same day, new digits.
fn renumber(order: &sweep_domain::order::Order) -> String {
    let day: String = order.number.chars().take(6).collect();
    let digits = crate::secrets::random_digits(8).unwrap_or_else(|_| "00000000".into());
    format!("{day}{digits}")
}
