//! The storefront's words in Chinese and English.

use sweep_domain::order::OrderStatus;
use sweep_domain::text::Lang;

/// Translations for templates: `{{ t.get("cart") }}`.
#[derive(Debug, Clone, Copy)]
pub struct T {
    pub lang: Lang,
}

impl T {
    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    pub fn html_lang(&self) -> &'static str {
        if self.is_en() { "en" } else { "zh-CN" }
    }

    pub fn get(&self, key: &str) -> &'static str {
        let (zh, en) = match key {
            "home" => ("首页", "Home"),
            "categories" => ("分类", "Categories"),
            "cart" => ("购物车", "Cart"),
            "me" => ("我的", "Me"),
            "search" => ("搜索", "Search"),
            "search_placeholder" => ("搜索商品", "Search products"),
            "hot" => ("热卖", "Best sellers"),
            "new" => ("新品", "New arrivals"),
            "from" => ("起", "from"),
            "sold_out" => ("售罄", "Sold out"),
            "in_stock" => ("有货", "In stock"),
            "few_left" => ("仅剩", "Only"),
            "left" => ("件", "left"),
            "member_price" => ("会员价", "Member price"),
            "sign_in_for_member_price" => ("登录享会员价", "Sign in for the member price"),
            "choose_variant" => ("选择规格", "Choose a variant"),
            "quantity" => ("数量", "Quantity"),
            "add_to_cart" => ("加入购物车", "Add to cart"),
            "buy_now" => ("立即购买", "Buy now"),
            "pickup_stores" => ("门店有货，可到店自提", "In stock at these stores for pickup"),
            "delivery" => ("快递配送", "Delivery"),
            "pickup" => ("到店自提", "Pick up in store"),
            "description" => ("商品详情", "Details"),
            "cart_empty" => ("购物车是空的", "Your cart is empty"),
            "go_shopping" => ("去逛逛", "Start shopping"),
            "remove" => ("删除", "Remove"),
            "update" => ("更新", "Update"),
            "subtotal" => ("合计", "Subtotal"),
            "checkout" => ("去结算", "Checkout"),
            "unavailable" => ("已下架", "No longer available"),
            "sign_in" => ("登录", "Sign in"),
            "sign_out" => ("退出登录", "Sign out"),
            "phone" => ("手机号", "Mobile number"),
            "send_code" => ("获取验证码", "Send code"),
            "code" => ("验证码", "Code"),
            "code_sent" => ("验证码已发送", "We sent you a code"),
            "see_outbox" => ("演示：在这里查看短信", "Demo: read the text message here"),
            "sign_in_note" => {
                ("登录即成为本店会员，线上线下通用。", "Signing in makes you a member here, online and in store.")
            }
            "how_to_get_it" => ("收货方式", "How to get it"),
            "no_pickup_store" => ("暂无门店能自提全部商品", "No store has everything for pickup"),
            "choose_address" => ("收货地址", "Delivery address"),
            "add_address" => ("新增地址", "Add an address"),
            "no_address" => ("还没有收货地址", "No addresses yet"),
            "place_order" => ("提交订单", "Place order"),
            "total" => ("应付", "To pay"),
            "my_orders" => ("我的订单", "My orders"),
            "no_orders" => ("还没有订单", "No orders yet"),
            "order" => ("订单", "Order"),
            "pay" => ("去支付", "Pay"),
            "pay_by" => ("请在此时间前支付", "Pay before"),
            "cancel_order" => ("取消订单", "Cancel order"),
            "confirming_payment" => ("支付确认中…", "Confirming your payment…"),
            "pickup_code" => ("取货码", "Pickup code"),
            "show_at_counter" => ("到店出示此码取货", "Show this code at the counter"),
            "pickup_until" => ("请在此时间前取货", "Collect before"),
            "ready_banner" => ("已备好，可以取货了", "Ready: come and collect it"),
            "shipped_with" => ("已发货", "Shipped with"),
            "received" => ("确认收货", "I received it"),
            "history" => ("订单记录", "History"),
            "addresses" => ("收货地址", "Addresses"),
            "recipient" => ("收货人", "Recipient"),
            "city" => ("城市", "City"),
            "district" => ("区县", "District"),
            "detail" => ("详细地址", "Street and number"),
            "use_location" => ("使用当前位置", "Use my location"),
            "save" => ("保存", "Save"),
            "delete" => ("删除", "Delete"),
            "default" => ("默认", "Default"),
            "language" => ("English", "中文"),
            "store_hours" => ("营业时间", "Hours"),
            "not_found" => ("找不到这个页面", "This page does not exist"),
            "back_home" => ("回到首页", "Back to the shop"),
            "try_again" => ("出了点问题，请重试", "Something went wrong; please try again"),
            "more" => ("更多", "More"),
            "expired_page" => ("页面已过期，请重试", "The page expired; please try again"),
            "signed_in_as" => ("当前账号", "Signed in as"),
            "card_retired" => ("这张展示卡已下架", "This display card is no longer in use"),
            "card_retired_text" => {
                ("商品可能已调整，欢迎继续逛逛本店。", "The item may have changed; the shop is still open to you.")
            }
            "see_product" => ("查看商品", "See the item"),
            "you_are_at" => ("您在", "You are at"),
            "here_stock" => ("本店现货", "In stock here"),
            "here_none" => ("本店暂时无货", "Not in stock here right now"),
            "pick_up_here" => ("到本店自提", "Pick up at this counter"),
            "nearby" => ("附近有货", "In stock near you"),
            "nearby_none" => ("附近门店暂时无货", "No store near you has it right now"),
            "near_city" => ("选择城市", "Choose a city"),
            "open_now" => ("营业中", "Open now"),
            "closed_now" => ("已打烊", "Closed now"),
            "today" => ("今日", "Today"),
            "pick_up_there" => ("去这家自提", "Pick up here"),
            "units" => ("件", "left"),
            "from_you" => ("距您", "away"),
            "pickup_only" => ("可到店自提", "Pickup in store only"),
            "store_cannot_serve" => (
                "所选门店暂时无法提供购物车里的全部商品，请选择其他门店或快递",
                "That store cannot supply everything in the cart right now: choose another, or delivery",
            ),
            _ => ("", ""),
        };
        if self.is_en() { en } else { zh }
    }

    pub fn status(&self, status: OrderStatus) -> &'static str {
        let (zh, en) = match status {
            OrderStatus::PendingPayment => ("待支付", "Awaiting payment"),
            OrderStatus::Paid => ("已支付", "Paid"),
            OrderStatus::ReadyForPickup => ("待取货", "Ready for pickup"),
            OrderStatus::Shipped => ("已发货", "Shipped"),
            OrderStatus::Completed => ("已完成", "Completed"),
            OrderStatus::Cancelled => ("已取消", "Cancelled"),
            OrderStatus::Expired => ("已超时", "Expired"),
            OrderStatus::Refunded => ("已退款", "Refunded"),
            OrderStatus::PartiallyRefunded => ("部分退款", "Partly refunded"),
        };
        if self.is_en() { en } else { zh }
    }
}
