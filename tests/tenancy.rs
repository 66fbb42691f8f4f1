//! Isolation between salons: RLS, roles, tenant resolution, the pool.

mod common;

use std::{collections::HashSet, time::Duration};

use common::{BASE_DOMAIN, PASSWORD, TestApp, rand_suffix};
use reqwest::{Method, StatusCode};
use serde_json::json;
use secrecy::ExposeSecret;
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

/// Temp views named `users` and `salons` whose rows come from a `pg_temp` function: read by a
/// platform function that looks in `pg_temp` first, the function runs as the BYPASSRLS platform
/// role, so it can read every salon's accounts and create functions in schema `platform`.
const HIJACK: &str = r#"
create function pg_temp.every_user() returns setof public.users language plpgsql as $f$
begin
    begin
        execute 'create function platform.backdoor() returns setof public.users language sql
                 security definer set search_path = pg_catalog, public as $b$ select * from public.users $b$';
        execute 'grant execute on function platform.backdoor() to public';
    exception when others then null;
    end;
    return query select * from public.users;
end $f$;
create function pg_temp.every_salon() returns setof public.salons language sql as $f$ select * from public.salons $f$;
create temp view users as
    select salon_id, id, 'x'::text as email, password_hash, password_set_at, invited_at, is_active from pg_temp.every_user();
create temp view salons as select id, 'x'::text as slug, name, status from pg_temp.every_salon();
grant select on pg_temp.users, pg_temp.salons to adelante_platform;
"#;

#[tokio::test]
async fn temporary_objects_cannot_hijack_the_platform_functions() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let _b = app.new_salon("Beta").await;
    let mut su = app.su().await;

    // Where TEMPORARY is still granted (a database this release has not migrated yet), the
    // functions' search_path alone must keep temporary objects out.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("grant temporary on database {} to adelante_app", app.db_name)))
        .execute(&mut su)
        .await
        .unwrap();
    let mut conn = app.app_role().await;
    sqlx::raw_sql(HIJACK).execute(&mut conn).await.expect("temp objects while TEMPORARY is granted");
    let leaked: Vec<(i64, String)> =
        sqlx::query_as("select user_id, password_hash from platform.login_accounts('x', null)")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert!(leaked.is_empty(), "login_accounts read the temp view: {} hashes leaked", leaked.len());
    let leaked: Vec<i64> =
        sqlx::query_scalar("select user_id from platform.email_accounts('x')").fetch_all(&mut conn).await.unwrap();
    assert!(leaked.is_empty(), "email_accounts read the temp view: {} accounts leaked", leaked.len());
    let salon = sqlx::query("select id from platform.salon_by_slug('x')").fetch_optional(&mut conn).await.unwrap();
    assert!(salon.is_none(), "salon_by_slug read the temp view");
    let backdoor: bool =
        sqlx::query_scalar("select exists(select 1 from pg_proc where pronamespace = 'platform'::regnamespace and proname = 'backdoor')")
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert!(!backdoor, "a function was created in schema platform");
    drop(conn);

    // As migrated, the app role cannot create temporary objects at all.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("revoke temporary on database {} from adelante_app", app.db_name)))
        .execute(&mut su)
        .await
        .unwrap();
    let mut conn = app.app_role().await;
    let refused = sqlx::raw_sql(HIJACK).execute(&mut conn).await.expect_err("TEMPORARY is revoked");
    assert_eq!(refused.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{refused}");
    assert_eq!(app.login_ok(&a.email, PASSWORD).await.user_id, a.user_id);
}

/// Migration 0003 created `app.refresh_client_visits` and `app.appointments_refresh_client` with
/// `search_path = pg_catalog, public`; an applied migration cannot change, so
/// policies/00_grants.sql re-pins them on every `migrate`. Every function of ours that pins a
/// search path, definer or not, must end it with `pg_temp`: otherwise a temporary table could
/// shadow one it reads.
#[tokio::test]
async fn every_function_of_ours_that_pins_a_search_path_ends_it_with_pg_temp() {
    let app = TestApp::spawn().await;
    let paths: Vec<(String, String)> = sqlx::query_as(
        "select p.oid::regprocedure::text, substr(c, length('search_path=') + 1)
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace, unnest(p.proconfig) c
         where n.nspname in ('app', 'public', 'platform') and c like 'search_path=%'
           and p.proowner in ('adelante_owner'::regrole, 'adelante_platform'::regrole)",
    )
    .fetch_all(&mut app.su().await)
    .await
    .unwrap();
    for named in ["app.refresh_client_visits(bigint,bigint)", "app.appointments_refresh_client()"] {
        assert!(paths.iter().any(|(f, _)| f == named), "{named} pins no search_path: {paths:?}");
    }
    for (function, path) in &paths {
        let last = path.split(',').map(str::trim).rfind(|s| !s.is_empty());
        assert_eq!(last, Some("pg_temp"), "{function} has search_path {path}");
    }
}

