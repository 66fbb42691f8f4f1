//! SMTP delivery: lettre's SMTP client on sockets with `TCP_NODELAY`, kept and reused.
//!
//! Why not lettre's own `AsyncSmtpTransport`: lettre 0.11.23 leaves Nagle's algorithm on and
//! writes a message's body and its closing `.` as two writes, so the dot waits for the server's
//! delayed ACK (40 ms on Linux) on every message, and one connection carries at most ~25 mails a
//! second (the reminder bench: 88 reminders/s with four jobs at a time against the loopback
//! server, 757/s with delayed ACKs turned off on loopback). lettre fixed it upstream (lettre#1159)
//! after 0.11.23; once a release carries the fix, this module gives way to `AsyncSmtpTransport`
//! again. Only the socket and the pool are ours: lettre's `AsyncSmtpConnection` speaks the
//! protocol (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA) and does the TLS.
//!
//! `SMTP_URL` reads as lettre reads it: `smtp://host` plain (port 25), `smtp://host?tls=required`
//! STARTTLS or nothing (`tls=opportunistic`: STARTTLS when offered; port 587), `smtps://host`
//! TLS from the first byte (port 465); `user:password@` (percent-encoded) to authenticate; a path
//! (`smtp://host/mail.example.com`) names the EHLO domain.

use std::{
    io,
    net::SocketAddr,
    pin::Pin,
    sync::Mutex,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
// `AsyncNetworkStream` is lettre's socket type, public but deprecated ("not meant to be made
// public"); `smtps://` uses it to have lettre's own TLS set up on our socket. It stays in 0.11
// (semver), and this module goes once lettre's transport sets TCP_NODELAY itself.
#[allow(deprecated)]
use lettre::{
    Message,
    transport::smtp::{
        authentication::{Credentials, Mechanism},
        client::{AsyncNetworkStream, AsyncSmtpConnection, AsyncTokioStream, TlsParameters},
        extension::ClientId,
    },
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::TcpStream,
};
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};

/// Connections kept open between mails, at most.
const MAX_IDLE: usize = 16;
/// A connection idle this long is closed rather than reused (servers drop idle clients).
const IDLE_FOR: Duration = Duration::from_secs(60);
/// Connecting and one mail's whole exchange, each.
const TIMEOUT: Duration = Duration::from_secs(60);

/// An SMTP server and the connections kept open to it.
pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<Idle>>,
}

enum Security {
    Plain,
    StartTls { tls: TlsParameters, required: bool },
    /// TLS from the first byte (`smtps://`).
    Implicit(TlsParameters),
}

struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

