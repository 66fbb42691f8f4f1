//! The period report as an .xlsx workbook: «Операції» (one row per operation, dates as Excel
//! dates, signed amounts as numbers) and «Підсумки» (totals, expenses by category, top services).
//!
//! Amounts are exact kopiykas until here; a cell holds `minor / 100` as a double, which Excel
//! shows to the kopiyka with the `0.00` format.

use chrono::{Datelike, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::{Report, day, signed_minor, status_label, type_label};
use crate::{finances::enums::Direction, money::Money, text};

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

fn money(m: i64) -> f64 {
    m as f64 / 100.0
}

pub fn build(r: &Report) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let amount = Format::new().set_num_format("0.00");
    let bold_amount = Format::new().set_bold().set_num_format("0.00");

    let sheet = book.add_worksheet();
    operations_sheet(sheet, r, &bold, &date, &amount)?;
    let sheet = book.add_worksheet();
    summary_sheet(sheet, r, &bold, &amount, &bold_amount)?;
    Ok(book.save_to_buffer()?)
}

fn operations_sheet(s: &mut Worksheet, r: &Report, bold: &Format, date: &Format, amount: &Format) -> Result<(), XlsxError> {
    s.set_name("Операції")?;
    for (col, (title, width)) in HEADERS.iter().enumerate() {
        s.write_string_with_format(0, col as u16, *title, bold)?;
        s.set_column_width(col as u16, *width)?;
    }
    s.set_freeze_panes(1, 0)?;
    for (i, o) in r.operations.iter().enumerate() {
        let row = i as u32 + 1;
        let d = o.date.0;
        let excel_date = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
        s.write_date_with_format(row, 0, &excel_date, date)?;
        let local = o.occurred_at.with_timezone(&r.zone);
        s.write_string(row, 1, format!("{:02}:{:02}", local.hour(), local.minute()))?;
        s.write_string(row, 2, type_label(o.kind))?;
        s.write_string(row, 3, if o.direction == Direction::In { "Надходження" } else { "Списання" })?;
        s.write_number_with_format(row, 4, money(signed_minor(o)), amount)?;
        s.write_string(row, 5, &o.category)?;
        s.write_string(row, 6, text::for_cell(&o.description))?;
        s.write_string(row, 7, &o.payment_method)?;
        s.write_string(row, 8, &o.cash_register)?;
        s.write_string(row, 9, text::for_cell(&o.counterparty))?;
        s.write_string(row, 10, &o.document_number)?;
        s.write_string(row, 11, status_label(o.status))?;
        s.write_string(row, 12, &o.author)?;
    }
    Ok(())
}

fn summary_sheet(s: &mut Worksheet, r: &Report, bold: &Format, amount: &Format, bold_amount: &Format) -> Result<(), XlsxError> {
    s.set_name("Підсумки")?;
    s.set_column_width(0, 34.0)?;
    s.set_column_width(1, 16.0)?;
    s.set_column_width(2, 12.0)?;
    s.write_string_with_format(0, 0, format!("{} — фінансовий звіт", r.salon), bold)?;
    s.write_string(1, 0, format!("Період: {} – {}", day(r.from), day(r.to)))?;
    let d = &r.summary;
    let totals: [(&str, Money); 3] =
        [("Доходи, ₴", d.total_revenue), ("Витрати, ₴", d.total_expenses), ("Чистий дохід, ₴", d.net_income)];
    for (i, (label, value)) in totals.iter().enumerate() {
        let row = 3 + i as u32;
        s.write_string(row, 0, *label)?;
        s.write_number_with_format(row, 1, money(value.minor()), if i == 2 { bold_amount } else { amount })?;
    }
    let mut row = 8;
    s.write_string_with_format(row, 0, "Витрати за категоріями", bold)?;
    s.write_string_with_format(row, 1, "Сума, ₴", bold)?;
    for c in &d.expenses_by_category {
        row += 1;
        s.write_string(row, 0, &c.category)?;
        s.write_number_with_format(row, 1, money(c.amount.minor()), amount)?;
    }
    row += 2;
    s.write_string_with_format(row, 0, "Найприбутковіші послуги", bold)?;
    s.write_string_with_format(row, 1, "Виручка, ₴", bold)?;
    s.write_string_with_format(row, 2, "Кількість", bold)?;
    for t in &d.top_services {
        row += 1;
        s.write_string(row, 0, &t.name)?;
        s.write_number_with_format(row, 1, money(t.revenue.minor()), amount)?;
        s.write_number(row, 2, t.count as f64)?;
    }
    Ok(())
}
