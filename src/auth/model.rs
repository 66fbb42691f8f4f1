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
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct UserOut {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub role: Role,
    #[sqlx(rename = "avatar_url")]
    pub avatar: Option<String>,
    pub is_active: bool,
    pub is_verified: bool,
    pub telegram_id: Option<i64>,
    pub telegram_username: Option<String>,
    pub created_at: DateTime<Utc>,
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
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
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
    pub password: String,
    /// The token of the invitation link (`/auth/invitations/{token}`).
    #[serde(default)]
    pub token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotInput {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetInput {
    pub token: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordInput {
    pub old_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageAnswer {
    pub message: String,
}
