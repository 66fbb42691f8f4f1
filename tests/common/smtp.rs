//! A real SMTP server on loopback: enough of RFC 5321 for lettre's client (EHLO, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT; many connections, several messages each), keeping what it accepts.
//! It refuses every `refused@…` recipient for good (550), as a server does a mailbox it lacks.
//!
//! `hold(true)` withholds the answer to the end of each message's DATA and keeps the message
//! aside: released, a message whose client is still connected is stored and answered 250; one
//! whose client went away (the sending process died) was never accepted and is dropped. That
//! is the moment a crash test needs: the worker has handed the message over but not heard back.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub from: String,
    pub to: Vec<String>,
    /// The DATA as received, dot-stuffing undone.
    pub raw: String,
}

impl Delivered {
    fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.raw.as_bytes()).expect("a valid e-mail")
    }

    /// A header's decoded value.
    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// The text/plain part (the whole body of a single-part mail), decoded.
    pub fn text(&self) -> String {
        part(&self.parsed(), "text/plain").unwrap_or_default()
    }

    /// The text/html part, decoded.
    pub fn html(&self) -> Option<String> {
        part(&self.parsed(), "text/html")
    }

    /// Attachments: file name, content type and bytes.
    pub fn attachments(&self) -> Vec<(String, String, Vec<u8>)> {
        let mail = self.parsed();
        let mut found = Vec::new();
        collect_attachments(&mail, &mut found);
        found
    }
}

fn part(mail: &mailparse::ParsedMail<'_>, mime: &str) -> Option<String> {
    if mail.subparts.is_empty() {
        let disposition = mail.get_content_disposition().disposition;
        return (mail.ctype.mimetype == mime && disposition != mailparse::DispositionType::Attachment)
            .then(|| mail.get_body().expect("a decodable body"));
    }
    mail.subparts.iter().find_map(|p| part(p, mime))
}

fn collect_attachments(mail: &mailparse::ParsedMail<'_>, found: &mut Vec<(String, String, Vec<u8>)>) {
    let disposition = mail.get_content_disposition();
    if disposition.disposition == mailparse::DispositionType::Attachment {
        let name = disposition.params.get("filename").cloned().unwrap_or_default();
        found.push((name, mail.ctype.mimetype.clone(), mail.get_body_raw().expect("a decodable attachment")));
    }
    for p in &mail.subparts {
        collect_attachments(p, found);
    }
}

#[derive(Default)]
struct Shared {
    accepted: Mutex<Vec<Delivered>>,
    held: AtomicUsize,
    connections: AtomicUsize,
}

pub struct SmtpServer {
    port: u16,
    shared: Arc<Shared>,
    hold: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let (hold, holding) = watch::channel(false);
        let task = {
            let shared = shared.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    shared.connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(session(stream, shared.clone(), holding.clone()));
                }
            })
        };
        SmtpServer { port, shared, hold, task }
    }

    /// `SMTP_URL` for this server: `smtp://` without `?tls=` is plain SMTP to lettre.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages accepted so far, in order.
    pub fn messages(&self) -> Vec<Delivered> {
        self.shared.accepted.lock().unwrap().clone()
    }

    /// Forgets what was accepted so far (a salon's welcome mail, say).
    pub fn clear(&self) {
        self.shared.accepted.lock().unwrap().clear();
    }

    /// How many messages were accepted so far.
    pub fn count(&self) -> usize {
        self.shared.accepted.lock().unwrap().len()
    }

    /// The accepted messages once there are at least `n`; panics after 30 s with what came.
    pub async fn wait_for(&self, n: usize) -> Vec<Delivered> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.count() < n {
            if tokio::time::Instant::now() > deadline {
                panic!("expected {n} messages, the SMTP server has {}", self.count());
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.messages()
    }

    /// While on, messages are kept aside unanswered (see the module's documentation).
    pub fn hold(&self, on: bool) {
        self.hold.send_replace(on);
    }

    /// Connections clients opened so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Messages kept aside right now.
    pub fn held(&self) -> usize {
        self.shared.held.load(Ordering::SeqCst)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One client connection, until QUIT or the client goes away.
async fn session(stream: TcpStream, shared: Arc<Shared>, mut holding: watch::Receiver<bool>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if !reply(&mut write, "220 localhost ESMTP test\r\n").await {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_owned();
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => "250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => "250 OK\r\n",
            "MAIL" => {
                from = address(&command);
                to.clear();
                "250 OK\r\n"
            }
            // A mailbox that does not exist, for tests of permanent refusals.
            "RCPT" if address(&command).starts_with("refused@") => "550 5.1.1 No such mailbox\r\n",
            "RCPT" => {
                to.push(address(&command));
                "250 OK\r\n"
            }
            "RSET" => {
                from.clear();
                to.clear();
                "250 OK\r\n"
            }
            "QUIT" => {
                reply(&mut write, "221 Bye\r\n").await;
                return;
            }
            "DATA" => {
                if !reply(&mut write, "354 End data with <CR><LF>.<CR><LF>\r\n").await {
                    return;
                }
                let Some(raw) = data(&mut lines).await else { return };
                let message = Delivered { from: from.clone(), to: std::mem::take(&mut to), raw };
                if *holding.borrow() {
                    shared.held.fetch_add(1, Ordering::SeqCst);
                    let released = released_while_connected(&mut lines, &mut holding).await;
                    shared.held.fetch_sub(1, Ordering::SeqCst);
                    if !released {
                        return;
                    }
                }
                shared.accepted.lock().unwrap().push(message);
                "250 OK: queued\r\n"
            }
            _ => "502 Command not implemented\r\n",
        };
        if !reply(&mut write, answer).await {
            return;
        }
    }
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    write.write_all(text.as_bytes()).await.is_ok()
}

/// Waits for the hold to end; `false` when the client disconnected first. A client killed
/// just before the release has its end of stream already queued in the kernel: the grace
/// period lets the reactor see it before the message would count as accepted.
async fn released_while_connected(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    holding: &mut watch::Receiver<bool>,
) -> bool {
    let mut probe = [0u8; 1];
    let mut released = false;
    loop {
        let grace = tokio::time::sleep(std::time::Duration::from_millis(100));
        tokio::select! {
            // A client waiting for our answer sends nothing; end of stream means it is gone.
            read = tokio::io::AsyncReadExt::read(lines.get_mut(), &mut probe) => {
                if matches!(read, Ok(0) | Err(_)) {
                    return false;
                }
            }
            changed = holding.wait_for(|on| !on), if !released => {
                if changed.is_err() {
                    return false;
                }
                released = true;
            }
            () = grace, if released => return true,
        }
    }
}

/// The message up to the lone `.` line, dot-stuffing undone; `None` if the client went away.
async fn data(lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut raw = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        if line == ".\r\n" || line == ".\n" {
            return Some(raw);
        }
        raw.push_str(line.strip_prefix('.').unwrap_or(&line));
    }
}

/// The address of `MAIL FROM:<a@b> ...` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..].find('>').map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}
