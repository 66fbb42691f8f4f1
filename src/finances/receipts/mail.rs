//! Mailing a receipt with its PDF. The request queues an [`EmailReceipt`] naming the receipt and
//! the address; the job renders the PDF when it runs, so the queue holds no file, and the PDF
//! shows the receipt as it stands then (cancelled, if it was cancelled meanwhile).

use serde::{Deserialize, Serialize};

use super::{print::Slip, store};
use crate::{
    error::AppError,
    finances::pdf::uah,
    ids::ClientId,
    jobs::{self, Job, Salon, When},
    messaging::{Attachment, MailParts, SalonContacts, templates},
    tenancy::TenantTx,
};

/// Mails receipt `receipt` to `to`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EmailReceipt {
    pub receipt: i64,
    pub to: String,
}

impl EmailReceipt {
    /// Queues the mail in `tx`.
    pub async fn enqueue(self, tx: &mut TenantTx) -> Result<(), AppError> {
        jobs::enqueue(tx, &self, When::now()).await.map(drop)
    }
}

impl Job for EmailReceipt {
    const KIND: &'static str = "email_receipt";
    type Parts = MailParts;

    async fn run(self, salon: &Salon, parts: &MailParts) -> anyhow::Result<()> {
        let mut tx = salon.begin().await?;
        let Some(receipt) = store::get(&mut tx, self.receipt).await? else {
            tracing::info!(receipt = self.receipt, "receipt gone before its mail went out: not sent");
            return Ok(());
        };
        let contacts = SalonContacts::read(&mut tx).await?;
        let slip = Slip::read(&mut tx, &parts.config.frontend_url, receipt).await?;
        tx.commit().await?;
        let words = templates::ReceiptMail {
            client_name: slip.receipt.client.clone(),
            number: slip.receipt.receipt_number.clone(),
            amount: uah(slip.receipt.amount),
            paid_at: slip.paid_at.clone(),
        };
        let filename = format!("receipt-{}.pdf", slip.receipt.id);
        let mut email = templates::render(&words, &self.to, &contacts);
        email.attachments.push(Attachment { filename, content_type: "application/pdf".into(), bytes: slip.pdf().await? });
        parts.mailer.deliver(&email).await
    }
}

/// The client's e-mail, when the card has one (`client_contacts`, the clients domain's export).
pub async fn client_email(tx: &mut TenantTx, client: ClientId) -> Result<Option<String>, AppError> {
    let email = sqlx::query_scalar!("select email from client_contacts where id = $1", client as ClientId)
        .fetch_optional(tx.conn())
        .await?
        .flatten();
    Ok(email.filter(|e| !e.trim().is_empty()))
}
