//! The HTTP stack: smoke routes, envelopes, bad input, CORS, OpenAPI.

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_frontend_smoke_test_routes() {
    let app = TestApp::spawn().await;
    let root = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(root.status(), 200);
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let prefix = app.client.get(app.url("/api/v1")).send().await.unwrap();
    assert_eq!(prefix.status(), 404);
    let prefix = common::Res::from(app.client.get(app.url("/api/v1/")).send().await.unwrap()).await;
    prefix.assert_error(404, "not_found");

    let ready = common::Res::from(app.client.get(app.url("/ready")).send().await.unwrap()).await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body["database"], true);
    assert_eq!(ready.body["redis"], true);
    assert!(ready.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_the_envelope() {
    let app = TestApp::spawn().await;
    app.request(Method::GET, "/api/v1/nothing-here", None, None).await.assert_error(404, "not_found");
    app.request(Method::DELETE, "/api/v1/auth/login", None, None).await.assert_error(405, "method_not_allowed");
    let admin = app.new_salon("Salon").await;
    app.get("/api/v1/users/not-a-number", &admin.access).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn bad_input_is_4xx_with_the_envelope_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;

    let malformed = app.client.post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json").body("{\"email\": ").send().await.unwrap();
    common::Res::from(malformed).await.assert_error(400, "malformed_json");

    let wrong_type = app.post("/api/v1/auth/login", None, json!({"email": 42, "password": "x"})).await;
    wrong_type.assert_error(422, "validation_error");
    assert!(wrong_type.body["details"]["email"].is_array(), "{}", wrong_type.text);

    let missing = app.post("/api/v1/auth/login", None, json!({"email": "a@b.c"})).await;
    missing.assert_error(422, "validation_error");

    let bad_enum = app.post("/api/v1/users", Some(&admin.access), json!({"email": "n@example.com", "role": "superhero"})).await;
    bad_enum.assert_error(422, "validation_error");
    assert!(bad_enum.body["details"]["role"].is_array(), "{}", bad_enum.text);

    let not_json = app.client.post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain").body("email=a").send().await.unwrap();
    common::Res::from(not_json).await.assert_error(400, "unsupported_media_type");

    let mut su = app.su().await;
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&mut su).await.unwrap();
    assert_eq!(users, 1, "only the admin exists");
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let app = TestApp::spawn_with(&[("BODY_LIMIT_MB", "1")]).await;
    let huge = json!({"email": "a@b.c", "password": "x".repeat(2 * 1024 * 1024)});
    app.post("/api/v1/auth/login", None, huge).await.assert_error(413, "payload_too_large");
}

#[tokio::test]
async fn cors_preflight_allows_the_frontend_origin() {
    let app = TestApp::spawn().await;
    let res = app.client.request(Method::OPTIONS, app.url("/api/v1/auth/me"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization,content-type")
        .send().await.unwrap();
    assert!(res.status().is_success());
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:3000");
    let allowed = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));

    let evil = app.client.request(Method::OPTIONS, app.url("/api/v1/auth/me"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send().await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let app = TestApp::spawn().await;
    let doc = common::Res::from(app.client.get(app.url("/openapi.json")).send().await.unwrap()).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().unwrap();
    let expected = [
        ("/api/v1/auth/register", "post"), ("/api/v1/auth/login", "post"), ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"), ("/api/v1/auth/me", "get"), ("/api/v1/auth/setup", "post"),
        ("/api/v1/auth/forgot-password", "post"), ("/api/v1/auth/reset-password", "post"),
        ("/api/v1/auth/change-password", "post"), ("/api/v1/users", "get"), ("/api/v1/users", "post"),
        ("/api/v1/users/{id}", "get"), ("/api/v1/users/{id}", "put"), ("/api/v1/users/{id}/invitation", "post"),
        ("/api/v1/auth/invitations/{token}", "get"), ("/api/v1/auth/email-changes/{token}", "get"),
    ];
    for (path, method) in expected {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing from OpenAPI");
    }
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("openapi"));
}

#[tokio::test]
async fn metrics_are_not_public_by_default() {
    let app = TestApp::spawn().await;
    app.client.get(app.url("/health")).send().await.unwrap();
    let res = common::Res::from(app.client.get(app.url("/metrics")).send().await.unwrap()).await;
    res.assert_error(404, "not_found");
    assert!(!res.text.contains("http_requests_total"));
}

#[tokio::test]
async fn metrics_on_the_public_port_need_the_token() {
    let token = "metrics-token-0123456789";
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", token)]).await;
    app.client.get(app.url("/health")).send().await.unwrap();
    let anonymous = common::Res::from(app.client.get(app.url("/metrics")).send().await.unwrap()).await;
    anonymous.assert_error(401, "not_authenticated");
    assert_eq!(anonymous.headers["www-authenticate"], "Bearer");
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("metrics-token-0123456780").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let right = app.client.get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(right.status(), 200);
    let text = right.text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("db_pool_connections"), "{text}");
}

#[tokio::test]
async fn metrics_on_their_own_port() {
    let app = TestApp::spawn_with(&[("METRICS_BIND_ADDR", "127.0.0.1:0")]).await;
    assert!(app.state.config.metrics_bind.is_some());
    // What `adelante serve` runs on METRICS_BIND_ADDR.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let private = listener.local_addr().unwrap();
    let state = app.state.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, adelante::http::metrics_app(state)).await.unwrap();
    });
    app.client.get(app.url("/health")).send().await.unwrap();
    let text = app.client.get(format!("http://{private}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    let public = common::Res::from(app.client.get(app.url("/metrics")).send().await.unwrap()).await;
    public.assert_error(404, "not_found");
    let other = app.client.get(format!("http://{private}/api/v1/auth/me")).send().await.unwrap();
    assert_eq!(other.status(), 404, "the private port serves nothing else");
    server.abort();
}
