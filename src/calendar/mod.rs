//! The calendar: appointments, free-slot search, and the rules that keep a member from being
//! booked twice (the `appointments_no_overlap` constraint has the final word).

pub mod agenda;
mod announce;
mod availability;
mod book;
mod edit;
pub mod facts;
mod http;
mod model;
pub mod online;
pub mod router;
mod scope;
pub mod slots;
mod store;

crate::permission!(AppointmentsView = "appointments");
crate::permission!(AppointmentsCreate = "appointments.create");
crate::permission!(AppointmentsEdit = "appointments.edit");
crate::permission!(AppointmentsDelete = "appointments.delete");

pub use model::{Appointment, Kind, Status};

