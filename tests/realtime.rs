//! The WebSocket hub: salon and user scoping, handshake authentication, fan-out between two
//! server processes through Redis, both URLs, ping/pong and token expiry.

mod common;

use std::{net::SocketAddr, time::Duration};

use adelante::{AppState, ids::UserId, realtime::Event, tenancy::SalonId};
use common::{Session, TestApp};
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::{self, Message}};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a socket that should get nothing is watched.
const QUIET: Duration = Duration::from_millis(300);

async fn try_connect(addr: SocketAddr, path: &str, token: Option<&str>) -> Result<Ws, tungstenite::Error> {
    let url = match token {
        Some(t) => format!("ws://{addr}{path}?token={t}"),
        None => format!("ws://{addr}{path}"),
    };
    tokio_tungstenite::connect_async(url).await.map(|(ws, _)| ws)
}

async fn connect(app: &TestApp, who: &Session) -> Ws {
    try_connect(app.addr, "/ws", Some(&who.access)).await.expect("the socket opens")
}

/// The next text frame as JSON, skipping control frames; `None` when nothing comes in time.
async fn next_frame(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next()).await.ok()?;
        match msg.expect("the socket is open").expect("a valid frame") {
            Message::Text(text) => {
                let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                let keys: Vec<&String> = frame.as_object().expect("frames are objects").keys().collect();
                assert_eq!(keys, ["data", "type"], "a frame has exactly type and data: {text}");
                return Some(frame);
            }
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn expect_frame(ws: &mut Ws) -> Value {
    next_frame(ws, Duration::from_secs(5)).await.expect("a frame arrives")
}

async fn expect_nothing(ws: &mut Ws) {
    if let Some(frame) = next_frame(ws, QUIET).await {
        panic!("this socket must not receive {frame}");
    }
}

fn salon(who: &Session) -> SalonId {
    SalonId(who.salon_id())
}

#[tokio::test]
async fn a_salons_events_reach_its_sockets_and_no_others() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Salon A").await;
    let b = app.new_salon("Salon B").await;
    let (mut ws_a, mut ws_b) = (connect(&app, &a).await, connect(&app, &b).await);

    let event = Event::new("appointment:created", &json!({"id": 12, "clientName": "Олена"}));
    app.state.realtime.publish(salon(&a), &event).await;

    let frame = expect_frame(&mut ws_a).await;
    assert_eq!(frame, json!({"type": "appointment:created", "data": {"id": 12, "clientName": "Олена"}}));
    expect_nothing(&mut ws_b).await;
    expect_nothing(&mut ws_a).await;
}

#[tokio::test]
async fn user_targeted_events_reach_only_that_user() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let master = app.staff(&admin, "master").await;
    let (mut ws_admin, mut ws_master) = (connect(&app, &admin).await, connect(&app, &master).await);

    let event = Event::new("notification:new", &json!({"id": "1"})).for_user(UserId(master.user_id));
    app.state.realtime.publish(salon(&admin), &event).await;
    assert_eq!(expect_frame(&mut ws_master).await["data"]["id"], "1");
    expect_nothing(&mut ws_admin).await;

    app.state.realtime.publish(salon(&admin), &Event::new("appointment:deleted", &json!({"id": 3}))).await;
    assert_eq!(expect_frame(&mut ws_admin).await["type"], "appointment:deleted");
    assert_eq!(expect_frame(&mut ws_master).await["type"], "appointment:deleted");
}

/// Asserts a refused handshake: HTTP 401 with the error envelope, no upgrade.
async fn assert_refused(app: &TestApp, path: &str, token: Option<&str>) {
    match try_connect(app.addr, path, token).await {
        Err(tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 401, "{path} with {token:?}");
            let body: Value = serde_json::from_slice(res.body().as_deref().unwrap_or_default()).expect("a JSON body");
            assert_eq!(body["code"], "not_authenticated");
            assert!(body["message"].is_string());
        }
        Err(other) => panic!("expected an HTTP 401, got {other}"),
        Ok(_) => panic!("{path} with {token:?} must not upgrade"),
    }
}

