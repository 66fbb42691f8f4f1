//! Sign-in, sessions, refresh, passwords: the contract's auth section end to end.

mod common;

use common::{PASSWORD, TestApp, claims, rand_suffix};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn register_login_me_refresh_logout() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Київ Б'юті").await;

    let c = claims(&admin.access);
    for key in ["exp", "iat", "iss", "aud", "sub", "salon_id", "role", "type"] {
        assert!(!c[key].is_null(), "claim {key} missing: {c}");
    }
    assert_eq!(c["role"], "admin");
    assert_eq!(c["sub"], admin.user_id.to_string());
    assert!(c["exp"].as_u64().unwrap() > c["iat"].as_u64().unwrap());

    let me = app.get("/api/v1/auth/me", &admin.access).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], admin.email);
    assert_eq!(me.body["first_name"], "Олена");
    assert_eq!(me.body["role"], "admin");
    assert_eq!(me.body["is_active"], true);
    assert!(me.body["created_at"].is_string());

    let login = app.login_ok(&admin.email.to_uppercase(), PASSWORD).await;
    assert_eq!(login.user_id, admin.user_id, "e-mail is case-insensitive");

    // The same refresh token twice in a row and ten times at once: all succeed.
    for _ in 0..2 {
        let res = app.post("/api/v1/auth/refresh", Some(&login.access), json!({"refresh_token": login.refresh})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let fresh = res.body["access_token"].as_str().unwrap();
        assert_eq!(app.get("/api/v1/auth/me", fresh).await.status, StatusCode::OK);
    }
    let concurrent = futures::future::join_all((0..10).map(|_| {
        app.post("/api/v1/auth/refresh", None, json!({"refresh_token": login.refresh}))
    }))
    .await;
    assert!(concurrent.iter().all(|r| r.status == StatusCode::OK), "{:?}", concurrent.iter().map(|r| r.status).collect::<Vec<_>>());

    let out = app.request(Method::POST, "/api/v1/auth/logout", Some(&login.access), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let refused = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": login.refresh})).await;
    refused.assert_error(401, "not_authenticated");
    app.get("/api/v1/auth/me", &login.access).await.assert_error(401, "not_authenticated");
    // Logging out one device leaves the others signed in.
    assert_eq!(app.get("/api/v1/auth/me", &admin.access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn wrong_credentials_are_400_with_a_message_never_401() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    app.login(&admin.email, "wrong-password").await.assert_error(400, "invalid_credentials");
    app.login("nobody@example.com", PASSWORD).await.assert_error(400, "invalid_credentials");
    app.post("/api/v1/auth/login", None, json!({"email": "", "password": ""})).await.assert_error(400, "invalid_credentials");
    // A stale Authorization header on a public auth route is ignored.
    let res = app.post("/api/v1/auth/login", Some("expired.or.garbage"), json!({"email": admin.email, "password": PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn register_refuses_a_taken_email_and_bad_fields() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let body = json!({"email": admin.email, "password": PASSWORD, "first_name": "A", "last_name": "B",
                      "phone": "+380501112233", "salon_name": "Other"});
    app.post("/api/v1/auth/register", None, body).await.assert_error(409, "email_taken");

    let res = app.post("/api/v1/auth/register", None, json!({"email": "bad", "password": "short", "first_name": "A",
        "last_name": "B", "phone": "1", "salon_name": "S"})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["email"].is_array(), "{}", res.text);

    let mut su = app.su().await;
    let salons: i64 = sqlx::query_scalar("select count(*) from salons").fetch_one(&mut su).await.unwrap();
    assert_eq!(salons, 1, "refused registrations create no salon");
}

#[tokio::test]
async fn salons_with_the_same_name_get_distinct_slugs() {
    let app = TestApp::spawn().await;
    app.new_salon("Lviv Nails").await;
    app.new_salon("Lviv Nails").await;
    let mut su = app.su().await;
    let slugs: Vec<String> = sqlx::query_scalar("select slug from salons order by id").fetch_all(&mut su).await.unwrap();
    assert_eq!(slugs, ["lviv-nails", "lviv-nails-2"]);
}

#[tokio::test]
async fn expired_tampered_and_missing_tokens_are_401() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let c = claims(&admin.access);

    let mut expired = c.clone();
    expired["iat"] = json!(1_600_000_000u64);
    expired["exp"] = json!(1_600_000_600u64);
    let key = jsonwebtoken::EncodingKey::from_secret(common::JWT_SECRET.as_bytes());
    let expired = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &expired, &key).unwrap();
    app.get("/api/v1/auth/me", &expired).await.assert_error(401, "not_authenticated");

    let mut forged = c.clone();
    forged["role"] = json!("admin");
    forged["sub"] = json!("999999");
    let other_key = jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-123456");
    let forged = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &forged, &other_key).unwrap();
    app.get("/api/v1/auth/me", &forged).await.assert_error(401, "not_authenticated");

    let res = app.request(Method::GET, "/api/v1/auth/me", None, None).await;
    res.assert_error(401, "not_authenticated");
    let res = app.request_with(Method::GET, "/api/v1/auth/me", None, None, &[("authorization", "Basic abc")]).await;
    res.assert_error(401, "not_authenticated");
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": "1.2.nonsense"})).await.assert_error(401, "not_authenticated");
}

#[tokio::test]
async fn password_change_revokes_other_sessions() {
    let app = TestApp::spawn().await;
    let first = app.new_salon("Salon").await;
    let second = app.login_ok(&first.email, PASSWORD).await;

    let wrong = app.post("/api/v1/auth/change-password", Some(&first.access),
        json!({"old_password": "not-it", "new_password": "brand-new-password"})).await;
    wrong.assert_error(400, "invalid_credentials");

    let res = app.post("/api/v1/auth/change-password", Some(&first.access),
        json!({"old_password": PASSWORD, "new_password": "brand-new-password"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    assert_eq!(app.get("/api/v1/auth/me", &first.access).await.status, StatusCode::OK, "this device stays in");
    app.get("/api/v1/auth/me", &second.access).await.assert_error(401, "not_authenticated");
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": second.refresh})).await.assert_error(401, "not_authenticated");
    app.login(&first.email, PASSWORD).await.assert_error(400, "invalid_credentials");
    app.login_ok(&first.email, "brand-new-password").await;

    let mut su = app.su().await;
    let audited: i64 = sqlx::query_scalar("select count(*) from changes where action = 'password_changed' and user_id = $1")
        .bind(first.user_id).fetch_one(&mut su).await.unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn setup_works_once_for_an_invited_account_and_never_with_a_password() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let email = format!("master-{}@example.com", rand_suffix());
    let id = app.invite(&admin, &email, "master").await;

    // An invited account cannot sign in before setting its password.
    app.login(&email, PASSWORD).await.assert_error(400, "invalid_credentials");

    let short = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": "short"})).await;
    short.assert_error(422, "validation_error");

    let res = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["user"]["id"], id);
    assert_eq!(res.body["user"]["role"], "master");
    assert!(res.body["access_token"].is_string() && res.body["refresh_token"].is_string());

    let again = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": "another-password"})).await;
    again.assert_error(409, "already_set_up");
    assert!(again.body["message"].as_str().unwrap().contains("already set up"));
    app.login(&email, "another-password").await.assert_error(400, "invalid_credentials");
    app.login_ok(&email, PASSWORD).await;

    // The admin registered with a password: setup never applies.
    let res = app.post("/api/v1/auth/setup", None, json!({"email": admin.email, "password": "hijack-attempt"})).await;
    res.assert_error(409, "already_set_up");
    app.post("/api/v1/auth/setup", None, json!({"email": "ghost@example.com", "password": PASSWORD}))
        .await
        .assert_error(404, "not_found");

    let mut su = app.su().await;
    let audited: i64 = sqlx::query_scalar("select count(*) from changes where action = 'password_setup' and entity_id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn setup_refuses_an_expired_invitation() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let email = format!("late-{}@example.com", rand_suffix());
    let id = app.invite(&admin, &email, "receptionist").await;
    let mut su = app.su().await;
    sqlx::query("update users set invited_at = now() - interval '30 days' where id = $1").bind(id).execute(&mut su).await.unwrap();
    let res = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD})).await;
    res.assert_error(400, "invite_expired");
    let hash: Option<String> = sqlx::query_scalar("select password_hash from users where id = $1").bind(id).fetch_one(&mut su).await.unwrap();
    assert!(hash.is_none(), "nothing written");
}

fn reset_token_from(mail: &str) -> String {
    let start = mail.find("/reset-password?token=").expect("link in mail") + "/reset-password?token=".len();
    mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_').collect()
}

#[tokio::test]
async fn reset_password_end_to_end_through_the_outbox() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;

    let unknown = app.post("/api/v1/auth/forgot-password", None, json!({"email": "ghost@example.com"})).await;
    let known = app.post("/api/v1/auth/forgot-password", None, json!({"email": admin.email})).await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(unknown.body, known.body, "same answer whether or not the e-mail exists");

    let mails = app.wait_for_mails(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.outbox_mails().len(), 1, "no mail for an unknown address");
    assert!(mails[0].contains(&admin.email));
    let token = reset_token_from(&mails[0]);

    app.post("/api/v1/auth/reset-password", None, json!({"token": token, "password": "short"}))
        .await
        .assert_error(422, "validation_error");
    let res = app.post("/api/v1/auth/reset-password", None, json!({"token": token, "password": "after-reset-pass"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["message"].is_string());

    app.get("/api/v1/auth/me", &admin.access).await.assert_error(401, "not_authenticated");
    app.login(&admin.email, PASSWORD).await.assert_error(400, "invalid_credentials");
    app.login_ok(&admin.email, "after-reset-pass").await;

    let reused = app.post("/api/v1/auth/reset-password", None, json!({"token": token, "password": "third-password-x"})).await;
    reused.assert_error(400, "invalid_token");
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    app.post("/api/v1/auth/reset-password", None, json!({"token": tampered, "password": "third-password-x"}))
        .await
        .assert_error(400, "invalid_token");
}

#[tokio::test]
async fn login_is_throttled_per_email_with_retry_after() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "3")]).await;
    let admin = app.new_salon("Salon").await;
    for _ in 0..3 {
        app.login(&admin.email, "wrong-password").await.assert_error(400, "invalid_credentials");
    }
    let limited = app.login(&admin.email, PASSWORD).await;
    limited.assert_error(429, "too_many_requests");
    let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "Retry-After {retry}");
}

