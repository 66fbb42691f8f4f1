//! The receipt as an 80 mm till slip in PDF: the salon, the number and time, the lines, the
//! total, how it was paid, and a QR code linking to the receipt in the web app.

use super::model::Receipt;
use crate::{
    error::AppError,
    finances::{
        enums::ReceiptStatus,
        pdf::{Sheet, Weight, qr_ops, uah},
    },
    tenancy::{SalonClock, TenantTx, salon},
};

/// What the slip shows besides the receipt itself.
pub struct Slip {
    pub salon: String,
    /// `DD.MM.YYYY HH:MM` on the salon's clock.
    pub paid_at: String,
    /// `{FRONTEND_URL}/receipts/{id}`, encoded in the QR code.
    pub url: String,
    pub receipt: Receipt,
}

impl Slip {
    /// The slip of `receipt`: the salon's name, the payment time on its clock, and the link to
    /// the receipt in the web app at `frontend_url`.
    pub async fn read(tx: &mut TenantTx, frontend_url: &str, receipt: Receipt) -> Result<Slip, AppError> {
        let salon = salon::name(tx).await?;
        let zone = SalonClock::read(tx).await?.zone();
        Ok(Slip {
            salon,
            paid_at: receipt.paid_at.with_timezone(&zone).format("%d.%m.%Y %H:%M").to_string(),
            url: format!("{frontend_url}/receipts/{}", receipt.id),
            receipt,
        })
    }

    /// The PDF, rendered off the runtime (in the current span).
    pub async fn pdf(self) -> Result<Vec<u8>, AppError> {
        let span = tracing::Span::current();
        let rendered = tokio::task::spawn_blocking(move || span.in_scope(|| render(&self)))
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        Ok(rendered?)
    }
}

const WIDTH: f32 = 80.0;
const MARGIN: f32 = 5.0;
const SMALL: f32 = 8.0;
const BODY: f32 = 8.5;
const LINE: f32 = 4.2;
const QR: f32 = 32.0;

fn status_text(s: ReceiptStatus) -> &'static str {
    match s {
        ReceiptStatus::Paid => "сплачено",
        ReceiptStatus::Partial => "сплачено частково",
        ReceiptStatus::Cancelled => "скасовано",
    }
}

/// Renders the slip. CPU-bound: [`Slip::pdf`] calls it from `spawn_blocking`. The slip is laid out once on
/// a long strip to learn its length, then on a page of exactly that length.
pub fn render(slip: &Slip) -> anyhow::Result<Vec<u8>> {
    let title = format!("Чек {}", slip.receipt.receipt_number);
    let mut probe = Sheet::new(&title, WIDTH, 3000.0, MARGIN)?;
    draw(&mut probe, slip)?;
    let mut s = Sheet::new(&title, WIDTH, probe.y + 2.0 * MARGIN, MARGIN)?;
    draw(&mut s, slip)?;
    Ok(s.finish())
}

fn draw(s: &mut Sheet, slip: &Slip) -> anyhow::Result<()> {
    draw_heading(s, slip);
    draw_lines(s, &slip.receipt);
    draw_payment(s, &slip.receipt);
    draw_link(s, &slip.url)
}

/// One printed line of the receipt: its wrapped name, `quantity × price`, total and discount.
type PrintedLine = (Vec<String>, String, String, Option<String>);

/// The salon's name, the receipt's number, and who, when and for whom.
fn draw_heading(s: &mut Sheet, slip: &Slip) {
    let r = &slip.receipt;
    let inner = WIDTH - 2.0 * MARGIN;
    let header = Sheet::wrap(&slip.salon, 11.0, Weight::Bold, inner);
    s.down(5.0);
    for line in &header {
        s.text_center(line, 11.0, Weight::Bold);
        s.down(5.0);
    }
    s.down(1.0);
    s.text_center(&format!("Чек № {}", r.receipt_number), 9.5, Weight::Bold);
    s.down(LINE + 1.0);
    let mut meta = vec![format!("Дата: {}", slip.paid_at)];
    if r.document_number != r.receipt_number {
        meta.push(format!("Документ: {}", r.document_number));
    }
    if !r.author.is_empty() {
        meta.push(format!("Касир: {}", r.author));
    }
    if !r.client.is_empty() {
        meta.push(format!("Клієнт: {}", r.client));
    }
    for m in meta {
        s.text(MARGIN, &Sheet::fit(&m, SMALL, Weight::Regular, inner), SMALL, Weight::Regular);
        s.down(LINE);
    }
}

