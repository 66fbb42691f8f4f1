//! A WebSocket of the web app, as a signed-in user opens it.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

use super::{Session, TestApp};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn connect(app: &TestApp, who: &Session) -> Ws {
    let url = format!("ws://{}/ws?token={}", app.addr, who.access);
    tokio_tungstenite::connect_async(url).await.expect("the socket opens").0
}

/// The next frame of type `kind`, skipping others; panics after 10 s.
pub async fn expect(ws: &mut Ws, kind: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} frame arrived"))
            .expect("the socket is open")
            .expect("a valid frame");
        if let Message::Text(text) = msg {
            let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
            if frame["type"] == kind {
                return frame;
            }
        }
    }
}
