//! The people and things most tests start from, made through the API as a user would: one
//! cast of personas, and builders for the records tests book, bill and count.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Res, Session, TestApp};

/// Salon A's administrator, receptionist and master (accounts with the default rows of
/// their roles), and the administrator of salon B, for cross-tenant checks.
pub struct Cast {
    pub admin: Session,
    pub receptionist: Session,
    pub master: Session,
    pub other_admin: Session,
}

/// Every day of the week, as the schedule body names them.
pub const WEEK: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// The id of an answered object, sent as a number or as a numeric string.
pub fn id(v: &Value) -> i64 {
    v["id"]
        .as_i64()
        .or_else(|| v["id"].as_str().and_then(|s| s.parse().ok()))
        .unwrap_or_else(|| panic!("no id in {v}"))
}

/// The calendar form's body for a visit of Марія Петренко (no client card), the salon's
/// `Стрижка` at 450; change fields with `body["…"] = …`.
pub fn booking(staff_id: Option<i64>, date: &str, start: &str, end: &str) -> Value {
    json!({"clientName": "Марія Петренко", "clientPhone": "+380 (67) 123-45-67", "service": "Стрижка",
           "date": date, "startTime": start, "endTime": end, "status": "scheduled", "type": "standard",
           "notes": "", "price": 450, "staffId": staff_id})
}

impl TestApp {
    /// Salon A with its administrator, receptionist and master; salon B with its administrator.
    pub async fn cast(&self) -> Cast {
        let admin = self.new_salon("Салон А").await;
        let receptionist = self.staff(&admin, "receptionist").await;
        let master = self.staff(&admin, "master").await;
        let other_admin = self.new_salon("Салон Б").await;
        Cast { admin, receptionist, master, other_admin }
    }

    /// POSTs `body` and asserts 201; the answered object.
    pub async fn created(&self, who: &Session, path: &str, body: Value) -> Value {
        let res = self.post(path, Some(&who.access), body).await;
        assert_eq!(res.status, StatusCode::CREATED, "POST {path}: {}", res.text);
        res.body
    }

    /// POSTs `body` and asserts 201; the new object's id.
    pub async fn created_id(&self, who: &Session, path: &str, body: Value) -> i64 {
        id(&self.created(who, path, body).await)
    }

    pub async fn delete(&self, who: &Session, path: &str) -> Res {
        self.request(Method::DELETE, path, Some(&who.access), None).await
    }

    /// A number the superuser reads (`select count(*) …`), across every salon.
    pub async fn count(&self, sql: &'static str) -> i64 {
        let mut su = self.su().await;
        sqlx::query_scalar(sql).fetch_one(&mut su).await.unwrap()
    }

    /// A staff member without an account or a schedule.
    pub async fn member(&self, admin: &Session, first_name: &str) -> i64 {
        self.created_id(
            admin,
            "/api/v1/staff",
            json!({"firstName": first_name, "lastName": "Майстер", "phone": "+380501112233", "position": "master"}),
        )
        .await
    }

    /// A staff member working 09:00–18:00 every day.
    pub async fn working_member(&self, admin: &Session, first_name: &str) -> i64 {
        let staff_id = self.member(admin, first_name).await;
        self.every_day(admin, staff_id, json!({"isWorkDay": true, "startTime": "09:00", "endTime": "18:00"})).await;
        staff_id
    }

    /// Sets the member's weekly pattern to `day` on every day of the week.
    pub async fn every_day(&self, admin: &Session, staff_id: i64, day: Value) {
        let days: serde_json::Map<String, Value> = WEEK.iter().map(|d| (d.to_string(), day.clone())).collect();
        let path = format!("/api/v1/staff/{staff_id}/schedule");
        let res = self.post(&path, Some(&admin.access), json!({"work_days": days})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }

    /// An active service of the `hair` category.
    pub async fn service(&self, admin: &Session, name: &str, minutes: i64, price: f64) -> i64 {
        self.created_id(
            admin,
            "/api/v1/services",
            json!({"name": name, "category": "hair", "duration": minutes, "price": price, "isActive": true}),
        )
        .await
    }

    /// A client card from the add form's fields.
    pub async fn client(&self, who: &Session, first_name: &str, phone: &str) -> i64 {
        self.created_id(who, "/api/v1/clients", json!({"firstName": first_name, "lastName": "", "phone": phone})).await
    }

    /// Books `body` (see [`booking`]) and asserts 201; the appointment's id.
    pub async fn book(&self, who: &Session, body: Value) -> i64 {
        self.created_id(who, "/api/v1/appointments", body).await
    }
}