impl Smtp {
    /// The server of `SMTP_URL` (see the module's documentation).
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(url).context("SMTP_URL is not a URL")?;
        let host = url.host_str().context("SMTP_URL names no host")?.to_owned();
        let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
        let tls_for = || TlsParameters::new(host.clone()).context("TLS settings for SMTP_URL");
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTls { tls: tls_for()?, required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { tls: tls_for()?, required: false }, 587),
            ("smtps", _) => (Security::Implicit(tls_for()?), 465),
            (scheme, tls) => bail!(
                "SMTP_URL: scheme {scheme:?} with tls={tls:?} is not one of smtp://, smtp://…?tls=required, \
                 smtp://…?tls=opportunistic, smtps://"
            ),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = url.password().map(|password| Credentials::new(decode(url.username()), decode(password)));
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Hands `message` to the server. An error the server answered is lettre's
    /// [`lettre::transport::smtp::Error`] (see [`super::refused`]); the connection it happened
    /// on is closed, never reused.
    pub async fn send(&self, message: &Message) -> anyhow::Result<()> {
        let bytes = message.formatted();
        let exchange = async {
            let mut conn = self.connection().await?;
            conn.send(message.envelope(), &bytes).await?;
            self.park(conn);
            anyhow::Ok(())
        };
        // Dropped on timeout, the connection closes with the future.
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| anyhow::anyhow!("the mail server did not finish within {} s", TIMEOUT.as_secs()))?
    }

    /// A kept connection that still answers, or a new one.
    async fn connection(&self) -> anyhow::Result<AsyncSmtpConnection> {
        loop {
            let kept = self.idle.lock().expect("the SMTP pool's lock").pop();
            let Some(Idle { mut conn, since }) = kept else {
                return self.connect().await;
            };
            if since.elapsed() < IDLE_FOR && conn.test_connected().await {
                return Ok(conn);
            }
        }
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let mut idle = self.idle.lock().expect("the SMTP pool's lock");
        if idle.len() < MAX_IDLE {
            idle.push(Idle { conn, since: Instant::now() });
        }
    }

    async fn connect(&self) -> anyhow::Result<AsyncSmtpConnection> {
        let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| anyhow::anyhow!("connecting to {}:{} timed out", self.host, self.port))?
            .with_context(|| format!("connecting to {}:{}", self.host, self.port))?;
        // The point of this module: a mail's closing dot goes out at once.
        tcp.set_nodelay(true)?;
        let mut conn = match &self.security {
            Security::Implicit(tls) => {
                #[allow(deprecated)]
                let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
                stream.upgrade_tls(tls.clone()).await?;
                AsyncSmtpConnection::connect_with_transport(Box::new(TlsSocket(stream.compat())), &self.hello).await?
            }
            Security::Plain | Security::StartTls { .. } => {
                AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?
            }
        };
        if let Security::StartTls { tls, required } = &self.security {
            if conn.can_starttls() {
                conn.starttls(tls.clone(), &self.hello).await?;
            } else if *required {
                bail!("{} does not offer STARTTLS, and SMTP_URL requires TLS (tls=required)", self.host);
            }
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await?;
        }
        Ok(conn)
    }
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let security = match self.security {
            Security::Plain => "plain",
            Security::StartTls { required: true, .. } => "starttls",
            Security::StartTls { required: false, .. } => "starttls-opportunistic",
            Security::Implicit(_) => "tls",
        };
        write!(f, "Smtp({}:{}, {security})", self.host, self.port)
    }
}

/// A TLS stream lettre set up on our socket, as a stream lettre's connection can run on.
#[allow(deprecated)]
#[derive(Debug)]
struct TlsSocket(Compat<AsyncNetworkStream>);

impl AsyncRead for TlsSocket {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(url: &str) -> (String, u16, &'static str, bool, Option<String>) {
        let s = Smtp::from_url(url).unwrap();
        let security = match s.security {
            Security::Plain => "plain",
            Security::StartTls { required: true, .. } => "starttls",
            Security::StartTls { required: false, .. } => "opportunistic",
            Security::Implicit(_) => "tls",
        };
        // `None`: the machine's own name, lettre's default.
        let hello = (s.hello.to_string() != ClientId::default().to_string()).then(|| s.hello.to_string());
        (s.host, s.port, security, s.credentials.is_some(), hello)
    }

    #[test]
    fn smtp_url_reads_as_lettre_reads_it() {
        assert_eq!(describe("smtp://127.0.0.1:2525"), ("127.0.0.1".into(), 2525, "plain", false, None));
        assert_eq!(describe("smtp://mail.example.com"), ("mail.example.com".into(), 25, "plain", false, None));
        assert_eq!(
            describe("smtp://apikey:s%40cret@smtp.example.com?tls=required"),
            ("smtp.example.com".into(), 587, "starttls", true, None)
        );
        assert_eq!(describe("smtp://relay?tls=opportunistic").2, "opportunistic");
        assert_eq!(
            describe("smtps://u:p@smtp.example.com/adelante.example"),
            ("smtp.example.com".into(), 465, "tls", true, Some("adelante.example".into()))
        );
        assert!(Smtp::from_url("smtp://relay?tls=maybe").is_err());
        assert!(Smtp::from_url("http://relay").is_err());
        assert!(Smtp::from_url("not a url").is_err());
    }
}
