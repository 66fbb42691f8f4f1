//! TurboSMS HTTP API (https://turbosms.ua/ua/api.html): `POST /message/send.json` with a Bearer
//! token and a JSON body. Every request that reaches the API is answered with HTTP 200; what
//! happened is in `response_code`, for the request as a whole and for each recipient.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::{E164, SmsError, transport_error};

#[derive(Clone)]
pub struct TurboSms {
    http: reqwest::Client,
    url: String,
    token: SecretString,
    sender: String,
}

#[derive(Deserialize)]
struct Answer {
    response_code: u32,
    response_status: String,
    /// One entry per recipient for `message/send`; `null` when the request itself failed.
    response_result: Option<Vec<Recipient>>,
}

#[derive(Deserialize)]
struct Recipient {
    phone: String,
    response_code: u32,
    response_status: String,
    message_id: Option<String>,
}

/// `SUCCESS_MESSAGE_ACCEPTED` (queued; some texts go through moderation first) and
/// `SUCCESS_MESSAGE_SENT`.
const ACCEPTED: [u32; 2] = [800, 801];

/// Codes that refuse this message for good. The rest (103–106 token and account, 200–206
/// missing fields, 203 `REQUIRED_BALANCE`, 302 and 400–401 sender not allowed or not paid
/// for, 5xx and 999 failures on their side, codes we do not know) can pass on a later try
/// once the operator or TurboSMS has fixed something.
fn permanent(code: u32) -> Option<&'static str> {
    Some(match code {
        304 => "the text is not valid UTF-8 text",
        305 => "the number has no known country or operator",
        404 => "the number is on the stop list",
        406 => "sending to the number's country is not enabled",
        412 => "the text contains forbidden fragments",
        413 => "the text is too long",
        // A retry after a lost answer: the first copy was accepted within the last 90 s.
        427 => "the same message was accepted less than 90 seconds ago",
        _ => return None,
    })
}

impl TurboSms {
    pub(super) fn new(http: reqwest::Client, api_url: &str, token: SecretString, sender: String) -> Self {
        TurboSms { http, url: format!("{api_url}/message/send.json"), token, sender }
    }

    /// Returns TurboSMS's message id (`None` if an accepted answer carried none).
    pub(super) async fn send(&self, to: &E164, text: &str) -> Result<Option<String>, SmsError> {
        let body = json!({ "recipients": [to.digits()], "sms": { "sender": self.sender, "text": text } });
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(self.token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if !status.is_success() {
            return Err(SmsError::Temporary(anyhow::anyhow!("TurboSMS answered HTTP {status}")));
        }
        let answer: Answer = response.json().await.map_err(transport_error)?;
        outcome(answer, to.digits())
    }
}

/// Our single recipient's entry decides; without one, the request-level code does.
fn outcome(answer: Answer, phone: &str) -> Result<Option<String>, SmsError> {
    let recipient = answer.response_result.unwrap_or_default().into_iter().find(|r| r.phone == phone);
    match recipient {
        Some(r) if r.response_code == 0 => Ok(r.message_id),
        Some(r) => Err(refusal(r.response_code, &r.response_status)),
        None if ACCEPTED.contains(&answer.response_code) => Ok(None),
        None => Err(refusal(answer.response_code, &answer.response_status)),
    }
}

fn refusal(code: u32, status: &str) -> SmsError {
    match permanent(code) {
        Some(why) => SmsError::Permanent(format!("TurboSMS {code} {status}: {why}")),
        None => SmsError::Temporary(anyhow::anyhow!("TurboSMS {code} {status}")),
    }
}

impl std::fmt::Debug for TurboSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} as {:?}", self.url, self.sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: serde_json::Value) -> Answer {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn sms_turbosms_takes_our_recipients_entry() {
        let partial = answer(json!({
            "response_code": 802, "response_status": "SUCCESS_MESSAGE_PARTIAL_ACCEPTED",
            "response_result": [
                {"phone": "380501111111", "response_code": 0, "message_id": "other", "response_status": "OK"},
                {"phone": "380671234567", "response_code": 406, "message_id": null, "response_status": "NOT_ALLOWED_RECIPIENT_COUNTRY"},
            ]
        }));
        let Err(SmsError::Permanent(why)) = outcome(partial, "380671234567") else { panic!("not permanent") };
        assert!(why.contains("406 NOT_ALLOWED_RECIPIENT_COUNTRY"), "{why}");
    }

    #[test]
    fn sms_turbosms_request_level_codes() {
        let balance = answer(json!({"response_code": 203, "response_status": "REQUIRED_BALANCE", "response_result": null}));
        assert!(matches!(outcome(balance, "380671234567"), Err(SmsError::Temporary(_))));
        let accepted = answer(json!({"response_code": 800, "response_status": "SUCCESS_MESSAGE_ACCEPTED", "response_result": []}));
        assert_eq!(outcome(accepted, "380671234567").ok(), Some(None));
        let stop = answer(json!({"response_code": 404, "response_status": "NOT_ALLOWED_NUMBER_STOPLIST", "response_result": null}));
        assert!(matches!(outcome(stop, "380671234567"), Err(SmsError::Permanent(_))));
    }
}