#[tokio::test]
async fn bad_tokens_are_refused_at_the_handshake() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let key = jsonwebtoken::EncodingKey::from_secret(common::JWT_SECRET.as_bytes());

    let mut expired = common::claims(&admin.access);
    expired["iat"] = json!(1_600_000_000u64);
    expired["exp"] = json!(1_600_000_600u64);
    let expired = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &expired, &key).unwrap();
    let other_key = jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-123456");
    let forged = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &common::claims(&admin.access), &other_key).unwrap();

    for path in ["/ws", "/api/v1/ws"] {
        assert_refused(&app, path, None).await;
        assert_refused(&app, path, Some("not-a-token")).await;
        assert_refused(&app, path, Some(&expired)).await;
        assert_refused(&app, path, Some(&forged)).await;
    }

    // A signed-out session's access token is still unexpired but no longer opens a socket.
    let second = app.login_ok(&admin.email, common::PASSWORD).await;
    connect(&app, &second).await.close(None).await.unwrap();
    let out = app.request(Method::POST, "/api/v1/auth/logout", Some(&second.access), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    assert_refused(&app, "/ws", Some(&second.access)).await;
    connect(&app, &admin).await;

    // A valid token on a plain GET is a client error, not an upgrade.
    let plain = app.client.get(app.url(&format!("/ws?token={}", admin.access))).send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
}

/// The handshake is auth's principal check: a token used on another salon's address is 403
/// `tenant_mismatch`, and a token of a suspended salon is refused like any other (401).
#[tokio::test]
async fn another_salons_address_and_a_suspended_salon_are_refused_at_the_handshake() {
    use tungstenite::client::IntoClientRequest;

    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let mut su = app.su().await;
    let slug_of = |id: i64| sqlx::query_scalar::<_, String>("select slug from salons where id = $1").bind(id);
    let slug_a = slug_of(a.salon_id()).fetch_one(&mut su).await.unwrap();
    let slug_b = slug_of(b.salon_id()).fetch_one(&mut su).await.unwrap();
    let on_host = |slug: &str, who: &Session| {
        let mut req = format!("ws://{}/ws?token={}", app.addr, who.access).into_client_request().unwrap();
        req.headers_mut().insert("host", format!("{slug}.{}", common::BASE_DOMAIN).parse().unwrap());
        req
    };

    match tokio_tungstenite::connect_async(on_host(&slug_b, &a)).await {
        Err(tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 403);
            let body: Value = serde_json::from_slice(res.body().as_deref().unwrap_or_default()).expect("a JSON body");
            assert_eq!(body["code"], "tenant_mismatch");
        }
        Err(other) => panic!("expected an HTTP 403, got {other}"),
        Ok(_) => panic!("a token of another salon must not upgrade"),
    }
    // On its own salon's address the same token opens a socket.
    let (mut ws, _) = tokio_tungstenite::connect_async(on_host(&slug_a, &a)).await.expect("own salon's address");
    ws.close(None).await.unwrap();

    sqlx::query("update salons set status = 'suspended' where id = $1").bind(a.salon_id()).execute(&mut su).await.unwrap();
    app.touch(a.salon_id()).await;
    assert_refused(&app, "/ws", Some(&a.access)).await;
    connect(&app, &b).await;
}

