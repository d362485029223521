use sha2::{Digest, Sha256};
use sweep_domain::ids::ShopperId;
use sweep_domain::merchant::{Merchant, MerchantStatus};
use sweep_domain::shopper::{OTP_DIGITS, Phone, Shopper, clean_code};

use crate::ports::{OtpOutcome, OtpRecord, ShopperSession};
use crate::secrets::{random_digits, random_token, token_digest};
use crate::{AppError, AppResult, Sweep};

const OTP_TTL_SECS: i64 = 300;
const OTP_ATTEMPTS: i64 = 5;
/// One code a minute per phone, ten a day; twenty an hour per client address.
const OTP_PER_PHONE_MINUTE: i64 = 1;
const OTP_PER_PHONE_DAY: i64 = 10;
const OTP_PER_CLIENT_HOUR: i64 = 20;

/// A browser in one merchant's shop: the merchant, and the session if it has one.
#[derive(Debug, Clone)]
pub struct ShopContext {
    pub merchant: Merchant,
    pub session: Option<ShopperSession>,
    pub shopper: Option<Shopper>,
    /// The shopper's tier gets SKUs' member prices (false for guests).
    pub member_prices: bool,
}

impl ShopContext {
    /// Whose cart this browser holds: the member's, or the guest session's.
    pub fn cart_owner(&self) -> Option<String> {
        match (&self.shopper, &self.session) {
            (Some(s), _) => Some(format!("s:{}", s.id)),
            (None, Some(session)) => Some(format!("g:{}", session.token_hash)),
            _ => None,
        }
    }

    pub fn is_member(&self) -> bool {
        self.shopper.is_some()
    }

    pub fn shopper_id(&self) -> AppResult<ShopperId> {
        self.shopper.as_ref().map(|s| s.id).ok_or(AppError::Unauthenticated)
    }

    pub fn csrf_token(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.csrf_token.as_str())
    }
}

fn code_digest(merchant: &Merchant, phone: &Phone, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{}:{}:{code}", merchant.id, phone.as_str()).as_bytes()))
}

impl Sweep {
    /// An open shop by its slug. A suspended merchant's shop does not exist to shoppers.
    pub async fn shop(&self, slug: &str) -> AppResult<Merchant> {
        match self.repos.merchants.merchant_by_slug(slug).await? {
            Some(m) if m.status == MerchantStatus::Active => Ok(m),
            _ => Err(AppError::NotFound("shop")),
        }
    }

    /// The shop as this browser sees it, from its session cookie (if any).
    pub async fn shop_context(&self, merchant: Merchant, session_token: Option<&str>) -> AppResult<ShopContext> {
        let mut ctx = ShopContext { merchant, session: None, shopper: None, member_prices: false };
        let Some(token) = session_token else { return Ok(ctx) };
        let Some(session) = self.repos.shoppers.shopper_session(&token_digest(token), self.now()).await? else {
            return Ok(ctx);
        };
        if session.merchant_id != ctx.merchant.id {
            return Ok(ctx);
        }
        if let Some(id) = session.shopper_id {
            ctx.shopper = self.repos.shoppers.shopper(ctx.merchant.id, id).await?;
            if ctx.shopper.is_some() {
                ctx.member_prices = self.member_prices_for(ctx.merchant.id, id).await?;
            }
        }
        ctx.session = Some(session);
        Ok(ctx)
    }

    /// Gives a guest a session (for a cart) if it has none; returns the new cookie value.
    pub async fn ensure_shop_session(&self, ctx: &mut ShopContext) -> AppResult<Option<String>> {
        if ctx.session.is_some() {
            return Ok(None);
        }
        let (token, session) = self.new_shop_session(&ctx.merchant, None, None).await?;
        ctx.session = Some(session);
        Ok(Some(token))
    }

    async fn new_shop_session(
        &self,
        merchant: &Merchant,
        shopper: Option<ShopperId>,
        carried: Option<&ShopperSession>,
    ) -> AppResult<(String, ShopperSession)> {
        let token = random_token("swp_")?;
        let now = self.now();
        let session = ShopperSession {
            token_hash: token_digest(&token),
            merchant_id: merchant.id,
            shopper_id: shopper,
            csrf_token: random_token("")?,
            created_at: now,
            expires_at: now.plus_seconds(self.settings.shopper_session_days * 86_400),
            visitor: match carried {
                Some(old) => old.visitor.clone(),
                None => random_token("v_")?,
            },
            scan: carried.and_then(|old| old.scan),
        };
        self.repos.shoppers.insert_shopper_session(&session).await?;
        Ok((token, session))
    }

