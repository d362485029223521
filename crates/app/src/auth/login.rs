use serde::Deserialize;
use sweep_domain::Timestamp;
use sweep_domain::merchant::MerchantStatus;
use sweep_domain::staff::{Staff, StaffStatus};
use sweep_domain::text::{Login, Password};

use crate::ports::{AttemptCount, SessionRecord};
use crate::secrets::{dummy_hash, random_token, token_digest, verify_password};
use crate::{AppError, AppResult, Sweep};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginInput {
    pub login: String,
    pub password: String,
}

pub struct LoginOutcome {
    /// The secret for the session cookie; only its digest is stored.
    pub session_token: String,
    pub csrf_token: String,
    pub staff: Staff,
    pub expires_at: Timestamp,
}

impl Sweep {
    /// Checks a login and password and opens a session.
    ///
    /// Every attempt is counted before the password is checked, per account and per
    /// client address, in the database: parallel guesses cannot slip past the limit and
    /// every process shares the counters.
    pub async fn login(&self, input: LoginInput, client: &str) -> AppResult<LoginOutcome> {
        let login = Login::parse("login", &input.login)?;
        let password = Password::attempt("password", &input.password)?;
        let now = self.now();
        let s = &self.settings;

        // Attempts on an account are counted before the password is checked, so parallel
        // guesses cannot slip past the limit: per account and client (a guesser locks
        // only themselves out), and per account from everywhere. Failures per client
        // catch one address spraying many accounts; successes do not count there, so a
        // shop behind one NAT address can sign in all day.
        let pair_key = format!("login:account:{login}:client:{client}");
        let account_key = format!("login:account:{login}");
        let client_key = format!("login:client:{client}");
        let auth = &self.repos.auth;
        let window = s.login_window_secs;
        let pair = auth.count_attempt(&pair_key, now, window).await?;
        let account = auth.count_attempt(&account_key, now, window).await?;
        let throttled = |attempts: AttemptCount| {
            tracing::warn!(target: "security", event = "login_throttled", client = %client, "login attempts over the limit");
            Err(AppError::TooManyAttempts { retry_after_secs: attempts.retry_after_secs(window, now) })
        };
        if pair.count > s.login_attempts_per_account {
            return throttled(pair);
        }
        if account.count > s.login_attempts_per_account_global {
            return throttled(account);
        }
        // Per client, too, counted before the check so a burst of parallel failures
        // cannot slip past; a successful sign-in takes its count back below.
        let from_client = auth.count_attempt(&client_key, now, window).await?;
        if from_client.count > s.login_attempts_per_client {
            return throttled(from_client);
        }
        let Some((staff, hash)) = self.repos.staff.staff_by_login(&login).await? else {
            // Same work as for a real account, so timing does not reveal which logins exist.
            verify_password(password.expose(), dummy_hash().await?).await;
            return Err(AppError::InvalidCredentials);
        };
        if !verify_password(password.expose(), &hash).await || staff.status != StaffStatus::Active {
            tracing::info!(target: "security", event = "login_failed", staff_id = %staff.id, client = %client);
            return Err(AppError::InvalidCredentials);
        }
        auth.uncount_attempt(&client_key).await?;
        if let Some(merchant_id) = staff.merchant_id {
            let merchant = self.repos.merchants.merchant(merchant_id).await?;
            if merchant.map(|m| m.status) != Some(MerchantStatus::Active) {
                return Err(AppError::conflict("merchant_suspended", None, "this merchant is suspended"));
            }
        }
        auth.clear_attempts(&pair_key).await?;

        let session_token = random_token("sws_")?;
        let csrf_token = random_token("")?;
        let expires_at = now.plus_seconds(s.session_ttl_secs);
        self.repos
            .auth
            .insert_session(&SessionRecord {
                token_hash: token_digest(&session_token),
                staff_id: staff.id,
                csrf_token: csrf_token.clone(),
                created_at: now,
                expires_at,
            })
            .await?;
        tracing::info!(target: "security", event = "login", staff_id = %staff.id, client = %client);
        Ok(LoginOutcome { session_token, csrf_token, staff, expires_at })
    }

    pub async fn logout(&self, session_token: &str) -> AppResult<()> {
        self.repos.auth.delete_session(&token_digest(session_token)).await?;
        Ok(())
    }
}
