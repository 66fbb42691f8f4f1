//! Mail on the wire: lettre talking to a real SMTP server on loopback.

mod common;

use std::time::Duration;

use adelante::messaging::{Email, Mailer};
use common::smtp::SmtpServer;

fn mailer(server: &SmtpServer) -> Mailer {
    Mailer::new(Some(&server.url()), std::env::temp_dir(), "Adelante <noreply@adelante.test>").unwrap()
}

fn email(to: &str, subject: &str) -> Email {
    Email { to: to.into(), subject: subject.into(), text: "Рядок один.\n.рядок з крапкою\nКінець.\n".into() }
}

/// Polls `held()` until it is `n`: the server counts a message held once its final dot arrived.
async fn until_held(server: &SmtpServer, n: usize) {
    for _ in 0..300 {
        if server.held() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} held messages, have {}", server.held());
}

#[tokio::test]
async fn a_mail_sent_over_smtp_reads_back_decoded() {
    let server = SmtpServer::start().await;
    let mailer = mailer(&server);

    mailer.send(&email("olena@example.com", "Вітаємо в салоні «Весна»")).await.unwrap();
    // Plain ASCII goes as 7bit, so lines starting with a dot reach the wire dot-stuffed.
    let dotted = Email { text: ".one dot\n..two dots\n.\nend\n".into(), ..email("ira@example.com", "Dots") };
    mailer.send(&dotted).await.unwrap();

    let mails = server.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].from, "noreply@adelante.test");
    assert_eq!(mails[0].to, ["olena@example.com"]);
    assert_eq!(mails[0].header("Subject").as_deref(), Some("Вітаємо в салоні «Весна»"));
    assert_eq!(mails[0].text().replace("\r\n", "\n"), "Рядок один.\n.рядок з крапкою\nКінець.\n");
    assert_eq!(mails[0].html(), None);
    assert!(mails[0].attachments().is_empty());
    assert_eq!(mails[1].to, ["ira@example.com"]);
    // lettre ends DATA with an empty line of its own (the CRLF before "." ends the last line).
    assert_eq!(mails[1].text().replace("\r\n", "\n").trim_end(), ".one dot\n..two dots\n.\nend");
}

#[tokio::test]
async fn a_held_mail_is_stored_once_released_and_dropped_when_its_sender_dies() {
    let server = SmtpServer::start().await;
    server.hold(true);

    let dying = tokio::spawn({
        let mailer = mailer(&server);
        async move { mailer.send(&email("lost@example.com", "Втрачений")).await }
    });
    until_held(&server, 1).await;
    dying.abort();
    until_held(&server, 0).await;
    assert!(server.messages().is_empty(), "a mail whose sender died is never stored");

    let waiting = tokio::spawn({
        let mailer = mailer(&server);
        async move { mailer.send(&email("kept@example.com", "Дочекався")).await }
    });
    until_held(&server, 1).await;
    assert!(server.messages().is_empty(), "a held mail is not stored yet");
    server.hold(false);
    waiting.await.unwrap().expect("the sender hears 250 once released");

    let mails = server.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["kept@example.com"]);
    assert_eq!(server.held(), 0);
}