#[tokio::test]
async fn every_security_definer_function_searches_pg_temp_last_and_the_platform_role_creates_nothing() {
    let app = TestApp::spawn().await;
    let mut su = app.su().await;
    let definers: Vec<(String, Option<Vec<String>>)> = sqlx::query_as(
        "select p.oid::regprocedure::text, p.proconfig from pg_proc p
         join pg_namespace n on n.oid = p.pronamespace
         where p.prosecdef and n.nspname not in ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert!(definers.len() >= 5, "{definers:?}");
    for (function, config) in &definers {
        let path = config.iter().flatten().find_map(|c| c.strip_prefix("search_path=")).unwrap_or_else(|| {
            panic!("{function} does not pin its search_path: {config:?}");
        });
        let schemas: Vec<&str> = path.split(',').map(str::trim).filter(|s| !s.is_empty() && *s != "\"\"").collect();
        assert!(
            schemas.is_empty() || schemas.last() == Some(&"pg_temp"),
            "{function} has search_path {path}: pg_temp must come last (or the path be empty)"
        );
    }

    let row = sqlx::query(
        "select has_schema_privilege('adelante_platform', 'platform', 'create') as platform_creates,
                has_database_privilege('adelante_app', current_database(), 'temporary') as app_temporary,
                (select count(*) from pg_default_acl d
                 where d.defaclobjtype = 'f' and d.defaclnamespace = 0
                   and d.defaclrole in ('adelante_owner'::regrole, 'adelante_platform'::regrole)
                   and not exists (select 1 from aclexplode(d.defaclacl) a where a.grantee = 0)) as private_by_default",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert!(!row.get::<bool, _>("platform_creates"), "the platform role may create in schema platform");
    assert!(!row.get::<bool, _>("app_temporary"), "the app role may create temporary objects");
    assert_eq!(row.get::<i64, _>("private_by_default"), 2, "new functions are PUBLIC's by default");

    // What the platform role would do if code running as it were tricked into creating a function.
    sqlx::raw_sql("set role adelante_platform").execute(&mut su).await.unwrap();
    let planted = sqlx::raw_sql("create function platform.backdoor() returns int language sql as 'select 1'")
        .execute(&mut su)
        .await
        .expect_err("no CREATE on schema platform");
    assert_eq!(planted.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{planted}");
}

#[tokio::test]
async fn only_the_login_function_returns_password_hashes() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let mut su = app.su().await;
    let with_hash: Vec<String> = sqlx::query_scalar(
        "select p.proname::text from pg_proc p
         where p.pronamespace = 'platform'::regnamespace and 'password_hash' = any(p.proargnames)
           and has_function_privilege('adelante_app', p.oid, 'execute')",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    assert_eq!(with_hash, ["login_accounts"]);

    // The same e-mail in two salons: through a subdomain, only that salon's hash leaves the database.
    let res = app.post("/api/v1/users", Some(&b.access), json!({"email": a.email, "role": "master"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    sqlx::query("update users set password_hash = 'x', password_set_at = now() where email = $1")
        .bind(&a.email)
        .execute(&mut su)
        .await
        .unwrap();
    let mut conn = app.app_role().await;
    let salons: Vec<i64> = sqlx::query_scalar("select salon_id from platform.login_accounts($1, $2)")
        .bind(&a.email)
        .bind(b.salon_id())
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(salons, [b.salon_id()]);
    let salons: Vec<i64> = sqlx::query_scalar("select salon_id from platform.login_accounts($1, null)")
        .bind(&a.email)
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(salons, [a.salon_id(), b.salon_id()]);
}

#[tokio::test]
async fn migrate_refuses_a_platform_function_it_does_not_define() {
    let app = TestApp::spawn().await;
    let owner_url = app.state.config.database_owner_url.expose_secret().to_owned();
    adelante::tenancy::setup::migrate(&owner_url).await.expect("a clean database migrates again");

    let mut su = app.su().await;
    sqlx::raw_sql(
        "create function platform.backdoor() returns setof users language sql security definer
             set search_path = pg_catalog, public, pg_temp as 'select * from public.users';
         alter function platform.backdoor() owner to adelante_platform;",
    )
    .execute(&mut su)
    .await
    .unwrap();
    let refused = adelante::tenancy::setup::migrate(&owner_url).await.expect_err("a foreign platform function");
    let message = format!("{refused:#}");
    assert!(message.contains("platform.backdoor()"), "{message}");
    let still: bool = sqlx::query_scalar("select to_regprocedure('platform.backdoor()') is not null")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert!(still, "migrate leaves the evidence for a person to inspect");

    sqlx::raw_sql("drop function platform.backdoor()").execute(&mut su).await.unwrap();
    adelante::tenancy::setup::migrate(&owner_url).await.expect("migrates once it is gone");
}

#[tokio::test]
async fn the_server_may_not_rewrite_the_registry_or_the_audit_trail() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    // Settings still write the salon's own columns.
    let res = app.put("/api/v1/settings/salon", &a.access, json!({"name": "Alpha Beauty", "timezone": "Europe/Warsaw"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let mut conn = app.app_role().await;
    for statement in [
        "update salons set status = 'active'",
        "update salons set plan = 'enterprise'",
        "update salons set slug = 'taken-over'",
        "update changes set action = 'forged'",
        "delete from changes",
        "truncate changes",
    ] {
        let mut tx = sqlx::Connection::begin(&mut conn).await.unwrap();
        sqlx::query("select set_config('app.salon_id', $1, true)")
            .bind(a.salon_id().to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        let err = sqlx::raw_sql(statement).execute(&mut *tx).await.expect_err(statement);
        assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{statement}: {err}");
        tx.rollback().await.unwrap();
    }
    let mut su = app.su().await;
    let (name, changes): (String, i64) = sqlx::query_as(
        "select s.name, (select count(*) from changes c where c.salon_id = s.id) from salons s where s.id = $1",
    )
    .bind(a.salon_id())
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(name, "Alpha Beauty");
    assert!(changes > 0, "the audit trail keeps its rows");
}

/// A role URL for this test's database.
fn role_url(app: &TestApp, role: &str) -> String {
    let mut url = url::Url::parse(&common::superuser_url(&app.db_name)).unwrap();
    url.set_username(role).unwrap();
    url.to_string()
}

#[tokio::test]
async fn serve_refuses_a_database_role_that_row_level_security_does_not_hold() {
    use adelante::tenancy::setup::check_server_role;
    let app = TestApp::spawn().await;
    check_server_role(app.state.config.database_url.expose_secret()).await.expect("adelante_app is fine");

    let refusal = |url: String| async move { format!("{:#}", check_server_role(&url).await.expect_err(&url)) };
    assert!(refusal(common::superuser_url(&app.db_name)).await.contains("is a superuser"));
    let owner = refusal(app.state.config.database_owner_url.expose_secret().to_owned()).await;
    assert!(owner.contains("BYPASSRLS") && owner.contains("adelante_platform"), "{owner}");

    let suffix = rand_suffix().to_lowercase();
    let (bypasser, holder, owner) =
        (format!("bypass_{suffix}"), format!("member_{suffix}"), format!("owner_{suffix}"));
    let mut su = app.su().await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "create role {bypasser} login bypassrls;
         create role {holder} login in role adelante_platform;
         create role {owner} login;
         create table public.{owner}_notes (id int);
         alter table public.{owner}_notes owner to {owner};"
    )))
    .execute(&mut su)
    .await
    .unwrap();
    let bypass = refusal(role_url(&app, &bypasser)).await;
    assert!(bypass.contains("BYPASSRLS"), "{bypass}");
    let member = refusal(role_url(&app, &holder)).await;
    assert!(member.contains("BYPASSRLS") && member.contains("membership in adelante_platform"), "{member}");
    let owns = refusal(role_url(&app, &owner)).await;
    assert!(owns.contains("owns tables") && owns.contains(&format!("{owner}_notes")), "{owns}");

    // A database that kept PUBLIC's TEMPORARY (cloned or restored without `migrate`).
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("grant temporary on database {} to public", app.db_name)))
        .execute(&mut su)
        .await
        .unwrap();
    let temporary = refusal(app.state.config.database_url.expose_secret().to_owned()).await;
    assert!(temporary.contains("temporary objects"), "{temporary}");

    // The binary itself: `serve` as the superuser exits non-zero with the reason, before binding.
    let config = &app.state.config;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_adelante"))
        .arg("serve")
        .env("DATABASE_URL", common::superuser_url(&app.db_name))
        .env("DATABASE_OWNER_URL", config.database_owner_url.expose_secret())
        .env("REDIS_URL", common::redis_url())
        .env("JWT_SECRET", common::JWT_SECRET)
        .env("BASE_DOMAIN", BASE_DOMAIN)
        .env("BIND_ADDR", "127.0.0.1:0")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("serve kept running as a superuser");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("is a superuser"), "{stderr}");

    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "drop table public.{owner}_notes; drop role {bypasser}; drop role {holder}; drop role {owner};"
    )))
    .execute(&mut su)
    .await
    .unwrap();
}

