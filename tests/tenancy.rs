//! Isolation between salons: RLS, roles, tenant resolution, the pool.

mod common;

use std::{collections::HashSet, time::Duration};

use common::{BASE_DOMAIN, PASSWORD, TestApp, rand_suffix};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::Row;

#[tokio::test]
async fn another_salons_ids_are_404_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Salon A").await;
    let b = app.new_salon("Salon B").await;
    let a_staff = app.invite(&a, &format!("a-{}@example.com", rand_suffix()), "master").await;

    for id in [a.user_id, a_staff] {
        app.get(&format!("/api/v1/users/{id}"), &b.access).await.assert_error(404, "not_found");
        app.put(&format!("/api/v1/users/{id}"), &b.access, json!({"first_name": "Hacked", "is_active": false}))
            .await
            .assert_error(404, "not_found");
    }
    let list = app.get("/api/v1/users", &b.access).await;
    let ids: Vec<i64> = list.body.as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [b.user_id], "B sees only its own accounts");

    let seen = app.get(&format!("/api/v1/users/{a_staff}"), &a.access).await;
    assert_eq!(seen.body["first_name"], "Ірина");
    assert_eq!(seen.body["is_active"], true);
    let mut su = app.su().await;
    let changed: i64 = sqlx::query_scalar("select count(*) from changes where salon_id = $1 and entity = 'user' and action = 'updated'")
        .bind(a.salon_id()).fetch_one(&mut su).await.unwrap();
    assert_eq!(changed, 0);

    // Through B's subdomain with B's token, A's ids are just as absent.
    let b_host = host(&slug_of(&app, b.salon_id()).await);
    let res = app.request_with(Method::GET, &format!("/api/v1/users/{a_staff}"), Some(&b.access), None, &[("host", &b_host)]).await;
    res.assert_error(404, "not_found");
    let res = app.request_with(Method::PUT, &format!("/api/v1/users/{a_staff}"), Some(&b.access),
        Some(json!({"role": "admin"})), &[("host", &b_host)]).await;
    res.assert_error(404, "not_found");
    let role: String = sqlx::query_scalar("select role from users where id = $1").bind(a_staff).fetch_one(&mut su).await.unwrap();
    assert_eq!(role, "master");

    // A's e-mail in B's salon is a different account: inviting it into B does not touch A.
    let dup = app.post("/api/v1/users", Some(&b.access), json!({"email": a.email, "role": "master"})).await;
    assert_eq!(dup.status, StatusCode::CREATED, "{}", dup.text);
    assert_ne!(dup.body["id"], a.user_id);
}

fn host(slug: &str) -> String {
    format!("{slug}.{BASE_DOMAIN}")
}

async fn slug_of(app: &TestApp, salon_id: i64) -> String {
    let mut su = app.su().await;
    sqlx::query_scalar("select slug from salons where id = $1").bind(salon_id).fetch_one(&mut su).await.unwrap()
}

#[tokio::test]
async fn subdomain_and_token_must_agree() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let (a_host, b_host) = (host(&slug_of(&app, a.salon_id()).await), host(&slug_of(&app, b.salon_id()).await));

    let own = app.request_with(Method::GET, "/api/v1/auth/me", Some(&a.access), None, &[("host", &a_host)]).await;
    assert_eq!(own.status, StatusCode::OK);
    let crossed = app.request_with(Method::GET, "/api/v1/auth/me", Some(&a.access), None, &[("host", &b_host)]).await;
    crossed.assert_error(403, "tenant_mismatch");

    let unknown = app.request_with(Method::GET, "/api/v1/auth/me", Some(&a.access), None, &[("host", &host("nowhere"))]).await;
    unknown.assert_error(404, "not_found");
    let unknown_login = app
        .request_with(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": a.email, "password": PASSWORD})), &[("host", &host("nowhere"))])
        .await;
    unknown_login.assert_error(404, "not_found");

    // On B's subdomain, A's credentials do not exist.
    let res = app
        .request_with(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": a.email, "password": PASSWORD})), &[("host", &b_host)])
        .await;
    res.assert_error(400, "invalid_credentials");
    let res = app
        .request_with(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": a.email, "password": PASSWORD})), &[("host", &a_host)])
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[tokio::test]
async fn a_suspended_salon_is_refused_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let slug = slug_of(&app, a.salon_id()).await;
    let mut su = app.su().await;
    sqlx::query("update salons set status = 'suspended' where id = $1").bind(a.salon_id()).execute(&mut su).await.unwrap();
    app.touch(a.salon_id()).await;

    app.get("/api/v1/auth/me", &a.access).await.assert_error(403, "salon_suspended");
    app.login(&a.email, PASSWORD).await.assert_error(403, "salon_suspended");
    let res = app.request_with(Method::POST, "/api/v1/auth/login", None,
        Some(json!({"email": a.email, "password": PASSWORD})), &[("host", &host(&slug))]).await;
    res.assert_error(403, "salon_suspended");
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": a.refresh})).await.assert_error(401, "not_authenticated");
}

#[tokio::test]
async fn with_no_tenant_set_reads_are_empty_and_writes_fail() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let mut conn = app.app_role().await;

    for table in ["salons", "users", "sessions", "role_permissions", "changes", "password_resets"] {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("select count(*) from {table}")))
            .fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 0, "{table} is visible without a tenant");
    }
    let insert = sqlx::query("insert into users (email, role) values ('x@example.com', 'admin')").execute(&mut conn).await;
    assert!(insert.is_err(), "insert without tenant must fail");
    let forged = sqlx::query("insert into users (salon_id, email, role) values ($1, 'x@example.com', 'admin')")
        .bind(a.salon_id()).execute(&mut conn).await;
    assert!(forged.is_err(), "naming a salon by hand must not pass RLS");

    // A transaction-local tenant ends with its transaction.
    let mut tx = sqlx::Connection::begin(&mut conn).await.unwrap();
    sqlx::query("select set_config('app.salon_id', $1, true)").bind(a.salon_id().to_string()).execute(&mut *tx).await.unwrap();
    let inside: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let after: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&mut conn).await.unwrap();
    assert_eq!((inside, after), (1, 0));

    // Another salon's rows cannot be written into by pointing at them.
    let b = app.new_salon("Beta").await;
    let mut tx = sqlx::Connection::begin(&mut conn).await.unwrap();
    sqlx::query("select set_config('app.salon_id', $1, true)").bind(b.salon_id().to_string()).execute(&mut *tx).await.unwrap();
    let cross = sqlx::query("insert into sessions (user_id, token_hash, expires_at) values ($1, '\\x00', now())")
        .bind(a.user_id).execute(&mut *tx).await;
    assert!(cross.is_err(), "composite key refuses a session for another salon's user");
}

