use serde::Deserialize;
use sweep_domain::catalog::{Category, MAX_CATEGORY_DEPTH, RecordStatus};
use sweep_domain::error::Validator;
use sweep_domain::ids::{CategoryId, MerchantId};
use sweep_domain::roles::{Actor, Permission};

use crate::locations::{LocalizedInput, localized};
use crate::page::{Page, PageRequest};
use crate::{AppError, AppResult, SAVE_ATTEMPTS, Sweep, concurrent_edit, next_version, require, tenant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateCategoryInput {
    pub name: LocalizedInput,
    #[serde(default)]
    pub parent_id: Option<CategoryId>,
    #[serde(default)]
    pub sort_order: i64,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateCategoryInput {
    #[serde(default)]
    pub name: Option<LocalizedInput>,
    /// `null` moves the category to the top level.
    #[serde(default, deserialize_with = "crate::serde_util::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, nullable))]
    pub parent_id: Option<Option<CategoryId>>,
    #[serde(default)]
    pub sort_order: Option<i64>,
    #[serde(default)]
    pub status: Option<RecordStatus>,
}

const SORT_RANGE: std::ops::RangeInclusive<i64> = -1_000_000..=1_000_000;

impl Sweep {
    pub async fn create_category(&self, actor: &Actor, input: CreateCategoryInput) -> AppResult<Category> {
        require(actor, Permission::EditCatalog)?;
        let merchant_id = tenant(actor)?;
        let mut v = Validator::new();
        let name = localized(&mut v, "name", &input.name, true, 120);
        if !SORT_RANGE.contains(&input.sort_order) {
            v.push(sweep_domain::FieldError::new("sort_order", "out_of_range", "must be within ±1000000"));
        }
        v.finish()?;
        if let Some(parent) = input.parent_id {
            self.check_parent(merchant_id, None, parent).await?;
        }
        let now = self.now();
        let category = Category {
            id: CategoryId::new(),
            merchant_id,
            parent_id: input.parent_id,
            name,
            sort_order: input.sort_order,
            status: RecordStatus::Active,
            created_at: now,
            updated_at: now,
        };
        self.repos.catalog.insert_category(&category).await?;
        Ok(category)
    }

    pub async fn get_category(&self, actor: &Actor, id: CategoryId) -> AppResult<Category> {
        require(actor, Permission::ViewCatalog)?;
        let merchant_id = tenant(actor)?;
        self.repos.catalog.category(merchant_id, id).await?.ok_or(AppError::NotFound("category"))
    }

    pub async fn list_categories(
        &self,
        actor: &Actor,
        parent: Option<CategoryId>,
        status: Option<RecordStatus>,
        page: &PageRequest,
    ) -> AppResult<Page<Category>> {
        require(actor, Permission::ViewCatalog)?;
        let merchant_id = tenant(actor)?;
        Ok(self.repos.catalog.list_categories(merchant_id, parent, status, page).await?)
    }

    pub async fn update_category(
        &self,
        actor: &Actor,
        id: CategoryId,
        input: UpdateCategoryInput,
    ) -> AppResult<Category> {
        for _ in 0..SAVE_ATTEMPTS {
            let current = self.get_category(actor, id).await?;
            let mut category = current.clone();
            require(actor, Permission::EditCatalog)?;
            let mut v = Validator::new();
            if let Some(name) = &input.name {
                category.name = localized(&mut v, "name", name, true, 120);
            }
            if let Some(order) = input.sort_order {
                if SORT_RANGE.contains(&order) {
                    category.sort_order = order;
                } else {
                    v.push(sweep_domain::FieldError::new("sort_order", "out_of_range", "must be within ±1000000"));
                }
            }
            if let Some(status) = input.status {
                category.status = status;
            }
            v.finish()?;
            if let Some(parent) = input.parent_id {
                if let Some(parent) = parent {
                    self.check_parent(category.merchant_id, Some(id), parent).await?;
                }
                category.parent_id = parent;
            }
            category.updated_at = next_version(self.now(), current.updated_at);
            if !self.repos.catalog.update_category(&category, current.updated_at).await? {
                continue;
            }
            return Ok(category);
        }
        Err(concurrent_edit())
    }

    /// The parent must be the merchant's, must not be the category itself or below it,
    /// and the tree stays at most [`MAX_CATEGORY_DEPTH`] deep.
    async fn check_parent(
        &self,
        merchant_id: MerchantId,
        moving: Option<CategoryId>,
        parent: CategoryId,
    ) -> AppResult<()> {
        let invalid = |code: &'static str, message: &str| AppError::invalid("parent_id", code, message);
        let mut depth = 1;
        let mut cursor = Some(parent);
        while let Some(id) = cursor {
            if Some(id) == moving {
                return Err(invalid("cycle", "a category cannot sit below itself"));
            }
            let Some(c) = self.repos.catalog.category(merchant_id, id).await? else {
                return Err(invalid("unknown_category", "no such category"));
            };
            depth += 1;
            if depth > MAX_CATEGORY_DEPTH + 1 {
                break;
            }
            cursor = c.parent_id;
        }
        let subtree = match moving {
            Some(id) => self.subtree_height(merchant_id, id).await?,
            None => 1,
        };
        if depth - 1 + subtree > MAX_CATEGORY_DEPTH {
            return Err(invalid("too_deep", &format!("categories nest at most {MAX_CATEGORY_DEPTH} levels")));
        }
        Ok(())
    }

    async fn subtree_height(&self, merchant_id: MerchantId, root: CategoryId) -> AppResult<usize> {
        let mut height = 1;
        let mut level = vec![root];
        while !level.is_empty() && height <= MAX_CATEGORY_DEPTH {
            let mut next = Vec::new();
            for id in level {
                let children =
                    self.repos.catalog.list_categories(merchant_id, Some(id), None, &PageRequest::first(200)).await?;
                next.extend(children.items.into_iter().map(|c| c.id));
            }
            if next.is_empty() {
                break;
            }
            height += 1;
            level = next;
        }
        Ok(height)
    }
}
