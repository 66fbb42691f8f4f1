//! Sign-in, sessions, refresh, passwords: the contract's auth section end to end.

mod common;

use common::{PASSWORD, TestApp, claims, rand_suffix};
use futures::future::join_all;
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
    // Refused only when these credentials already sign in (which a sign-in would tell too).
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

    let opened = app.open_invitation(&email).await;
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let location = opened.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("http://localhost:3000/setup?email="), "{location}");

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
    // The link is spent.
    let reopened = app.open_invitation(&email).await;
    assert!(reopened.headers()["location"].to_str().unwrap().ends_with("/setup?invitation=invalid"));

    // The admin registered with a password and has no invitation: not found, like a stranger.
    let res = app.post("/api/v1/auth/setup", None, json!({"email": admin.email, "password": "hijack-attempt"})).await;
    res.assert_error(404, "not_found");
    app.post("/api/v1/auth/setup", None, json!({"email": "ghost@example.com", "password": PASSWORD}))
        .await
        .assert_error(404, "not_found");

    let mut su = app.su().await;
    let audited: i64 = sqlx::query_scalar("select count(*) from changes where action = 'password_setup' and entity_id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(audited, 1);
}

/// The takeover: an invited account (here an administrator's) claimed by whoever knows its
/// e-mail. Before invitations carried a link, this answered 200 with the account's tokens.
#[tokio::test]
async fn setup_by_email_alone_cannot_take_over_an_invited_account() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let email = format!("second-admin-{}@example.com", rand_suffix());
    let id = app.invite(&admin, &email, "admin").await;

    let res = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": "attacker-password"})).await;
    res.assert_error(404, "not_found");
    // A forged or foreign token does not help either.
    let forged = format!("{}.1.{}", admin.salon_id(), "A".repeat(43));
    app.post("/api/v1/auth/setup", None, json!({"token": forged, "password": "attacker-password"}))
        .await
        .assert_error(404, "not_found");
    app.post("/api/v1/auth/setup", None, json!({"token": "garbage", "password": "attacker-password"}))
        .await
        .assert_error(404, "not_found");

    let mut su = app.su().await;
    let hash: Option<String> = sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert!(hash.is_none(), "nothing written");
    app.login(&email, "attacker-password").await.assert_error(400, "invalid_credentials");

    // The owner, from the mailbox, still can.
    app.open_invitation(&email).await;
    let res = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["user"]["role"], "admin");
}

#[tokio::test]
async fn an_opened_invitation_allows_setup_for_30_minutes_only() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let email = format!("late-{}@example.com", rand_suffix());
    let id = app.invite(&admin, &email, "receptionist").await;
    app.open_invitation(&email).await;
    let mut su = app.su().await;
    let opened: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select opened_at from invitations where user_id = $1").bind(id).fetch_one(&mut su).await.unwrap();
    assert!(opened.is_some(), "the opening is recorded");
    sqlx::query("update invitations set opened_at = now() - interval '31 minutes' where user_id = $1")
        .bind(id).execute(&mut su).await.unwrap();
    app.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD}))
        .await
        .assert_error(404, "not_found");
    // Opening the link again starts a new window.
    app.open_invitation(&email).await;
    let res = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn setup_refuses_an_expired_invitation() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let email = format!("late-{}@example.com", rand_suffix());
    let id = app.invite(&admin, &email, "receptionist").await;
    // Mailed while valid; it expires unused.
    let token = app.invitation_token(&email).await;
    let mut su = app.su().await;
    sqlx::query("update invitations set expires_at = now() - interval '1 minute' where user_id = $1")
        .bind(id).execute(&mut su).await.unwrap();
    let opened = app.open_invitation(&email).await;
    assert!(opened.headers()["location"].to_str().unwrap().ends_with("/setup?invitation=expired"));
    app.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD}))
        .await
        .assert_error(404, "not_found");
    app.post("/api/v1/auth/setup", None, json!({"token": token, "password": PASSWORD}))
        .await
        .assert_error(400, "invite_expired");
    let hash: Option<String> = sqlx::query_scalar("select password_hash from users where id = $1").bind(id).fetch_one(&mut su).await.unwrap();
    assert!(hash.is_none(), "nothing written");
}

