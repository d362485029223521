//! The shopper's side: a merchant's shop, sign-in by phone, browsing, the cart,
//! checkout and the shopper's own orders.

mod addresses;
mod browse;
mod cart;
mod checkout;
mod my_orders;
mod nearby;
mod session;

pub use addresses::AddressInput;
pub use browse::{HomeFeed, ProductCard, ProductPage, SkuOffer, StockState, StoreStock};
pub use cart::{CartLine, CartView};
pub use checkout::{EXPIRE_ORDER, OrderLineInput, PlaceOrderInput};
pub use my_orders::ReturnInput;
pub use nearby::{MAX_NEARBY, NearbyStore, Whereabouts};
pub use session::ShopContext;
