//! Notifications: the owner's list (envelope, order, filters), read marks, deletion; nobody
//! else reaches them; `notification:new` goes to the owner's sockets only.

mod common;

use std::time::Duration;

use adelante::{
    ids::UserId,
    notifications::{self, NewNotification, Notification},
    tenancy::SalonId,
};
use common::{Res, Session, TestApp};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// What another module does: create inside its own transaction, then commit.
async fn notify(app: &TestApp, owner: &Session, kind: &str, title: &str, link: Option<&str>) -> Notification {
    let salon = SalonId(owner.salon_id());
    let mut tx = app.state.db.begin(salon).await.unwrap();
    let n = notifications::create(&mut tx, NewNotification {
        user_id: UserId(owner.user_id), kind, title, message: "Деталі", link,
    })
    .await
    .expect("created");
    tx.commit().await.unwrap();
    n
}

async fn patch(app: &TestApp, path: &str, who: &Session) -> Res {
    // No body and no Content-Type, as axios sends these calls.
    app.request(Method::PATCH, path, Some(&who.access), None).await
}

async fn delete(app: &TestApp, path: &str, who: &Session) -> Res {
    app.request(Method::DELETE, path, Some(&who.access), None).await
}

fn ids(list: &Res) -> Vec<String> {
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    list.body["data"].as_array().unwrap().iter().map(|n| n["id"].as_str().expect("ids are strings").to_owned()).collect()
}

#[tokio::test]
async fn a_user_lists_reads_and_deletes_their_notifications() {
    let app = TestApp::spawn().await;
    let me = app.new_salon("Salon").await;
    let first = notify(&app, &me, "info", "Перше", None).await;
    let second = notify(&app, &me, "success", "Друге", Some("/calendar")).await;
    let third = notify(&app, &me, "warning", "Третє", None).await;
    let (n1, n2, n3) = (first.id.to_string(), second.id.to_string(), third.id.to_string());

    let read = patch(&app, &format!("/api/v1/notifications/{n3}/read"), &me).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!((&read.body["id"], &read.body["read"], &read.body["isRead"]), (&json!(n3), &json!(true), &json!(true)));
    assert_eq!(read.body["title"], "Третє");

    let list = app.get("/api/v1/notifications", &me.access).await;
    assert_eq!(ids(&list), [n2.as_str(), n1.as_str(), n3.as_str()], "unread first, then newest first");
    assert_eq!(list.body["meta"], json!({"page": 1, "perPage": 20, "total": 3, "totalPages": 1}));
    for n in list.body["data"].as_array().unwrap() {
        assert_eq!(n["read"], n["isRead"], "{n}");
        assert!(n["read"].is_boolean() && n["createdAt"].is_string() && n["message"] == "Деталі", "{n}");
    }
    let linked = &list.body["data"][0];
    assert_eq!((&linked["type"], &linked["title"], &linked["link"]), (&json!("success"), &json!("Друге"), &json!("/calendar")));
    assert_eq!(serde_json::to_value(&second).unwrap(), *linked, "create returns what the list shows");

    let page2 = app.get("/api/v1/notifications?page=2&perPage=2", &me.access).await;
    assert_eq!(ids(&page2), [n3.as_str()]);
    assert_eq!(page2.body["meta"], json!({"page": 2, "perPage": 2, "total": 3, "totalPages": 2}));
    assert_eq!(ids(&app.get("/api/v1/notifications?unreadOnly=true", &me.access).await), [n2.as_str(), n1.as_str()]);
    assert_eq!(ids(&app.get("/api/v1/notifications?read=false", &me.access).await), [n2.as_str(), n1.as_str()]);
    assert_eq!(ids(&app.get("/api/v1/notifications?read=true", &me.access).await), [n3.as_str()]);
    let widest = app.get("/api/v1/notifications?perPage=100&unreadOnly=", &me.access).await;
    assert_eq!(widest.body["meta"]["perPage"], 100, "{}", widest.text);
    for (query, field) in [("perPage=500", "perPage"), ("page=0", "page")] {
        let res = app.get(&format!("/api/v1/notifications?{query}"), &me.access).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{query}: {}", res.text);
    }

    let all = patch(&app, "/api/v1/notifications/read-all", &me).await;
    assert_eq!((all.status, &all.body), (StatusCode::OK, &json!({"updated": 2})), "{}", all.text);
    assert_eq!(patch(&app, "/api/v1/notifications/read-all", &me).await.body, json!({"updated": 0}));
    let unread: i64 = sqlx::query_scalar("select count(*) from notifications where read_at is null")
        .fetch_one(&mut app.su().await).await.unwrap();
    assert_eq!(unread, 0);

    let gone = delete(&app, &format!("/api/v1/notifications/{n1}"), &me).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    delete(&app, &format!("/api/v1/notifications/{n1}"), &me).await.assert_error(404, "not_found");
    patch(&app, &format!("/api/v1/notifications/{n1}/read"), &me).await.assert_error(404, "not_found");
    assert_eq!(ids(&app.get("/api/v1/notifications", &me.access).await), [n3, n2]);
}