#[tokio::test]
async fn setup_accepts_the_link_token_and_tells_the_user_and_the_admins() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let email = format!("token-{}@example.com", rand_suffix());
    let id = app.invite(&admin, &email, "manager").await;
    let token = app.invitation_token(&email).await;
    let mut su = app.su().await;
    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from invitations where user_id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(stored.len(), 32, "only a SHA-256 is stored");
    assert!(!token.contains(&hex_of(&stored)));

    app.post("/api/v1/auth/setup", None, json!({"token": token, "email": "someone-else@example.com", "password": PASSWORD}))
        .await
        .assert_error(404, "not_found");
    let res = app.post("/api/v1/auth/setup", None, json!({"token": token, "password": PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["user"]["id"], id);
    app.post("/api/v1/auth/setup", None, json!({"token": token, "password": "another-password"}))
        .await
        .assert_error(409, "already_set_up");

    let user = common::Session::from_answer(&res.body, &email);
    let mine = app.get("/api/v1/notifications", &user.access).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.text);
    assert!(mine.text.contains("Обліковий запис налаштовано"), "{}", mine.text);
    let admins = app.get("/api/v1/notifications", &admin.access).await;
    assert!(admins.text.contains(&email), "{}", admins.text);
    app.wait_for_mails(2).await;
    for _ in 0..100 {
        if app.outbox_mails().iter().any(|m| m.contains(&format!("To: {email}")) && m.contains("налаштовано")) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no set-up e-mail to the user");
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn admins_can_send_a_new_invitation_that_voids_the_old_link() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let email = format!("again-{}@example.com", rand_suffix());
    let id = app.invite(&admin, &email, "master").await;
    let first = app.invitation_token(&email).await;
    let res = app.post(&format!("/api/v1/users/{id}/invitation"), Some(&admin.access), json!({})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let second = app.invitation_token(&email).await;
    assert_ne!(first, second);
    app.post("/api/v1/auth/setup", None, json!({"token": first, "password": PASSWORD}))
        .await
        .assert_error(400, "invite_expired");
    let res = app.post("/api/v1/auth/setup", None, json!({"token": second, "password": PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.post(&format!("/api/v1/users/{id}/invitation"), Some(&admin.access), json!({}))
        .await
        .assert_error(409, "already_set_up");
    let other = app.new_salon("Other").await;
    app.post(&format!("/api/v1/users/{id}/invitation"), Some(&other.access), json!({}))
        .await
        .assert_error(404, "not_found");
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

    // The salon's welcome mail and the reset.
    app.wait_for_mails(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let resets: Vec<String> = app.outbox_mails().into_iter().filter(|m| m.contains("/reset-password?token=")).collect();
    assert_eq!(resets.len(), 1, "no mail for an unknown address");
    assert!(resets[0].contains(&format!("To: {}", admin.email)));
    let token = reset_token_from(&resets[0]);

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

/// Statuses of `n` requests sent at once.
async fn burst(app: &TestApp, n: usize, request: impl Fn(usize) -> (String, serde_json::Value, Option<String>)) -> Vec<u16> {
    let requests = (0..n).map(|i| {
        let (path, body, forwarded) = request(i);
        let mut req = app.client.post(app.url(&path)).json(&body);
        if let Some(ip) = forwarded {
            req = req.header("x-forwarded-for", ip);
        }
        async move { req.send().await.expect("request sent").status().as_u16() }
    });
    join_all(requests).await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// Checked first and counted afterwards, all fifty guesses passed the check.
#[tokio::test]
async fn fifty_parallel_login_guesses_get_exactly_the_limit_of_tries() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "5")]).await;
    let admin = app.new_salon("Salon").await;
    let statuses = burst(&app, 50, |i| {
        ("/api/v1/auth/login".into(), json!({"email": admin.email, "password": format!("guess-{i}")}), None)
    })
    .await;
    assert_eq!((count(&statuses, 400), count(&statuses, 429)), (5, 45), "{statuses:?}");
    app.login(&admin.email, PASSWORD).await.assert_error(429, "too_many_requests");
}

#[tokio::test]
async fn parallel_bursts_on_register_forgot_reset_and_setup_pass_exactly_the_limit() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "4")]).await;
    let admin = app.new_salon("Salon").await;

    let forgot = burst(&app, 50, |_| ("/api/v1/auth/forgot-password".into(), json!({"email": admin.email}), None)).await;
    assert_eq!((count(&forgot, 200), count(&forgot, 429)), (4, 46), "forgot {forgot:?}");

    let bogus = format!("{}.1.{}", admin.salon_id(), "A".repeat(43));
    let reset = burst(&app, 50, |_| {
        ("/api/v1/auth/reset-password".into(), json!({"token": bogus, "password": "a-new-password"}), None)
    })
    .await;
    assert_eq!((count(&reset, 400), count(&reset, 429)), (4, 46), "reset {reset:?}");

    let setup = burst(&app, 50, |_| {
        ("/api/v1/auth/setup".into(), json!({"email": "someone@example.com", "password": "a-new-password"}), None)
    })
    .await;
    assert_eq!((count(&setup, 404), count(&setup, 429)), (4, 46), "setup {setup:?}");

    // Per client address: fifty registrations of different e-mails from one address.
    let register = burst(&app, 50, |i| {
        ("/api/v1/auth/register".into(),
         json!({"email": format!("owner-{i}@example.com"), "password": PASSWORD, "first_name": "A", "last_name": "B",
                "phone": "+380501112233", "salon_name": format!("Salon {i}")}),
         None)
    })
    .await;
    // The first registration (the salon above) counted too.
    assert_eq!((count(&register, 201), count(&register, 429)), (3, 47), "register {register:?}");
    let mut su = app.su().await;
    let salons: i64 = sqlx::query_scalar("select count(*) from salons").fetch_one(&mut su).await.unwrap();
    assert_eq!(salons, 4);
}

