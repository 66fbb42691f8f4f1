//! Settings (contract §3.10): the salon's profile and preferences, the signed-in user's own
//! profile, and the roles page's permission matrix.

mod cache;
mod check;
mod hours;
mod http;
mod profile;
pub mod roles;
pub mod router;
pub mod salon;
mod salon_model;
mod salon_store;

pub use salon_model::SalonSettings;
