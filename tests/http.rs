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
async fn openapi_documents_every_error_answer_with_the_envelope() {
    let app = TestApp::spawn().await;
    let doc = common::Res::from(app.client.get(app.url("/openapi.json")).send().await.unwrap()).await;
    let envelope = json!({"$ref": "#/components/schemas/ErrorBody"});
    let mut checked = 0;
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let responses = op["responses"].as_object().unwrap();
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let has = |place: &str| params.iter().any(|p| p["in"] == place);
            let mut expected = Vec::new();
            if op["security"].is_array() {
                expected.extend(["401", "403", "404"]);
            }
            if has("path") {
                expected.push("404");
            }
            if has("query") || op["requestBody"].is_object() {
                expected.push("422");
            }
            if op["requestBody"].is_object() {
                expected.push("400");
            }
            for status in expected {
                assert!(responses.contains_key(status), "{name} does not document {status}");
            }
            for (status, response) in responses.iter().filter(|(s, _)| s.starts_with('4')) {
                assert_eq!(response["content"]["application/json"]["schema"], envelope, "{name} {status}");
            }
            for param in params.iter().filter(|p| p["in"] == "query") {
                assert_eq!(param["allowEmptyValue"], true, "{name} ?{}", param["name"]);
            }
            checked += 1;
        }
    }
    assert!(checked > 90, "{checked} operations");
    // A body that requires nothing may be left out: it reads as `{}`.
    assert_eq!(doc.body["paths"]["/api/v1/settings/salon"]["put"]["requestBody"]["required"], false);
    assert_eq!(doc.body["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["required"], true);
    // Enums as the server writes them, dates and times with their format.
    let schemas = &doc.body["components"]["schemas"];
    assert_eq!(schemas["RegisterType"]["enum"], json!(["cash", "bank", "online", "other"]));
    assert_eq!(schemas["DocStatus"]["enum"], json!(["draft", "issued", "paid", "cancelled"]));
    assert_eq!(schemas["Ymd"]["format"], "date");
    assert!(schemas["HhMm"]["pattern"].is_string());
    // Every reference resolves: a fuzzer or client generator skips what it cannot find.
    fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(r) = map.get("$ref").and_then(|r| r.as_str()) {
                    out.push(r.to_owned());
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(list) => list.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc.body, &mut all);
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas[name].is_object(), "{r} does not resolve");
    }
}

/// Every list reads `page`, `perPage`, `limit` and `offset` by one rule (`http::page`): a value
/// out of range is a 422 naming it, never clamped and never a 500; the document states each range.
#[tokio::test]
async fn every_list_pages_by_one_rule() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let paged = ["/api/v1/notifications", "/api/v1/overview/records", "/api/v1/overview/reviews",
        "/api/v1/overview/changes", "/api/v1/clients/1/history"];
    let whole = ["/api/v1/appointments", "/api/v1/clients", "/api/v1/finances/operations", "/api/v1/finances/receipts",
        "/api/v1/finances/documents", "/api/v1/inventory/products", "/api/v1/inventory/products/1/history"];
    for (lists, max) in [(&paged[..], 100), (&whole[..], 10_000)] {
        for list in lists {
            for (query, field) in [
                ("page=0".to_owned(), "page"), ("perPage=0".to_owned(), "perPage"), ("perPage=101".to_owned(), "perPage"),
                ("limit=0".to_owned(), "limit"), (format!("limit={}", max + 1), "limit"), ("offset=-1".to_owned(), "offset"),
                ("offset=4294967296".to_owned(), "offset"), ("page=99999999999999999999".to_owned(), "page"), ("page=1.5".to_owned(), "page"),
            ] {
                let res = app.get(&format!("{list}?{query}"), &admin.access).await;
                res.assert_error(422, "validation_error");
                assert!(res.body["details"][field].is_array(), "{list}?{query}: {}", res.text);
            }
        }
    }
    for list in ["/api/v1/notifications", "/api/v1/overview/changes"] {
        let res = app.get(&format!("{list}?page=4294967295&perPage=100"), &admin.access).await;
        assert_eq!(res.status, StatusCode::OK, "{list}: {}", res.text);
        assert_eq!((res.body["data"].clone(), res.body["meta"]["page"].clone()), (json!([]), json!(4294967295u32)));
    }
    let res = app.get("/api/v1/clients?limit=10000&offset=4294967295&page=3&perPage=100", &admin.access).await;
    assert_eq!((res.status, res.body.clone()), (StatusCode::OK, json!([])), "{}", res.text);

    let doc = common::Res::from(app.client.get(app.url("/openapi.json")).send().await.unwrap()).await;
    for (path, max) in [("/api/v1/notifications", 100), ("/api/v1/clients", 10_000), ("/api/v1/overview/records", 100)] {
        let params = doc.body["paths"][path]["get"]["parameters"].as_array().unwrap().clone();
        let schema = |name: &str| params.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{path} ?{name}"))["schema"].clone();
        assert_eq!((schema("page")["minimum"].clone(), schema("page")["maximum"].clone()), (json!(1), json!(4294967295u32)), "{path}");
        assert_eq!((schema("perPage")["minimum"].clone(), schema("perPage")["maximum"].clone()), (json!(1), json!(100)), "{path}");
        assert_eq!((schema("limit")["minimum"].clone(), schema("limit")["maximum"].clone()), (json!(1), json!(max)), "{path}");
        assert_eq!(schema("offset")["minimum"], 0, "{path}");
    }
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
        axum::serve(listener, adelante::app::metrics_app(state)).await.unwrap();
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

/// Extractors may be listed in any order: a handler that names its transaction or the data
/// version before the user still signs the user in first (it answered 500 before).
#[tokio::test]
async fn extractors_work_in_any_order() {
    use adelante::{
        auth::{CurrentUser, LazyTx},
        cache::DataVersion,
    };
    use axum::{body::Body, http::Request, routing::get};
    use tower::ServiceExt;

    async fn transaction_first(tx: LazyTx, _: DataVersion, user: CurrentUser) -> String {
        let mut tx = tx.begin().await.expect("a transaction in the user's salon");
        let salon: i64 = sqlx::query_scalar("select current_setting('app.salon_id')::bigint")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        format!("{} {salon}", user.id)
    }

    let app = TestApp::spawn().await;
    let admin = app.new_salon("Порядок").await;
    let probe = axum::Router::new().route("/probe", get(transaction_first)).with_state(app.state.clone());
    let ask = |token: Option<&str>| {
        let mut req = Request::get("/probe");
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        probe.clone().oneshot(req.body(Body::empty()).unwrap())
    };

    let res = ask(Some(&admin.access)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
    assert_eq!(String::from_utf8(body.to_vec()).unwrap(), format!("{} {}", admin.user_id, admin.salon_id()));

    let anonymous = ask(None).await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "no token: 401, not 500");
}
