//! Typed ids of the rows other domains point at, so that a staff id cannot be passed where a
//! client id belongs. Each is the table's `bigint` id: the same number in SQL
//! (`#[sqlx(transparent)]`, arrays included), in JSON (a number, as before; the areas that send
//! ids as numeric strings keep doing so with `crate::http::ids`) and in paths.
//!
//! In the query macros an output column names its type (`id as "id: StaffId"`) and a parameter
//! its own (`staff_id as StaffId`, `ids as &[StaffId]`), which skips the macro's check against
//! `i64` only for the same encoding.
//!
//! The salon's id, the tenant key, is [`crate::tenancy::SalonId`].

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            sqlx::Type,
            utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id! {
    /// A user account (`users.id`): who signs in, who did something.
    UserId
}
id! {
    /// A staff member (`staff.id`), who may or may not have a user account.
    StaffId
}
id! {
    /// A client of the salon (`clients.id`).
    ClientId
}
id! {
    /// A service of the catalogue (`services.id`).
    ServiceId
}
id! {
    /// An appointment in the calendar (`appointments.id`).
    AppointmentId
}
id! {
    /// A product in stock (`products.id`).
    ProductId
}
id! {
    /// A cash register (`cash_registers.id`).
    CashRegisterId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_the_wire_format_of_a_number() {
        assert_eq!(serde_json::to_string(&StaffId(42)).unwrap(), "42");
        assert_eq!(serde_json::from_str::<ClientId>("7").unwrap(), ClientId(7));
        assert!(serde_json::from_str::<ClientId>("\"7\"").is_err());
        assert_eq!(UserId(3).to_string(), "3");
    }
}