#[tokio::test]
async fn two_processes_on_one_redis_see_each_others_events_once() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let master = app.staff(&admin, "master").await;

    let second = AppState::connect(common::test_config(&app.db_name, &app.outbox, &[])).await.expect("second process");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second_addr = listener.local_addr().unwrap();
    let router = adelante::app::app(second.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let mut on_first = connect(&app, &admin).await;
    let mut on_second = try_connect(second_addr, "/api/v1/ws", Some(&master.access)).await.expect("second opens");

    app.state.realtime.publish(salon(&admin), &Event::new("appointment:created", &json!({"id": 1}))).await;
    assert_eq!(expect_frame(&mut on_second).await["data"]["id"], 1);
    assert_eq!(expect_frame(&mut on_first).await["data"]["id"], 1);

    second.realtime.publish(salon(&admin), &Event::new("appointment:updated", &json!({"id": 2}))).await;
    assert_eq!(expect_frame(&mut on_first).await["data"]["id"], 2);
    assert_eq!(expect_frame(&mut on_second).await["data"]["id"], 2);

    // Exactly once: nothing else follows on either side.
    expect_nothing(&mut on_first).await;
    expect_nothing(&mut on_second).await;

    // A user-targeted event crosses processes too, to that user only.
    app.state.realtime.publish(salon(&admin), &Event::new("notification:new", &json!({"id": "9"})).for_user(UserId(master.user_id))).await;
    assert_eq!(expect_frame(&mut on_second).await["data"]["id"], "9");
    expect_nothing(&mut on_first).await;
    server.abort();
}

#[tokio::test]
async fn both_socket_paths_serve_events() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let mut short = try_connect(app.addr, "/ws", Some(&admin.access)).await.expect("/ws opens");
    let mut prefixed = try_connect(app.addr, "/api/v1/ws", Some(&admin.access)).await.expect("/api/v1/ws opens");

    app.state.realtime.publish(salon(&admin), &Event::new("appointment:created", &json!({"id": 5}))).await;
    assert_eq!(expect_frame(&mut short).await["data"]["id"], 5);
    assert_eq!(expect_frame(&mut prefixed).await["data"]["id"], 5);
}

