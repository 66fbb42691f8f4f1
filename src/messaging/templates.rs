//! The words of every mail: a `.txt` and an `.html` template per mail under `templates/`, each
//! extending the one layout of its format, which frames the mail with the salon's name and
//! contacts. The subject is the `subject` block of the `.txt` template.
//!
//! minijinja rather than askama: no proc-macro in the build, one environment for every
//! template, and the checks askama would make at compile time are made by tests/mail.rs, which
//! renders every mail with sample data. Undefined values are errors, HTML is auto-escaped.

use std::sync::LazyLock;

use minijinja::{
    AutoEscape, Environment, Output, State, UndefinedBehavior, Value, context, escape_formatter, syntax::SyntaxConfig,
    value::Serde,
};
use serde::Serialize;

use super::{Email, SalonContacts};

/// A mail's data, rendered by the templates `{name}.txt` and `{name}.html`.
pub trait Mail: Serialize {
    fn name(&self) -> &'static str;
}

/// To the owner of a salon just registered.
#[derive(Debug, Serialize)]
pub struct Welcome {
    pub first_name: String,
    /// Where the web app signs in.
    pub login_url: String,
}

/// The link that lets an invited account set its first password.
#[derive(Debug, Serialize)]
pub struct Invitation {
    /// May be empty.
    pub first_name: String,
    pub link: String,
    /// How long the link lives.
    pub days: u64,
    /// How long the page opened by the link lets the password be set.
    pub minutes: u64,
}

#[derive(Debug, Serialize)]
pub struct PasswordReset {
    pub link: String,
    pub minutes: u64,
}

/// To the new address: confirm it.
#[derive(Debug, Serialize)]
pub struct EmailChange {
    pub link: String,
    pub hours: u64,
}

/// To the old address once the change is confirmed.
#[derive(Debug, Serialize)]
pub struct EmailChanged {
    pub new_email: String,
}

/// To an account whose first password was just set.
#[derive(Debug, Serialize)]
pub struct AccountReady {}

/// A visit's confirmation, reminder or cancellation (see [`super::appointments`]).
#[derive(Debug, Serialize)]
pub struct VisitMail {
    #[serde(skip)]
    pub template: &'static str,
    pub client_name: String,
    pub service: String,
    pub master: Option<String>,
    /// `пт, 12 грудня о 14:30`, on the salon's clock.
    pub when: String,
    /// `15:30`.
    pub until: String,
}

/// A receipt, its PDF attached.
#[derive(Debug, Serialize)]
pub struct ReceiptMail {
    pub client_name: String,
    pub number: String,
    /// `1 250,00 грн`.
    pub amount: String,
    /// `12.12.2026 14:30`, on the salon's clock.
    pub paid_at: String,
}

macro_rules! named {
    ($($t:ty => $name:literal),* $(,)?) => {
        $(impl Mail for $t {
            fn name(&self) -> &'static str {
                $name
            }
        })*
    };
}

named! {
    Welcome => "welcome",
    Invitation => "invitation",
    PasswordReset => "password_reset",
    EmailChange => "email_change",
    EmailChanged => "email_changed",
    AccountReady => "account_ready",
    ReceiptMail => "receipt",
}

impl Mail for VisitMail {
    fn name(&self) -> &'static str {
        self.template
    }
}

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "layout.txt", "layout.html",
    "welcome.txt", "welcome.html",
    "invitation.txt", "invitation.html",
    "password_reset.txt", "password_reset.html",
    "email_change.txt", "email_change.html",
    "email_changed.txt", "email_changed.html",
    "account_ready.txt", "account_ready.html",
    "visit_details.txt", "visit_details.html",
    "visit_confirmation.txt", "visit_confirmation.html",
    "visit_reminder.txt", "visit_reminder.html",
    "visit_cancellation.txt", "visit_cancellation.html",
    "receipt.txt", "receipt.html",
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let whitespace = SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).keep_trailing_newline(true).build();
    env.set_syntax(whitespace.expect("the default delimiters are valid"));
    // The default escaping follows the name: `.html` is HTML-escaped, `.txt` is not.
    env.set_formatter(html_formatter);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).unwrap_or_else(|e| panic!("mail template {name}: {e:#}"));
    }
    env
});

/// minijinja's formatter, except that HTML escaping leaves `/` alone: escaping it guards
/// nothing in text or quoted attributes, and it made every link in a mail's source unreadable.
fn html_formatter(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    if *state.auto_escape() != AutoEscape::Html || value.is_safe() || value.is_none() {
        return escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut rest = text.as_str();
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.write_str(&rest[..i])?;
        out.write_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#x27;",
        })?;
        rest = &rest[i + 1..];
    }
    out.write_str(rest).map_err(Into::into)
}

/// `mail` to `to`, in the salon's frame. The templates are fixed at build time and every one is
/// rendered by the tests, so a failure here is a bug in a template: it panics.
pub fn render(mail: &impl Mail, to: &str, salon: &SalonContacts) -> Email {
    let name = mail.name();
    try_render(mail, to, salon).unwrap_or_else(|e| panic!("mail template {name}: {e:#}"))
}

fn try_render(mail: &impl Mail, to: &str, salon: &SalonContacts) -> Result<Email, minijinja::Error> {
    let name = mail.name();
    let ctx = context! { salon => Serde(salon), ..Value::from(Serde(mail)) };
    let mut text = ENV.get_template(&format!("{name}.txt"))?.render_captured(ctx.clone())?;
    let subject = text.with_state_mut(|state| state.render_block("subject"))?.trim().to_owned();
    let html = ENV.get_template(&format!("{name}.html"))?.render(context! { subject => &subject, ..ctx })?;
    Ok(Email { to: to.to_owned(), subject, text: text.into_output(), html: Some(html), attachments: Vec::new() })
}
