//! Staff accounts: who may create whom, and store assignments.

use serde::Deserialize;
use sweep_domain::FieldError;
use sweep_domain::error::Validator;
use sweep_domain::ids::{LocationId, StaffId};
use sweep_domain::roles::{Actor, Permission, Role};
use sweep_domain::staff::{Staff, StaffStatus};
use sweep_domain::text::{self, Login, Password};

use crate::page::{Page, PageRequest};
use crate::ports::StaffFilter;
use crate::secrets::{hash_password, verify_password};
use crate::{AppError, AppResult, SAVE_ATTEMPTS, Sweep, concurrent_edit, next_version, require, tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateStaffInput {
    pub login: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    /// Required for store managers and clerks: the stores they work in.
    #[serde(default)]
    pub stores: Vec<LocationId>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateStaffInput {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub status: Option<StaffStatus>,
    #[serde(default)]
    pub stores: Option<Vec<LocationId>>,
    /// Sets a new password and signs the member out everywhere.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

const MAX_STORES_PER_STAFF: usize = 50;

impl Sweep {
    pub async fn create_staff(&self, actor: &Actor, input: CreateStaffInput) -> AppResult<Staff> {
        require(actor, Permission::ManageStaff)?;
        let merchant_id = tenant(actor)?;
        if !actor.role.can_manage_staff_role(input.role) {
            return Err(AppError::Forbidden);
        }
        let mut v = Validator::new();
        let login = v.check(Login::parse("login", &input.login));
        let display_name = v.check(text::name("display_name", &input.display_name));
        let password = v.check(Password::new_password("password", &input.password));
        v.extend(self.check_store_assignment(actor, input.role, &input.stores).await?);
        v.finish()?;
        let (Some(login), Some(display_name), Some(password)) = (login, display_name, password) else {
            unreachable!("validated above")
        };
        let now = self.now();
        let staff = Staff {
            id: StaffId::new(),
            merchant_id: Some(merchant_id),
            login,
            display_name,
            role: input.role,
            status: StaffStatus::Active,
            stores: dedup(input.stores),
            created_at: now,
            updated_at: now,
        };
        let hash = hash_password(password.expose()).await?;
        self.repos.staff.insert_staff(&staff, &hash).await?;
        Ok(staff)
    }

    pub async fn me(&self, actor: &Actor) -> AppResult<Staff> {
        let own_merchant = if actor.role == Role::PlatformAdmin { None } else { actor.merchant_id };
        self.repos.staff.staff(own_merchant, actor.staff_id).await?.ok_or(AppError::Unauthenticated)
    }

    /// A staff member the caller may see: head office sees the whole merchant, a store
    /// manager the staff of their stores, a clerk only themselves.
    pub async fn get_staff(&self, actor: &Actor, id: StaffId) -> AppResult<Staff> {
        if id == actor.staff_id {
            return self.me(actor).await;
        }
        if !actor.can(Permission::ViewStaff) {
            return Err(AppError::NotFound("staff"));
        }
        let merchant_id = tenant(actor)?;
        let staff = self.repos.staff.staff(Some(merchant_id), id).await?.ok_or(AppError::NotFound("staff"))?;
        let visible = actor.is_head_office() || staff.stores.iter().any(|s| actor.stores.contains(s));
        if visible { Ok(staff) } else { Err(AppError::NotFound("staff")) }
    }

    pub async fn list_staff(
        &self,
        actor: &Actor,
        mut filter: StaffFilter,
        page: &PageRequest,
    ) -> AppResult<Page<Staff>> {
        require(actor, Permission::ViewStaff)?;
        let merchant = if actor.role == Role::PlatformAdmin { actor.merchant_id } else { Some(tenant(actor)?) };
        filter.stores = actor.narrow_stores(filter.stores.take());
        Ok(self.repos.staff.list_staff(merchant, &filter, page).await?)
    }

    pub async fn update_staff(&self, actor: &Actor, id: StaffId, input: UpdateStaffInput) -> AppResult<Staff> {
        // One's own password only with the current one (`change_own_password`): a
        // session left open must not be enough to take the account over.
        if id == actor.staff_id && input.password.is_some() {
            return Err(AppError::invalid(
                "password",
                "use_change_password",
                "to change your own password, use change password, which asks for the current one",
            ));
        }
        let password = match &input.password {
            Some(p) => Some(Password::new_password("password", p)?),
            None => None,
        };
        // Hash once, outside the retry loop: argon2 is slow on purpose.
        let new_hash = match &password {
            Some(p) => Some(hash_password(p.expose()).await?),
            None => None,
        };
        for _ in 0..SAVE_ATTEMPTS {
            let current = self.get_staff(actor, id).await?;
            require(actor, Permission::ManageStaff)?;
            let mut staff = current.clone();
            self.apply_staff_patch(actor, &mut staff, &input).await?;
            staff.updated_at = next_version(self.now(), current.updated_at);
            if self.repos.staff.update_staff(&staff, current.updated_at, new_hash.as_deref()).await? {
                return Ok(staff);
            }
        }
        Err(concurrent_edit())
    }

    async fn apply_staff_patch(&self, actor: &Actor, staff: &mut Staff, input: &UpdateStaffInput) -> AppResult<()> {
        let changes_access = input.role.is_some() || input.status.is_some() || input.stores.is_some();
        if staff.id == actor.staff_id && changes_access {
            return Err(AppError::conflict(
                "cannot_change_self",
                None,
                "ask a colleague to change your own role, status or stores",
            ));
        }
        if staff.id != actor.staff_id && !actor.role.can_manage_staff_role(staff.role) {
            return Err(AppError::Forbidden);
        }
        // A store manager looks after clerks who work only in their stores; a clerk who
        // also works elsewhere is head office's to change.
        if staff.id != actor.staff_id
            && !actor.is_head_office()
            && !staff.stores.iter().all(|s| actor.stores.contains(s))
        {
            return Err(AppError::Forbidden);
        }
        let mut v = Validator::new();
        if let Some(name) = &input.display_name {
            staff.display_name = v.check(text::name("display_name", name)).unwrap_or_default();
        }
        if let Some(role) = input.role {
            if !actor.role.can_manage_staff_role(role) {
                return Err(AppError::Forbidden);
            }
            staff.role = role;
        }
        if let Some(status) = input.status {
            staff.status = status;
        }
        if input.role.is_some() || input.stores.is_some() {
            let stores = input.stores.clone().unwrap_or_else(|| staff.stores.clone());
            v.extend(self.check_store_assignment(actor, staff.role, &stores).await?);
            staff.stores = if staff.role.is_store_scoped() { dedup(stores) } else { vec![] };
        }
        v.finish()?;
        Ok(())
    }

    /// A signed-in member changes their own password, proving they know the current one.
    pub async fn change_own_password(&self, actor: &Actor, input: ChangePasswordInput) -> AppResult<()> {
        let me = self.me(actor).await?;
        let new = Password::new_password("new_password", &input.new_password)?;
        let current = Password::attempt("current_password", &input.current_password)?;
        let Some((_, hash)) = self.repos.staff.staff_by_login(&me.login).await? else {
            return Err(AppError::Unauthenticated);
        };
        if !verify_password(current.expose(), &hash).await {
            return Err(AppError::invalid("current_password", "wrong_password", "the current password is wrong"));
        }
        let new_hash = hash_password(new.expose()).await?;
        // Sets the password and ends every session in one transaction.
        self.repos.staff.set_password(me.id, &new_hash, self.now()).await?;
        Ok(())
    }

    /// Store roles need at least one store, head-office roles none; every store must be
    /// the merchant's and, for a store manager assigning, one of their own.
    async fn check_store_assignment(
        &self,
        actor: &Actor,
        role: Role,
        stores: &[LocationId],
    ) -> AppResult<Vec<FieldError>> {
        let mut errors = Vec::new();
        if role.is_store_scoped() && stores.is_empty() {
            errors.push(FieldError::new("stores", "required", "store managers and clerks need at least one store"));
        }
        if !role.is_store_scoped() && !stores.is_empty() {
            errors.push(FieldError::new("stores", "not_allowed", "head-office roles are not tied to stores"));
        }
        if stores.len() > MAX_STORES_PER_STAFF {
            errors.push(FieldError::new("stores", "too_many", format!("at most {MAX_STORES_PER_STAFF} stores")));
            return Ok(errors);
        }
        let merchant_id = tenant(actor)?;
        for (i, store) in stores.iter().enumerate() {
            let found = self.repos.locations.location(merchant_id, *store).await?;
            if found.is_none() || !actor.can_see_location(*store) {
                errors.push(FieldError::new(format!("stores.{i}"), "unknown_location", "no such location"));
            }
        }
        Ok(errors)
    }
}

fn dedup(mut ids: Vec<LocationId>) -> Vec<LocationId> {
    ids.sort();
    ids.dedup();
    ids
}
