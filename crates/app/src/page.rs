//! Cursor pagination. Lists are ordered by id (time-ordered), and the cursor is the
//! last id of the previous page, so pages stay stable while rows are added.

use sweep_domain::FieldError;

use crate::{AppError, AppResult};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Exclusive: start after this id.
    pub after: Option<String>,
    pub limit: u32,
}

impl PageRequest {
    pub fn parse(after: Option<&str>, limit: Option<i64>) -> Result<PageRequest, FieldError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(l) if (1..=MAX_LIMIT as i64).contains(&l) => l as u32,
            Some(_) => {
                return Err(FieldError::new("limit", "out_of_range", format!("must be 1 to {MAX_LIMIT}")));
            }
        };
        let after = match after {
            None | Some("") => None,
            Some(c) => {
                // Cursors are ids we handed out: 36 characters of hex and dashes.
                if c.len() != 36 || !c.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
                    return Err(FieldError::new("cursor", "invalid_cursor", "not a cursor from a previous page"));
                }
                Some(c.to_ascii_lowercase())
            }
        };
        Ok(PageRequest { after, limit })
    }

    pub fn first(limit: u32) -> PageRequest {
        PageRequest { after: None, limit }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, id_of: impl Fn(&T) -> String) -> Page<T> {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(&id_of) } else { None };
        Page { items: rows, next_cursor }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

/// Collects every item of a paged list, asking `fetch` for one page after another.
pub async fn all_pages<T, E, F, Fut>(mut fetch: F) -> AppResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, E>>,
    AppError: From<E>,
{
    let mut all = Vec::new();
    let mut page = PageRequest::first(MAX_LIMIT);
    loop {
        let got = fetch(page.clone()).await?;
        all.extend(got.items);
        match got.next_cursor {
            Some(cursor) => page.after = Some(cursor),
            None => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors_are_checked() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(PageRequest::parse(None, Some(0)).unwrap_err().field, "limit");
        assert_eq!(PageRequest::parse(None, Some(10_000)).unwrap_err().field, "limit");
        assert_eq!(PageRequest::parse(Some("'; drop table x"), None).unwrap_err().code, "invalid_cursor");
    }

    #[tokio::test]
    async fn all_pages_walks_to_the_last_page() {
        let rows: Vec<u32> = (1..=450).collect();
        let mut asked = 0;
        let all = all_pages(|page: PageRequest| {
            asked += 1;
            let start = page.after.map_or(0, |c| c.parse::<usize>().unwrap());
            let rows = rows[start..].iter().take(page.limit as usize + 1).copied().collect();
            async move { Ok::<_, AppError>(Page::from_rows(rows, page.limit, |n| n.to_string())) }
        })
        .await
        .unwrap();
        assert_eq!(all, rows);
        assert_eq!(asked, 3, "200 + 200 + 50");
    }

    #[test]
    fn extra_row_means_more() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
        let last = Page::from_rows(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }
}
