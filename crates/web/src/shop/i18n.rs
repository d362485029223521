//! The storefront's words in Chinese and English.

use sweep_domain::loyalty::PointsKind;
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
            "wechat_pay" => ("微信支付", "WeChat Pay"),
            "alipay" => ("支付宝", "Alipay"),
            "sandbox_pay" => ("演示支付", "Demo payment"),
            "pay_with_qr" => ("扫码支付", "Scan to pay"),
            "scan_with_phone" => {
                ("请用手机打开扫一扫，扫码后完成支付", "Scan this code with your phone's wallet app and pay there")
            }
            "waiting_for_payment" => ("支付完成后本页会自动跳转", "This page moves on by itself once you have paid"),
            "back_to_order" => ("返回订单", "Back to the order"),
            "going_to_pay" => ("正在前往支付页面…", "On the way to the payment page…"),
            "continue_to_pay" => ("继续支付", "Continue to pay"),
            "open_in_wechat" => ("请在微信中完成支付", "Finish paying in WeChat"),
            "no_payment_method" => ("本店暂未开通在线支付", "This shop does not take payments online yet"),
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
            "points_title" => ("积分抵扣", "Pay with points"),
            "use_points" => ("使用积分", "Use my points"),
            "points_you_have" => ("您有", "You have"),
            "points_unit" => ("积分", "points"),
            "points_max_here" => ("本单最多可用", "this order takes up to"),
            "points_to_use" => ("使用积分数", "Points to use"),
            "points_off" => ("积分抵扣", "Points discount"),
            "worth" => ("可抵", "worth"),
            "points_error_insufficient" => {
                ("积分不足，请减少使用的积分", "You do not have that many points; use fewer")
            }
            "points_error_cap" => ("超出本单可用的积分上限", "That is more points than this order can take"),
            "points_error_invalid" => ("请输入正整数积分", "Enter a whole number of points"),
            "member_card" => ("会员卡", "Member card"),
            "points_balance" => ("积分", "Points"),
            "next_tier_a" => ("再消费", "Spend"),
            "next_tier_b" => ("可升级为", "more to reach"),
            "top_tier" => ("您已是最高等级会员", "You are at the top tier"),
            "points_history" => ("积分明细", "Points history"),
            "no_points" => ("还没有积分记录", "No points yet"),
            "points_note" => ("线上下单和到店购物都能累积积分", "Earn points on orders online and in our stores"),
            "next_page" => ("下一页", "Next page"),
            "first_page" => ("回到第一页", "Back to the first page"),
            "in_store" => ("在店购买", "In store"),
            "bought_at" => ("购买门店", "Bought at"),
            "valid_until" => ("有效期至", "valid until"),
            "my_coupons" => ("我的优惠券", "My coupons"),
            "coupons_to_claim" => ("可领取的优惠券", "Coupons to claim"),
            "claim" => ("领取", "Claim"),
            "coupon_claimed" => ("领取成功，已放入我的优惠券", "Claimed: it is in your coupons"),
            "coupon_claimed_already" => ("已领取", "Claimed"),
            "no_coupons" => ("还没有优惠券", "No coupons yet"),
            "coupons_note" => (
                "优惠券线上下单和到店购物都能用（以券面说明为准），每单限用一张",
                "Coupons work online and in our stores (as each one says); one coupon an order",
            ),
            "coupon_usable" => ("可使用", "Ready to use"),
            "coupon_used" => ("已使用", "Used"),
            "coupon_expired" => ("已过期", "Expired"),
            "coupon_not_yet" => ("未到使用时间", "Not valid yet"),
            "coupon_everywhere" => ("线上线下通用", "Online and in store"),
            "coupon_online_only" => ("仅限线上使用", "Online only"),
            "coupon_in_store_only" => ("仅限门店使用", "In store only"),
            "coupon_at_stores" => ("限门店", "at"),
            "coupon_title" => ("优惠券", "Coupon"),
            "no_coupon" => ("不使用优惠券", "No coupon"),
            "coupon_off" => ("优惠券抵扣", "Coupon discount"),
            "coupon_error_unavailable" => ("这张优惠券已使用或不可用", "That coupon is used or not yours"),
            "coupon_error_not_started" => ("这张优惠券还未到使用时间", "That coupon cannot be used yet"),
            "coupon_error_ended" => ("这张优惠券已过期", "That coupon has ended"),
            "coupon_error_channel" => ("这张优惠券不能在这里使用", "That coupon cannot be used here"),
            "coupon_error_store" => {
                ("这张优惠券不能用于所选门店或快递配送", "That coupon cannot be used for the store or delivery chosen")
            }
            "coupon_error_minimum" => {
                ("未达到这张优惠券的最低消费", "The order does not reach that coupon's minimum spend")
            }
            "coupon_error_limit" => ("您已领取过这张优惠券", "You already hold as many of that coupon as allowed"),
            "coupon_error_gone" => ("这张优惠券已被领完", "None of that coupon is left"),
            "back_to_me" => ("返回我的", "Back to Me"),
            "member_code" => ("会员码", "Member code"),
            "show_member_code" => ("出示会员码", "Show my member code"),
            "member_code_note" => (
                "结账时请收银员扫码：积分和优惠券到店也能用。会员码仅限一次，请勿截图",
                "Let the till scan it: your points and coupons work in store too. Each code works once; no screenshots",
            ),
            "member_code_refreshes" => {
                ("会员码自动刷新，本码有效至", "The code renews itself; this one is valid until")
            }
            "refresh_code" => ("刷新会员码", "New code"),
            // The flash-sale page; `{n}` is replaced by a number or a duration.
            "flash_upcoming" => ("即将开始", "Starts soon"),
            "flash_live" => ("抢购中", "On now"),
            "flash_sold_out" => ("已抢光", "Sold out"),
            "flash_ended" => ("活动已结束", "This sale has ended"),
            "flash_starts_in" => ("距开始", "Starts in"),
            "flash_ends_in" => ("距结束", "Ends in"),
            "flash_starts_at" => ("开抢时间", "Starts at"),
            "flash_ends_at" => ("结束时间", "Ends at"),
            "flash_days" => ("{n}天", "{n}d"),
            "flash_limit" => ("每人限购 {n} 件", "Limit {n} per member"),
            "flash_pay_within" => (
                "抢到后请在 {n}内支付，超时未付名额将释放",
                "Pay within {n} of buying, or the units go back to the sale",
            ),
            "flash_minutes" => ("{n} 分钟", "{n} min"),
            "flash_seconds" => ("{n} 秒", "{n} s"),
            "flash_members_only" => {
                ("仅限活动开始前注册的会员参与", "Only for members who joined before the sale started")
            }
            "flash_pickup_at" => ("自提门店", "Pick up at"),
            "flash_delivered" => ("快递配送到您的地址", "Delivered to your address"),
            "flash_set_aside" => ("限量 {n} 件", "{n} units in the sale"),
            "flash_left" => ("剩余 {n} 件", "{n} left"),
            "flash_sold" => ("已售 {n} 件", "{n} sold"),
            "flash_buy" => ("立即抢购", "Buy now"),
            "flash_not_started" => ("未开始", "Not started"),
            "flash_sign_in_to_buy" => ("登录后抢购", "Sign in to buy"),
            "flash_buying" => ("正在抢购…", "Buying…"),
            "flash_got_it" => ("抢到了！请在 {n}内完成支付", "Got it! Pay within {n}"),
            "flash_sold_out_note" => (
                "未支付订单的名额可能会释放，稍后再来看看",
                "Units from unpaid orders may come back: check again in a moment",
            ),
            "flash_err_sold_out" => (
                "已抢光。未支付订单的名额可能会释放，请稍后再试",
                "Sold out. Units from unpaid orders may come back: try again in a moment",
            ),
            "flash_err_limit_reached" => ("您已达到每人限购数量", "You have reached the limit per member"),
            "flash_err_sale_not_started" => ("活动还没开始，请稍候", "The sale has not started yet"),
            "flash_err_sale_ended" => ("活动已结束", "The sale has ended"),
            "flash_err_members_only" => {
                ("本场仅限活动开始前注册的会员参与", "This sale is for members who joined before it started")
            }
            "flash_err_not_in_sale" => ("该商品不在本场活动中", "This item is not in the sale"),
            "flash_err_busy" => ("人太多了，请稍后再试", "Busy right now: try again in a moment"),
            "flash_err_address" => ("请先选择收货地址", "Choose a delivery address first"),
            _ => ("", ""),
        };
        if self.is_en() { en } else { zh }
    }

    /// What a line of the points ledger was.
    pub fn points_kind(&self, kind: PointsKind) -> &'static str {
        let (zh, en) = match kind {
            PointsKind::Earn => ("获得", "Earned"),
            PointsKind::Redeem => ("使用", "Spent"),
            PointsKind::Restore => ("退回", "Given back"),
            PointsKind::Reverse => ("扣回", "Taken back"),
            PointsKind::Expire => ("过期", "Expired"),
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
