//! Adelante: a multi-tenant backend for beauty salons.
//!
//! [`AppState::connect`] wires the parts from [`Config`]; [`app::app`] builds the router that
//! `adelante serve` and the tests both run.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod calendar;
pub mod catalog;
pub mod clients;
pub mod clock;
pub mod config;
pub mod error;
pub mod finances;
pub mod http;
pub mod ids;
pub mod inventory;
pub mod jobs;
pub mod kv;
pub mod messaging;
pub mod money;
pub mod notifications;
pub mod observability;
pub mod overview;
pub mod realtime;
pub mod settings;
pub mod spreadsheet;
pub mod secrets;
pub mod state;
pub mod staff;
pub mod storage;
pub mod tenancy;
pub mod telegram;
pub mod tenants;
pub mod text;
pub mod xlsx;

pub use config::Config;
pub use state::AppState;