/// The receipt's lines between two rules (one "Оплата" line for a receipt without lines).
fn draw_lines(s: &mut Sheet, r: &Receipt) {
    let inner = WIDTH - 2.0 * MARGIN;
    let lines: Vec<PrintedLine> = if r.items.is_empty() {
        vec![(vec!["Оплата".to_owned()], String::new(), uah(r.total), None)]
    } else {
        r.items
            .iter()
            .map(|i| {
                let name = Sheet::wrap(&i.name, BODY, Weight::Regular, inner);
                let qty = format!("{} × {}", i.quantity.to_string().replace('.', ","), uah(i.price));
                let discount = (i.discount.minor() > 0).then(|| uah(crate::money::Money(-i.discount.minor())));
                (name, qty, uah(i.total), discount)
            })
            .collect()
    };
    s.rule();
    s.down(2.0);
    for (name, qty, total, discount) in &lines {
        for part in name {
            s.text(MARGIN, part, BODY, Weight::Regular);
            s.down(LINE);
        }
        if !qty.is_empty() {
            s.text(MARGIN + 3.0, qty, SMALL, Weight::Regular);
        }
        s.text_right(WIDTH - MARGIN, total, BODY, Weight::Regular);
        s.down(LINE);
        if let Some(d) = discount {
            s.text(MARGIN + 3.0, "Знижка", SMALL, Weight::Regular);
            s.text_right(WIDTH - MARGIN, d, SMALL, Weight::Regular);
            s.down(LINE);
        }
    }
    s.rule();
}

/// The total, what is paid and owed, how, into which register, and the status.
fn draw_payment(s: &mut Sheet, r: &Receipt) {
    let inner = WIDTH - 2.0 * MARGIN;
    s.down(3.0);
    s.text_right(WIDTH - MARGIN, &format!("Разом: {}", uah(r.total)), 11.0, Weight::Bold);
    s.down(LINE + 1.5);
    let mut footer = Vec::new();
    if r.amount != r.total {
        footer.push(format!("Сплачено: {}", uah(r.amount)));
        footer.push(format!("До сплати: {}", uah(crate::money::Money(r.total.minor() - r.amount.minor()))));
    }
    let method = if r.payment_method.is_empty() { "—" } else { r.payment_method.as_str() };
    footer.push(format!("Спосіб оплати: {method}"));
    if !r.cash_register.is_empty() {
        footer.push(format!("Каса: {}", r.cash_register));
    }
    footer.push(format!("Статус: {}", status_text(r.status)));
    for f in footer {
        s.text(MARGIN, &Sheet::fit(&f, SMALL, Weight::Regular, inner), SMALL, Weight::Regular);
        s.down(LINE);
    }
}

/// The QR code of the receipt's web address, the address itself, and the thanks.
fn draw_link(s: &mut Sheet, url: &str) -> anyhow::Result<()> {
    let inner = WIDTH - 2.0 * MARGIN;
    s.down(2.0);
    let top = s.y;
    let bottom = s.page_height() - top - QR;
    s.extend(qr_ops(url, (WIDTH - QR) / 2.0, bottom, QR)?);
    s.down(QR + 3.0);
    s.text_center("Чек онлайн", SMALL, Weight::Regular);
    s.down(LINE - 0.5);
    s.text_center(&Sheet::fit(url, 6.5, Weight::Regular, inner), 6.5, Weight::Regular);
    s.down(LINE + 1.0);
    s.text_center("Дякуємо за візит!", BODY, Weight::Bold);
    Ok(())
}
