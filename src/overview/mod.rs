//! The overview (contract §3.9): appointment records, client reviews and the audit trail.
//!
//! The lists answer the envelope of contract §10, decision 1: `{"data": [...], "meta": {page,
//! perPage, total, totalPages, statistics?}}`. Items carry the screens' fields (open point 19)
//! and the library's names beside them. Every id in an overview body is a numeric string
//! (`"42"`); ids sent to the overview may be numbers or numeric strings.
//!
//! Records and changes are read models: their SQL reads the calendar's, staff's, catalogue's,
//! finances' and the audit trail's tables directly (one query per page instead of one call per
//! row). Only reviews are stored by this module.
//!
//! Paging: `limit`/`offset` (the library) or `page`/`perPage` (the specs); when `limit` or
//! `offset` is given they win. 20 rows by default, at most 100 (larger sizes are served as 100).
//!
//! Date filters (`dateFrom`, `dateTo`, `createdFrom`, ...) are calendar dates on the salon's
//! wall clock (`salons.timezone`), both ends inclusive: a change made at 23:30 Kyiv time belongs
//! to that Kyiv day, not to the UTC one.
//!
//! Permissions (ids of `policies/permissions.txt`):
//!
//! | routes | permission |
//! |---|---|
//! | `GET /overview/records` | `overview.appointments.view` |
//! | `GET /overview/reviews`, `POST /overview/reviews` | `overview.reviews.view` (the matrix has no separate id for adding a review; whoever may see the reviews tab may record one) |
//! | `GET /overview/changes` | `overview.summary` |

mod changes;
mod describe;
mod records;
mod records_store;
mod reviews;
mod reviews_store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{AppState, http::error::AppError, permission};

permission!(RecordsView = "overview.appointments.view");
permission!(ReviewsView = "overview.reviews.view");
permission!(ChangesView = "overview.summary");

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(records::list_records))
        .routes(routes!(reviews::list_reviews, reviews::create_review))
        .routes(routes!(changes::list_changes))
}

const DEFAULT_PER_PAGE: u32 = 20;
const MAX_PER_PAGE: u32 = 100;

/// The window of rows one list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub page: u32,
    pub per_page: u32,
    pub limit: i64,
    pub offset: i64,
}

impl Window {
    /// From the four paging parameters; `limit`/`offset` win over `page`/`perPage`.
    pub fn of(
        page: Option<u32>,
        per_page: Option<u32>,
        limit: Option<u32>,
        offset: Option<u32>,
    ) -> Result<Self, AppError> {
        if limit.is_some() || offset.is_some() {
            let limit = limit.unwrap_or(DEFAULT_PER_PAGE);
            if limit == 0 {
                return Err(AppError::field(
                    "limit",
                    "Кількість рядків має бути від 1 до 100",
                ));
            }
            let limit = limit.min(MAX_PER_PAGE);
            let offset = offset.unwrap_or(0);
            return Ok(Window {
                page: offset / limit + 1,
                per_page: limit,
                limit: limit.into(),
                offset: offset.into(),
            });
        }
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(AppError::field("page", "Номер сторінки починається з 1"));
        }
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if per_page == 0 {
            return Err(AppError::field(
                "perPage",
                "Розмір сторінки має бути від 1 до 100",
            ));
        }
        let per_page = per_page.min(MAX_PER_PAGE);
        Ok(Window {
            page,
            per_page,
            limit: per_page.into(),
            offset: i64::from(page - 1) * i64::from(per_page),
        })
    }

    /// Pages needed for `total` rows.
    pub fn total_pages(self, total: i64) -> i64 {
        let per = i64::from(self.per_page);
        (total + per - 1) / per
    }
}

/// Checks that a date range is not reversed.
pub(crate) fn check_range<T: PartialOrd>(
    from: Option<T>,
    to: Option<T>,
    field: &str,
) -> Result<(), AppError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => {
            Err(AppError::field(field, "Кінець періоду раніше за початок"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_and_offset_win_over_pages() {
        assert_eq!(
            Window::of(None, None, None, None).unwrap(),
            Window {
                page: 1,
                per_page: 20,
                limit: 20,
                offset: 0
            }
        );
        assert_eq!(
            Window::of(Some(3), Some(10), None, None).unwrap(),
            Window {
                page: 3,
                per_page: 10,
                limit: 10,
                offset: 20
            }
        );
        assert_eq!(
            Window::of(Some(3), Some(10), Some(5), Some(12)).unwrap(),
            Window {
                page: 3,
                per_page: 5,
                limit: 5,
                offset: 12
            }
        );
        assert_eq!(Window::of(None, Some(500), None, None).unwrap().limit, 100);
        assert!(Window::of(Some(0), None, None, None).is_err());
        assert!(Window::of(None, Some(0), None, None).is_err());
        assert!(Window::of(None, None, Some(0), None).is_err());
    }

    #[test]
    fn total_pages_round_up() {
        let w = Window::of(None, Some(2), None, None).unwrap();
        assert_eq!(w.total_pages(5), 3);
        assert_eq!(w.total_pages(0), 0);
    }
}