#[tokio::test]
async fn deactivated_accounts_are_refused_and_signed_out() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.staff(&admin, "receptionist").await;
    assert_eq!(app.get("/api/v1/auth/me", &staff.access).await.status, StatusCode::OK);

    let res = app.put(&format!("/api/v1/users/{}", staff.user_id), &admin.access, json!({"is_active": false})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["is_active"], false);

    app.get("/api/v1/auth/me", &staff.access).await.assert_error(401, "not_authenticated");
    app.login(&staff.email, PASSWORD).await.assert_error(403, "account_inactive");
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": staff.refresh})).await.assert_error(401, "not_authenticated");
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_deactivated() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let path = format!("/api/v1/users/{}", admin.user_id);
    app.put(&path, &admin.access, json!({"role": "master"})).await.assert_error(409, "last_admin");
    app.put(&path, &admin.access, json!({"is_active": false})).await.assert_error(409, "last_admin");
    let me = app.get("/api/v1/auth/me", &admin.access).await;
    assert_eq!(me.body["role"], "admin");

    let second = app.staff(&admin, "admin").await;
    let res = app.put(&path, &second.access, json!({"role": "manager"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["role"], "manager");
}

#[tokio::test]
async fn a_missing_permission_is_403_with_the_envelope() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let receptionist = app.staff(&admin, "receptionist").await;
    app.get("/api/v1/users", &receptionist.access).await.assert_error(403, "forbidden");
    let res = app.post("/api/v1/users", Some(&receptionist.access),
        json!({"email": "x@example.com", "role": "admin"})).await;
    res.assert_error(403, "forbidden");

    // Granting the permission in the salon's matrix takes effect on the next request.
    let mut su = app.su().await;
    sqlx::query("update role_permissions set permissions = permissions || '{\"settings\": true, \"settings.staff.manage_access\": true}'
                 where role = 'receptionist' and salon_id = $1")
        .bind(receptionist.salon_id()).execute(&mut su).await.unwrap();
    app.touch(receptionist.salon_id()).await;
    assert_eq!(app.get("/api/v1/users", &receptionist.access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn login_is_throttled_per_ip_across_emails() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "4")]).await;
    let admin = app.new_salon("Salon").await;
    for i in 0..4 {
        app.login(&format!("guess-{i}@example.com"), "wrong-password").await.assert_error(400, "invalid_credentials");
    }
    // A fifth address from the same client is refused before any password is checked.
    app.login(&admin.email, PASSWORD).await.assert_error(429, "too_many_requests");
}