#[tokio::test]
async fn the_server_role_is_neither_superuser_nor_bypassrls_nor_owner() {
    let app = TestApp::spawn().await;
    let mut conn = app.app_role().await;
    let row = sqlx::query(
        "select r.rolname, r.rolsuper, r.rolbypassrls,
                (select count(*) from pg_class c where c.relowner = r.oid) as owned
         from pg_roles r where r.rolname = current_user",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>("rolname"), "adelante_app");
    assert!(!row.get::<bool, _>("rolsuper"));
    assert!(!row.get::<bool, _>("rolbypassrls"));
    assert_eq!(row.get::<i64, _>("owned"), 0);
    let timeout: String = sqlx::query_scalar("show statement_timeout").fetch_one(&mut conn).await.unwrap();
    assert_ne!(timeout, "0", "the app role carries a statement timeout");
}

#[tokio::test]
async fn every_tenant_table_forces_rls_with_one_checked_policy() {
    let app = TestApp::spawn().await;
    let mut su = app.su().await;
    let rows = sqlx::query(
        "select c.relname, c.relrowsecurity, c.relforcerowsecurity,
                (select count(*) from pg_policy p where p.polrelid = c.oid) as policies,
                (select count(*) from pg_policy p where p.polrelid = c.oid and p.polqual is not null and p.polwithcheck is not null) as checked
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'r'
           and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'salon_id') or c.relname = 'salons')",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert!(rows.len() >= 6);
    for r in rows {
        let name: String = r.get("relname");
        assert!(r.get::<bool, _>("relrowsecurity"), "{name}");
        assert!(r.get::<bool, _>("relforcerowsecurity"), "{name}");
        assert_eq!((r.get::<i64, _>("policies"), r.get::<i64, _>("checked")), (1, 1), "{name}");
    }
    // No security-definer function outside the platform schema.
    let definers: Vec<String> = sqlx::query_scalar(
        "select p.proname::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where p.prosecdef and n.nspname not in ('platform', 'pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut su).await.unwrap();
    assert!(definers.is_empty(), "{definers:?}");
}

#[tokio::test]
async fn no_leak_through_the_pool_under_concurrency() {
    let app = TestApp::spawn_with(&[("DB_MAX_CONNECTIONS", "4")]).await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    for _ in 0..3 {
        app.invite(&a, &format!("a-{}@example.com", rand_suffix()), "master").await;
    }
    app.invite(&b, &format!("b-{}@example.com", rand_suffix()), "master").await;
    let ids_of = |body: &serde_json::Value| -> HashSet<i64> {
        body.as_array().unwrap().iter().map(|u| u["id"].as_i64().unwrap()).collect()
    };
    let a_ids = ids_of(&app.get("/api/v1/users", &a.access).await.body);
    let b_ids = ids_of(&app.get("/api/v1/users", &b.access).await.body);
    assert_eq!((a_ids.len(), b_ids.len()), (4, 2));

    let app = &app;
    let results = futures::future::join_all((0..200).map(|i| {
        let token = if i % 2 == 0 { &a.access } else { &b.access };
        async move { (i, app.get("/api/v1/users", token).await) }
    }))
    .await;
    for (i, res) in results {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let expected = if i % 2 == 0 { &a_ids } else { &b_ids };
        assert_eq!(&ids_of(&res.body), expected, "request {i} saw another salon's rows");
    }
}

/// ARCHITECTURE §4: a cancelled `begin()` must not hand the next borrower a connection still
/// inside a transaction (whose writes would then be lost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_begins_lose_no_writes() {
    let app = TestApp::spawn_with(&[("DB_MAX_CONNECTIONS", "2")]).await;
    let a = app.new_salon("Alpha").await;
    let salon = adelante::tenancy::SalonId(a.salon_id());
    let db = app.state.db.clone();

    let tasks = (0..6u64).map(|worker| {
        let db = db.clone();
        tokio::spawn(async move {
            let mut committed = 0u32;
            for i in 0..500u64 {
                // Cancel a begin() at a varying point of its round trip.
                let wait = Duration::from_micros((i * 37 + worker * 11) % 400);
                let _ = tokio::time::timeout(wait, db.begin(salon)).await;
                let mut tx = db.begin(salon).await.expect("begin");
                sqlx::query("insert into changes (entity, action) values ('probe', 'write')")
                    .execute(tx.conn()).await.expect("insert");
                tx.commit().await.expect("commit");
                committed += 1;
            }
            committed
        })
    });
    let mut committed = 0;
    for t in tasks {
        committed += t.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut su = app.su().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from changes where entity = 'probe'").fetch_one(&mut su).await.unwrap();
    assert_eq!(rows, i64::from(committed), "every committed write is stored");
}
