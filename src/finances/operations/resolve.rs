//! Turns what a form sends (ids, or names as free text) into an operation row (open point
//! 12): an id must name a live, active row of the salon (422 otherwise, so another salon's id
//! is refused without a trace); a text is matched by name within the salon, case-insensitively,
//! and kept as entered when nothing matches.

use crate::{
    finances::{common::Problems, methods, registers},
    error::AppError,
    ids::{CashRegisterId, ClientId},
    tenancy::TenantTx,
};

/// A reference as sent: an id (of the kind `Id`: a payment method's `i64`, a
/// [`CashRegisterId`], a [`ClientId`]), a name, or neither.
#[derive(Debug, Clone)]
pub struct Reference<Id = i64> {
    pub id: Option<Id>,
    pub text: Option<String>,
}

impl<Id> Default for Reference<Id> {
    fn default() -> Self {
        Reference { id: None, text: None }
    }
}

impl<Id> Reference<Id> {
    pub fn new(id: Option<Id>, text: Option<&str>) -> Self {
        let text = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        Reference { id, text }
    }

    fn is_empty(&self) -> bool {
        self.id.is_none() && self.text.is_none()
    }
}

/// A resolved reference: the linked id, or the text kept as entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link<Id = i64> {
    pub id: Option<Id>,
    pub text: String,
}

impl<Id> Default for Link<Id> {
    fn default() -> Self {
        Link { id: None, text: String::new() }
    }
}

/// The payment method; also answers the register the method sends money to.
pub async fn method(
    tx: &mut TenantTx,
    p: &mut Problems,
    r: &Reference,
    field: (&str, &str),
) -> Result<(Link, Option<CashRegisterId>), AppError> {
    let found = match (r.id, r.text.as_deref()) {
        (Some(id), _) => match methods::ref_by_id(tx, id).await? {
            None => {
                p.add(field.0, "Спосіб оплати не знайдено");
                return Ok((Link::default(), None));
            }
            found => found,
        },
        (None, Some(name)) => methods::ref_by_name(tx, name).await?,
        (None, None) => None,
    };
    match found {
        Some(m) if !m.is_active => {
            p.add(if r.id.is_some() { field.0 } else { field.1 }, "Спосіб оплати вимкнено");
            Ok((Link::default(), None))
        }
        Some(m) => Ok((Link { id: Some(m.id), text: String::new() }, m.cash_register_id)),
        None => Ok((Link { id: None, text: r.text.clone().unwrap_or_default() }, None)),
    }
}

/// The register, falling back to `fallback` (the method's register, else the main one) when
/// nothing is named. The register's row stays locked until the transaction ends, so every
/// balance read after an operation on it sees all earlier ones.
pub async fn register(
    tx: &mut TenantTx,
    p: &mut Problems,
    r: &Reference<CashRegisterId>,
    fallback: Option<CashRegisterId>,
    field: (&str, &str),
) -> Result<Link<CashRegisterId>, AppError> {
    let found = match (r.id, r.text.as_deref()) {
        (Some(id), _) => match registers::ref_by_id(tx, id).await? {
            None => {
                p.add(field.0, "Касу не знайдено");
                return Ok(Link::default());
            }
            found => found,
        },
        (None, Some(name)) => registers::ref_by_name(tx, name).await?,
        (None, None) => {
            let id = match fallback {
                Some(id) => Some(id),
                None => registers::main_id(tx).await?,
            };
            match id {
                Some(id) => registers::ref_by_id(tx, id).await?,
                None => None,
            }
        }
    };
    match found {
        Some(reg) if !reg.is_active && !r.is_empty() => {
            p.add(if r.id.is_some() { field.0 } else { field.1 }, "Касу вимкнено");
            Ok(Link::default())
        }
        Some(reg) if reg.is_active => {
            registers::lock_row(tx, reg.id).await?;
            Ok(Link { id: Some(reg.id), text: String::new() })
        }
        _ => Ok(Link { id: None, text: r.text.clone().unwrap_or_default() }),
    }
}

/// The client: by id (a live client of the salon), else by exact name when exactly one live
/// client has it, else the name as entered. `Link::text` is the client's name either way.
pub async fn client(
    tx: &mut TenantTx,
    p: &mut Problems,
    r: &Reference<ClientId>,
    field: (&str, &str),
) -> Result<Link<ClientId>, AppError> {
    if let Some(id) = r.id {
        return match crate::clients::get_ref(tx, id).await? {
            Some(c) => Ok(Link { id: Some(c.id), text: c.name }),
            None => {
                p.add(field.0, "Клієнта не знайдено");
                Ok(Link::default())
            }
        };
    }
    let Some(name) = r.text.as_deref() else { return Ok(Link::default()) };
    if name.chars().count() > 200 {
        p.add(field.1, "Не більше 200 символів");
        return Ok(Link::default());
    }
    let found: Vec<(ClientId, String)> =
        crate::clients::live_by_name(tx, name, 2).await?.into_iter().map(|c| (c.id, c.name)).collect();
    match found.as_slice() {
        [(id, stored)] => Ok(Link { id: Some(*id), text: stored.clone() }),
        _ => Ok(Link { id: None, text: name.to_owned() }),
    }
}
