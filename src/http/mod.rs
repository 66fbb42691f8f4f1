//! The HTTP toolkit every domain uses: extractors that answer the error envelope of
//! [`crate::error`], typed path ids, paging, integer body fields, request limits and the base
//! of the OpenAPI document. It names no domain; the routes are put together in [`crate::app`].

mod extract;
pub mod ids;
pub mod limits;
pub mod openapi;
pub mod page;
pub mod whole;

pub use extract::{AppJson, AppPath, AppQuery, parse_json};
