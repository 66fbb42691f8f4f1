//! The document object of contract §3.7 and its inputs.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    clock::Ymd,
    finances::{
        enums::{ContentType, DocStatus, DocType},
        items::{Item, NewItem},
    },
    ids::ClientId,
    money::Money,
};

/// A numbered finance document (receipt, invoice, expense or income order, act).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: i64,
    /// The document's number: the one the client sent, unique per salon and type; when none
    /// was sent, the next of the server's series (`РН-2026-000001`).
    pub number: String,
    /// The number of the server's gap-free series (per salon, type and year), when the server
    /// numbered the document: equal to `number` when none was sent, the receipt number of a
    /// receipt printed with a typed number; `null` for a document numbered by the client.
    pub series_number: Option<String>,
    pub date: Ymd,
    #[serde(rename = "type")]
    pub kind: DocType,
    pub content_type: ContentType,
    pub amount: Money,
    pub services_count: i32,
    pub products_count: i32,
    pub client_id: Option<ClientId>,
    pub counterparty: String,
    pub comment: String,
    pub author: String,
    pub status: DocStatus,
    /// The receipt this document belongs to, for `receipt` documents made by `/finances/receipts`.
    pub receipt_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The lines (single-document answers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    #[serde(skip)]
    pub total_count: Option<i64>,
}

/// `POST /finances/documents`. The form sends amount and counts; `items` (an extension) make
/// the server compute them, and an `amount` that disagrees with the items is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewDocument {
    /// The document's number, unique per salon and type (409 `number_taken` naming the
    /// document that holds it). Empty or absent: the next number of the server's series.
    pub number: Option<String>,
    /// Default today (salon time).
    pub date: Option<Ymd>,
    /// Default `invoice`.
    #[serde(rename = "type")]
    pub kind: Option<DocType>,
    pub content_type: Option<ContentType>,
    pub amount: Option<Money>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub services_count: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub products_count: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub client_id: Option<ClientId>,
    pub counterparty: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    /// `draft` (default), `issued` or `paid`.
    pub status: Option<DocStatus>,
    pub items: Option<Vec<NewItem>>,
}

/// `PATCH /finances/documents/{id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DocStatusChange {
    pub status: DocStatus,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct DocumentFilter {
    pub date_from: Option<Ymd>,
    pub date_to: Option<Ymd>,
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<DocType>)]
    pub kind: Option<DocType>,
    pub status: Option<DocStatus>,
    pub content_type: Option<ContentType>,
    pub client_id: Option<ClientId>,
    /// Part of the number (as typed, or of the server's series), counterparty or comment,
    /// case-insensitive.
    pub search: Option<String>,
}