/// The views domains export to each other's SQL (migration 0010) keep row-level security: each
/// runs with the caller's rights, so a salon's transaction sees its own rows through every view
/// and none of another salon's, no tenant sees nothing, and nothing is written through them.
#[tokio::test]
async fn exported_views_show_only_the_transactions_salon_and_take_no_writes() {
    let app = TestApp::spawn().await;
    let mut salons = Vec::new();
    for name in ["Alpha", "Beta"] {
        let admin = app.new_salon(name).await;
        let staff = app.working_member(&admin, "Ірина").await;
        app.service(&admin, "Стрижка", 60, 450.0).await;
        let visit = app.book(&admin, common::booking(Some(staff), "2031-06-02", "10:00", "11:00")).await;
        app.created(&admin, "/api/v1/finances/receipts",
            json!({"appointmentId": visit, "amount": 450, "paymentMethod": "Готівка",
                   "items": [{"name": "Стрижка", "price": 450}]}))
            .await;
        salons.push(admin);
    }
    let (a, b) = (&salons[0], &salons[1]);
    let mut su = app.su().await;
    // The telegram exports show a connected bot, a client who wrote to it and a linked user.
    for (n, admin) in salons.iter().enumerate() {
        let salon = admin.salon_id();
        sqlx::query("insert into telegram_bots (salon_id, bot_id, username, token_sealed, hook, secret_hash)
                     values ($1, $2, 'bot', '\\x00', $3, decode(repeat('00', 32), 'hex'))")
            .bind(salon).bind(1000 + n as i64).bind(format!("hook{n}hook{n}hook{n}hook{n}"))
            .execute(&mut su).await.unwrap();
        sqlx::query("insert into telegram_chats (salon_id, telegram_user_id, client_id)
                     select $1, $2, id from clients where salon_id = $1 limit 1")
            .bind(salon).bind(2000 + n as i64).execute(&mut su).await.unwrap();
        sqlx::query("update users set telegram_id = $2 where salon_id = $1 and role = 'admin'")
            .bind(salon).bind(3000 + n as i64).execute(&mut su).await.unwrap();
    }
    let views: Vec<(String, Vec<String>)> = sqlx::query_as(
        "select c.relname::text, coalesce(c.reloptions, '{}')::text[] from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'v' order by 1",
    )
    .fetch_all(&mut su)
    .await
    .unwrap();
    let names: Vec<&str> = views.iter().map(|(v, _)| v.as_str()).collect();
    for exported in ["salon_facts", "user_names", "staff_names", "client_contacts", "catalog_services",
                     "calendar_appointments", "finance_visit_payments", "audit_trail", "telegram_clients",
                     "telegram_bot_tokens", "telegram_users"] {
        assert!(names.contains(&exported), "{exported} in {names:?}");
    }

    let mut conn = app.app_role().await;
    for (view, options) in &views {
        assert!(options.contains(&"security_invoker=true".to_owned()), "{view}: {options:?}");
        let per_salon = |salon: i64| {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("select count(*) from {view} where salon_id = $1")))
                .bind(salon)
        };
        let (of_a, of_b) = (per_salon(a.salon_id()).fetch_one(&mut su).await.unwrap(),
                            per_salon(b.salon_id()).fetch_one(&mut su).await.unwrap());
        assert!(of_a > 0 && of_b > 0, "{view}: both salons have rows ({of_a}, {of_b})");

        let count = format!("select count(*), count(*) filter (where salon_id <> $1) from {view}");
        let none: (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(count.clone()))
            .bind(a.salon_id()).fetch_one(&mut conn).await.unwrap();
        assert_eq!(none, (0, 0), "{view} shows rows without a tenant");

        let mut tx = sqlx::Connection::begin(&mut conn).await.unwrap();
        sqlx::query("select set_config('app.salon_id', $1, true)").bind(a.salon_id().to_string())
            .execute(&mut *tx).await.unwrap();
        let seen: (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(count)).bind(a.salon_id()).fetch_one(&mut *tx).await.unwrap();
        assert_eq!(seen, (of_a, 0), "{view}: salon A sees exactly its own rows");
        let write = sqlx::query(sqlx::AssertSqlSafe(format!("delete from {view}"))).execute(&mut *tx).await;
        assert!(write.is_err(), "{view} takes writes");
        tx.rollback().await.unwrap();
        let writable: bool = sqlx::query_scalar(
            "select has_table_privilege('adelante_app', $1::regclass, 'insert, update, delete, truncate')",
        )
        .bind(view)
        .fetch_one(&mut su)
        .await
        .unwrap();
        assert!(!writable, "{view}: the server may only read it");
    }
}
