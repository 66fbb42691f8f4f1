//! Paging: the one query part every list takes, and the one rule that reads it.
//!
//! Four query parameters, on every list:
//!
//! | name | range | meaning |
//! |---|---|---|
//! | `page` | 1 – 4294967295 | page number, counted in the page size |
//! | `perPage` | 1 – 100 | page size, as the screens name it |
//! | `limit` | 1 – the list's maximum | page size, as the library names it; wins over `perPage` |
//! | `offset` | 0 – 4294967295 | rows to skip; wins over `page` |
//!
//! A value outside its range (`page=0`, `perPage=0`, `perPage=101`, a `limit` above the list's
//! maximum, a negative or larger offset) is a 422 naming the parameter. Nothing is clamped,
//! so a request never gets rows it did not ask for, and no number reaches SQL unchecked.
//!
//! Two kinds of lists read it (contract §10, decisions 1 and 2):
//! - [`Paged`] lists answer one page in the envelope `{data, meta}` ([`PageMeta`]): 20 rows
//!   unless a size is given, at most 100 ([`PageQuery::page`]);
//! - [`Unpaged`] lists answer a bare array of every match, because the screens slice it
//!   themselves: only `limit` cuts it, at most 10,000 rows, and `offset` skips
//!   ([`PageQuery::rows`]). `page` then counts in `limit`s; `perPage` alone cuts nothing.

use serde::{Deserialize, Deserializer, Serialize, de};
use utoipa::{
    IntoParams, ToSchema,
    openapi::{
        KnownFormat, ObjectBuilder, Required, SchemaFormat, Type,
        path::{Parameter, ParameterBuilder, ParameterIn},
    },
};

use crate::error::{AppError, Problems};

/// Rows of a page when the request names no size.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// The largest `perPage` (and `limit` of a [`Paged`] list).
pub const MAX_PER_PAGE: u32 = 100;
/// The largest `limit` of an [`Unpaged`] list.
pub const MAX_ROWS: u32 = 10_000;

/// The paging parameters of a list's query string, checked by [`page`](Self::page) or
/// [`rows`](Self::rows) (the fields are private: there is no other way to read them).
/// `MAX_LIMIT` is the largest `limit` the list serves; the OpenAPI document states it.
///
/// Taken beside the list's own filters: `AppQuery(paging): AppQuery<Paged>`, and documented
/// with them: `params(MyFilter, Paged)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageQuery<const MAX_LIMIT: u32> {
    #[serde(default, deserialize_with = "count")]
    page: Option<u32>,
    #[serde(default, deserialize_with = "count")]
    per_page: Option<u32>,
    #[serde(default, deserialize_with = "count")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "count")]
    offset: Option<u32>,
}

/// Paging of a list answered one page at a time, in the `{data, meta}` envelope.
pub type Paged = PageQuery<MAX_PER_PAGE>;
/// Paging of a list answered whole unless `limit` is given.
pub type Unpaged = PageQuery<MAX_ROWS>;

/// One page of a [`Paged`] list: what SQL skips and takes, and what `meta` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based; with `offset`, the page that row `offset` falls on.
    pub page: u32,
    pub per_page: u32,
    /// `per_page`, for SQL's `limit`.
    pub limit: i64,
    pub offset: i64,
}

/// The rows of an [`Unpaged`] list to answer: `limit` `None` is every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rows {
    pub limit: Option<i64>,
    pub offset: i64,
}

impl Rows {
    /// Every row: what exports and other whole-list readers ask for.
    pub const ALL: Rows = Rows { limit: None, offset: 0 };
}

/// `meta` of a paged answer (contract §10, decision 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    pub page: u32,
    pub per_page: u32,
    /// Matches on every page.
    pub total: i64,
    pub total_pages: i64,
}

impl<const MAX_LIMIT: u32> PageQuery<MAX_LIMIT> {
    /// Builds the query a request would send (for tests and internal callers).
    pub fn new(page: Option<u32>, per_page: Option<u32>, limit: Option<u32>, offset: Option<u32>) -> Self {
        Self { page, per_page, limit, offset }
    }

