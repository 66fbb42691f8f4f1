// placeholder until the sms branch lands (same signatures)
use serde::{Deserialize, Serialize};
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct E164(String);
impl E164 {
    pub fn parse(raw: &str) -> Option<E164> { crate::clients::normalise_phone(raw).map(E164) }
    pub fn as_str(&self) -> &str { &self.0 }
}
pub struct SmsSent { pub provider_id: Option<String>, pub segments: u32 }
#[derive(Debug)]
pub enum SmsError { Temporary(anyhow::Error), Permanent(String) }
#[derive(Debug, Clone)]
pub enum Sms { Log }
impl Sms {
    pub fn from_config(_: &crate::config::Config) -> anyhow::Result<Sms> { Ok(Sms::Log) }
    pub async fn send(&self, _to: &E164, text: &str) -> Result<SmsSent, SmsError> {
        Ok(SmsSent { provider_id: None, segments: text.chars().count().div_ceil(70) as u32 })
    }
}