#[tokio::test]
async fn nobody_else_reaches_a_users_notifications() {
    let app = TestApp::spawn().await;
    let owner = app.new_salon("Salon A").await;
    let colleague = app.staff(&owner, "manager").await;
    // The colleague's own notice that their account was set up, removed before the test proper.
    let own = ids(&app.get("/api/v1/notifications", &colleague.access).await);
    assert_eq!(own.len(), 1);
    let gone = delete(&app, &format!("/api/v1/notifications/{}", own[0]), &colleague).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    let stranger = app.new_salon("Salon B").await;
    let n = notify(&app, &owner, "info", "Моє", None).await;
    let id = n.id;

    for other in [&colleague, &stranger] {
        patch(&app, &format!("/api/v1/notifications/{id}/read"), other).await.assert_error(404, "not_found");
        delete(&app, &format!("/api/v1/notifications/{id}"), other).await.assert_error(404, "not_found");
        assert_eq!(patch(&app, "/api/v1/notifications/read-all", other).await.body, json!({"updated": 0}));
        let list = app.get("/api/v1/notifications", &other.access).await;
        assert!(ids(&list).is_empty(), "{}", list.text);
        assert_eq!(list.body["meta"]["total"], 0);
    }
    app.request(Method::GET, "/api/v1/notifications", None, None).await.assert_error(401, "not_authenticated");

    let mut su = app.su().await;
    let (exists, unread): (bool, bool) = sqlx::query_as(
        "select true, read_at is null from notifications where salon_id = $1 and id = $2")
        .bind(owner.salon_id()).bind(id).fetch_one(&mut su).await.unwrap();
    assert!(exists && unread, "nothing changed");
    // The owner's list: their notification, and the notice that the colleague set up an account.
    assert_eq!(ids(&app.get("/api/v1/notifications", &owner.access).await)[0], id.to_string());

    // A salon cannot address a notification to another salon's user.
    let mut tx = app.state.db.begin(SalonId(owner.salon_id())).await.unwrap();
    let crossed = notifications::create(&mut tx, NewNotification {
        user_id: UserId(stranger.user_id), kind: "info", title: "x", message: "", link: None,
    })
    .await;
    assert!(matches!(crossed, Err(adelante::error::AppError::NotFound)), "{crossed:?}");
    drop(tx);
    let theirs: i64 = sqlx::query_scalar("select count(*) from notifications where user_id = $1")
        .bind(stranger.user_id).fetch_one(&mut su).await.unwrap();
    assert_eq!(theirs, 0);
}

async fn socket(app: &TestApp, who: &Session) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("ws://{}/ws?token={}", app.addr, who.access);
    tokio_tungstenite::connect_async(url).await.expect("the socket opens").0
}

/// The next text frame within `wait`, as JSON.
async fn next_text<S>(ws: &mut S, wait: Duration) -> Option<Value>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await.ok()?? {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_new_notification_is_pushed_to_its_owner_only() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon A").await;
    let master = app.staff(&admin, "master").await;
    let stranger = app.new_salon("Salon B").await;
    let (mut to_admin, mut to_master, mut to_stranger) =
        (socket(&app, &admin).await, socket(&app, &master).await, socket(&app, &stranger).await);

    let n = notify(&app, &master, "success", "Новий запис", Some("/calendar")).await;
    notifications::announce(&app.state.realtime, SalonId(admin.salon_id()), &n).await;

    let frame = next_text(&mut to_master, Duration::from_secs(5)).await.expect("the owner is told");
    assert_eq!(frame["type"], "notification:new");
    let data = &frame["data"];
    assert_eq!(data, &serde_json::to_value(&n).unwrap(), "data is the object as REST returns it");
    assert_eq!((&data["id"], &data["isRead"], &data["read"]), (&json!(n.id.to_string()), &json!(false), &json!(false)));
    let listed = app.get("/api/v1/notifications", &master.access).await;
    assert_eq!(listed.body["data"][0], *data);

    for ws in [&mut to_admin, &mut to_stranger] {
        assert!(next_text(ws, Duration::from_millis(300)).await.is_none(), "only the owner is told");
    }
}
