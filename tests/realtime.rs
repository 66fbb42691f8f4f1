//! The WebSocket hub: salon and user scoping, handshake authentication, fan-out between two
//! server processes through Redis, both URLs, ping/pong and token expiry.

mod common;

use std::{net::SocketAddr, time::Duration};

use adelante::{AppState, realtime::Event, tenancy::SalonId};
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

    let event = Event::new("notification:new", &json!({"id": "1"})).for_user(master.user_id);
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

#[tokio::test]
async fn two_processes_on_one_redis_see_each_others_events_once() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let master = app.staff(&admin, "master").await;

    let second = AppState::connect(common::test_config(&app.db_name, &app.outbox, &[])).await.expect("second process");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second_addr = listener.local_addr().unwrap();
    let router = adelante::http::app(second.clone()).into_make_service_with_connect_info::<SocketAddr>();
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
    app.state.realtime.publish(salon(&admin), &Event::new("notification:new", &json!({"id": "9"})).for_user(master.user_id)).await;
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
    let app = TestApp::spawn().await;
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

    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
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
    let router = adelante::http::app(behind_proxy).into_make_service_with_connect_info::<SocketAddr>();
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
