//! The permission matrix: `GET`/`PUT /settings/roles`, and proof that every protected route of
//! every module checks its permission id.
//!
//! [`PROTECTED`] lists each route with the id it needs; [`OPEN`] lists the routes that need only
//! a signed-in user (or nothing, or the admin role itself). `every_route_is_accounted_for` fails
//! when the OpenAPI document has a route in neither list, so a new route must come with its
//! permission. To add a route: one line in the right list.

mod common;

use std::collections::BTreeSet;

use adelante::auth::{Role, permissions};
use common::{Res, Session, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A route that needs one permission id: method, path as in the OpenAPI document, the id (or
/// ids joined by `+` when the route needs each of them).
/// Path parameters are filled by [`concrete`]: ids that exist nowhere (the permission check runs
/// before the lookup, so granted means 404/422, denied means 403), `{role}` = `receptionist`.
///
/// Routes other branches are adding, with the ids expected for them:
/// `PUT /settings/salon` → `settings.info.access` (or `settings.general.access`),
/// `GET /overview/records` → `overview.appointments.view`, `GET /overview/reviews` →
/// `overview.reviews.view`, `GET /overview/changes` → `overview.summary`.
const PROTECTED: &[(&str, &str, &str)] = &[
    // the salon's Telegram bot
    ("GET", "/api/v1/settings/telegram", "settings.general.access"),
    ("PUT", "/api/v1/settings/telegram", "settings.general.access"),
    ("DELETE", "/api/v1/settings/telegram", "settings.general.access"),
    // calendar
    ("GET", "/api/v1/appointments", "appointments"),
    ("POST", "/api/v1/appointments", "appointments.create"),
    ("GET", "/api/v1/appointments/{id}", "appointments"),
    ("PUT", "/api/v1/appointments/{id}", "appointments.edit"),
    ("DELETE", "/api/v1/appointments/{id}", "appointments.delete"),
    ("PATCH", "/api/v1/appointments/{id}/status", "appointments.edit"),
    ("GET", "/api/v1/appointments/availability", "appointments"),
    ("GET", "/api/v1/staff/{id}/availability", "appointments"),
    // clients
    ("GET", "/api/v1/clients", "clients"),
    ("POST", "/api/v1/clients", "clients"),
    ("GET", "/api/v1/clients/export", "clients.export"),
    ("POST", "/api/v1/clients/import", "clients.card.edit"),
    ("GET", "/api/v1/clients/import/{jobId}", "clients.card.edit"),
    ("GET", "/api/v1/clients/{id}", "clients"),
    ("PUT", "/api/v1/clients/{id}", "clients.card.edit"),
    ("DELETE", "/api/v1/clients/{id}", "clients.delete"),
    ("GET", "/api/v1/clients/{id}/history", "clients.history.view"),
    // finances
    ("GET", "/api/v1/finances/cash-registers", "finances"),
    ("POST", "/api/v1/finances/cash-registers", "finances.accounts_cashboxes.access"),
    ("PUT", "/api/v1/finances/cash-registers/{id}", "finances.accounts_cashboxes.access"),
    ("DELETE", "/api/v1/finances/cash-registers/{id}", "finances.accounts_cashboxes.access"),
    ("GET", "/api/v1/finances/dashboard", "finances.movements.view"),
    ("GET", "/api/v1/finances/documents", "finances"),
    ("POST", "/api/v1/finances/documents", "finances.accounts_cashboxes.access"),
    ("GET", "/api/v1/finances/documents/{id}", "finances"),
    ("PATCH", "/api/v1/finances/documents/{id}/status", "finances.accounts_cashboxes.access"),
    ("GET", "/api/v1/finances/export", "finances.reports.period"),
    ("GET", "/api/v1/finances/operations", "finances.movements.view"),
    ("POST", "/api/v1/finances/operations", "finances.movements.view"),
    ("GET", "/api/v1/finances/operations/{id}", "finances.movements.view"),
    ("PUT", "/api/v1/finances/operations/{id}", "finances.accounts_cashboxes.access"),
    ("POST", "/api/v1/finances/operations/{id}/reverse", "finances.accounts_cashboxes.access"),
    ("GET", "/api/v1/finances/payment-methods", "finances"),
    ("POST", "/api/v1/finances/payment-methods", "finances.payment_settings"),
    ("PUT", "/api/v1/finances/payment-methods/{id}", "finances.payment_settings"),
    ("DELETE", "/api/v1/finances/payment-methods/{id}", "finances.payment_settings"),
    ("GET", "/api/v1/finances/receipts", "finances.receipt.print"),
    ("POST", "/api/v1/finances/receipts", "finances.receipt.print+appointments.process_payment"),
    ("GET", "/api/v1/finances/receipts/{id}", "finances.receipt.print"),
    ("GET", "/api/v1/finances/receipts/{id}/pdf", "finances.receipt.print"),
    ("POST", "/api/v1/finances/receipts/{id}/email", "finances.receipt.print"),
    // inventory
    ("GET", "/api/v1/inventory/categories", "inventory"),
    ("GET", "/api/v1/inventory/export", "inventory.movements.export"),
    ("POST", "/api/v1/inventory/import", "inventory.management"),
    ("GET", "/api/v1/inventory/import/{jobId}", "inventory.management"),
    ("GET", "/api/v1/inventory/products", "inventory"),
    ("POST", "/api/v1/inventory/products", "inventory.management"),
    ("GET", "/api/v1/inventory/products/{id}", "inventory"),
    ("PUT", "/api/v1/inventory/products/{id}", "inventory.management"),
    ("DELETE", "/api/v1/inventory/products/{id}", "inventory.management"),
    ("GET", "/api/v1/inventory/products/{id}/history", "inventory.movements.view"),
    ("POST", "/api/v1/inventory/stock-movement", "inventory.transactions.create"),
    // services (writes; reads are open, see OPEN)
    ("POST", "/api/v1/services", "settings.services.access"),
    ("PUT", "/api/v1/services/{id}", "settings.services.access"),
    ("DELETE", "/api/v1/services/{id}", "settings.services.access"),
    // staff (writes; reads are open, see OPEN)
    ("POST", "/api/v1/staff", "settings.staff.access"),
    ("PUT", "/api/v1/staff/{id}", "settings.staff.access"),
    ("DELETE", "/api/v1/staff/{id}", "settings.staff.access"),
    ("POST", "/api/v1/staff/{id}/schedule", "settings.schedule.edit"),
    ("DELETE", "/api/v1/staff/{id}/schedule/exceptions/{exceptionId}", "settings.schedule.edit"),
    // users and roles
    ("GET", "/api/v1/users", "settings.staff.manage_access"),
    ("POST", "/api/v1/users", "settings.staff.manage_access"),
    ("GET", "/api/v1/users/{id}", "settings.staff.manage_access"),
    ("PUT", "/api/v1/users/{id}", "settings.staff.manage_access"),
    ("POST", "/api/v1/users/{id}/invitation", "settings.staff.manage_access"),
    ("GET", "/api/v1/settings/roles", "settings.staff.manage_access"),
    ("PUT", "/api/v1/settings/roles/{role}", "settings.staff.manage_access"),
    // overview
    ("GET", "/api/v1/overview/records", "overview.appointments.view"),
    ("GET", "/api/v1/overview/reviews", "overview.reviews.view"),
    ("POST", "/api/v1/overview/reviews", "overview.reviews.view"),
    ("GET", "/api/v1/overview/changes", "overview.summary"),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Access {
    /// No token needed.
    Public,
    /// Any signed-in user of the salon, whatever the matrix says.
    SignedIn,
    /// The `admin` role itself, not a permission id.
    AdminRole,
    /// One of several ids, chosen by the fields the body changes; each field's id is checked in
    /// that module's own tests (tests/settings.rs for the salon's settings).
    ByFields,
}

/// Routes that need no permission id, each with the reason.
const OPEN: &[(&str, &str, Access, &str)] = &[
    ("POST", "/api/v1/auth/login", Access::Public, "signing in"),
    ("POST", "/api/v1/auth/register", Access::Public, "a new salon"),
    ("POST", "/api/v1/auth/refresh", Access::Public, "the refresh token is the credential"),
    ("POST", "/api/v1/auth/setup", Access::Public, "an invited account's first password"),
    ("POST", "/api/v1/auth/forgot-password", Access::Public, "password reset"),
    ("POST", "/api/v1/auth/reset-password", Access::Public, "password reset"),
    ("GET", "/api/v1/auth/invitations/{token}", Access::Public, "the invitation link is the credential"),
    ("GET", "/api/v1/auth/email-changes/{token}", Access::Public, "the confirmation link is the credential"),
    ("POST", "/api/v1/auth/logout", Access::SignedIn, "own session"),
    ("GET", "/api/v1/auth/me", Access::SignedIn, "own account"),
    ("POST", "/api/v1/auth/telegram/link", Access::SignedIn, "own account's Telegram"),
    ("DELETE", "/api/v1/auth/telegram/link", Access::SignedIn, "own account's Telegram"),
    ("POST", "/api/v1/auth/telegram/init", Access::Public, "signing in with Telegram"),
    ("GET", "/api/v1/auth/telegram/status/{auth_code}", Access::Public, "the sign-in's polling code is the credential"),
    ("POST", "/api/v1/auth/change-password", Access::SignedIn, "own password"),
    ("GET", "/api/v1/notifications", Access::SignedIn, "own notifications"),
    ("PATCH", "/api/v1/notifications/read-all", Access::SignedIn, "own notifications"),
    ("PATCH", "/api/v1/notifications/{id}/read", Access::SignedIn, "own notifications"),
    ("DELETE", "/api/v1/notifications/{id}", Access::SignedIn, "own notifications"),
    ("GET", "/api/v1/services", Access::SignedIn, "the catalogue every booking form shows"),
    ("GET", "/api/v1/services/categories", Access::SignedIn, "the catalogue every booking form shows"),
    ("GET", "/api/v1/services/{id}", Access::SignedIn, "the catalogue every booking form shows"),
    ("GET", "/api/v1/staff", Access::SignedIn, "the calendar's columns, for every role"),
    ("GET", "/api/v1/staff/{id}", Access::SignedIn, "the calendar's columns, for every role"),
    ("GET", "/api/v1/staff/{id}/schedule", Access::SignedIn, "the calendar's working hours"),
    ("POST", "/api/v1/clients/{id}/restore", Access::AdminRole, "undoing a deletion is the administrator's"),
    ("GET", "/api/v1/settings/salon", Access::SignedIn, "every screen shows the salon's name, zone and hours"),
    ("PUT", "/api/v1/settings/salon", Access::ByFields, "settings.info.access or settings.general.access"),
    ("GET", "/api/v1/settings/profile", Access::SignedIn, "own profile"),
    ("PUT", "/api/v1/settings/profile", Access::SignedIn, "own profile"),
    ("POST", "/api/v1/settings/profile/password", Access::SignedIn, "own password"),
    ("POST", "/api/v1/settings/profile/avatar", Access::SignedIn, "own avatar"),
    ("DELETE", "/api/v1/settings/profile/avatar", Access::SignedIn, "own avatar"),
    ("GET", "/uploads/{key}", Access::Public, "an <img> sends no token; names are unguessable"),
];

/// The path with its parameters filled: ids that exist nowhere, a role the test can touch.
fn concrete(path: &str) -> String {
    path.replace("{id}", "987654")
        .replace("{jobId}", "987654")
        .replace("{exceptionId}", "987654")
        .replace("{role}", "receptionist")
        .replace("{key}", "salons/987654/avatars/none.png")
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap()
}

/// Calls a route with a minimal body (`{}` for writes; the permission check comes first, and
/// for `PUT /settings/roles/{role}` an empty object is refused as input, so nothing changes).
async fn call(app: &TestApp, m: &str, path: &str, token: &str) -> Res {
    let body = (m != "GET" && m != "DELETE").then(|| json!({}));
    app.request(method(m), &concrete(path), Some(token), body).await
}

/// Every vocabulary id in the array form, selects with their first option.
fn everything() -> Vec<String> {
    permissions::VOCABULARY
        .iter()
        .map(|p| match p.options.first() {
            Some(o) => format!("{}:{o}", p.id),
            None => p.id.clone(),
        })
        .collect()
}

fn id_of(entry: &str) -> &str {
    entry.split(':').next().unwrap()
}

fn is_under(id: &str, ancestor: &str) -> bool {
    id == ancestor || id.starts_with(&format!("{ancestor}."))
}

/// Everything except `id` and what depends on it.
fn everything_but(id: &str) -> Vec<String> {
    everything().into_iter().filter(|e| !is_under(id_of(e), id)).collect()
}

/// `id` (or each of the `+`-joined ids) with the parents it needs and nothing else.
fn only(id: &str) -> Vec<String> {
    everything().into_iter().filter(|e| id.split('+').any(|id| is_under(id, id_of(e)))).collect()
}

async fn set_role(app: &TestApp, admin: &Session, role: &str, list: &[String]) {
    let res = app.put(&format!("/api/v1/settings/roles/{role}"), &admin.access, json!({"permissions": list})).await;
    assert_eq!(res.status, StatusCode::OK, "PUT {role}: {}", res.body);
}

async fn stored_row(app: &TestApp, salon: i64, role: &str) -> Value {
    let mut su = app.su().await;
    sqlx::query_scalar("select permissions from role_permissions where salon_id = $1 and role = $2")
        .bind(salon)
        .bind(role)
        .fetch_one(&mut su)
        .await
        .unwrap()
}

async fn role_changes(app: &TestApp) -> i64 {
    let mut su = app.su().await;
    sqlx::query_scalar("select count(*) from changes where entity = 'role'").fetch_one(&mut su).await.unwrap()
}

fn openapi_routes() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(adelante::app::openapi()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for m in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&m.as_str()) {
                routes.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn every_route_is_accounted_for() {
    let listed: Vec<(String, String)> = PROTECTED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(OPEN.iter().map(|(m, p, ..)| (m.to_string(), p.to_string())))
        .collect();
    let unique: BTreeSet<_> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "a route is listed twice");
    let documented = openapi_routes();
    let missing: Vec<_> = documented.difference(&unique).collect();
    assert!(missing.is_empty(), "routes with no permission entry (add them to PROTECTED or OPEN): {missing:?}");
    let stale: Vec<_> = unique.difference(&documented).collect();
    assert!(stale.is_empty(), "listed routes the API does not have: {stale:?}");
    for (_, path, ids) in PROTECTED {
        for id in ids.split('+') {
            assert!(permissions::is_known(id), "{path}: {id} is not in policies/permissions.txt");
        }
    }
}

/// For every protected route: the matrix without exactly its id → 403 `forbidden`; with only its
/// id (and the parents it needs) → anything but 403.
#[tokio::test]
async fn every_protected_route_checks_its_permission() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Matrix").await;
    let manager = app.staff(&admin, "manager").await;
    let mut failures = Vec::new();
    for (m, path, ids) in PROTECTED {
        for id in ids.split('+') {
            set_role(&app, &admin, "manager", &everything_but(id)).await;
            let denied = call(&app, m, path, &manager.access).await;
            if denied.status != StatusCode::FORBIDDEN
                || denied.body["code"] != "forbidden"
                || !denied.body["message"].is_string()
            {
                failures.push(format!("{m} {path} without {id}: {} {}", denied.status, denied.text));
            }
        }
        let id = ids;
        set_role(&app, &admin, "manager", &only(id)).await;
        let allowed = call(&app, m, path, &manager.access).await;
        if allowed.status == StatusCode::FORBIDDEN
            || allowed.status.is_server_error()
            || allowed.status == StatusCode::UNAUTHORIZED
        {
            failures.push(format!("{m} {path} with only {id}: {} {}", allowed.status, allowed.text));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Open routes: signed-in ones answer a user whose matrix holds one unrelated id; the admin-only
/// one refuses a manager with every permission; none answers without a token except public ones.
#[tokio::test]
async fn open_routes_need_only_what_they_say() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Open").await;
    let manager = app.staff(&admin, "manager").await;
    set_role(&app, &admin, "manager", &only("overview.calls")).await;
    for (m, path, access, _) in OPEN {
        // Auth routes have their own tests (tests/auth.rs); calling logout here would end the session.
        if path.starts_with("/api/v1/auth/") {
            continue;
        }
        let anonymous = app.request(method(m), &concrete(path), None, None).await;
        if let Access::Public = access {
            let refused = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&anonymous.status);
            assert!(!refused && !anonymous.status.is_server_error(), "{m} {path}: {}", anonymous.text);
            continue;
        }
        anonymous.assert_error(401, "not_authenticated");
        match access {
            Access::SignedIn => {
                let res = call(&app, m, path, &manager.access).await;
                let refused = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&res.status);
                assert!(!refused && !res.status.is_server_error(), "{m} {path}: {} {}", res.status, res.text);
            }
            Access::AdminRole => {
                set_role(&app, &admin, "manager", &everything()).await;
                call(&app, m, path, &manager.access).await.assert_error(403, "forbidden");
                let by_admin = call(&app, m, path, &admin.access).await;
                assert_eq!(by_admin.status, StatusCode::NOT_FOUND, "{m} {path}: {}", by_admin.text);
                set_role(&app, &admin, "manager", &only("overview.calls")).await;
            }
            Access::ByFields => {
                // Holding neither of the ids, even an empty change is refused.
                call(&app, m, path, &manager.access).await.assert_error(403, "forbidden");
            }
            Access::Public => unreachable!("answered above"),
        }
    }
}

/// A fresh salon's receptionist and master get exactly what their default rows grant.
#[tokio::test]
async fn default_rows_are_enforced_for_receptionists_and_masters() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Defaults").await;
    for role in [Role::Receptionist, Role::Master] {
        let who = app.staff(&admin, role.as_str()).await;
        let row = permissions::defaults_for(role);
        for (m, path, ids) in PROTECTED {
            let res = call(&app, m, path, &who.access).await;
            if ids.split('+').all(|id| permissions::grants(&row, id)) {
                assert_ne!(res.status, StatusCode::FORBIDDEN, "{} {m} {path}: {}", role.as_str(), res.text);
            } else {
                res.assert_error(403, "forbidden");
            }
        }
    }
    // The receptionist's default row, spot-checked by hand so the test does not only restate it.
    let receptionist = app.staff(&admin, "receptionist").await;
    for (m, path) in [
        ("GET", "/api/v1/users"),
        ("DELETE", "/api/v1/clients/1"),
        ("GET", "/api/v1/finances/export"),
        ("POST", "/api/v1/services"),
        ("GET", "/api/v1/settings/roles"),
        ("GET", "/api/v1/clients/export"),
    ] {
        call(&app, m, path, &receptionist.access).await.assert_error(403, "forbidden");
    }
    assert_eq!(app.get("/api/v1/clients", &receptionist.access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn roles_are_listed_in_the_array_form() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("List").await;
    app.staff(&admin, "master").await;
    let res = app.get("/api/v1/settings/roles", &admin.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let roles = res.body.as_array().unwrap();
    let names: Vec<_> = roles.iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert_eq!(names, ["admin", "manager", "master", "receptionist"]);
    for r in roles {
        let role = Role::parse(r["role"].as_str().unwrap()).unwrap();
        let list: Vec<String> = serde_json::from_value(r["permissions"].clone()).unwrap();
        assert_eq!(list, permissions::encode(&permissions::defaults_for(role)), "{role:?}");
        assert_eq!(r["editable"], role != Role::Admin);
        assert!(r["name"].is_string() && r["description"].is_string());
    }
    assert_eq!(roles[0]["permissions"].as_array().unwrap().len(), permissions::VOCABULARY.len(), "admin has all");
    assert!(roles[2]["permissions"].as_array().unwrap().contains(&json!("clients.show:own")));
    assert_eq!(roles[0]["usersCount"], 1);
    assert_eq!(roles[2]["usersCount"], 1);
    assert_eq!(roles[1]["usersCount"], 0);
}

#[tokio::test]
async fn an_edit_is_stored_audited_and_applies_on_the_next_request_in_every_process() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Live").await;
    let manager = app.staff(&admin, "manager").await;

    let second = app.sibling().await;

    assert_eq!(app.get("/api/v1/clients", &manager.access).await.status, StatusCode::OK);
    assert_eq!(second.get("/api/v1/clients", &manager.access).await.status, StatusCode::OK);

    let list = everything_but("clients");
    let res = app.put("/api/v1/settings/roles/manager", &admin.access, json!({"permissions": list})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["role"], "manager");
    assert!(
        !res.body["permissions"].as_array().unwrap().iter().any(|p| is_under(id_of(p.as_str().unwrap()), "clients"))
    );

    app.get("/api/v1/clients", &manager.access).await.assert_error(403, "forbidden");
    second.get("/api/v1/clients", &manager.access).await.assert_error(403, "forbidden");

    // The stored row holds every id, off ones as false / "".
    let row = stored_row(&app, admin.salon_id(), "manager").await;
    assert_eq!(row.as_object().unwrap().len(), permissions::VOCABULARY.len());
    assert_eq!(row["clients"], false);
    assert_eq!(row["clients.show"], "");
    assert_eq!(row["inventory.movements.view"], "unlimited");

    // Audited with before and after.
    let mut su = app.su().await;
    let (user_id, before, after): (Option<i64>, Value, Value) = sqlx::query_as(
        "select user_id, before, after from changes where entity = 'role' and salon_id = $1 order by id desc limit 1",
    )
    .bind(admin.salon_id())
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(user_id, Some(admin.user_id));
    assert_eq!(before["role"], "manager");
    assert!(before["permissions"].as_array().unwrap().contains(&json!("clients")));
    assert!(!after["permissions"].as_array().unwrap().contains(&json!("clients")));

    // Granted back: allowed again at once, on both servers.
    set_role(&app, &admin, "manager", &everything()).await;
    assert_eq!(app.get("/api/v1/clients", &manager.access).await.status, StatusCode::OK);
    assert_eq!(second.get("/api/v1/clients", &manager.access).await.status, StatusCode::OK);
    // And the GET shows what the PUT stored.
    let roles = app.get("/api/v1/settings/roles", &admin.access).await;
    assert_eq!(roles.body[1]["permissions"], json!(everything()));
}

#[tokio::test]
async fn the_screens_module_spelling_and_select_values_are_read() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Spelling").await;
    let master = app.staff(&admin, "master").await;
    let list = json!([
        "clients.enabled",
        "clients.show:all",
        "clients.card.edit",
        "inventory.enabled",
        "inventory.movements.view:other"
    ]);
    let res = app.put("/api/v1/settings/roles/master", &admin.access, json!({"permissions": list})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        res.body["permissions"],
        json!(["clients", "clients.card.edit", "clients.show:all", "inventory", "inventory.movements.view:other"])
    );
    let row = stored_row(&app, admin.salon_id(), "master").await;
    assert_eq!(row["clients.show"], "all");
    assert_eq!(row["inventory.movements.view"], "other");
    assert!(row.get("clients.enabled").is_none());
    // A select grants its route whatever its value; an empty value does not.
    assert_ne!(app.get("/api/v1/inventory/products/1/history", &master.access).await.status, StatusCode::FORBIDDEN);
    set_role(&app, &admin, "master", &["inventory".to_owned(), "clients".to_owned()]).await;
    app.get("/api/v1/inventory/products/1/history", &master.access).await.assert_error(403, "forbidden");
    assert_eq!(stored_row(&app, admin.salon_id(), "master").await["clients.show"], "");
}

#[tokio::test]
async fn bad_lists_are_422_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Bad").await;
    let salon = admin.salon_id();
    let before = stored_row(&app, salon, "manager").await;
    let cases: &[(Value, &[&str])] = &[
        (json!({"permissions": []}), &["permissions"]),
        (json!({"permissions": ["clients", "clients.nope"]}), &["clients.nope"]),
        (json!({"permissions": ["clients", "clients.show:some"]}), &["clients.show:some"]),
        (json!({"permissions": ["clients", "clients.show"]}), &["clients.show"]),
        (json!({"permissions": ["clients", "clients.delete:yes"]}), &["clients.delete:yes"]),
        (json!({"permissions": ["clients", "clients.enabled"]}), &["clients", "clients.enabled"]),
        (
            json!({"permissions": ["clients", "clients.show:all", "clients.show:own"]}),
            &["clients.show:all", "clients.show:own"],
        ),
        (json!({"permissions": ["clients.delete"]}), &["clients.delete"]),
        (json!({"permissions": ["appointments", "appointments.edit.price"]}), &["appointments.edit.price"]),
        (json!({"permissions": ["overview", "nope", "overview.summary:x"]}), &["nope", "overview.summary:x"]),
    ];
    for (body, named) in cases {
        let res = app.put("/api/v1/settings/roles/manager", &admin.access, body.clone()).await;
        res.assert_error(422, "validation_error");
        let keys: Vec<&str> = res.body["details"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(&keys, named, "{body}");
    }
    for body in [
        json!({}),
        json!({"permissions": "clients"}),
        json!({"permissions": [1]}),
        json!({"permissions": ["clients"], "extra": 1}),
    ] {
        let res = app.put("/api/v1/settings/roles/manager", &admin.access, body.clone()).await;
        assert!(res.status.is_client_error() && res.body["code"].is_string(), "{body}: {}", res.text);
    }
    let admin_row = stored_row(&app, salon, "admin").await;
    let res = app.put("/api/v1/settings/roles/admin", &admin.access, json!({"permissions": ["clients"]})).await;
    res.assert_error(422, "role_not_editable");
    app.put("/api/v1/settings/roles/owner", &admin.access, json!({"permissions": ["clients"]}))
        .await
        .assert_error(404, "not_found");
    app.put("/api/v1/settings/roles/Manager", &admin.access, json!({"permissions": ["clients"]}))
        .await
        .assert_error(404, "not_found");

    assert_eq!(stored_row(&app, salon, "manager").await, before);
    assert_eq!(stored_row(&app, salon, "admin").await, admin_row);
    assert_eq!(role_changes(&app).await, 0);
    // The administrator still may everything.
    assert_eq!(app.get("/api/v1/settings/roles", &admin.access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn only_managers_of_access_see_or_change_roles() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Access").await;
    let manager = app.staff(&admin, "manager").await;
    let before = stored_row(&app, admin.salon_id(), "receptionist").await;
    app.get("/api/v1/settings/roles", &manager.access).await.assert_error(403, "forbidden");
    // Not even to grant itself the right.
    let res = app.put("/api/v1/settings/roles/manager", &manager.access, json!({"permissions": everything()})).await;
    res.assert_error(403, "forbidden");
    app.put("/api/v1/settings/roles/receptionist", &manager.access, json!({"permissions": ["clients"]}))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(stored_row(&app, admin.salon_id(), "receptionist").await, before);
    assert_eq!(role_changes(&app).await, 0);
    app.request(Method::GET, "/api/v1/settings/roles", None, None).await.assert_error(401, "not_authenticated");

    // Given the right, a manager may edit roles, but still not the admin's.
    set_role(&app, &admin, "manager", &only("settings.staff.manage_access")).await;
    assert_eq!(app.get("/api/v1/settings/roles", &manager.access).await.status, StatusCode::OK);
    let res =
        app.put("/api/v1/settings/roles/receptionist", &manager.access, json!({"permissions": ["clients"]})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.put("/api/v1/settings/roles/admin", &manager.access, json!({"permissions": ["clients"]}))
        .await
        .assert_error(422, "role_not_editable");
    // And a manager who takes the right from its own role loses it on the next request.
    let res = app.put("/api/v1/settings/roles/manager", &manager.access, json!({"permissions": ["clients"]})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.get("/api/v1/settings/roles", &manager.access).await.assert_error(403, "forbidden");
    assert_eq!(app.get("/api/v1/settings/roles", &admin.access).await.status, StatusCode::OK);
}

#[tokio::test]
async fn one_salons_edit_leaves_another_salon_alone() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("A").await;
    let b = app.new_salon("B").await;
    let a_manager = app.staff(&a, "manager").await;
    let a_before = stored_row(&app, a.salon_id(), "manager").await;

    set_role(&app, &b, "manager", &only("overview")).await;
    assert_eq!(stored_row(&app, a.salon_id(), "manager").await, a_before);
    assert_eq!(app.get("/api/v1/clients", &a_manager.access).await.status, StatusCode::OK);
    let a_roles = app.get("/api/v1/settings/roles", &a.access).await;
    let b_roles = app.get("/api/v1/settings/roles", &b.access).await;
    assert_eq!(b_roles.body[1]["permissions"], json!(["overview"]));
    assert_eq!(a_roles.body[1]["permissions"], json!(permissions::encode(&permissions::defaults_for(Role::Manager))));
    assert_eq!(a_roles.body[0]["usersCount"], 1);
    assert_eq!(a_roles.body[1]["usersCount"], 1);
    assert_eq!(b_roles.body[1]["usersCount"], 0);

    // B's audit entry is B's alone.
    let mut su = app.su().await;
    let salons: Vec<i64> =
        sqlx::query_scalar("select salon_id from changes where entity = 'role'").fetch_all(&mut su).await.unwrap();
    assert_eq!(salons, [b.salon_id()]);
}

// ---------------------------------------------------------------------------------------------
// Every id of the roles page is either enforced or documented as display-only.

/// The rows of `policies/permissions_enforcement.md`: id → (kind, what it governs).
fn enforcement_table() -> std::collections::BTreeMap<String, (String, String)> {
    let text = include_str!("../policies/permissions_enforcement.md");
    let mut rows = std::collections::BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 3, "a row has id, kind and what it governs: {line}");
        let id = cells[0].trim_matches('`').to_owned();
        let previous = rows.insert(id.clone(), (cells[1].to_owned(), cells[2].to_owned()));
        assert!(previous.is_none(), "{id} is listed twice");
    }
    rows
}

#[test]
fn every_permission_id_is_enforced_or_documented_as_display_only() {
    let table = enforcement_table();
    let missing: Vec<_> =
        permissions::VOCABULARY.iter().map(|p| p.id.as_str()).filter(|id| !table.contains_key(*id)).collect();
    assert!(missing.is_empty(), "ids of permissions.txt missing from policies/permissions_enforcement.md: {missing:?}");
    for (id, (kind, governs)) in &table {
        assert!(permissions::is_known(id), "{id} is not in policies/permissions.txt");
        assert!(["enforced", "display-only"].contains(&kind.as_str()), "{id}: kind {kind}");
        assert!(governs.len() > 10, "{id}: say what it governs, or why it is display-only");
    }
    assert_eq!(table.len(), 104);
    // Each route of the per-route test is named in the row of each id it needs.
    for (m, path, ids) in PROTECTED {
        let short = path.trim_start_matches("/api/v1");
        for id in ids.split('+') {
            let (kind, governs) = &table[id];
            assert_eq!(kind, "enforced", "{m} {path} needs {id}, documented as {kind}");
            assert!(governs.contains(short), "{id}'s row does not name {m} {short}");
        }
    }
    // The table is the OpenAPI description of the roles route.
    let doc = serde_json::to_value(adelante::app::openapi()).unwrap();
    let described = doc["paths"]["/api/v1/settings/roles"]["get"]["description"].as_str().unwrap();
    assert!(described.contains("| `clients.show` | enforced |"), "{described}");
    assert!(described.contains("| `loyalty` | display-only |"));
}

// ---------------------------------------------------------------------------------------------
// Fields in answers.

#[tokio::test]
async fn hidden_client_fields_follow_the_matrix() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Fields").await;
    let manager = app.staff(&admin, "manager").await;
    let client = app.created_id(&admin,
        "/api/v1/clients",
        json!({"firstName": "Марія", "lastName": "Коваль", "middleName": "Петрівна", "phone": "0671234567",
               "email": "maria@example.com", "notes": "алергія", "bonusBalance": 50}),
    )
    .await;
    let card = format!("/api/v1/clients/{client}");

    // Only the module: contacts, surname, note and bonus are hidden, in the shapes the page reads.
    set_role(&app, &admin, "manager", &only("clients")).await;
    let list = app.get("/api/v1/clients", &manager.access).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let row = &list.body[0];
    assert_eq!(row["phone"], "+380*******67");
    assert!(row.get("email").is_none(), "{row}");
    assert_eq!((row["lastName"].as_str(), row["middleName"].as_str()), (Some(""), Some("")));
    assert_eq!(row["name"], "Марія");
    assert_eq!(row["notes"], "");
    assert_eq!(row["bonusBalance"].as_f64(), Some(0.0));
    let opened = app.get(&card, &manager.access).await;
    assert_eq!(opened.body["phone"], "+380*******67");
    assert_eq!(opened.body["visits"], json!([]));

    // Nor can the search tell who has a phone or e-mail: it matches them only for users who
    // see contacts in the list (names still match).
    let found = |res: common::Res| {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        res.body.as_array().unwrap().len()
    };
    for probe in ["1234567", "maria@example"] {
        let q = format!("/api/v1/clients?search={probe}");
        assert_eq!(found(app.get(&q, &manager.access).await), 0, "{probe}");
        assert_eq!(found(app.get(&q, &admin.access).await), 1, "{probe}");
    }
    assert_eq!(found(app.get("/api/v1/clients?search=Марія", &manager.access).await), 1);

    // The export follows the list: the workbook holds no more than the list shows.
    set_role(&app, &admin, "manager", &only("clients.export")).await;
    let rows = exported_clients(&app, &manager).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let cells: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!((cells[1].as_str(), cells[3].as_str()), ("Марія", ""), "{cells:?}");
    assert_eq!((cells[4].as_str(), cells[5].as_str()), ("+380*******67", ""), "{cells:?}");
    assert_eq!(cells[12], "", "{cells:?}");
    set_role(&app, &admin, "manager", &only("clients.export+clients.list.show_contacts+clients.card.show_name")).await;
    let cells: Vec<String> = exported_clients(&app, &manager).await[1].iter().map(|c| c.to_string()).collect();
    assert_eq!((cells[3].as_str(), cells[4].as_str(), cells[5].as_str()),
               ("Коваль", "+380671234567", "maria@example.com"), "{cells:?}");

    // The list's contacts id shows them in the list, not on the card.
    set_role(&app, &admin, "manager", &only("clients.list.show_contacts")).await;
    let row = &app.get("/api/v1/clients", &manager.access).await.body[0];
    assert_eq!((row["phone"].as_str(), row["email"].as_str()), (Some("+380671234567"), Some("maria@example.com")));
    assert_eq!(found(app.get("/api/v1/clients?search=1234567", &manager.access).await), 1);
    assert_eq!(app.get(&card, &manager.access).await.body["phone"], "+380*******67");

    // The card's ids show the card's fields.
    let card_ids =
        ["clients.card.show_phone", "clients.card.show_name", "clients.card.view_note", "clients.loyalty.view"]
            .join("+");
    set_role(&app, &admin, "manager", &only(&card_ids)).await;
    let opened = app.get(&card, &manager.access).await.body;
    assert_eq!(opened["phone"], "+380671234567");
    assert_eq!(opened["lastName"], "Коваль");
    assert_eq!(opened["notes"], "алергія");
    assert_eq!(opened["bonusBalance"].as_f64(), Some(50.0));

    // Editing without seeing: the masked values sent back change nothing.
    set_role(&app, &admin, "manager", &only("clients.card.edit")).await;
    let res = app
        .put(&card, &manager.access, json!({"firstName": "Марина", "phone": "+380*******67", "lastName": "", "notes": ""}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let stored = app.get(&card, &admin.access).await.body;
    assert_eq!(
        (stored["firstName"].as_str(), stored["phone"].as_str(), stored["lastName"].as_str(), stored["notes"].as_str()),
        (Some("Марина"), Some("+380671234567"), Some("Коваль"), Some("алергія"))
    );
}

#[tokio::test]
async fn appointment_phones_need_the_client_data_permission() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Phones").await;
    let manager = app.staff(&admin, "manager").await;
    let id = app.created_id(&admin,
        "/api/v1/appointments",
        json!({"clientName": "Марія", "clientPhone": "0671234567", "service": "Стрижка", "date": "2031-06-02",
               "startTime": "10:00", "endTime": "11:00", "price": 100}),
    )
    .await;
    set_role(&app, &admin, "manager", &only("appointments.edit.comment")).await;
    let one = app.get(&format!("/api/v1/appointments/{id}"), &manager.access).await;
    assert_eq!((one.body["clientPhone"].as_str(), one.body["clientName"].as_str()), (Some(""), Some("Марія")));
    assert_eq!(app.get("/api/v1/appointments", &manager.access).await.body[0]["clientPhone"], "");
    // The form sends the hidden phone back with a new comment: the phone stays.
    let res = app
        .put(&format!("/api/v1/appointments/{id}"), &manager.access, json!({"clientPhone": "", "notes": "пізніше"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let stored = app.get(&format!("/api/v1/appointments/{id}"), &admin.access).await.body;
    assert_eq!((stored["clientPhone"].as_str(), stored["notes"].as_str()), (Some("0671234567"), Some("пізніше")));
    set_role(&app, &admin, "manager", &only("appointments.view_clients_data")).await;
    assert_eq!(app.get(&format!("/api/v1/appointments/{id}"), &manager.access).await.body["clientPhone"], "0671234567");
}

#[tokio::test]
async fn staff_pay_needs_a_salary_or_staff_permission() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Pay").await;
    let manager = app.staff(&admin, "manager").await;
    let member = app.created_id(&admin,
        "/api/v1/staff",
        json!({"firstName": "Ірина", "position": "master", "salary": 15000, "commission": 10}),
    )
    .await;
    let path = format!("/api/v1/staff/{member}");
    let pay = |body: &Value| (body["salary"].as_f64(), body["commission"].as_f64());

    // A receptionist (calendar columns only) sees no pay.
    let receptionist = app.staff(&admin, "receptionist").await;
    let listed = app.get("/api/v1/staff", &receptionist.access).await;
    let row = listed.body.as_array().unwrap().iter().find(|s| s["id"] == member).unwrap().clone();
    assert_eq!(pay(&row), (Some(0.0), Some(0.0)));
    assert_eq!(pay(&app.get(&path, &receptionist.access).await.body), (Some(0.0), Some(0.0)));

    for id in ["finances.salary_calculation", "settings.staff.access"] {
        set_role(&app, &admin, "manager", &only(id)).await;
        assert_eq!(pay(&app.get(&path, &manager.access).await.body), (Some(15000.0), Some(10.0)), "{id}");
    }
    // Staff management alone changes the member, not the pay.
    let res = app.put(&path, &manager.access, json!({"salary": 1})).await;
    res.assert_error(403, "forbidden");
    assert_eq!(app.put(&path, &manager.access, json!({"firstName": "Іра"})).await.status, StatusCode::OK);
    set_role(&app, &admin, "manager", &only("settings.staff.access+finances.salary_schemes")).await;
    let res = app.put(&path, &manager.access, json!({"salary": 16000})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["salary"], 16000.0);
}

// ---------------------------------------------------------------------------------------------
// Findings of the permission review, each reproduced on the code before its fix.

/// A signed-in user of `role` whose staff profile is a new member (linked behind the API, as
/// an invitation through `/staff` would).
async fn member_with_account(app: &TestApp, admin: &Session, role: &str, first_name: &str) -> (Session, i64) {
    let who = app.staff(admin, role).await;
    let staff_id = app.created_id(admin,
        "/api/v1/staff",
        json!({"firstName": first_name, "lastName": "Майстер", "phone": "+380501112233", "position": "master"}),
    )
    .await;
    let mut su = app.su().await;
    sqlx::query("update staff set user_id = $1 where id = $2")
        .bind(who.user_id)
        .bind(staff_id)
        .execute(&mut su)
        .await
        .unwrap();
    app.touch(admin.salon_id()).await;
    (who, staff_id)
}

async fn booking(app: &TestApp, admin: &Session, client: i64, staff: i64, start: &str) -> i64 {
    let end = format!("{}:45", &start[..2]);
    app.created_id(admin,
        "/api/v1/appointments",
        json!({"clientName": "Клієнт", "clientPhone": "", "clientId": client, "service": "Стрижка",
               "date": "2031-06-02", "startTime": start, "endTime": end, "price": 100, "staffId": staff,
               "notes": "примітка"}),
    )
    .await
}

#[tokio::test]
async fn a_default_master_changes_only_the_comment_of_own_appointments() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Master").await;
    let (master, own_staff) = member_with_account(&app, &admin, "master", "Ірина").await;
    let other_staff = app.created_id(&admin, "/api/v1/staff", json!({"firstName": "Олена", "position": "master"})).await;
    let mine = app.client(&admin, "Марія", "0671234567").await;
    let theirs = app.client(&admin, "Оксана", "0501234567").await;
    let own = booking(&app, &admin, mine, own_staff, "10:00").await;
    let other = booking(&app, &admin, theirs, other_staff, "12:00").await;
    let own_path = format!("/api/v1/appointments/{own}");

    for change in [
        json!({"price": 1}),
        json!({"staffId": other_staff}),
        json!({"startTime": "11:00", "endTime": "11:45"}),
        json!({"endTime": "10:30"}),
        json!({"service": "Фарбування"}),
        json!({"clientId": theirs}),
        json!({"clientName": "Хтось", "clientPhone": "0931234567"}),
        json!({"status": "completed"}),
        json!({"status": "cancelled"}),
    ] {
        app.put(&own_path, &master.access, change.clone()).await.assert_error(403, "forbidden");
    }
    app.request(Method::PATCH, &format!("{own_path}/status"), Some(&master.access), Some(json!({"status": "completed"})))
        .await
        .assert_error(403, "forbidden");
    // Another master's appointment: not even its status.
    app.request(
        Method::PATCH,
        &format!("/api/v1/appointments/{other}/status"),
        Some(&master.access),
        Some(json!({"status": "confirmed"})),
    )
    .await
    .assert_error(403, "forbidden");
    app.put(&format!("/api/v1/appointments/{other}"), &master.access, json!({"notes": "x"}))
        .await
        .assert_error(403, "forbidden");

    // What the default row grants: the comment and the plain statuses of its own visits, with
    // the whole form sent back unchanged around them.
    let form = app.get(&own_path, &master.access).await.body;
    let mut body = form.clone();
    body["notes"] = json!("принесе фото");
    body["status"] = json!("confirmed");
    let res = app.put(&own_path, &master.access, body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let stored = app.get(&own_path, &admin.access).await.body;
    assert_eq!(stored["price"], form["price"]);
    assert_eq!(stored["staffId"], own_staff);
    assert_eq!(stored["clientId"], mine);
    assert_eq!(stored["notes"], "принесе фото");
    assert_eq!(app.get(&format!("/api/v1/appointments/{other}"), &admin.access).await.body["status"], "scheduled");
}

#[tokio::test]
async fn own_clients_stay_own_on_every_route() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Own").await;
    let (master, own_staff) = member_with_account(&app, &admin, "master", "Ірина").await;
    let other_staff = app.created_id(&admin, "/api/v1/staff", json!({"firstName": "Олена", "position": "master"})).await;
    let mine = app.client(&admin, "Марія", "0671234567").await;
    let theirs = app.client(&admin, "Оксана", "0501234567").await;
    let own = booking(&app, &admin, mine, own_staff, "10:00").await;
    let other = booking(&app, &admin, theirs, other_staff, "12:00").await;

    // The calendar keeps the other slot busy but hides its client.
    let day = app.get("/api/v1/appointments?date=2031-06-02", &master.access).await;
    assert_eq!(day.status, StatusCode::OK, "{}", day.text);
    let slot = day.body.as_array().unwrap().iter().find(|a| a["id"] == other).unwrap().clone();
    assert!(slot["clientId"].is_null(), "{slot}");
    assert_ne!(slot["clientName"], "Клієнт");
    assert_eq!((slot["clientPhone"].as_str(), slot["notes"].as_str()), (Some(""), Some("")));
    let mine_slot = day.body.as_array().unwrap().iter().find(|a| a["id"] == own).unwrap().clone();
    assert_eq!(mine_slot["clientId"], mine);
    let one = app.get(&format!("/api/v1/appointments/{other}"), &master.access).await.body;
    assert!(one["clientId"].is_null(), "{one}");

    // The records list holds only the master's own records.
    let records = app.get("/api/v1/overview/records?perPage=100", &master.access).await;
    assert_eq!(records.status, StatusCode::OK, "{}", records.text);
    let ids: Vec<i64> = records.body["data"].as_array().unwrap().iter().map(|r| r["id"].to_string().trim_matches('"').parse().unwrap()).collect();
    assert_eq!(ids, [own]);
    assert_eq!(records.body["meta"]["total"], 1);

    // Given the rights to edit, delete and pick clients, still only within its own clients.
    let mut list: Vec<String> = permissions::encode(&permissions::defaults_for(Role::Master));
    list.extend(["clients.card.edit", "clients.delete", "appointments.view_clients_dropdown"].map(str::to_owned));
    set_role(&app, &admin, "master", &list).await;
    app.put(&format!("/api/v1/clients/{theirs}"), &master.access, json!({"notes": "x"}))
        .await
        .assert_error(404, "not_found");
    app.request(Method::DELETE, &format!("/api/v1/clients/{theirs}"), Some(&master.access), None)
        .await
        .assert_error(404, "not_found");
    let res = app.put(&format!("/api/v1/appointments/{own}"), &master.access, json!({"clientId": theirs})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["clientId"].is_array(), "{}", res.text);
    let res = app
        .put(&format!("/api/v1/appointments/{own}"), &master.access, json!({"clientPhone": "+380501234567"}))
        .await;
    res.assert_error(422, "validation_error");
    app.get(&format!("/api/v1/clients/{theirs}"), &master.access).await.assert_error(404, "not_found");
    let stored = app.get(&format!("/api/v1/clients/{theirs}"), &admin.access).await.body;
    assert_eq!(stored["notes"], "");
    assert_eq!(app.put(&format!("/api/v1/clients/{mine}"), &master.access, json!({"notes": "ok"})).await.status, StatusCode::OK);
}

#[tokio::test]
async fn finance_writes_need_write_ids_and_the_till_keeps_working() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Money").await;
    let receptionist = app.staff(&admin, "receptionist").await;
    let manager = app.staff(&admin, "manager").await;
    const OPS: &str = "/api/v1/finances/operations";

    // The receptionist takes payments and refunds...
    let payment = app.created_id(&receptionist, OPS, json!({"type": "payment", "amount": 100})).await;
    app.created_id(&receptionist, OPS, json!({"type": "refund", "amount": 10})).await;
    // ...but moves no other money, corrects nothing and issues no documents.
    for kind in ["expense", "income", "withdrawal", "deposit"] {
        app.post(OPS, Some(&receptionist.access), json!({"type": kind, "amount": 5}))
            .await
            .assert_error(403, "forbidden");
    }
    app.put(&format!("{OPS}/{payment}"), &receptionist.access, json!({"description": "x"}))
        .await
        .assert_error(403, "forbidden");
    app.post(&format!("{OPS}/{payment}/reverse"), Some(&receptionist.access), json!({}))
        .await
        .assert_error(403, "forbidden");
    app.post("/api/v1/finances/documents", Some(&receptionist.access), json!({"type": "invoice", "amount": 5}))
        .await
        .assert_error(403, "forbidden");
    let mut su = app.su().await;
    let ops: i64 = sqlx::query_scalar("select count(*) from finance_operations").fetch_one(&mut su).await.unwrap();
    assert_eq!(ops, 2);

    // The manager's accounts-and-registers id does all of it.
    app.created_id(&manager, OPS, json!({"type": "expense", "amount": 5})).await;
    let res = app.put(&format!("{OPS}/{payment}"), &manager.access, json!({"description": "виправлено"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.created_id(&manager, &format!("{OPS}/{payment}/reverse"), json!({})).await;
    app.created_id(&manager, "/api/v1/finances/documents", json!({"type": "invoice", "amount": 5})).await;
    // Taking a payment needs the payment id even with every finance id.
    let without_payments: Vec<String> = everything_but("appointments.process_payment");
    set_role(&app, &admin, "manager", &without_payments).await;
    app.post(OPS, Some(&manager.access), json!({"type": "payment", "amount": 1})).await.assert_error(403, "forbidden");
    app.post("/api/v1/finances/receipts", Some(&manager.access), json!({"amount": 1}))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn only_administrators_create_change_or_deactivate_administrators() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Admins").await;
    let (second_admin, admin_staff) = member_with_account(&app, &admin, "admin", "Ганна").await;
    let manager = app.staff(&admin, "manager").await;
    set_role(&app, &admin, "manager", &only("settings.staff.access+settings.staff.manage_access")).await;

    // Staff deletion or deactivation of an administrator's profile.
    let path = format!("/api/v1/staff/{admin_staff}");
    app.request(Method::DELETE, &path, Some(&manager.access), None).await.assert_error(403, "forbidden");
    app.put(&path, &manager.access, json!({"isActive": false})).await.assert_error(403, "forbidden");
    // Inviting an administrator, through either route.
    let email = format!("boss-{}@example.com", common::rand_suffix());
    app.post("/api/v1/users", Some(&manager.access), json!({"email": email, "role": "admin"}))
        .await
        .assert_error(403, "forbidden");
    app.post(
        "/api/v1/staff",
        Some(&manager.access),
        json!({"firstName": "Бос", "position": "administrator", "email": email}),
    )
    .await
    .assert_error(403, "forbidden");
    // Promoting anyone, itself included, or changing an administrator's account.
    app.put(&format!("/api/v1/users/{}", manager.user_id), &manager.access, json!({"role": "admin"}))
        .await
        .assert_error(403, "forbidden");
    for change in [json!({"is_active": false}), json!({"role": "master"}), json!({"first_name": "X"})] {
        app.put(&format!("/api/v1/users/{}", second_admin.user_id), &manager.access, change)
            .await
            .assert_error(403, "forbidden");
    }
    // Nothing changed: the second administrator still works.
    assert_eq!(app.get("/api/v1/settings/roles", &second_admin.access).await.status, StatusCode::OK);
    let me = app.get("/api/v1/auth/me", &manager.access).await;
    assert_eq!(me.body["role"], "manager", "{}", me.text);
    // Other members stay the manager's to manage; administrators do the rest.
    let master = app.staff(&admin, "master").await;
    let res = app.put(&format!("/api/v1/users/{}", master.user_id), &manager.access, json!({"role": "receptionist"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.put(&format!("/api/v1/users/{}", manager.user_id), &admin.access, json!({"role": "admin"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.request(Method::DELETE, &path, Some(&admin.access), None).await.status, StatusCode::NO_CONTENT);
}

/// The rows of the "Клієнти" sheet of `GET /clients/export` as `who` gets it.
async fn exported_clients(app: &TestApp, who: &Session) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let res = app.client.get(app.url("/api/v1/clients/export")).bearer_auth(&who.access).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Клієнти").unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}
