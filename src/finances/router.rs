//! The finances routes, as the composition root (`crate::app`) mounts them.

use std::sync::Arc;

use axum::extract::FromRef;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{documents, http, operations, receipts};
use crate::{auth::Gate, config::Config, realtime::Hub};

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    Arc<Config>: FromRef<S>,
    Hub: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(http::list_payment_methods, http::create_payment_method))
        .routes(routes!(http::update_payment_method, http::delete_payment_method))
        .routes(routes!(http::list_cash_registers, http::create_cash_register))
        .routes(routes!(http::update_cash_register, http::delete_cash_register))
        .routes(routes!(operations::http::list_operations, operations::http::create_operation))
        .routes(routes!(operations::http::get_operation, operations::http::update_operation))
        .routes(routes!(operations::http::reverse_operation))
        .routes(routes!(documents::http::list_documents, documents::http::create_document))
        .routes(routes!(documents::http::get_document))
        .routes(routes!(documents::http::change_document_status))
        .routes(routes!(receipts::http::list_receipts, receipts::http::create_receipt))
        .routes(routes!(receipts::http::get_receipt))
        .routes(routes!(receipts::http::receipt_pdf))
        .routes(routes!(receipts::http::email_receipt))
        .routes(routes!(http::get_dashboard))
        .routes(routes!(http::export_finances))
}
