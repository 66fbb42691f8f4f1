//! A real SMTP server on 127.0.0.1 for tests: enough of RFC 5321 for lettre's client (EHLO/HELO,
//! MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS, no AUTH), many connections at once and
//! several messages per connection. Accepted messages are kept in order and decoded on demand.
//!
//! [`SmtpServer::hold`] withholds the answer to a message's final "." so a test can kill the
//! sender mid-delivery: a held message counts as delivered only once it is released and its
//! client is still there to hear the 250.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// One accepted message: the envelope and the DATA as received (dot-stuffing undone).
#[derive(Debug, Clone)]
pub struct Delivered {
    pub from: String,
    pub to: Vec<String>,
    pub raw: String,
}

pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared {
    messages: Mutex<Vec<Delivered>>,
    /// The number of stored messages, for [`SmtpServer::wait_for`].
    stored: watch::Sender<usize>,
    /// True while final dots are held.
    hold: watch::Sender<bool>,
    held: Mutex<usize>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the SMTP test server");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            messages: Mutex::new(Vec::new()),
            stored: watch::Sender::new(0),
            hold: watch::Sender::new(false),
            held: Mutex::new(0),
        });
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(Session::new(stream, accepting.clone()).serve());
            }
        });
        SmtpServer { addr, shared, task }
    }

    /// The `SMTP_URL` that makes lettre 0.11 talk plain SMTP to this server. `smtp://` without
    /// a `tls` query means no TLS at all in lettre's `from_url` (`?tls=required` and
    /// `?tls=opportunistic` are the STARTTLS forms; `?tls=none` is refused as unknown).
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The messages accepted so far, in order.
    pub fn messages(&self) -> Vec<Delivered> {
        self.shared.messages.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages are stored and answers them all; panics after 30 s
    /// with what it has.
    pub async fn wait_for(&self, n: usize) -> Vec<Delivered> {
        let mut stored = self.shared.stored.subscribe();
        let reached = tokio::time::timeout(Duration::from_secs(30), stored.wait_for(|c| *c >= n)).await;
        if reached.is_err() {
            panic!("expected {n} mails on the SMTP server, got {:#?}", self.messages());
        }
        self.messages()
    }

    /// While on, the reply to a message's final "." is withheld and the message is not stored.
    /// Turning it off stores each held message whose client is still connected and answers it
    /// 250; a held message whose client went away is discarded.
    pub fn hold(&self, on: bool) {
        self.shared.hold.send_replace(on);
    }

    /// Messages currently held.
    pub fn held(&self) -> usize {
        *self.shared.held.lock().unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection and the transaction it is building.
struct Session {
    stream: TcpStream,
    /// Bytes read but not yet consumed as lines.
    buf: Vec<u8>,
    shared: Arc<Shared>,
    from: Option<String>,
    to: Vec<String>,
}

impl Session {
    fn new(stream: TcpStream, shared: Arc<Shared>) -> Self {
        Session { stream, buf: Vec::new(), shared, from: None, to: Vec::new() }
    }

    /// Answers commands until QUIT or until the client goes away (errors end the session too).
    async fn serve(mut self) {
        let _ = self.run().await;
    }

    async fn run(&mut self) -> std::io::Result<()> {
        self.reply("220 adelante-test ESMTP ready").await?;
        while let Some(line) = self.line().await? {
            let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                // 8BITMIME and SMTPUTF8 so lettre may send UTF-8 as it is; no STARTTLS, no AUTH.
                "EHLO" => self.reply("250-adelante-test\r\n250-8BITMIME\r\n250 SMTPUTF8").await?,
                "HELO" => self.reply("250 adelante-test").await?,
                "MAIL" => {
                    self.from = Some(address(&line));
                    self.to.clear();
                    self.reply("250 OK").await?;
                }
                "RCPT" if self.from.is_some() => {
                    self.to.push(address(&line));
                    self.reply("250 OK").await?;
                }
                "DATA" if !self.to.is_empty() => {
                    self.reply("354 End data with <CR><LF>.<CR><LF>").await?;
                    if !self.data().await? {
                        return Ok(());
                    }
                }
                "RCPT" | "DATA" => self.reply("503 Bad sequence of commands").await?,
                "RSET" => {
                    self.from = None;
                    self.to.clear();
                    self.reply("250 OK").await?;
                }
                "NOOP" => self.reply("250 OK").await?,
                "QUIT" => return self.reply("221 Bye").await,
                _ => self.reply("502 Command not implemented").await?,
            }
        }
        Ok(())
    }

    /// Reads the message up to the lone ".", then stores it (after a hold, if one is on) and
    /// answers 250. Answers false when the client went away first.
    async fn data(&mut self) -> std::io::Result<bool> {
        let mut lines = Vec::new();
        loop {
            let Some(line) = self.line().await? else { return Ok(false) };
            if line == "." {
                break;
            }
            lines.push(line.strip_prefix('.').map(str::to_owned).unwrap_or(line));
        }
        let mut raw = lines.join("\r\n");
        raw.push_str("\r\n");
        let message = Delivered { from: self.from.take().unwrap_or_default(), to: std::mem::take(&mut self.to), raw };
        if *self.shared.hold.borrow() && !self.wait_for_release().await? {
            return Ok(false);
        }
        self.store(message);
        self.reply("250 OK: queued").await?;
        Ok(true)
    }

    /// Holds the current message until [`SmtpServer::hold`] is turned off (true) or the client
    /// disconnects (false).
    async fn wait_for_release(&mut self) -> std::io::Result<bool> {
        *self.shared.held.lock().unwrap() += 1;
        let mut hold = self.shared.hold.subscribe();
        let released = loop {
            tokio::select! {
                _ = hold.wait_for(|on| !on) => break true,
                // A client waiting for our reply sends nothing; reading only notices it leave.
                n = self.stream.read_buf(&mut self.buf) => if n.unwrap_or(0) == 0 { break false },
            }
        };
        *self.shared.held.lock().unwrap() -= 1;
        Ok(released)
    }

    fn store(&self, message: Delivered) {
        let mut messages = self.shared.messages.lock().unwrap();
        messages.push(message);
        self.shared.stored.send_replace(messages.len());
    }

    /// The next line without its CRLF, or `None` at the end of the stream.
    async fn line(&mut self) -> std::io::Result<Option<String>> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.drain(..end + 2);
                return Ok(Some(line));
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Ok(None);
            }
        }
    }

    async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        self.stream.write_all(format!("{text}\r\n").as_bytes()).await
    }
}