    /// Every value in range, or the 422 naming each one that is not.
    fn check(&self) -> Result<(), AppError> {
        let mut problems = Problems::default();
        if self.page == Some(0) {
            problems.add("page", "Номер сторінки починається з 1");
        }
        if self.per_page.is_some_and(|n| !(1..=MAX_PER_PAGE).contains(&n)) {
            problems.add("perPage", format!("Розмір сторінки має бути від 1 до {MAX_PER_PAGE}"));
        }
        if self.limit.is_some_and(|n| !(1..=MAX_LIMIT).contains(&n)) {
            problems.add("limit", format!("Кількість рядків має бути від 1 до {MAX_LIMIT}"));
        }
        problems.finish()
    }

    /// The rows to skip: `offset` when given, else the rows of the pages before `page`.
    fn skip(&self, size: u32) -> i64 {
        match (self.offset, self.page) {
            (Some(offset), _) => offset.into(),
            // At most (2^32 - 2) * 10,000: far inside i64.
            (None, Some(page)) => i64::from(page - 1) * i64::from(size),
            (None, None) => 0,
        }
    }
}

impl PageQuery<MAX_PER_PAGE> {
    /// The page to answer: `limit` (else `perPage`, else 20) rows from `offset` (else from the
    /// start of `page`, else 0).
    pub fn page(&self) -> Result<Page, AppError> {
        self.check()?;
        let per_page = self.limit.or(self.per_page).unwrap_or(DEFAULT_PER_PAGE);
        let offset = self.skip(per_page);
        Ok(Page {
            // An offset of u32::MAX with one row per page is page 2^32: saturate, as no such
            // page holds anything.
            page: u32::try_from(offset / i64::from(per_page) + 1).unwrap_or(u32::MAX),
            per_page,
            limit: per_page.into(),
            offset,
        })
    }
}

impl PageQuery<MAX_ROWS> {
    /// The rows to answer: every match unless `limit` is given; `offset` (else the start of
    /// `page`, counted in `limit`s) skips.
    pub fn rows(&self) -> Result<Rows, AppError> {
        self.check()?;
        Ok(match self.limit {
            Some(limit) => Rows { limit: Some(limit.into()), offset: self.skip(limit) },
            None => Rows { limit: None, offset: self.offset.map_or(0, i64::from) },
        })
    }
}

impl Page {
    /// Pages needed for `total` rows.
    pub fn total_pages(self, total: i64) -> i64 {
        let per = i64::from(self.per_page);
        (total + per - 1) / per
    }

    /// The answer's `meta` for `total` matches.
    pub fn meta(self, total: i64) -> PageMeta {
        PageMeta { page: self.page, per_page: self.per_page, total, total_pages: self.total_pages(total) }
    }
}

/// A query value that must be a whole number from 0 to 4294967295.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    struct Count;
    impl de::Visitor<'_> for Count {
        type Value = u32;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a whole number from 0 to 4294967295")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
            // Only digits: `+5` and `05` are numbers to `parse` but not to the schema.
            let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| v.parse().ok()).flatten().ok_or_else(|| E::custom("Ціле число від 0 до 4294967295"))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom("Ціле число від 0 до 4294967295"))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom("Ціле число від 0 до 4294967295"))
        }
    }
    d.deserialize_any(Count).map(Some)
}

