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
mod import_job;
pub mod input;
pub mod model;
mod movements;
mod products;
pub mod quantity;
pub mod stock;
mod store;
pub mod router;

crate::permission!(InventoryView = "inventory");
crate::permission!(InventoryManage = "inventory.management");
crate::permission!(StockCreate = "inventory.transactions.create");
crate::permission!(MovementsView = "inventory.movements.view");
crate::permission!(InventoryExport = "inventory.movements.export");

/// The permission that reveals cost prices.
pub const COST_VIEW: &str = "inventory.cost.view";

pub use import_job::{InventoryImport, InventoryImportParts};
pub use model::{Product, StockStatus, Unit};
pub use quantity::Quantity;
pub use stock::{
    LowStock, Movement, MovementKind, Moved, StockChange, announce as announce_low_stock, record as record_movement,
};
