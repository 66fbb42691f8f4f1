//! The defaults every salon starts its finances with: payment methods «Готівка» (cash) and
//! «Картка» (card) and the main register «Основна каса».
//!
//! Salon registration belongs to another module, so the defaults are created lazily, the first
//! time a salon touches finances, by [`ensure_defaults`]. Each default carries a `code` unique
//! per salon; archiving a default keeps its code, so a deleted default is not re-created.

use crate::{error::AppError, tenancy::TenantTx};

/// Creates whichever defaults the salon has never had. Idempotent and safe under concurrency:
/// the `not exists` filter skips the common case without consuming identity values, and two
/// first requests racing meet on the `(salon_id, code)` key, where `on conflict do nothing`
/// lets the second pass.
pub async fn ensure_defaults(tx: &mut TenantTx) -> Result<(), AppError> {
    sqlx::query!(
        "with register as (
             insert into cash_registers (code, name, type, currency)
             select 'main', 'Основна каса', 'cash', (select currency from salon_facts)
             where not exists (select 1 from cash_registers where code = 'main')
             on conflict do nothing
             returning id
         ), methods as (
             insert into payment_methods (code, name, type, cash_register_id, sort_order)
             select v.code, v.name, v.type,
                    case when v.code = 'cash'
                         then coalesce((select id from register),
                                       (select id from cash_registers where code = 'main' and archived_at is null))
                    end,
                    v.sort_order
             from (values ('cash', 'Готівка', 'cash', 1), ('card', 'Картка', 'card', 2)) as v (code, name, type, sort_order)
             where not exists (select 1 from payment_methods p where p.code = v.code)
             on conflict do nothing
             returning id
         )
         select (select count(*) from register) + (select count(*) from methods) as created"
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(())
}
