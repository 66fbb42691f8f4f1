//! The salon's stock (contract §3.8): products, stock movements with history, low-stock
//! alerts, and spreadsheet export and import.
//!
//! A product's quantity is derived: it is the sum of its movements' signed changes, cached in
//! `products.quantity_milli` and updated under the product's row lock in the movement's
//! transaction (see [`stock`]). Quantities are [`Quantity`] (thousandths), money
//! [`crate::money::Money`]. Deleting a product archives it; its movements stay.
//!
//! Export writes Ukrainian headers and labels that the import reads back; the import matches
//! products by SKU (`onDuplicate=skip|update`) and guards against oversized and zip-bomb files
//! (see [`sheet`]).
//!
//! Other domains (sales of goods) move stock with [`record_movement`] and announce a
//! [`LowStock`] with [`announce_low_stock`] after their commit.

mod columns;
mod export;
mod http;
mod import;
pub mod input;
pub mod model;
mod movements;
mod products;
pub mod quantity;
pub mod stock;
mod store;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;

pub use model::{Product, StockStatus, Unit};
pub use quantity::Quantity;
pub use stock::{
    LowStock, Movement, MovementKind, Moved, StockChange, announce as announce_low_stock, record as record_movement,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_products, http::create_product))
        .routes(routes!(http::get_product, http::update_product, http::delete_product))
        .routes(routes!(http::list_categories))
        .routes(routes!(movements::create_movement))
        .routes(routes!(movements::product_history))
        .routes(routes!(export::export_products))
        .routes(routes!(import::import_products))
}
