//! What every mail says about the salon that sends it.

use serde::Serialize;

use crate::{
    error::AppError,
    tenancy::{
        SalonId, TenantTx,
        salon::{self, SalonProfile},
    },
};

/// The salon's name and contacts as its mails print them (empty strings for what is not set),
/// and the zone its times are shown in.
#[derive(Debug, Clone, Serialize)]
pub struct SalonContacts {
    pub name: String,
    /// The city and the street address, as one line.
    pub address: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    #[serde(skip)]
    pub zone: chrono_tz::Tz,
    /// Names the salon in calendar UIDs. The id, not the slug: a slug may be renamed, and a
    /// changed UID would make calendars show one visit twice.
    pub slug_or_id: String,
}

impl SalonContacts {
    /// The transaction's salon, from its profile.
    pub async fn read(tx: &mut TenantTx) -> Result<SalonContacts, AppError> {
        let id = tx.salon();
        Ok(Self::of(id, &salon::profile(tx, false).await?))
    }

    /// Salon `id`'s contacts from its profile, for a caller that has read the profile already.
    pub fn of(id: SalonId, p: &SalonProfile) -> SalonContacts {
        SalonContacts {
            address: address_line(&p.city, &p.address),
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            website: p.website.clone(),
            zone: crate::clock::zone(&p.timezone),
            slug_or_id: id.to_string(),
        }
    }
}

/// `Київ, вул. Хрещатик, 1`; the city is left out when the address already names it.
fn address_line(city: &str, address: &str) -> String {
    let (city, address) = (city.trim(), address.trim());
    if city.is_empty() || address.contains(city) {
        address.to_owned()
    } else if address.is_empty() {
        city.to_owned()
    } else {
        format!("{city}, {address}")
    }
}

#[cfg(test)]
mod tests {
    use super::address_line;

    #[test]
    fn the_city_joins_the_address_once() {
        assert_eq!(address_line("Київ", "вул. Хрещатик, 1"), "Київ, вул. Хрещатик, 1");
        assert_eq!(address_line("Київ", "м. Київ, вул. Хрещатик, 1"), "м. Київ, вул. Хрещатик, 1");
        assert_eq!(address_line("Львів", ""), "Львів");
        assert_eq!(address_line("", ""), "");
    }
}
