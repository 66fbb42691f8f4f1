//! Mail: every template rendered with the salon's frame, and mail on the wire (lettre talking
//! to a real SMTP server on loopback).

mod common;

use std::time::Duration;

use adelante::messaging::{
    Email, Mailer, SalonContacts, Visit, Purpose,
    templates::{self, AccountReady, EmailChange, EmailChanged, Invitation, PasswordReset, ReceiptMail, Welcome},
    visit_email, visit_sms,
};
use chrono::{DateTime, Utc};
use common::{TestApp, smtp::SmtpServer};
use serde_json::json;

fn mailer(server: &SmtpServer) -> Mailer {
    Mailer::new(Some(&server.url()), std::env::temp_dir(), "Adelante <noreply@adelante.test>").unwrap()
}

fn email(to: &str, subject: &str) -> Email {
    Email {
        to: to.into(),
        subject: subject.into(),
        text: "Рядок один.\n.рядок з крапкою\nКінець.\n".into(),
        html: None,
        attachments: Vec::new(),
    }
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

/// A mail's body and its closing dot are two writes: on a socket with Nagle's algorithm on, the
/// dot waits for the server's delayed ACK (40 ms on Linux) every time. Thirty mails in a row on
/// one kept connection take a few milliseconds each without that wait and over 1.2 s with it.
#[tokio::test]
async fn mails_go_out_on_one_kept_connection_without_waiting_for_delayed_acks() {
    let server = SmtpServer::start().await;
    let mailer = mailer(&server);
    mailer.send(&email("first@example.com", "Перший")).await.unwrap();
    let started = std::time::Instant::now();
    for i in 0..30 {
        mailer.send(&email(&format!("c{i}@example.com"), "Нагадування")).await.unwrap();
    }
    let took = started.elapsed();
    assert_eq!(server.count(), 31);
    assert_eq!(server.connections(), 1, "one connection, kept between mails");
    assert!(took < Duration::from_millis(600), "30 mails took {took:?}: the closing dots waited for ACKs");
}

#[tokio::test]
async fn a_held_mail_is_stored_once_released_and_dropped_when_its_sender_dies() {
    let server = SmtpServer::start().await;
    server.hold(true);

    // A sender that hands a message over and dies before the answer: its connection closes.
    // (Written by hand: lettre's pool would keep an aborted sender's connection open.)
    let mut dying = tokio::net::TcpStream::connect(server.url().trim_start_matches("smtp://")).await.unwrap();
    for line in ["EHLO dying", "MAIL FROM:<a@example.com>", "RCPT TO:<lost@example.com>", "DATA", "Subject: x\r\n\r\nlost\r\n."] {
        tokio::io::AsyncWriteExt::write_all(&mut dying, format!("{line}\r\n").as_bytes()).await.unwrap();
    }
    until_held(&server, 1).await;
    drop(dying);
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

fn salon(name: &str) -> SalonContacts {
    SalonContacts {
        name: name.into(),
        address: "Київ, вул. Хрещатик, 22".into(),
        phone: "+380441234567".into(),
        email: "hello@vesna.example".into(),
        website: "https://vesna.example".into(),
        zone: chrono_tz::Europe::Kyiv,
        slug_or_id: "7".into(),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn visit(service: &str) -> Visit {
    Visit {
        appointment_id: 42,
        client_name: "Марія".into(),
        service: service.into(),
        master: Some("Ірина".into()),
        starts_at: at("2026-12-11T12:30:00Z"),
        ends_at: at("2026-12-11T13:45:00Z"),
    }
}

/// Every mail there is, for `salon`, with what each must say.
fn every_mail(salon: &SalonContacts) -> Vec<(Email, Vec<&'static str>)> {
    let to = "client@example.com";
    let link = "https://app.example/link?token=abc";
    let visit = visit("Стрижка");
    vec![
        (templates::render(&Welcome { first_name: "Олена".into(), login_url: "https://app.example/login".into() }, to, salon),
         vec!["Олена", "https://app.example/login"]),
        (templates::render(&Invitation { first_name: "Ірина".into(), link: link.into(), days: 7, minutes: 30 }, to, salon),
         vec!["Ірина", link, "7 дн.", "30 хв"]),
        (templates::render(&PasswordReset { link: link.into(), minutes: 60 }, to, salon), vec![link, "60 хв"]),
        (templates::render(&EmailChange { link: link.into(), hours: 24 }, to, salon), vec![link, "24 год"]),
        (templates::render(&EmailChanged { new_email: "new@example.com".into() }, to, salon), vec!["new@example.com"]),
        (templates::render(&AccountReady {}, to, salon), vec!["встановлено пароль"]),
        (templates::render(
            &ReceiptMail { client_name: "Марія".into(), number: "ЧК-2026-000001".into(), amount: "1 250,00 грн".into(), paid_at: "11.12.2026 14:30".into() },
            to, salon),
         vec!["ЧК-2026-000001", "1 250,00 грн", "11.12.2026 14:30"]),
        (visit_email(Purpose::Confirmation, &visit, salon, to), vec!["підтверджено", "Стрижка", "Ірина", "пт, 11 грудня о 14:30", "15:45"]),
        (visit_email(Purpose::Reminder, &visit, salon, to), vec!["Нагадуємо", "Стрижка", "пт, 11 грудня о 14:30"]),
        (visit_email(Purpose::Cancellation, &visit, salon, to), vec!["скасовано", "Стрижка", "пт, 11 грудня о 14:30"]),
    ]
}

#[test]
fn every_mail_says_what_it_is_about_and_carries_the_salons_name_and_contacts() {
    let salon = salon("Весна");
    for (mail, facts) in every_mail(&salon) {
        let html = mail.html.as_deref().expect("every mail has HTML");
        assert!(!mail.subject.is_empty() && !mail.subject.contains('\n'), "{}", mail.subject);
        for fact in facts.iter().chain(&["Весна", "Київ, вул. Хрещатик, 22", "+380441234567", "hello@vesna.example", "https://vesna.example"]) {
            assert!(mail.text.contains(fact), "{:?} lacks {fact:?} in text:\n{}", mail.subject, mail.text);
            assert!(html.contains(fact), "{:?} lacks {fact:?} in HTML:\n{html}", mail.subject);
        }
        assert!(!mail.text.contains("{{") && !html.contains("{%"), "{}", mail.text);
        assert!(html.contains(&format!("<title>{}</title>", mail.subject)), "{html}");
    }
}

#[test]
fn contacts_a_salon_has_not_set_are_left_out() {
    let bare = SalonContacts { address: String::new(), phone: String::new(), email: String::new(), website: String::new(), ..salon("Весна") };
    let mail = templates::render(&AccountReady {}, "a@example.com", &bare);
    for label in ["Адреса", "Телефон", "E-mail:", "Сайт"] {
        assert!(!mail.text.contains(label), "{}", mail.text);
        assert!(!mail.html.as_ref().unwrap().contains(label));
    }
    assert!(mail.text.trim_end().ends_with("Весна"), "{}", mail.text);
}

#[test]
fn a_hostile_salon_name_is_escaped_in_html_and_kept_in_text() {
    let salon = salon("<script>alert(1)</script> & Co");
    for (mail, _) in every_mail(&salon) {
        let html = mail.html.unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"), "{html}");
        assert!(mail.text.contains("<script>alert(1)</script> & Co"));
    }
}

#[test]
fn the_confirmation_carries_the_visit_as_an_ics_event_in_utc() {
    let mut salon = salon("Весна");
    salon.address = "Київ, вул. Хрещатик, 22; 2 поверх".into();
    let mail = visit_email(Purpose::Confirmation, &visit("Стрижка, укладка; фарба \\ тонування\nдругий рядок"), &salon, "m@example.com");

    let [ics] = &mail.attachments[..] else { panic!("one attachment: {:?}", mail.attachments) };
    assert_eq!(ics.filename, "visit.ics");
    assert!(ics.content_type.starts_with("text/calendar"), "{}", ics.content_type);
    let text = String::from_utf8(ics.bytes.clone()).unwrap();
    assert!(text.split("\r\n").all(|l| l.len() <= 75), "folded at 75 octets:\n{text}");
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    for line in [
        "METHOD:PUBLISH",
        "UID:appointment-42@7.adelante",
        "DTSTART:20261211T123000Z",
        "DTEND:20261211T134500Z",
        "SUMMARY:Стрижка\\, укладка\\; фарба \\\\ тонування\\nдругий рядок — Весна",
        "LOCATION:Київ\\, вул. Хрещатик\\, 22\\; 2 поверх",
    ] {
        assert!(lines.contains(&line), "{line} in\n{unfolded}");
    }
    for kind in [Purpose::Reminder, Purpose::Cancellation] {
        assert!(visit_email(kind, &visit("Стрижка"), &salon, "m@example.com").attachments.is_empty());
    }
}

#[test]
fn visit_sms_are_short_and_name_the_salon_and_time() {
    for kind in [Purpose::Confirmation, Purpose::Reminder, Purpose::Cancellation] {
        let sms = visit_sms(kind, &visit("Манікюр"), &salon("Весна"));
        assert!(sms.starts_with("Весна:") && sms.contains("11.12 о 14:30"), "{sms}");
        assert!(sms.chars().count() <= 70, "{sms}");
    }
}

#[tokio::test]
async fn the_apps_mails_go_out_over_smtp_with_html() {
    let server = SmtpServer::start().await;
    let app = TestApp::spawn_with(&[("SMTP_URL", &server.url())]).await;
    let admin = app.new_salon("Весна & Ко").await;
    let res = app.post("/api/v1/auth/forgot-password", None, json!({"email": admin.email})).await;
    assert!(res.status.is_success(), "{}", res.text);

    app.run_jobs().await;
    let mails = server.wait_for(2).await;
    assert!(mails.iter().all(|m| m.to == [admin.email.clone()]), "{mails:?}");
    let welcome = mails.iter().find(|m| m.header("Subject").is_some_and(|s| s.starts_with("Ласкаво просимо"))).expect("a welcome");
    assert_eq!(welcome.header("Subject").as_deref(), Some("Ласкаво просимо до Adelante — Весна & Ко"));
    assert!(welcome.text().contains("Вітаємо, Олена!"), "{}", welcome.text());
    assert!(welcome.html().unwrap().contains("Весна &amp; Ко"));
    let reset = mails.iter().find(|m| m.text().contains("/reset-password?token=")).expect("the reset");
    assert!(reset.html().unwrap().contains("/reset-password?token="));
    assert!(reset.attachments().is_empty());
}

#[tokio::test]
async fn a_mail_the_server_refuses_for_good_is_not_retried() {
    let server = SmtpServer::start().await;
    let app = TestApp::spawn_with(&[("SMTP_URL", &server.url())]).await;
    let admin = app.new_salon("Студія").await;
    app.run_jobs().await;
    server.wait_for(1).await;
    server.clear();

    let refused = mailer(&server).send(&email("refused@example.test", "Ні")).await.expect_err("550");
    assert!(adelante::messaging::refused(&refused), "a 550 is a refusal: {refused:#}");
    let mut tx = app.state.db.begin(adelante::tenancy::SalonId(admin.salon_id())).await.unwrap();
    adelante::messaging::SendEmail::enqueue(&mut tx, email("refused@example.test", "Ні")).await.unwrap();
    adelante::messaging::SendEmail::enqueue(&mut tx, email("olena@example.test", "Так")).await.unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;

    assert_eq!(server.wait_for(1).await[0].to, ["olena@example.test"]);
    let left: i64 = sqlx::query_scalar("select count(*) from graphile_worker._private_jobs")
        .fetch_one(&mut app.su().await)
        .await
        .unwrap();
    assert_eq!(left, 0, "the refused mail is done with, not waiting for another attempt");
}

const RECEIPTS: &str = "/api/v1/finances/receipts";

#[tokio::test]
async fn a_receipt_is_mailed_with_its_pdf_to_the_client_or_a_given_address() {
    let server = SmtpServer::start().await;
    let app = TestApp::spawn_with(&[("SMTP_URL", &server.url())]).await;
    let admin = app.new_salon("Весна").await;
    let client = app
        .created_id(&admin, "/api/v1/clients", json!({"firstName": "Марія", "phone": format!("+38067{}", common::rand_digits(7)), "email": "maria@example.com"}))
        .await;
    let receipt = app.created(&admin, RECEIPTS, json!({"amount": 1250.5, "paymentMethod": "Готівка", "clientId": client})).await;
    let number = receipt["receiptNumber"].as_str().unwrap();
    let path = format!("{RECEIPTS}/{}/email", common::id(&receipt));

    let to_client = app.post(&path, Some(&admin.access), json!({})).await;
    assert_eq!(to_client.status.as_u16(), 202, "{}", to_client.text);
    let elsewhere = app.post(&path, Some(&admin.access), json!({"email": " Buh@Example.com "})).await;
    assert_eq!(elsewhere.status.as_u16(), 202, "{}", elsewhere.text);
    assert!(!to_client.text.contains("maria@"), "the answer does not show the client's address");

    app.run_jobs().await;
    let mails = server.wait_for(3).await; // the welcome and two receipts
    for to in ["maria@example.com", "buh@example.com"] {
        let mail = mails.iter().find(|m| m.to == [to]).unwrap_or_else(|| panic!("a receipt to {to}: {mails:?}"));
        assert_eq!(mail.header("Subject"), Some(format!("Чек № {number} — Весна")));
        assert!(mail.text().contains("1 250,50 ₴") && mail.text().contains("Марія"), "{}", mail.text());
        assert!(mail.html().unwrap().contains(number));
        let [(name, kind, pdf)] = &mail.attachments()[..] else { panic!("one attachment: {}", mail.raw) };
        assert_eq!((name.as_str(), kind.as_str()), (format!("receipt-{}.pdf", common::id(&receipt)).as_str(), "application/pdf"));
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
    }
}

#[tokio::test]
async fn a_receipt_mail_needs_an_address_and_the_salons_own_receipt() {
    let server = SmtpServer::start().await;
    let app = TestApp::spawn_with(&[("SMTP_URL", &server.url())]).await;
    let (a, b) = (app.new_salon("Alpha").await, app.new_salon("Beta").await);
    let receipt = app.created(&a, RECEIPTS, json!({"amount": 100, "paymentMethod": "Готівка"})).await;
    let path = format!("{RECEIPTS}/{}/email", common::id(&receipt));

    app.post(&path, Some(&b.access), json!({"email": "spy@example.com"})).await.assert_error(404, "not_found");
    let none = app.post(&path, Some(&a.access), json!({})).await;
    none.assert_error(409, "no_email");
    assert!(none.text.contains("email"), "{}", none.text);
    app.post(&path, Some(&a.access), json!({"email": " "})).await.assert_error(409, "no_email");
    app.post(&path, Some(&a.access), json!({"email": "not-an-address"})).await.assert_error(422, "validation_error");
    app.post(&format!("{RECEIPTS}/999999/email"), Some(&a.access), json!({"email": "x@example.com"})).await.assert_error(404, "not_found");

    app.run_jobs().await;
    let mails = server.wait_for(2).await;
    assert_eq!(mails.len(), 2, "the two welcomes, no receipt: {mails:?}");
}
