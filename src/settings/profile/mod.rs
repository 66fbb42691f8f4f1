//! The signed-in user's own profile: its fields, password and avatar.

mod avatar;
pub(super) mod http;
mod model;
