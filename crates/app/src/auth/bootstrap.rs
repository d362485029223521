use sweep_domain::ids::StaffId;
use sweep_domain::roles::Role;
use sweep_domain::staff::{Staff, StaffStatus};
use sweep_domain::text::{self, Login, Password};

use crate::secrets::hash_password;
use crate::{AppResult, Sweep};

impl Sweep {
    /// Creates a platform admin. Run from the command line (`sweep admin create`),
    /// which is how the first admin of a deployment comes to be.
    pub async fn create_platform_admin(&self, login: &str, display_name: &str, password: &str) -> AppResult<Staff> {
        let mut v = sweep_domain::error::Validator::new();
        let login = v.check(Login::parse("login", login));
        let display_name = v.check(text::name("display_name", display_name));
        let password = v.check(Password::new_password("password", password));
        v.finish()?;
        let (login, display_name, password) = (login.unwrap(), display_name.unwrap(), password.unwrap());
        let now = self.now();
        let staff = Staff {
            id: StaffId::new(),
            merchant_id: None,
            login,
            display_name,
            role: Role::PlatformAdmin,
            status: StaffStatus::Active,
            stores: vec![],
            created_at: now,
            updated_at: now,
        };
        let hash = hash_password(password.expose()).await?;
        self.repos.staff.insert_staff(&staff, &hash).await?;
        Ok(staff)
    }
}