    /// Sends a one-time sign-in code by SMS. Codes are never logged.
    pub async fn send_login_code(&self, merchant: &Merchant, phone: &str, client: &str) -> AppResult<()> {
        let phone = Phone::parse("phone", phone)?;
        let now = self.now();
        let auth = &self.repos.auth;
        let limits = [
            (format!("otp:phone:{}:{}:minute", merchant.id, phone.as_str()), 60, OTP_PER_PHONE_MINUTE),
            (format!("otp:phone:{}:{}:day", merchant.id, phone.as_str()), 86_400, OTP_PER_PHONE_DAY),
            (format!("otp:client:{client}"), 3_600, OTP_PER_CLIENT_HOUR),
        ];
        for (key, window, limit) in &limits {
            let counted = auth.count_attempt(key, now, *window).await?;
            if counted.count > *limit {
                return Err(AppError::TooManyAttempts { retry_after_secs: counted.retry_after_secs(*window, now) });
            }
        }
        let code = random_digits(OTP_DIGITS)?;
        self.repos
            .shoppers
            .insert_otp(&OtpRecord {
                id: uuid_like(),
                merchant_id: merchant.id,
                phone: phone.clone(),
                code_hash: code_digest(merchant, &phone, &code),
                expires_at: now.plus_seconds(OTP_TTL_SECS),
                created_at: now,
            })
            .await?;
        let body = format!("【{}】验证码 {code}，5 分钟内有效。Your sign-in code is {code}.", merchant.name);
        self.repos.sms.send(merchant.id, &phone, &body).await?;
        tracing::info!(event = "otp_sent", merchant = %merchant.id, phone = %phone.masked());
        Ok(())
    }

    /// Checks a code and signs the browser in as that phone's member (creating the
    /// member on first sign-in). The session is replaced, not upgraded, so a session id
    /// known before sign-in is worthless after it; the guest cart moves along.
    pub async fn sign_in_shopper(
        &self,
        ctx: &ShopContext,
        phone: &str,
        code: &str,
    ) -> AppResult<(String, ShopContext)> {
        let phone = Phone::parse("phone", phone)?;
        let Some(code) = clean_code(code, OTP_DIGITS) else {
            return Err(AppError::invalid("code", "invalid_code", "enter the 6-digit code"));
        };
        let now = self.now();
        let merchant = &ctx.merchant;
        match self
            .repos
            .shoppers
            .consume_otp(merchant.id, &phone, &code_digest(merchant, &phone, &code), now, OTP_ATTEMPTS)
            .await?
        {
            OtpOutcome::Accepted => {}
            OtpOutcome::Wrong => return Err(AppError::invalid("code", "wrong_code", "the code is not right")),
            OtpOutcome::NoLiveCode => {
                return Err(AppError::invalid("code", "no_code", "ask for a new code: this one expired or was used"));
            }
            OtpOutcome::TooManyAttempts => {
                return Err(AppError::invalid("code", "too_many_attempts", "too many wrong codes; ask for a new one"));
            }
        }
        let shopper = self
            .repos
            .shoppers
            .upsert_shopper(&Shopper {
                id: ShopperId::new(),
                merchant_id: merchant.id,
                phone: phone.clone(),
                display_name: phone.masked(),
                created_at: now,
            })
            .await?;
        // Still the same browser: the card the guest scanned credits what the member buys.
        let (token, session) = self.new_shop_session(merchant, Some(shopper.id), ctx.session.as_ref()).await?;
        let member_prices = self.member_prices_for(merchant.id, shopper.id).await?;
        let member =
            ShopContext { merchant: merchant.clone(), session: Some(session), shopper: Some(shopper), member_prices };
        if let (Some(guest), Some(owner)) = (ctx.cart_owner().filter(|o| o.starts_with("g:")), member.cart_owner()) {
            self.repos.carts.merge_cart(merchant.id, &guest, &owner, crate::shop::cart::MAX_LINE_QUANTITY, now).await?;
        }
        if let Some(old) = &ctx.session {
            self.repos.shoppers.delete_shopper_session(&old.token_hash).await?;
        }
        Ok((token, member))
    }

    /// The development SMS outbox (empty with a real sender).
    pub async fn sms_outbox(&self, limit: u32) -> AppResult<Vec<crate::ports::SmsMessage>> {
        Ok(self.repos.sms.outbox(None, limit).await?)
    }

    pub async fn sign_out_shopper(&self, ctx: &ShopContext) -> AppResult<()> {
        if let Some(session) = &ctx.session {
            self.repos.shoppers.delete_shopper_session(&session.token_hash).await?;
            self.flash_desk.forget_session(&session.token_hash);
        }
        Ok(())
    }
}

fn uuid_like() -> String {
    sweep_domain::ids::JobId::new().to_string()
}