/// Failures from other addresses lock out neither the owner's usual address (known from an
/// earlier sign-in) nor, below the softer per-e-mail limit, a new one.
#[tokio::test]
async fn someone_elses_failures_alone_do_not_lock_the_owner_out() {
    let app = TestApp::spawn_with(&[("LOGIN_MAX_FAILURES", "2"), ("TRUST_PROXY", "true")]).await;
    let admin = app.new_salon("Salon").await;
    let login = |ip: &'static str, password: &'static str| {
        let req = app.client.post(app.url("/api/v1/auth/login")).header("x-forwarded-for", ip)
            .json(&json!({"email": admin.email, "password": password}));
        async move { common::Res::from(req.send().await.expect("request sent")).await }
    };
    assert_eq!(login("10.0.0.1", PASSWORD).await.status, StatusCode::OK, "the owner's usual address");

    // One attacker address: locked after its two tries; the owner is not.
    for _ in 0..2 {
        login("10.9.0.1", "guess").await.assert_error(400, "invalid_credentials");
    }
    login("10.9.0.1", PASSWORD).await.assert_error(429, "too_many_requests");
    assert_eq!(login("10.0.0.2", PASSWORD).await.status, StatusCode::OK, "a new address below the e-mail's limit");

    // Many attacker addresses exhaust the softer per-e-mail limit (5 × 2), in parallel.
    let statuses = burst(&app, 30, |i| {
        ("/api/v1/auth/login".into(), json!({"email": admin.email, "password": "guess"}), Some(format!("10.8.0.{i}")))
    })
    .await;
    assert_eq!(count(&statuses, 400), 10 - 2, "{statuses:?}");
    login("10.7.0.1", PASSWORD).await.assert_error(429, "too_many_requests");
    assert_eq!(login("10.0.0.1", PASSWORD).await.status, StatusCode::OK, "the known address still signs in");
    assert_eq!(login("10.0.0.2", PASSWORD).await.status, StatusCode::OK);
}

/// Registering never says that an e-mail has an account in another salon unless the same
/// password signs in to it, exactly as `/auth/login` would.
#[tokio::test]
async fn register_tells_no_more_about_other_salons_than_login() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let body = |password: &str| {
        json!({"email": admin.email, "password": password, "first_name": "A", "last_name": "B",
               "phone": "+380501112233", "salon_name": "Other"})
    };
    let res = app.post("/api/v1/auth/register", None, body("a-different-password")).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let second = common::Session::from_answer(&res.body, &admin.email);
    assert_ne!(second.salon_id(), admin.salon_id());
    app.post("/api/v1/auth/register", None, body(PASSWORD)).await.assert_error(409, "email_taken");
    // Each password signs in to its own salon.
    assert_eq!(app.login_ok(&admin.email, PASSWORD).await.salon_id(), admin.salon_id());
    assert_eq!(app.login_ok(&admin.email, "a-different-password").await.salon_id(), second.salon_id());
}

/// A Redis proxy that answers `DEL` with an error once armed and forwards everything else.
async fn redis_failing_deletes(armed: std::sync::Arc<std::sync::atomic::AtomicBool>) -> String {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let upstream = common::redis_url().trim_start_matches("redis://").trim_end_matches('/').to_owned();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = tokio::net::TcpStream::connect(&upstream).await.unwrap();
            let armed = armed.clone();
            tokio::spawn(async move {
                let (mut client_read, client_write) = client.into_split();
                let (mut up_read, mut up_write) = upstream.into_split();
                let client_write = std::sync::Arc::new(tokio::sync::Mutex::new(client_write));
                let back = client_write.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    while let Ok(n @ 1..) = up_read.read(&mut buf).await {
                        if back.lock().await.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n @ 1..) = client_read.read(&mut buf).await {
                    let chunk = &buf[..n];
                    let is_del = chunk.windows(9).any(|w| w.eq_ignore_ascii_case(b"$3\r\nDEL\r\n"));
                    if armed.load(Ordering::SeqCst) && is_del {
                        if client_write.lock().await.write_all(b"-ERR injected failure\r\n").await.is_err() {
                            break;
                        }
                    } else if up_write.write_all(chunk).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("redis://{addr}")
}

/// Before: after the committed setup, clearing the throttle's counter in Redis failed and the
/// answer was a 500, although the password was set and a session opened.
#[tokio::test]
async fn a_redis_error_after_a_committed_setup_is_not_a_500() {
    let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let redis = redis_failing_deletes(armed.clone()).await;
    let app = TestApp::spawn_with(&[("REDIS_URL", &redis)]).await;
    let admin = app.new_salon("Salon").await;
    let email = format!("redis-{}@example.com", rand_suffix());
    app.invite(&admin, &email, "master").await;
    app.open_invitation(&email).await;
    armed.store(true, std::sync::atomic::Ordering::SeqCst);
    let res = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["access_token"].is_string());
    let me = app.get("/api/v1/auth/me", res.body["access_token"].as_str().unwrap()).await;
    assert_eq!(me.status, StatusCode::OK);
    // A sign-in, which forgives earlier failures in Redis after the password matched, too.
    app.login_ok(&email, PASSWORD).await;
}
