use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A staff account's role. The permission matrix decides what each may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Master,
    Receptionist,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Master, Role::Receptionist];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Master => "master",
            Role::Receptionist => "receptionist",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The user object of the contract (`GET /auth/me`, `user` in token answers), snake_case.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub role: Role,
    pub avatar: Option<String>,
    pub is_active: bool,
    pub is_verified: bool,
    pub telegram_id: Option<i64>,
    pub telegram_username: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl UserOut {
    /// The display name, by the rule SQL's `person_name()` applies (migration 0010): first and
    /// last name, trimmed, or else the e-mail.
    pub fn display_name(&self) -> String {
        let full = format!("{} {}", self.first_name, self.last_name);
        match full.trim() {
            "" => self.email.trim().to_owned(),
            name => name.to_owned(),
        }
    }
}

/// Answer of login, register and setup.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAnswer {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub user: UserOut,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterInput {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(pattern = r"\S", max_length = 100)]
    pub first_name: String,
    #[schema(pattern = r"\S", max_length = 100)]
    pub last_name: String,
    #[schema(pattern = r"\S", max_length = 32)]
    pub phone: String,
    #[schema(pattern = r"\S", max_length = 200)]
    pub salon_name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshInput {
    pub refresh_token: String,
}

/// Answer of refresh: the client reads only `access_token`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefreshAnswer {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

/// `email` and `password` (the `/setup` page, within 30 minutes of opening the invitation
/// link), or `token` (the link's token) and `password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetupInput {
    /// Required unless `token` is sent; with `token`, must be the invited address.
    #[serde(default)]
    pub email: Option<String>,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// The token of the invitation link (`/auth/invitations/{token}`).
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotInput {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetInput {
    pub token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordInput {
    pub old_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageAnswer {
    pub message: String,
}
