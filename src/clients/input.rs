//! What a client form sends (`POST`/`PUT /clients`) and its validation into the values the
//! store writes.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    fields::{
        bonus, birth_date_text, card_number, category, discount, email, first_name, gender, notes, other_name, phone,
    },
    model::Percent,
};
use crate::{
    error::{AppError, Problems},
    money::Money,
};

/// `POST /clients`. Unknown keys are ignored (the form sends more than it needs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewClient {
    /// Required; a missing key is reported on the field like an empty one.
    #[serde(default)]
    pub first_name: String,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    /// Required. Any common Ukrainian or international notation; stored as E.164.
    #[serde(default)]
    pub phone: String,
    pub email: Option<String>,
    pub card_number: Option<String>,
    /// `YYYY-MM-DD`, unpadded (`1990-5-3`) accepted.
    pub birth_date: Option<String>,
    /// `male`, `female`, `other`.
    pub gender: Option<String>,
    /// `vip`, `regular`, `new`, `inactive`.
    pub source: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub discount: Option<Percent>,
    pub bonus_balance: Option<Money>,
    /// `true`: the client gets no messages about visits.
    pub messages_opt_out: Option<bool>,
}

/// `PUT /clients/{id}`: absent keys keep their value; `""` clears an optional text field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub card_number: Option<String>,
    pub birth_date: Option<String>,
    pub gender: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub discount: Option<Percent>,
    pub bonus_balance: Option<Money>,
    /// `true`: the client gets no messages about visits.
    pub messages_opt_out: Option<bool>,
}

/// Validated card values. `None` = keep (update) or default (insert); for the optional text
/// fields and `birth_date`, `Some("")` clears the stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientValues {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub card_number: Option<String>,
    /// `YYYY-MM-DD` or `""`.
    pub birth_date: Option<String>,
    /// A [`Gender`] in its wire form, or `""`.
    pub gender: Option<String>,
    /// A [`Category`] in its wire form, or `""`.
    pub source: Option<String>,
    pub notes: Option<String>,
    pub discount: Option<Percent>,
    pub bonus_balance: Option<Money>,
    /// `true`: the client gets no messages about visits.
    pub messages_opt_out: Option<bool>,
}

impl NewClient {
    pub fn validate(self, today: NaiveDate) -> Result<ClientValues, AppError> {
        let changes = ClientChanges {
            first_name: Some(self.first_name),
            last_name: self.last_name,
            middle_name: self.middle_name,
            phone: Some(self.phone),
            email: self.email,
            card_number: self.card_number,
            birth_date: self.birth_date,
            gender: self.gender,
            source: self.source,
            notes: self.notes,
            discount: self.discount,
            bonus_balance: self.bonus_balance,
            messages_opt_out: self.messages_opt_out,
        };
        changes.validate(today)
    }
}

impl ClientChanges {
    pub fn validate(self, today: NaiveDate) -> Result<ClientValues, AppError> {
        let mut p = Problems::default();
        let values = ClientValues {
            first_name: self.first_name.and_then(|v| p.check("firstName", first_name(&v))),
            middle_name: self.middle_name.and_then(|v| p.check("middleName", other_name(&v))),
            last_name: self.last_name.and_then(|v| p.check("lastName", other_name(&v))),
            phone: self.phone.and_then(|v| p.check("phone", phone(&v))),
            email: self.email.and_then(|v| p.check("email", email(&v))),
            card_number: self.card_number.and_then(|v| p.check("cardNumber", card_number(&v))),
            birth_date: self.birth_date.and_then(|v| p.check("birthDate", birth_date_text(&v, today))),
            gender: self.gender.and_then(|v| p.check("gender", gender(&v))),
            source: self.source.and_then(|v| p.check("source", category(&v))),
            notes: self.notes.and_then(|v| p.check("notes", notes(&v))),
            discount: self.discount.and_then(|d| p.check("discount", discount(d))),
            bonus_balance: self.bonus_balance.and_then(|b| p.check("bonusBalance", bonus(b))),
            messages_opt_out: self.messages_opt_out,
        };
        p.finish_with(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldErrors;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 13).unwrap()
    }

    fn details(err: AppError) -> FieldErrors {
        match err {
            AppError::Invalid(d) => d,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn the_add_form_body_validates() {
        let input: NewClient = serde_json::from_str(
            r#"{"firstName": " Марія ", "lastName": "", "phone": "067 123 45 67", "email": "",
                "birthDate": "1990-5-3", "gender": "female", "source": "regular", "discount": 10.5,
                "bonusBalance": 0, "extra": true}"#,
        )
        .unwrap();
        let v = input.validate(today()).unwrap();
        assert_eq!(v.first_name.as_deref(), Some("Марія"));
        assert_eq!(v.last_name.as_deref(), Some(""));
        assert_eq!(v.phone.as_deref(), Some("+380671234567"));
        assert_eq!(v.email.as_deref(), Some(""));
        assert_eq!(v.birth_date.as_deref(), Some("1990-05-03"));
        assert_eq!(v.discount, Some(Percent(1050)));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let input: NewClient = serde_json::from_str(
            r#"{"firstName": "", "phone": "123", "email": "nope", "birthDate": "2999-01-01",
                "gender": "x", "source": "y", "discount": 150, "bonusBalance": -1}"#,
        )
        .unwrap();
        let d = details(input.validate(today()).unwrap_err());
        for field in ["firstName", "phone", "email", "birthDate", "gender", "source", "discount", "bonusBalance"] {
            assert!(d.contains_key(field), "{field} missing in {d:?}");
        }
    }

    #[test]
    fn percent_is_exact() {
        let p: Percent = serde_json::from_str("12.25").unwrap();
        assert_eq!(p, Percent(1225));
        assert_eq!(serde_json::to_string(&p).unwrap(), "12.25");
        assert_eq!(serde_json::to_string(&Percent(1000)).unwrap(), "10");
    }
}
