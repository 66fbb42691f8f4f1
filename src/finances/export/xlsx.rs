//! The period report as an .xlsx workbook: «Операції» (one row per operation, dates as Excel
//! dates, signed amounts as numbers) and «Підсумки» (totals, expenses by category, top services).
//!
//! Amounts are exact kopiykas until here; a cell holds `minor / 100` as a double, which Excel
//! shows to the kopiyka with the `0.00` format.

use chrono::Timelike;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use super::{Report, day, signed_minor, status_label, type_label};
use crate::{
    finances::enums::Direction,
    money::Money,
    xlsx::{self, Cells, Formats},
};

const HEADERS: [(&str, f64); 13] = [
    ("Дата", 12.0),
    ("Час", 7.0),
    ("Тип", 13.0),
    ("Напрям", 13.0),
    ("Сума, ₴", 13.0),
    ("Категорія", 16.0),
    ("Опис", 30.0),
    ("Спосіб оплати", 16.0),
    ("Каса", 16.0),
    ("Клієнт", 22.0),
    ("Документ", 18.0),
    ("Статус", 12.0),
    ("Автор", 18.0),
];

pub fn build(r: &Report) -> anyhow::Result<Vec<u8>> {
    let f = Formats::default();
    let mut book = Workbook::new();
    book.push_worksheet(operations_sheet(r, &f)?);
    book.push_worksheet(summary_sheet(r, &f)?);
    Ok(book.save_to_buffer()?)
}

fn operations_sheet(r: &Report, f: &Formats) -> Result<Worksheet, XlsxError> {
    let mut s = xlsx::sheet("Операції", &HEADERS, f)?;
    for (i, o) in r.operations.iter().enumerate() {
        let row = i as u32 + 1;
        s.date(row, 0, o.date.0, f)?;
        let local = o.occurred_at.with_timezone(&r.zone);
        s.text(row, 1, &format!("{:02}:{:02}", local.hour(), local.minute()))?;
        s.text(row, 2, type_label(o.kind))?;
        s.text(row, 3, if o.direction == Direction::In { "Надходження" } else { "Списання" })?;
        s.money(row, 4, Money(signed_minor(o)), f)?;
        s.text(row, 5, &o.category)?;
        s.text(row, 6, &o.description)?;
        s.text(row, 7, &o.payment_method)?;
        s.text(row, 8, &o.cash_register)?;
        s.text(row, 9, &o.counterparty)?;
        s.text(row, 10, &o.document_number)?;
        s.text(row, 11, status_label(o.status))?;
        s.text(row, 12, &o.author)?;
    }
    Ok(s)
}

fn summary_sheet(r: &Report, f: &Formats) -> Result<Worksheet, XlsxError> {
    let mut s = Worksheet::new();
    s.set_name("Підсумки")?;
    s.set_column_width(0, 34.0)?;
    s.set_column_width(1, 16.0)?;
    s.set_column_width(2, 12.0)?;
    s.write_string_with_format(0, 0, crate::text::for_cell(&format!("{} — фінансовий звіт", r.salon)), &f.bold)?;
    s.text(1, 0, &format!("Період: {} – {}", day(r.from), day(r.to)))?;
    let d = &r.summary;
    let totals: [(&str, Money); 3] =
        [("Доходи, ₴", d.total_revenue), ("Витрати, ₴", d.total_expenses), ("Чистий дохід, ₴", d.net_income)];
    for (i, (label, value)) in totals.iter().enumerate() {
        let row = 3 + i as u32;
        s.text(row, 0, label)?;
        s.write_number_with_format(row, 1, xlsx::hryvnias(*value), if i == 2 { &f.bold_money } else { &f.money })?;
    }
    let mut row = 8;
    s.write_string_with_format(row, 0, "Витрати за категоріями", &f.bold)?;
    s.write_string_with_format(row, 1, "Сума, ₴", &f.bold)?;
    for c in &d.expenses_by_category {
        row += 1;
        s.text(row, 0, &c.category)?;
        s.money(row, 1, c.amount, f)?;
    }
    row += 2;
    s.write_string_with_format(row, 0, "Найприбутковіші послуги", &f.bold)?;
    s.write_string_with_format(row, 1, "Виручка, ₴", &f.bold)?;
    s.write_string_with_format(row, 2, "Кількість", &f.bold)?;
    for t in &d.top_services {
        row += 1;
        s.text(row, 0, &t.name)?;
        s.money(row, 1, t.revenue, f)?;
        s.write_number(row, 2, t.count as f64)?;
    }
    Ok(s)
}
