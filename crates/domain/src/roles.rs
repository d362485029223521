//! Who may do what. Roles, the caller of a request, and the permission matrix.

use serde::{Deserialize, Serialize};

use crate::ids::{LocationId, MerchantId, StaffId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Runs the deployment: creates merchants. Belongs to no merchant.
    PlatformAdmin,
    /// The brand's head office, with every right in its merchant.
    MerchantOwner,
    /// Head office staff: catalog, prices, stock, stores; not payment settings or owners.
    MerchantManager,
    /// Runs one or more stores; sees only those.
    StoreManager,
    /// Works a counter in one or more stores.
    Clerk,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::PlatformAdmin, Role::MerchantOwner, Role::MerchantManager, Role::StoreManager, Role::Clerk];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::MerchantOwner => "merchant_owner",
            Role::MerchantManager => "merchant_manager",
            Role::StoreManager => "store_manager",
            Role::Clerk => "clerk",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Store roles see and act only on the stores they are assigned to.
    pub fn is_store_scoped(self) -> bool {
        matches!(self, Role::StoreManager | Role::Clerk)
    }

    /// Whether a staff member in this role may create, change or disable staff in `target`.
    pub fn can_manage_staff_role(self, target: Role) -> bool {
        match self {
            Role::PlatformAdmin => target != Role::PlatformAdmin,
            Role::MerchantOwner => target != Role::PlatformAdmin,
            Role::MerchantManager => matches!(target, Role::StoreManager | Role::Clerk),
            Role::StoreManager => target == Role::Clerk,
            Role::Clerk => false,
        }
    }
}

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ManageMerchants,
    ViewMerchant,
    EditMerchantSettings,
    ViewStaff,
    ManageStaff,
    ViewLocations,
    CreateLocations,
    EditLocations,
    ViewCatalog,
    EditCatalog,
    EditPrices,
    ViewStock,
    ReceiveStock,
    AdjustStock,
    TransferStock,
    ViewReports,
    ViewOrders,
    /// Prepare, hand over and ship orders.
    FulfilOrders,
    /// Cancel paid orders, refund, decide returns.
    RefundOrders,
    /// See campaigns and display cards, print them.
    ViewCards,
    /// Create and disable display cards (store managers: for their own stores).
    ManageCards,
    /// Create and change campaigns.
    ManageCampaigns,
    /// Ring up sales at a store's till (store staff: their own stores).
    SellAtTill,
    /// Look up members, enrol them by phone.
    ViewMembers,
    /// Set the loyalty programme: earning, spending, tiers.
    ManageLoyalty,
}

impl Permission {
    pub fn granted_to(self, role: Role) -> bool {
        use Permission::*;
        use Role::*;
        match self {
            ManageMerchants => role == PlatformAdmin,
            ViewMerchant | ViewLocations | ViewCatalog | ViewStock | ReceiveStock | ViewOrders | FulfilOrders
            | ViewCards | SellAtTill | ViewMembers => true,
            EditMerchantSettings => matches!(role, PlatformAdmin | MerchantOwner),
            ViewStaff | ManageStaff => role != Clerk,
            CreateLocations | EditCatalog | EditPrices | ManageCampaigns | ManageLoyalty => {
                matches!(role, PlatformAdmin | MerchantOwner | MerchantManager)
            }
            EditLocations | AdjustStock | TransferStock | ViewReports | RefundOrders | ManageCards => role != Clerk,
        }
    }
}

/// The authenticated caller of a use case, already bound to one merchant (the tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub staff_id: StaffId,
    pub role: Role,
    /// The merchant the caller acts in; `None` only for a platform admin acting platform-wide.
    pub merchant_id: Option<MerchantId>,
    /// For store roles, the stores they are assigned to. Empty for head office.
    pub stores: Vec<LocationId>,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        permission.granted_to(self.role)
    }

    /// Head office sees every location; store roles only the stores they are assigned to.
    pub fn can_see_location(&self, location: LocationId) -> bool {
        !self.role.is_store_scoped() || self.stores.contains(&location)
    }

    pub fn is_head_office(&self) -> bool {
        !self.role.is_store_scoped()
    }

    /// The stores a list is limited to: head office gets what it asked for (`None`: all);
    /// store staff get the requested stores that are theirs, or all of theirs.
    pub fn narrow_stores(&self, requested: Option<Vec<LocationId>>) -> Option<Vec<LocationId>> {
        if self.is_head_office() {
            return requested;
        }
        Some(match requested {
            Some(wanted) => wanted.into_iter().filter(|s| self.stores.contains(s)).collect(),
            None => self.stores.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, stores: Vec<LocationId>) -> Actor {
        Actor { staff_id: StaffId::new(), role, merchant_id: Some(MerchantId::new()), stores }
    }

    #[test]
    fn clerks_read_and_receive_but_do_not_adjust_or_edit() {
        let clerk = actor(Role::Clerk, vec![]);
        assert!(clerk.can(Permission::ViewStock));
        assert!(clerk.can(Permission::ReceiveStock));
        assert!(!clerk.can(Permission::AdjustStock));
        assert!(!clerk.can(Permission::TransferStock));
        assert!(!clerk.can(Permission::EditCatalog));
        assert!(!clerk.can(Permission::ManageStaff));
    }

    #[test]
    fn store_roles_see_only_their_stores() {
        let a = LocationId::new();
        let b = LocationId::new();
        let manager = actor(Role::StoreManager, vec![a]);
        assert!(manager.can_see_location(a));
        assert!(!manager.can_see_location(b));
        let owner = actor(Role::MerchantOwner, vec![]);
        assert!(owner.can_see_location(b));
    }

    #[test]
    fn store_roles_list_only_their_stores() {
        let (a, b) = (LocationId::new(), LocationId::new());
        let manager = actor(Role::StoreManager, vec![a]);
        assert_eq!(manager.narrow_stores(None), Some(vec![a]));
        assert_eq!(manager.narrow_stores(Some(vec![a, b])), Some(vec![a]));
        assert_eq!(manager.narrow_stores(Some(vec![b])), Some(vec![]));
        let owner = actor(Role::MerchantOwner, vec![]);
        assert_eq!(owner.narrow_stores(None), None);
        assert_eq!(owner.narrow_stores(Some(vec![b])), Some(vec![b]));
    }

    #[test]
    fn staff_management_only_downwards() {
        assert!(Role::MerchantOwner.can_manage_staff_role(Role::MerchantManager));
        assert!(!Role::MerchantManager.can_manage_staff_role(Role::MerchantOwner));
        assert!(!Role::MerchantManager.can_manage_staff_role(Role::MerchantManager));
        assert!(Role::StoreManager.can_manage_staff_role(Role::Clerk));
        assert!(!Role::StoreManager.can_manage_staff_role(Role::StoreManager));
        assert!(!Role::Clerk.can_manage_staff_role(Role::Clerk));
        assert!(!Role::MerchantOwner.can_manage_staff_role(Role::PlatformAdmin));
    }

    #[test]
    fn only_head_office_edits_the_catalog() {
        for role in Role::ALL {
            let expected = matches!(role, Role::PlatformAdmin | Role::MerchantOwner | Role::MerchantManager);
            assert_eq!(Permission::EditCatalog.granted_to(role), expected, "{role:?}");
        }
    }
}
