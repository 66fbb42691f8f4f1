//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`
//! (https://www.twilio.com/docs/messaging/api/message-resource), HTTP Basic auth with the
//! account SID and auth token, a form body. A created message answers 201 with its `sid`; a
//! refusal answers 4xx with `{code, message, more_info, status}`
//! (https://www.twilio.com/docs/usage/twilios-response).

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{E164, SmsError, transport_error};

#[derive(Clone)]
pub struct Twilio {
    http: reqwest::Client,
    url: String,
    account_sid: String,
    auth_token: SecretString,
    from: String,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

#[derive(Deserialize)]
struct Refusal {
    code: Option<u32>,
    message: Option<String>,
}

/// Refusals an operator can fix, so the message may pass later: 20003 authentication failed,
/// 10001 account not active, 21606 `From` is not a number this account may send from.
/// Every other 4xx refuses this message (21211 invalid `To`, 21408 region not enabled, 21610
/// recipient replied STOP, 21612 `To` unreachable, 21614 `To` not a mobile number, 21635 `To`
/// is a landline, 21617 body too long, ...): see https://www.twilio.com/docs/api/errors/{code}.
const OPERATOR_FIXES: [u32; 3] = [20003, 10001, 21606];

impl Twilio {
    pub(super) fn new(http: reqwest::Client, api_url: &str, account_sid: String, auth_token: SecretString, from: String) -> Self {
        let url = format!("{api_url}/2010-04-01/Accounts/{account_sid}/Messages.json");
        Twilio { http, url, account_sid, auth_token, from }
    }

    /// Returns the message SID (`SM…`).
    pub(super) async fn send(&self, to: &E164, text: &str) -> Result<Option<String>, SmsError> {
        // A Messaging Service picks the sender from its pool itself.
        let from_field = if self.from.starts_with("MG") { "MessagingServiceSid" } else { "From" };
        let form = [("To", to.as_str()), (from_field, self.from.as_str()), ("Body", text)];
        let response = self
            .http
            .post(&self.url)
            .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
            .form(&form)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            let created: Created = response.json().await.map_err(transport_error)?;
            return Ok(Some(created.sid));
        }
        // The body may be HTML from a proxy on the way; the status alone still decides.
        let refusal = response.json::<Refusal>().await.unwrap_or(Refusal { code: None, message: None });
        Err(classify(status, refusal))
    }
}

fn classify(status: StatusCode, refusal: Refusal) -> SmsError {
    let code = refusal.code.map_or_else(|| "-".to_owned(), |c| c.to_string());
    let what = format!("Twilio HTTP {status}, code {code}: {}", refusal.message.as_deref().unwrap_or("no message"));
    let operator_can_fix = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        || refusal.code.is_some_and(|c| OPERATOR_FIXES.contains(&c));
    if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS && !operator_can_fix {
        SmsError::Permanent(what)
    } else {
        SmsError::Temporary(anyhow::anyhow!(what))
    }
}

impl std::fmt::Debug for Twilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} from {:?}", self.url, self.from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(code: u32) -> Refusal {
        Refusal { code: Some(code), message: Some("refused".into()) }
    }

    #[test]
    fn sms_twilio_recipient_refusals_are_permanent() {
        for code in [21211, 21408, 21610, 21612, 21614, 21635] {
            assert!(matches!(classify(StatusCode::BAD_REQUEST, refusal(code)), SmsError::Permanent(_)), "{code}");
        }
    }

    #[test]
    fn sms_twilio_operator_and_server_trouble_is_temporary() {
        assert!(matches!(classify(StatusCode::UNAUTHORIZED, refusal(20003)), SmsError::Temporary(_)));
        let forbidden = Refusal { code: None, message: None };
        assert!(matches!(classify(StatusCode::FORBIDDEN, forbidden), SmsError::Temporary(_)));
        assert!(matches!(classify(StatusCode::BAD_REQUEST, refusal(21606)), SmsError::Temporary(_)));
        assert!(matches!(classify(StatusCode::TOO_MANY_REQUESTS, refusal(20429)), SmsError::Temporary(_)));
        let none = Refusal { code: None, message: None };
        assert!(matches!(classify(StatusCode::BAD_GATEWAY, none), SmsError::Temporary(_)));
    }
}