impl<const MAX_LIMIT: u32> IntoParams for PageQuery<MAX_LIMIT> {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let param = |name: &str, minimum: u32, maximum: u32, description: String| {
            let schema = ObjectBuilder::new()
                .schema_type(Type::Integer)
                // int64: the widest value, 4294967295, is past int32.
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(minimum))
                .maximum(Some(maximum));
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(schema))
                .build()
        };
        let cut = if MAX_LIMIT == MAX_PER_PAGE {
            format!("{DEFAULT_PER_PAGE} rows by default")
        } else {
            "every row unless `limit` is given; `perPage` alone cuts nothing".to_owned()
        };
        vec![
            param("page", 1, u32::MAX, format!("Page number from 1, counted in the page size ({cut}).")),
            param("perPage", 1, MAX_PER_PAGE, format!("Page size, 1 to {MAX_PER_PAGE}; 422 outside.")),
            param("limit", 1, MAX_LIMIT, format!("Rows to answer, 1 to {MAX_LIMIT}; wins over `perPage`; 422 outside.")),
            param("offset", 0, u32::MAX, "Rows to skip; wins over `page`.".to_owned()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paged(page: Option<u32>, per_page: Option<u32>, limit: Option<u32>, offset: Option<u32>) -> Result<Page, AppError> {
        Paged::new(page, per_page, limit, offset).page()
    }

    fn unpaged(page: Option<u32>, per_page: Option<u32>, limit: Option<u32>, offset: Option<u32>) -> Result<Rows, AppError> {
        Unpaged::new(page, per_page, limit, offset).rows()
    }

    fn refused(result: Result<impl std::fmt::Debug, AppError>) -> Vec<String> {
        match result {
            Err(AppError::Invalid(details)) => details.into_keys().collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_page_is_twenty_rows_unless_sized() {
        assert_eq!(paged(None, None, None, None).unwrap(), Page { page: 1, per_page: 20, limit: 20, offset: 0 });
        assert_eq!(paged(Some(3), Some(10), None, None).unwrap(), Page { page: 3, per_page: 10, limit: 10, offset: 20 });
        // limit/offset win over perPage/page.
        assert_eq!(paged(Some(3), Some(10), Some(5), Some(12)).unwrap(), Page { page: 3, per_page: 5, limit: 5, offset: 12 });
        assert_eq!(paged(Some(2), None, Some(5), None).unwrap(), Page { page: 2, per_page: 5, limit: 5, offset: 5 });
        assert_eq!(paged(None, Some(100), None, None).unwrap().limit, 100);
        assert_eq!(paged(None, None, Some(1), Some(u32::MAX)).unwrap().page, u32::MAX);
    }

    #[test]
    fn out_of_range_values_are_422_naming_them() {
        assert_eq!(refused(paged(Some(0), None, None, None)), ["page"]);
        assert_eq!(refused(paged(None, Some(0), None, None)), ["perPage"]);
        assert_eq!(refused(paged(None, Some(101), None, None)), ["perPage"]);
        assert_eq!(refused(paged(None, None, Some(0), None)), ["limit"]);
        assert_eq!(refused(paged(None, None, Some(101), None)), ["limit"]);
        assert_eq!(refused(paged(Some(0), Some(500), Some(0), None)), ["limit", "page", "perPage"]);
        assert_eq!(refused(unpaged(Some(0), None, None, None)), ["page"]);
        assert_eq!(refused(unpaged(None, Some(101), None, None)), ["perPage"]);
        assert_eq!(refused(unpaged(None, None, Some(10_001), None)), ["limit"]);
    }

    #[test]
    fn unpaged_lists_are_whole_unless_limited() {
        assert_eq!(unpaged(None, None, None, None).unwrap(), Rows::ALL);
        // What the clients page sends: it slices the answer itself.
        assert_eq!(unpaged(Some(2), Some(25), None, None).unwrap(), Rows::ALL);
        assert_eq!(unpaged(None, None, None, Some(4)).unwrap(), Rows { limit: None, offset: 4 });
        assert_eq!(unpaged(Some(3), None, Some(20), None).unwrap(), Rows { limit: Some(20), offset: 40 });
        assert_eq!(unpaged(Some(3), None, Some(20), Some(1)).unwrap(), Rows { limit: Some(20), offset: 1 });
        assert_eq!(unpaged(Some(u32::MAX), None, Some(MAX_ROWS), None).unwrap().offset, i64::from(u32::MAX - 1) * 10_000);
    }

    #[test]
    fn total_pages_round_up() {
        let page = paged(None, Some(2), None, None).unwrap();
        assert_eq!(page.meta(5), PageMeta { page: 1, per_page: 2, total: 5, total_pages: 3 });
        assert_eq!(page.total_pages(0), 0);
    }

    #[test]
    fn query_values_are_plain_digits() {
        let parse = |q: &str| serde_urlencoded::from_str::<Paged>(q);
        assert_eq!(parse("page=2&perPage=5").unwrap(), Paged::new(Some(2), Some(5), None, None));
        assert_eq!(parse("offset=4294967295").unwrap(), Paged::new(None, None, None, Some(u32::MAX)));
        for bad in ["page=-1", "page=1.0", "page=%2B1", "offset=4294967296", "limit=ten", "page="] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_document_states_each_range() {
        let params = Unpaged::into_params(|| None);
        let names: Vec<_> = params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["page", "perPage", "limit", "offset"]);
        let json = serde_json::to_value(&params[2]).unwrap();
        assert_eq!((json["schema"]["minimum"].as_u64(), json["schema"]["maximum"].as_u64()), (Some(1), Some(10_000)));
        let json = serde_json::to_value(&Paged::into_params(|| None)[1]).unwrap();
        assert_eq!(json["schema"]["maximum"], 100);
    }
}