/// The address between `<` and `>` of `MAIL FROM:<a@b> BODY=8BITMIME` or `RCPT TO:<a@b>`.
fn address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_owned()
}

impl Delivered {
    fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.raw.as_bytes()).expect("a valid e-mail")
    }

    /// The first header `name`, decoded (RFC 2047 encoded words become text).
    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// The decoded text/plain part (the body of a single-part message).
    pub fn text(&self) -> String {
        self.body_of("text/plain").unwrap_or_else(|| panic!("no text/plain part in {}", self.raw))
    }

    /// The decoded text/html part, if any.
    pub fn html(&self) -> Option<String> {
        self.body_of("text/html")
    }

    /// Each attachment: its filename, content type and decoded bytes.
    pub fn attachments(&self) -> Vec<(String, String, Vec<u8>)> {
        let mail = self.parsed();
        mail.parts()
            .filter(|p| p.get_content_disposition().disposition == mailparse::DispositionType::Attachment)
            .map(|p| {
                let name = p.get_content_disposition().params.get("filename").cloned().unwrap_or_default();
                (name, p.ctype.mimetype.clone(), p.get_body_raw().expect("an attachment decodes"))
            })
            .collect()
    }

    /// The first inline part of type `mime`, decoded to text.
    fn body_of(&self, mime: &str) -> Option<String> {
        let mail = self.parsed();
        mail.parts()
            .find(|p| {
                p.ctype.mimetype == mime
                    && p.get_content_disposition().disposition != mailparse::DispositionType::Attachment
            })
            .map(|p| p.get_body().expect("a part decodes"))
    }
}