#[tokio::test]
async fn a_ping_frame_is_answered_with_pong_and_other_frames_are_ignored() {
    let metrics_token = "metrics-token-0123456789";
    let app = TestApp::spawn_with(&[("METRICS_TOKEN", metrics_token)]).await;
    let admin = app.new_salon("Salon").await;
    let mut ws = connect(&app, &admin).await;

    ws.send(Message::text(r#"{"type":"ping"}"#)).await.unwrap();
    assert_eq!(expect_frame(&mut ws).await, json!({"type": "pong", "data": null}));

    ws.send(Message::text(r#"{"type":"hello","data":{}}"#)).await.unwrap();
    ws.send(Message::text("not json")).await.unwrap();
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    expect_nothing(&mut ws).await;
    ws.send(Message::text(r#"{"type":"ping","data":null}"#)).await.unwrap();
    assert_eq!(expect_frame(&mut ws).await["type"], "pong");

    let metrics =
        app.client.get(app.url("/metrics")).bearer_auth(metrics_token).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("ws_connections"), "{metrics}");

    // A client close is answered and ends the connection.
    ws.close(None).await.unwrap();
    let rest: Vec<_> = tokio::time::timeout(Duration::from_secs(5), ws.collect::<Vec<_>>()).await.expect("the server closes");
    assert!(rest.iter().all(|m| matches!(m, Ok(Message::Close(_)))), "{rest:?}");
}

#[tokio::test]
async fn the_socket_closes_when_its_token_expires() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let mut short_lived = common::claims(&admin.access);
    short_lived["exp"] = json!(now + 2);
    let key = jsonwebtoken::EncodingKey::from_secret(common::JWT_SECRET.as_bytes());
    let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &short_lived, &key).unwrap();

    let mut ws = try_connect(app.addr, "/ws", Some(&token)).await.expect("an unexpired token opens");
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("the server closes the socket when the token expires");
    assert_eq!(u16::from(closed.expect("a close code").code), 4001);
}

/// A TCP proxy to Redis whose connections the test can cut, as a network failure would.
struct CuttableProxy {
    url: String,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl CuttableProxy {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let redis: url::Url = common::redis_url().parse().unwrap();
        let upstream = format!("{}:{}", redis.host_str().unwrap(), redis.port().unwrap_or(6379));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let held = links.clone();
        let acceptor = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                held.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        CuttableProxy { url, links, acceptor }
    }

    /// Drops every connection made so far; new ones still go through.
    fn cut(&self) {
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

#[tokio::test]
async fn the_listener_resubscribes_after_losing_redis() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let proxy = CuttableProxy::start().await;
    let config = common::test_config(&app.db_name, &app.outbox, &[("REDIS_URL", &proxy.url)]);
    let behind_proxy = AppState::connect(config).await.expect("a process behind the proxy");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = adelante::app::app(behind_proxy).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let mut ws = try_connect(addr, "/ws", Some(&admin.access)).await.expect("the socket opens");

    app.state.realtime.publish(salon(&admin), &Event::new("appointment:created", &json!({"id": 0}))).await;
    assert_eq!(expect_frame(&mut ws).await["data"]["id"], 0);

    proxy.cut();
    // Events published while the listener reconnects are lost; once it is back they flow again.
    let mut delivered = None;
    for attempt in 1..=20 {
        app.state.realtime.publish(salon(&admin), &Event::new("appointment:updated", &json!({"id": attempt}))).await;
        if let Some(frame) = next_frame(&mut ws, QUIET).await {
            delivered = Some(frame);
            break;
        }
    }
    let frame = delivered.expect("the listener resubscribed within a few seconds");
    assert_eq!(frame["type"], "appointment:updated");
    expect_nothing(&mut ws).await;
    server.abort();
    proxy.acceptor.abort();
}

// ---- Events follow the receiver's permissions and scope; sockets follow their session ----

/// How long a socket may take to notice that its session ended: the revalidation period
/// (2 s) with room for a loaded machine.
const REVOCATION_WAIT: Duration = Duration::from_secs(10);

async fn connect_to(addr: SocketAddr, who: &Session) -> Ws {
    try_connect(addr, "/ws", Some(&who.access)).await.expect("the socket opens")
}

/// The next frame's type, skipping events of other kinds the test is not about.
async fn expect_kind(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let frame = expect_frame(ws).await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

/// Asserts the server closes the socket with `code` within [`REVOCATION_WAIT`], sending no
/// event frame first; answers the close reason.
async fn expect_closed(ws: &mut Ws, code: u16) -> String {
    let frame = tokio::time::timeout(REVOCATION_WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .expect("the server closes the socket within seconds")
    .expect("a close code");
    assert_eq!(u16::from(frame.code), code, "{frame:?}");
    frame.reason.to_string()
}

async fn create_operation(app: &TestApp, who: &Session, description: &str) -> i64 {
    let res = app
        .post("/api/v1/finances/operations", Some(&who.access),
              json!({"type": "expense", "amount": 12.5, "cashRegister": "Основна каса", "description": description}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_i64().unwrap()
}

/// A role's current permission list, changed by `edit`, saved through the roles page's route.
async fn edit_role(app: &TestApp, admin: &Session, role: &str, edit: impl FnOnce(&mut Vec<String>)) {
    let roles = app.get("/api/v1/settings/roles", &admin.access).await;
    assert_eq!(roles.status, StatusCode::OK, "{}", roles.text);
    let mut list: Vec<String> = roles.body.as_array().unwrap().iter().find(|r| r["role"] == role).unwrap()["permissions"]
        .as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    edit(&mut list);
    let put = app.put(&format!("/api/v1/settings/roles/{role}"), &admin.access, json!({"permissions": list})).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
}

#[tokio::test]
async fn finance_events_reach_only_users_who_may_see_finances_on_every_process() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let master = one.staff(&admin, "master").await;
    let receptionist = one.staff(&admin, "receptionist").await;
    let mut admin_one = connect_to(one.addr, &admin).await;
    let mut admin_two = connect_to(two.addr, &admin).await;
    let mut master_one = connect_to(one.addr, &master).await;
    let mut master_two = connect_to(two.addr, &master).await;
    let mut receptionist_two = connect_to(two.addr, &receptionist).await;

    let op = create_operation(&one, &admin, "Оренда").await;
    for ws in [&mut admin_one, &mut admin_two, &mut receptionist_two] {
        let frame = expect_kind(ws, "operation:created").await;
        assert_eq!(frame["data"]["id"], op);
    }
    expect_nothing(&mut master_one).await;
    expect_nothing(&mut master_two).await;

    // An event without an audience still reaches the master: the sockets are alive.
    app_wide(&one, &admin).await;
    assert_eq!(expect_frame(&mut master_one).await["type"], "appointment:created");
    assert_eq!(expect_frame(&mut master_two).await["type"], "appointment:created");
}

/// Publishes a salon-wide event with no audience, straight through the hub.
async fn app_wide(app: &TestApp, who: &Session) {
    app.state.realtime.publish(salon(who), &Event::new("appointment:created", &json!({"id": 0}))).await;
}

/// A master limited to own clients (the default) and a staff profile linked to them.
async fn master_with_profile(app: &TestApp, admin: &Session) -> (Session, i64) {
    let address = format!("master-{}@example.com", common::rand_suffix());
    let member = app
        .post("/api/v1/staff", Some(&admin.access),
              json!({"firstName": "Ірина", "lastName": "Майстер", "phone": "+380501112233", "position": "master", "email": address}))
        .await;
    assert_eq!(member.status, StatusCode::CREATED, "{}", member.text);
    app.open_invitation(&address).await;
    let setup = app.post("/api/v1/auth/setup", None, json!({"email": address, "password": common::PASSWORD})).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    (Session::from_answer(&setup.body, &address), member.body["id"].as_i64().unwrap())
}

async fn create_client(app: &TestApp, admin: &Session, first_name: &str, phone: &str) -> i64 {
    let res = app
        .post("/api/v1/clients", Some(&admin.access),
              json!({"firstName": first_name, "lastName": "", "phone": phone, "email": "", "cardNumber": "",
                     "birthDate": "1990-5-3", "gender": "female", "source": "regular", "discount": 0, "bonusBalance": 0}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_i64().unwrap()
}

async fn book(app: &TestApp, admin: &Session, client: i64, name: &str, staff: Option<i64>, start: &str) -> i64 {
    let res = app
        .post("/api/v1/appointments", Some(&admin.access),
              json!({"clientName": name, "clientPhone": "", "clientId": client, "service": "Стрижка",
                     "date": "2031-06-02", "startTime": start, "endTime": format!("{}:30", &start[..2]),
                     "status": "scheduled", "type": "standard", "notes": "", "price": 100, "staffId": staff}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_user_limited_to_own_clients_gets_only_their_clients_events() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let (master, staff_id) = master_with_profile(&one, &admin).await;
    let served = create_client(&one, &admin, "Марія", "0671234567").await;
    let other = create_client(&one, &admin, "Олена", "0501112233").await;
    let mut on_one = connect_to(one.addr, &master).await;
    let mut on_two = connect_to(two.addr, &master).await;
    let mut admin_ws = connect_to(one.addr, &admin).await;

    // Their own visit reaches them (the client is theirs from then on), with its notification.
    let visit = book(&one, &admin, served, "Марія", Some(staff_id), "10:00").await;
    assert_eq!(expect_frame(&mut admin_ws).await["data"]["id"], visit);
    for ws in [&mut on_one, &mut on_two] {
        let frame = expect_frame(ws).await;
        assert_eq!((frame["type"].as_str(), frame["data"]["id"].as_i64()), (Some("appointment:created"), Some(visit)));
        assert_eq!(expect_frame(ws).await["type"], "notification:new");
    }
    // A visit of another client with nobody assigned reaches them as the calendar shows it:
    // the slot, not the client.
    let unassigned = book(&one, &admin, other, "Олена", None, "12:00").await;
    let full = expect_frame(&mut admin_ws).await;
    assert_eq!((full["data"]["id"].as_i64(), full["data"]["clientName"].as_str()), (Some(unassigned), Some("Олена")));
    for ws in [&mut on_one, &mut on_two] {
        let frame = expect_frame(ws).await;
        assert_eq!((frame["type"].as_str(), frame["data"]["id"].as_i64()), (Some("appointment:created"), Some(unassigned)));
        for hidden in ["clientId", "clientName", "clientPhone", "notes"] {
            assert!(frame["data"].get(hidden).is_none(), "{hidden} in {frame}");
        }
        assert_eq!(frame["data"]["startTime"], "12:00");
    }

    let res = one.put(&format!("/api/v1/clients/{other}"), &admin.access, json!({"notes": "VIP"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(expect_kind(&mut admin_ws, "client:updated").await["data"]["id"], other);
    let res = two.put(&format!("/api/v1/clients/{served}"), &admin.access, json!({"notes": "Постійна"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut frames = Vec::new();
    for ws in [&mut on_one, &mut on_two, &mut admin_ws] {
        let frame = expect_frame(ws).await;
        assert_eq!((frame["type"].as_str(), frame["data"]["id"].as_i64()), (Some("client:updated"), Some(served)), "{frame}");
        frames.push(frame);
    }
    // Without `clients.card.show_phone` and `clients.loyalty.view` (the master's defaults) the
    // phone and the bonus balance are left out; the note (`clients.card.view_note`) is kept.
    assert_eq!(frames[2]["data"]["phone"], "+380671234567");
    assert_eq!(frames[2]["data"]["notes"], "Постійна");
    assert!(frames[2]["data"].get("bonusBalance").is_some(), "{}", frames[2]);
    for frame in &frames[..2] {
        assert!(frame["data"].get("phone").is_none(), "{frame}");
        assert!(frame["data"].get("bonusBalance").is_none(), "{frame}");
        assert_eq!(frame["data"]["notes"], "Постійна");
        assert_eq!(frame["data"]["firstName"], "Марія");
    }
    expect_nothing(&mut on_one).await;
    expect_nothing(&mut on_two).await;

    // Switched to every client, the open sockets get the other client's events too.
    edit_role(&two, &admin, "master", |list| {
        list.retain(|p| !p.starts_with("clients.show"));
        list.push("clients.show:all".into());
    })
    .await;
    let res = one.put(&format!("/api/v1/clients/{other}"), &admin.access, json!({"notes": "VIP!"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(expect_kind(&mut on_one, "client:updated").await["data"]["id"], other);
    assert_eq!(expect_kind(&mut on_two, "client:updated").await["data"]["id"], other);

    // Back to own clients: their only visit with that client is deleted, so the client is no
    // longer theirs and the client's events stop reaching them.
    edit_role(&one, &admin, "master", |list| {
        list.retain(|p| !p.starts_with("clients.show"));
        list.push("clients.show:own".into());
    })
    .await;
    let res = one.request(Method::DELETE, &format!("/api/v1/appointments/{visit}"), Some(&admin.access), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    for ws in [&mut on_one, &mut on_two] {
        assert_eq!(expect_kind(ws, "appointment:deleted").await["data"]["id"], visit);
    }
    let res = one.put(&format!("/api/v1/clients/{served}"), &admin.access, json!({"notes": "Колишня"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    while expect_kind(&mut admin_ws, "client:updated").await["data"]["id"] != served {}
    for ws in [&mut on_one, &mut on_two] {
        let frame = expect_frame(ws).await;
        assert_eq!(frame["type"], "notification:new", "only the deletion's notification follows: {frame}");
        expect_nothing(ws).await;
    }
}

#[tokio::test]
async fn a_permission_edited_live_applies_to_open_sockets() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let receptionist = one.staff(&admin, "receptionist").await;
    let mut on_one = connect_to(one.addr, &receptionist).await;
    let mut on_two = connect_to(two.addr, &receptionist).await;

    create_operation(&one, &admin, "Перша").await;
    assert_eq!(expect_kind(&mut on_one, "operation:created").await["data"]["description"], "Перша");
    assert_eq!(expect_kind(&mut on_two, "operation:created").await["data"]["description"], "Перша");

    // The finances module is switched off for receptionists: the very next event is held back.
    edit_role(&one, &admin, "receptionist", |list| list.retain(|p| !p.starts_with("finances"))).await;
    create_operation(&two, &admin, "Друга").await;
    expect_nothing(&mut on_one).await;
    expect_nothing(&mut on_two).await;

    // And switched back on.
    edit_role(&two, &admin, "receptionist", |list| list.extend(["finances".into(), "finances.movements.view".into()])).await;
    create_operation(&one, &admin, "Третя").await;
    assert_eq!(expect_kind(&mut on_one, "operation:created").await["data"]["description"], "Третя");
    assert_eq!(expect_kind(&mut on_two, "operation:created").await["data"]["description"], "Третя");
}

#[tokio::test]
async fn a_signed_out_session_loses_its_sockets_within_seconds() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let master = one.staff(&admin, "master").await;
    let mut on_one = connect_to(one.addr, &master).await;
    let mut on_two = connect_to(two.addr, &master).await;
    let mut admin_ws = connect_to(two.addr, &admin).await;

    let out = one.request(Method::POST, "/api/v1/auth/logout", Some(&master.access), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    // Nothing is published: the periodic check closes both.
    assert_eq!(expect_closed(&mut on_one, 4003).await, "not_authenticated");
    assert_eq!(expect_closed(&mut on_two, 4003).await, "not_authenticated");
    // Other sessions of the salon stay.
    app_wide(&one, &admin).await;
    assert_eq!(expect_frame(&mut admin_ws).await["type"], "appointment:created");
}

#[tokio::test]
async fn an_event_after_sign_out_closes_the_socket_instead_of_reaching_it() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let second = app.login_ok(&admin.email, common::PASSWORD).await;
    let mut ws = connect(&app, &second).await;

    let out = app.request(Method::POST, "/api/v1/auth/logout", Some(&second.access), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.text);
    app_wide(&app, &admin).await;
    assert_eq!(expect_closed(&mut ws, 4003).await, "not_authenticated");
}

#[tokio::test]
async fn a_deactivated_account_loses_its_sockets_within_seconds() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let receptionist = one.staff(&admin, "receptionist").await;
    let mut on_one = connect_to(one.addr, &receptionist).await;
    let mut on_two = connect_to(two.addr, &receptionist).await;

    let off = two.put(&format!("/api/v1/users/{}", receptionist.user_id), &admin.access, json!({"is_active": false})).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    // Deactivation also ends the sessions: either reason is a revocation.
    for ws in [&mut on_one, &mut on_two] {
        let reason = expect_closed(ws, 4003).await;
        assert!(["account_inactive", "not_authenticated"].contains(&reason.as_str()), "{reason}");
    }
    assert_refused(&one, "/ws", Some(&receptionist.access)).await;
}

#[tokio::test]
async fn a_password_change_closes_the_other_sessions_sockets_within_seconds() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let other_device = one.login_ok(&admin.email, common::PASSWORD).await;
    let mut this_one = connect_to(one.addr, &admin).await;
    let mut other_one = connect_to(one.addr, &other_device).await;
    let mut other_two = connect_to(two.addr, &other_device).await;

    let res = two
        .post("/api/v1/auth/change-password", Some(&admin.access),
              json!({"old_password": common::PASSWORD, "new_password": "brand-new-password"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(expect_closed(&mut other_one, 4003).await, "not_authenticated");
    assert_eq!(expect_closed(&mut other_two, 4003).await, "not_authenticated");
    // The device that changed it keeps its session and its socket.
    app_wide(&one, &admin).await;
    assert_eq!(expect_frame(&mut this_one).await["type"], "appointment:created");
}
