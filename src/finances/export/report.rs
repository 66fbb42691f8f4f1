//! The period report as an A4 PDF: totals, expenses by category, top services, then every
//! operation of the period, page after page.

use chrono::Timelike;

use super::{Report, day, signed_minor, status_label, type_label};
use crate::{
    finances::pdf::{Sheet, Weight, uah},
    money::Money,
};

const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
const MARGIN: f32 = 15.0;
const BODY: f32 = 9.0;
const SMALL: f32 = 8.0;
const LINE: f32 = 5.0;

/// Columns of the operations table: title and left edge (mm); the amount is right-aligned.
const COLUMNS: [(&str, f32); 5] =
    [("Дата", MARGIN), ("Тип", 44.0), ("Опис / клієнт", 68.0), ("Спосіб оплати", 124.0), ("Статус", 150.0)];
const AMOUNT_RIGHT: f32 = WIDTH - MARGIN;

pub fn build(r: &Report) -> anyhow::Result<Vec<u8>> {
    let mut s = Sheet::new(&format!("Фінансовий звіт {} – {}", day(r.from), day(r.to)), WIDTH, HEIGHT, MARGIN)?;
    s.down(5.0);
    s.text(MARGIN, &Sheet::fit(&r.salon, 16.0, Weight::Bold, WIDTH - 2.0 * MARGIN), 16.0, Weight::Bold);
    s.down(8.0);
    s.text(MARGIN, &format!("Фінансовий звіт за період {} – {}", day(r.from), day(r.to)), 11.0, Weight::Regular);
    s.down(5.0);
    let generated = r.generated_at.with_timezone(&r.zone).format("%d.%m.%Y %H:%M");
    s.text(MARGIN, &format!("Сформовано {generated}"), SMALL, Weight::Regular);
    s.down(9.0);

    let d = &r.summary;
    for (label, value, weight) in [
        ("Доходи", d.total_revenue, Weight::Regular),
        ("Витрати", d.total_expenses, Weight::Regular),
        ("Чистий дохід", d.net_income, Weight::Bold),
    ] {
        s.text(MARGIN, label, 10.0, weight);
        s.text_right(95.0, &uah(value), 10.0, weight);
        s.down(LINE + 0.5);
    }
    section(&mut s, "Витрати за категоріями", d.expenses_by_category.iter().map(|c| (c.category.clone(), c.amount)));
    section(&mut s, "Найприбутковіші послуги", d.top_services.iter().map(|t| (format!("{} ({})", t.name, t.count), t.revenue)));

    s.ensure(30.0);
    s.down(4.0);
    s.text(MARGIN, &format!("Операції ({})", r.operations.len()), 11.0, Weight::Bold);
    s.down(LINE + 1.0);
    table_header(&mut s);
    for o in &r.operations {
        if s.y + LINE > HEIGHT - MARGIN {
            s.ensure(LINE * 3.0);
            table_header(&mut s);
        }
        let local = o.occurred_at.with_timezone(&r.zone);
        let who = [o.description.as_str(), o.counterparty.as_str()]
            .iter()
            .filter(|t| !t.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" · ");
        let cells = [
            format!("{} {:02}:{:02}", day(o.date.0), local.hour(), local.minute()),
            type_label(o.kind).to_owned(),
            who,
            o.payment_method.clone(),
            status_label(o.status).to_owned(),
        ];
        for (i, text) in cells.iter().enumerate() {
            let right = COLUMNS.get(i + 1).map(|c| c.1).unwrap_or(AMOUNT_RIGHT - 25.0) - 2.0;
            let x = COLUMNS[i].1;
            s.text(x, &Sheet::fit(text, SMALL, Weight::Regular, right - x), SMALL, Weight::Regular);
        }
        s.text_right(AMOUNT_RIGHT, &uah(Money(signed_minor(o))), SMALL, Weight::Regular);
        s.down(LINE - 0.5);
    }
    Ok(s.finish())
}

fn section(s: &mut Sheet, title: &str, rows: impl Iterator<Item = (String, Money)>) {
    let rows: Vec<(String, Money)> = rows.collect();
    if rows.is_empty() {
        return;
    }
    s.ensure(20.0);
    s.down(4.0);
    s.text(MARGIN, title, 11.0, Weight::Bold);
    s.down(LINE + 1.0);
    for (label, value) in rows {
        s.ensure(LINE);
        s.text(MARGIN, &Sheet::fit(&label, BODY, Weight::Regular, 70.0), BODY, Weight::Regular);
        s.text_right(115.0, &uah(value), BODY, Weight::Regular);
        s.down(LINE);
    }
}

fn table_header(s: &mut Sheet) {
    for (title, x) in COLUMNS {
        s.text(x, title, SMALL, Weight::Bold);
    }
    s.text_right(AMOUNT_RIGHT, "Сума", SMALL, Weight::Bold);
    s.down(LINE);
    s.rule();
    s.down(1.5);
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};

    use super::*;
    use crate::{
        clock::Ymd,
        finances::{
            dashboard::Dashboard,
            enums::{Direction, OperationStatus, OperationType},
            operations::model::Operation,
        },
    };

    fn op(i: i64, date: NaiveDate) -> Operation {
        Operation {
            id: i, kind: OperationType::Payment, direction: Direction::In, amount: Money(10_000 + i),
            status: OperationStatus::Completed, category: String::new(), description: format!("Операція {i}"),
            document_number: String::new(), date: Ymd(date), occurred_at: Utc::now(), payment_method_id: None,
            payment_method: "Готівка".into(), cash_register_id: None, cash_register: String::new(), client_id: None,
            client: String::new(), counterparty: String::new(), author: String::new(), created_by: None,
            appointment_id: None, reversal_of: None, reversed_by: None, created_at: Utc::now(), updated_at: Utc::now(),
            total_count: None,
        }
    }

    #[test]
    fn long_periods_break_into_pages() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let summary = Dashboard {
            date_from: Ymd(from), date_to: Ymd(from), total_revenue: Money(1), total_expenses: Money(0),
            net_income: Money(1), revenue_by_day: vec![], expenses_by_category: vec![], top_services: vec![],
        };
        let report = |n: i64| Report {
            salon: "Салон".into(), zone: chrono_tz::Europe::Kyiv, generated_at: Utc::now(), from, to: from,
            summary: summary.clone(), operations: (0..n).map(|i| op(i, from)).collect(),
        };
        let pages = |bytes: &[u8]| bytes.windows(11).filter(|w| w == b"/Type /Page" || w == b"/Type/Page/").count();
        let short = build(&report(3)).unwrap();
        let long = build(&report(200)).unwrap();
        assert!(short.starts_with(b"%PDF") && long.starts_with(b"%PDF"));
        assert!(long.len() > short.len());
        assert!(pages(&long) > pages(&short), "{} vs {}", pages(&long), pages(&short));
    }
}
