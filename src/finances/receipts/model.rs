//! The receipt object (open point 22: the spec's `/finances/receipts` resource, with
//! `receiptNumber`, `balanceAfter` and `source`) and its input.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    clock::Ymd,
    finances::{
        enums::{ReceiptSource, ReceiptStatus},
        items::{Item, NewItem},
    },
    ids::{AppointmentId, CashRegisterId, ClientId},
    money::Money,
};

/// A receipt: a `receipt` document paid by an operation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub id: i64,
    pub date: Ymd,
    /// Ours, gap-free: `ЧК-2026-000001` (the receipt document's `seriesNumber`).
    pub receipt_number: String,
    /// The number typed on the form (a fiscal number), else the receipt number: the receipt
    /// document's `number`, unique among the salon's receipt documents.
    pub document_number: String,
    pub document_id: i64,
    /// The payment.
    pub operation_id: i64,
    pub appointment_id: Option<AppointmentId>,
    pub cash_register_id: Option<CashRegisterId>,
    pub cash_register: String,
    pub client_id: Option<ClientId>,
    pub client: String,
    pub payment_method_id: Option<i64>,
    pub payment_method: String,
    /// Paid.
    pub amount: Money,
    /// What the items add up to (equal to `amount` unless `partial`).
    pub total: Money,
    pub status: ReceiptStatus,
    /// The register's balance right after this payment.
    #[schema(schema_with = crate::money::total)]
    pub balance_after: Money,
    pub source: ReceiptSource,
    pub author: String,
    pub comment: String,
    /// When the payment happened.
    pub paid_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub items: Vec<Item>,
    #[serde(skip)]
    pub total_count: Option<i64>,
}

/// `POST /finances/receipts`: for a paid visit (`appointmentId`) or a sale. References may be
/// ids or names, as for operations. `receiptNumber` and `balanceAfter`, which the spec's form
/// also collects, are ignored: the server numbers receipts and derives balances.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewReceipt {
    /// The visit paid. When the visit's payment is already recorded (it was completed), the
    /// receipt documents that payment instead of recording a second one.
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub appointment_id: Option<AppointmentId>,
    pub items: Option<Vec<NewItem>>,
    /// Paid; defaults to the items' total. Less than the total makes the receipt `partial`.
    pub amount: Option<Money>,
    /// Default today (salon time).
    #[schema(value_type = Option<String>)]
    pub date: Option<Ymd>,
    /// When sent, must agree with the amounts (`paid` or `partial`).
    pub status: Option<ReceiptStatus>,
    /// Default `web`.
    pub source: Option<ReceiptSource>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub payment_method_id: Option<i64>,
    pub payment_method: Option<String>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub cash_register_id: Option<CashRegisterId>,
    pub cash_register: Option<String>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub client_id: Option<ClientId>,
    pub client: Option<String>,
    pub document_number: Option<String>,
    pub receipt_number: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub balance_after: Option<serde_json::Value>,
    pub author: Option<String>,
    pub comment: Option<String>,
}

/// `POST /finances/receipts/{id}/email`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReceiptEmail {
    /// Where to send it; default the client's e-mail.
    pub email: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReceiptFilter {
    pub date_from: Option<Ymd>,
    pub date_to: Option<Ymd>,
    pub status: Option<ReceiptStatus>,
    pub source: Option<ReceiptSource>,
    pub cash_register_id: Option<CashRegisterId>,
    /// Register name, case-insensitive.
    pub cash_register: Option<String>,
    pub client_id: Option<ClientId>,
    /// Part of the receipt number, document number or client.
    pub search: Option<String>,
}
