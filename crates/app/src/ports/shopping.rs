//! Ports of the shopping side: shoppers and their sessions, carts, orders, payments,
//! the SMS sender and payment providers.

use async_trait::async_trait;
use sweep_domain::ids::*;
use sweep_domain::order::*;
use sweep_domain::shopper::{Address, Phone, Shopper};
use sweep_domain::{Money, Timestamp};

use super::{ClaimedJob, NewJob, PointsChange, StockLine, StoreResult};
use crate::page::{Page, PageRequest};

#[derive(Debug, Clone, PartialEq)]
pub struct ShopperSession {
    pub token_hash: String,
    pub merchant_id: MerchantId,
    /// `None` for a guest.
    pub shopper_id: Option<ShopperId>,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Names the browser across sign-in: a member's new session keeps the guest's.
    pub visitor: String,
    /// The last display card this browser scanned: its orders are credited to the
    /// card's store for a while after.
    pub scan: Option<SessionScan>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionScan {
    pub card_id: CardId,
    pub at: Timestamp,
    /// Whether this browser's views and carts count in the funnel: its scan of the card
    /// counted (see `sweep_domain::card::scan_rule`), now or when it first scanned the
    /// same card within the window.
    pub steps_count: bool,
}

#[derive(Debug, Clone)]
pub struct OtpRecord {
    pub id: String,
    pub merchant_id: MerchantId,
    pub phone: Phone,
    pub code_hash: String,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpOutcome {
    Accepted,
    Wrong,
    /// No live code for this phone (none sent, expired, or used).
    NoLiveCode,
    /// The newest code has had all its attempts.
    TooManyAttempts,
}

#[async_trait]
pub trait ShopperRepo: Send + Sync {
    async fn shopper(&self, merchant: MerchantId, id: ShopperId) -> StoreResult<Option<Shopper>>;
    /// Inserts the shopper unless the phone is already a member; returns the member.
    async fn upsert_shopper(&self, shopper: &Shopper) -> StoreResult<Shopper>;
    async fn insert_shopper_session(&self, session: &ShopperSession) -> StoreResult<()>;
    /// New members, each signed in with its session, in one transaction (rehearsals of
    /// a sale on a dev server). A phone already a member fails with `Duplicate`.
    async fn insert_members(&self, members: &[(Shopper, ShopperSession)]) -> StoreResult<()>;
    async fn shopper_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<ShopperSession>>;
    /// Live sessions of signed-in members among `token_hashes`, each with the day its
    /// member joined, in one query (a burst of flash buyers is looked up in batches).
    async fn member_sessions(
        &self,
        token_hashes: &[String],
        now: Timestamp,
    ) -> StoreResult<Vec<(ShopperSession, Timestamp)>>;
    async fn delete_shopper_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn insert_otp(&self, otp: &OtpRecord) -> StoreResult<()>;
    /// Checks `code_hash` against the newest live code for the phone, counting the
    /// attempt and consuming the code on success, with conditional writes.
    async fn consume_otp(
        &self,
        merchant: MerchantId,
        phone: &Phone,
        code_hash: &str,
        now: Timestamp,
        max_attempts: i64,
    ) -> StoreResult<OtpOutcome>;
    async fn addresses(&self, merchant: MerchantId, shopper: ShopperId) -> StoreResult<Vec<Address>>;
    /// Saves an address; a default address makes the others non-default.
    async fn insert_address(&self, address: &Address) -> StoreResult<()>;
    async fn delete_address(&self, merchant: MerchantId, shopper: ShopperId, id: AddressId) -> StoreResult<bool>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct SmsMessage {
    pub merchant_id: MerchantId,
    pub phone: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// Sends text messages. The development sender writes them to an outbox instead.
#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send(&self, merchant: MerchantId, phone: &Phone, body: &str) -> StoreResult<()>;
    /// The newest messages sent, for the development outbox page; empty for real senders.
    async fn outbox(&self, merchant: Option<MerchantId>, limit: u32) -> StoreResult<Vec<SmsMessage>>;
}

#[async_trait]
pub trait CartRepo: Send + Sync {
    async fn cart(&self, merchant: MerchantId, owner: &str) -> StoreResult<Vec<(SkuId, i64)>>;
    /// Adds to a line (creating it), never above `max` units.
    async fn add_to_cart(
        &self,
        merchant: MerchantId,
        owner: &str,
        sku: SkuId,
        quantity: i64,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Sets a line's quantity; 0 removes it.
    async fn set_cart_quantity(
        &self,
        merchant: MerchantId,
        owner: &str,
        sku: SkuId,
        quantity: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Moves a guest cart into a member's, adding quantities, in one transaction.
    async fn merge_cart(
        &self,
        merchant: MerchantId,
        from: &str,
        into: &str,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub shopper: Option<ShopperId>,
    pub status: Option<OrderStatus>,
    /// Orders with a shipment from one of these locations.
    pub locations: Option<Vec<LocationId>>,
    pub fulfilment: Option<Fulfilment>,
    /// Where the order was placed.
    pub channel: Option<sweep_domain::channel::Channel>,
    /// Orders whose number starts with these digits (all of a number: that one order).
    pub number_prefix: Option<String>,
    /// The member with this phone: `list_orders` turns it into `shopper` (no such
    /// member, no orders).
    pub phone: Option<Phone>,
    /// Orders recorded at or after this instant and before `placed_before`, judged by
    /// their ids' time (ids are time-ordered), so the id indexes serve the range.
    pub placed_from: Option<Timestamp>,
    pub placed_before: Option<Timestamp>,
    /// Only orders in one of these statuses (a queue: paid or ready).
    pub statuses: Option<Vec<OrderStatus>>,
    /// Only orders with a shipment in one of these states (at one of `locations` when
    /// given): a store's open work is found from its few open shipments, not its history.
    pub shipment_statuses: Option<Vec<ShipmentStatus>>,
    /// Oldest first (a queue) rather than newest first.
    pub oldest_first: bool,
}

#[derive(Debug, Clone)]
pub struct ShipmentChange {
    pub id: ShipmentId,
    /// The write happens only if the shipment is in one of these states now.
    pub expected: Vec<ShipmentStatus>,
    pub status: ShipmentStatus,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub at: Timestamp,
}

impl ShipmentChange {
    /// Every shipment of the order moves from one of `expected` to `status`.
    pub fn all(order: &Order, expected: &[ShipmentStatus], status: ShipmentStatus, at: Timestamp) -> Vec<Self> {
        order
            .shipments
            .iter()
            .map(|s| ShipmentChange {
                id: s.id,
                expected: expected.to_vec(),
                status,
                carrier: None,
                tracking_number: None,
                at,
            })
            .collect()
    }
}

#[derive(Debug, Clone)]
pub enum PickupCodeChange {
    /// Gives the order a code at its store, valid until `expires_at`.
    Issue { store: LocationId, code: String, expires_at: Timestamp },
    /// Uses the order's code: only if it is this code, live, and not expired.
    Use { store: LocationId, code: String },
    /// The order no longer needs its code.
    Void,
}

/// Everything one step of an order changes, applied in one transaction, and only if the
/// order is in one of `from` when the write happens.
#[derive(Debug, Clone)]
pub struct OrderChange {
    pub merchant_id: MerchantId,
    pub order_id: OrderId,
    pub from: Vec<OrderStatus>,
    pub to: OrderStatus,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub note: String,
    pub now: Timestamp,
    /// Marks the order paid with this amount.
    pub paid: Option<Money>,
    pub completed: bool,
    pub pickup_deadline: Option<Timestamp>,
    pub stock: Vec<StockLine>,
    pub shipments: Vec<ShipmentChange>,
    pub pickup_code: Option<PickupCodeChange>,
    /// New refunds, each counted against its payment's captured amount (never beyond it).
    pub refunds: Vec<Refund>,
    /// Units returned and refunded per line.
    pub line_returns: Vec<(OrderLineId, i64, i64)>,
    /// Marks the order's pending payments closed and enqueues a job to close each at its
    /// provider.
    pub close_pending_payments: bool,
    /// A return request decided by this step: it must still be requested.
    pub return_decision: Option<(ReturnId, ReturnStatus, Option<StaffId>)>,
    /// After the shipment changes, a paid order whose every shipment has shipped becomes
    /// `shipped`, decided on what is committed, not on what the caller read.
    pub promote_when_all_shipped: bool,
    pub jobs: Vec<NewJob>,
    /// Member points the step earns, gives back or takes back.
    pub points: Vec<PointsChange>,
    /// The coupon the order spent becomes available again.
    pub release_coupon: bool,
    /// A flash order's sale and member: units it releases go back to the sale's pool
    /// (or to stock once the sale has ended), and to the member's quota.
    pub flash: Option<(FlashSaleId, ShopperId)>,
}

impl OrderChange {
    pub fn new(
        order: &Order,
        from: &[OrderStatus],
        to: OrderStatus,
        actor_kind: ActorKind,
        now: Timestamp,
    ) -> OrderChange {
        OrderChange {
            merchant_id: order.merchant_id,
            order_id: order.id,
            from: from.to_vec(),
            to,
            actor_kind,
            actor_id: None,
            note: String::new(),
            now,
            paid: None,
            completed: false,
            pickup_deadline: None,
            stock: vec![],
            shipments: vec![],
            pickup_code: None,
            refunds: vec![],
            line_returns: vec![],
            close_pending_payments: false,
            return_decision: None,
            promote_when_all_shipped: false,
            flash: order.flash_sale_id.map(|sale| (sale, order.shopper_id)),
            jobs: vec![],
            points: vec![],
            release_coupon: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    Applied,
    /// The order was not in an expected state; nothing was written.
    Stale,
    /// The pickup code did not match a live code of the order; nothing was written.
    CodeRejected,
    /// A refund would exceed what was captured; nothing was written.
    RefundTooLarge,
}

/// A payment the provider confirmed, and what to do with it.
#[derive(Debug, Clone)]
pub struct Capture {
    pub payment_id: PaymentId,
    pub provider_txn_id: String,
    pub now: Timestamp,
    /// Applied when the order still waits for payment.
    pub pay_order: OrderChange,
    /// Otherwise (cancelled, expired, paid by another payment): refund this payment in full.
    pub refund_instead: Refund,
    pub refund_job: NewJob,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureOutcome {
    /// This payment had been captured before: a duplicate notification.
    AlreadyCaptured,
    Paid,
    /// The order could not take the money any more; it is being refunded.
    Refunding,
}

#[async_trait]
pub trait OrderRepo: Send + Sync {
    /// Writes a new order in one transaction: the order, lines and shipments, the stock
    /// reservations, the points it spends, its first event, its jobs (expiry), and removes
    /// the ordered SKUs from the cart. A reused idempotency key fails with
    /// `Duplicate { field: "idempotency_key" }`, too few points with `InsufficientPoints`;
    /// either way nothing is written.
    async fn place_order(
        &self,
        order: &Order,
        idempotency_key: Option<&str>,
        reservations: &[StockLine],
        jobs: &[NewJob],
        cart_owner: Option<&str>,
        points: &[PointsChange],
    ) -> StoreResult<()>;
    async fn order(&self, merchant: MerchantId, id: OrderId) -> StoreResult<Option<Order>>;
    async fn order_by_idempotency_key(
        &self,
        merchant: MerchantId,
        shopper: ShopperId,
        key: &str,
    ) -> StoreResult<Option<Order>>;
    async fn list_orders(
        &self,
        merchant: MerchantId,
        filter: &OrderFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<Order>>;
    async fn order_events(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<OrderEvent>>;
    /// The phones of members among `shoppers`, in one query (order lists show them).
    async fn shopper_phones(
        &self,
        merchant: MerchantId,
        shoppers: &[ShopperId],
    ) -> StoreResult<Vec<(ShopperId, Phone)>>;
    async fn change_order(&self, change: &OrderChange) -> StoreResult<ChangeOutcome>;
    /// The order with a live pickup code at a store.
    async fn order_by_pickup_code(&self, store: LocationId, code: &str, now: Timestamp)
    -> StoreResult<Option<OrderId>>;
    async fn pickup_code(&self, order: OrderId) -> StoreResult<Option<(String, Timestamp, String)>>;

    /// Records a new pending payment of an order, only while the order still waits for
    /// payment (under the order's row lock, so expiry and cancellation see it); false
    /// when it no longer does.
    async fn start_payment(&self, payment: &Payment) -> StoreResult<bool>;
    async fn payments(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<Payment>>;
    async fn payment_by_out_trade_no(&self, out_trade_no: &str) -> StoreResult<Option<Payment>>;
    async fn capture(&self, capture: &Capture) -> StoreResult<CaptureOutcome>;
    async fn refunds(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<Refund>>;
    async fn refund(&self, id: RefundId) -> StoreResult<Option<Refund>>;
    async fn complete_refund(&self, id: RefundId, now: Timestamp) -> StoreResult<()>;
    async fn refund_by_out_refund_no(&self, out_refund_no: &str) -> StoreResult<Option<Refund>>;
    /// Pending payments of orders still waiting for payment, started before `cutoff` and
    /// not asked about since; the least recently asked first.
    async fn payments_to_query(&self, cutoff: Timestamp, limit: u32) -> StoreResult<Vec<Payment>>;
    async fn mark_payment_queried(&self, id: PaymentId, now: Timestamp) -> StoreResult<()>;
    /// Records a notification that arrived (the audit trail; rejected ones are security events).
    #[allow(clippy::too_many_arguments)]
    async fn record_notification(
        &self,
        provider: &str,
        merchant: Option<MerchantId>,
        out_trade_no: Option<&str>,
        outcome: &str,
        detail: &str,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// The products that sold most units in paid orders, best first.
    async fn best_sellers(&self, merchant: MerchantId, limit: u32) -> StoreResult<Vec<ProductId>>;
    async fn insert_return(&self, request: &ReturnRequest) -> StoreResult<()>;
    async fn returns(&self, merchant: MerchantId, order: OrderId) -> StoreResult<Vec<ReturnRequest>>;
}

/// Background work that lives outside the use cases (such as a provider simulator's
/// own notifications); the worker hands it jobs of the kinds it names.
#[async_trait]
pub trait JobHandler: Send + Sync {
    fn kinds(&self) -> &'static [&'static str];
    async fn run(&self, job: &ClaimedJob) -> Result<(), String>;
}

#[derive(Debug, Clone, PartialEq)]
pub struct SandboxTransaction {
    pub out_trade_no: String,
    pub merchant_id: String,
    pub transaction_id: String,
    pub amount: Money,
    pub description: String,
    pub notify_url: String,
    pub return_url: String,
    /// `NOTPAY`, `SUCCESS` or `CLOSED`, as providers say it.
    pub status: String,
    pub refunded: Money,
    pub paid_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxRefundOutcome {
    Done,
    /// This refund number was processed before: nothing more happened.
    AlreadyDone,
    NotPaid,
    /// More than was paid (less earlier refunds).
    ExceedsPaid,
}

/// The sandbox payment provider's own books.
#[async_trait]
pub trait SandboxRepo: Send + Sync {
    /// Records a new transaction; creating the same `out_trade_no` again changes nothing.
    async fn sandbox_create(&self, txn: &SandboxTransaction) -> StoreResult<()>;
    async fn sandbox_transaction(&self, out_trade_no: &str) -> StoreResult<Option<SandboxTransaction>>;
    /// NOTPAY -> SUCCESS; false when it was paid or closed already.
    async fn sandbox_mark_paid(&self, out_trade_no: &str, now: Timestamp) -> StoreResult<bool>;
    /// NOTPAY -> CLOSED; false when it was paid or closed already.
    async fn sandbox_close(&self, out_trade_no: &str) -> StoreResult<bool>;
    async fn sandbox_refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        amount: i64,
        now: Timestamp,
    ) -> StoreResult<SandboxRefundOutcome>;
}

/// Deployment-wide secrets, made once and shared by every process.
#[async_trait]
pub trait PlatformSecrets: Send + Sync {
    /// The stored value `name`; `fresh` becomes it when there is none yet (one write, so
    /// every process ends up with the same value).
    async fn platform_secret(&self, name: &str, fresh: &str, now: Timestamp) -> StoreResult<String>;
    async fn platform_value(&self, name: &str) -> StoreResult<Option<String>>;
}
