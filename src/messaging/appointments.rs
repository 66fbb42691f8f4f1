// placeholder until the mail branch lands (same signatures)
use super::Email;
pub enum VisitMessage { Confirmation, Reminder, Cancellation }
pub struct Visit { pub appointment_id: i64, pub client_name: String, pub service: String, pub master: Option<String>, pub starts_at: chrono::DateTime<chrono::Utc>, pub ends_at: chrono::DateTime<chrono::Utc> }
pub struct SalonContacts { pub name: String, pub zone: chrono_tz::Tz }
impl SalonContacts {
    pub async fn read(tx: &mut crate::tenancy::TenantTx) -> Result<SalonContacts, crate::error::AppError> {
        let p = crate::tenancy::salon::profile(tx, false).await?;
        Ok(SalonContacts { name: p.name, zone: crate::clock::zone(&p.timezone) })
    }
}
fn subject(kind: &VisitMessage) -> &'static str { match kind { VisitMessage::Confirmation => "Запис підтверджено", VisitMessage::Reminder => "Нагадування про візит", VisitMessage::Cancellation => "Запис скасовано" } }
pub fn visit_email(kind: VisitMessage, visit: &Visit, salon: &SalonContacts, to: &str) -> Email {
    Email { to: to.to_owned(), subject: subject(&kind).to_owned(), text: visit_sms(kind, visit, salon) }
}
pub fn visit_sms(kind: VisitMessage, visit: &Visit, salon: &SalonContacts) -> String {
    format!("{}: {} {}", subject(&kind), salon.name, visit.starts_at.with_timezone(&salon.zone).format("%d.%m %H:%M"))
}
