//! The calendar: appointments, free-slot search, and the rules that keep a member from being
//! booked twice (the `appointments_no_overlap` constraint has the final word).

mod availability;
mod book;
pub mod facts;
mod model;
mod routes;
mod scope;
pub mod slots;
mod store;

pub use model::{Appointment, Kind, Status};

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    // The static `/appointments/availability` route sits beside `/appointments/{id}`; axum
    // prefers the static segment.
    routes::router().merge(availability::router())
}
