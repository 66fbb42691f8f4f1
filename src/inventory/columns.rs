//! The spreadsheet columns of the export and the import: Ukrainian headers (English ones are
//! accepted on import), Ukrainian labels for units and default categories, and turning one
//! imported row into validated product values.

use super::{
    input::{ProductChanges, ProductValues},
    model::{DEFAULT_CATEGORIES, Unit},
    quantity::Quantity,
};
use crate::{error::AppError, money::Money, spreadsheet::Cell};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Sku,
    Category,
    Kind,
    Quantity,
    Unit,
    MinQuantity,
    Status,
    CostPrice,
    Price,
    TotalValue,
    PackageVolume,
    Description,
}

impl Column {
    /// The header the export writes.
    pub fn header(self) -> &'static str {
        match self {
            Column::Name => "Назва",
            Column::Sku => "Артикул",
            Column::Category => "Категорія",
            Column::Kind => "Тип",
            Column::Quantity => "Кількість",
            Column::Unit => "Одиниця",
            Column::MinQuantity => "Мінімальна кількість",
            Column::Status => "Статус",
            Column::CostPrice => "Собівартість",
            Column::Price => "Ціна",
            Column::TotalValue => "Загальна вартість",
            Column::PackageVolume => "Об'єм упаковки",
            Column::Description => "Опис",
        }
    }

    /// Other headers the import understands, normalised (see [`normalise`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Name => &["name", "найменування", "товар", "productname"],
            Column::Sku => &["sku", "код", "article"],
            Column::Category => &["category"],
            Column::Kind => &["type", "kind"],
            Column::Quantity => &["quantity", "qty", "залишок"],
            Column::Unit => &["unit", "одиницявиміру", "од.", "од"],
            Column::MinQuantity => &["minquantity", "minimum", "мінімум", "мінімальнийзалишок", "min"],
            Column::Status => &["status", "stockstatus"],
            Column::CostPrice => &["costprice", "cost", "ціназакупівлі", "закупівельнаціна"],
            Column::Price => &["price", "ціна продажу", "ціна за одиницю"],
            Column::TotalValue => &["totalvalue", "вартість"],
            Column::PackageVolume => &["packagevolume", "об'єм", "обʼємупаковки"],
            Column::Description => &["description"],
        }
    }

    const ALL: [Column; 13] = [
        Column::Name, Column::Sku, Column::Category, Column::Kind, Column::Quantity, Column::Unit,
        Column::MinQuantity, Column::Status, Column::CostPrice, Column::Price, Column::TotalValue,
        Column::PackageVolume, Column::Description,
    ];
}

/// Lower case without spaces, `_`, `-` or a trailing `(...)`, with one kind of apostrophe.
fn normalise(header: &str) -> String {
    let header = header.split('(').next().unwrap_or(header);
    header
        .to_lowercase()
        .replace(['’', 'ʼ', '`'], "'")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .collect()
}

pub fn column_of(header: &str) -> Option<Column> {
    let key = normalise(header);
    Column::ALL
        .into_iter()
        .find(|c| normalise(c.header()) == key || c.aliases().iter().any(|a| normalise(a) == key))
}

/// Where each known column is, by position in the row.
#[derive(Debug, Clone)]
pub struct Layout(Vec<(usize, Column)>);

impl Layout {
    /// Reads the header row. Errors: the headers of the required columns that are missing.
    pub fn of(headers: &[Cell]) -> Result<Layout, Vec<&'static str>> {
        let mut found = Vec::new();
        for (i, cell) in headers.iter().enumerate() {
            if let Cell::Text(text) = cell
                && let Some(column) = column_of(text)
                && !found.iter().any(|(_, c)| *c == column)
            {
                found.push((i, column));
            }
        }
        let missing: Vec<&'static str> = [Column::Name, Column::Sku]
            .into_iter()
            .filter(|c| !found.iter().any(|(_, f)| f == c))
            .map(Column::header)
            .collect();
        if missing.is_empty() { Ok(Layout(found)) } else { Err(missing) }
    }

    fn cell<'a>(&self, row: &'a [Cell], column: Column) -> Option<&'a Cell> {
        let (i, _) = self.0.iter().find(|(_, c)| *c == column)?;
        row.get(*i).filter(|c| !c.is_empty())
    }
}

/// The label the export writes for a category: Ukrainian for the defaults, the slug otherwise.
pub fn category_label(slug: &str) -> &str {
    match slug {
        "professional" => "Професійні",
        "retail" => "Роздрібні",
        "consumables" => "Витратні матеріали",
        "equipment" => "Обладнання",
        "uncategorized" => "Без категорії",
        other => other,
    }
}

fn category_from(text: &str) -> String {
    let trimmed = text.trim();
    DEFAULT_CATEGORIES
        .into_iter()
        .find(|slug| category_label(slug).to_lowercase() == trimmed.to_lowercase())
        .map(str::to_owned)
        .unwrap_or_else(|| trimmed.to_lowercase())
}

fn unit_from(text: &str) -> Option<Unit> {
    let t = text.trim().trim_end_matches('.').to_lowercase();
    Unit::ALL.into_iter().find(|u| u.code() == t || u.label() == t).or(match t.as_str() {
        "штук" | "штука" | "pc" | "pieces" => Some(Unit::Pcs),
        "гр" => Some(Unit::G),
        _ => None,
    })
}

fn text_of(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.trim().to_owned(),
        Cell::Int(i) => i.to_string(),
        // A code typed as a number (SKU 1001) reads back without ".0".
        Cell::Number(f) => f.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// A number cell as exact decimal text: a float is rounded to 6 places first, which removes
/// binary noise (`0.30000000000000004`) without hiding real extra decimals (`1.0005`).
fn decimal_of(cell: &Cell) -> Result<String, &'static str> {
    match cell {
        Cell::Int(i) => Ok(i.to_string()),
        Cell::Number(f) if f.is_finite() => {
            let text = format!("{f:.6}");
            Ok(text.trim_end_matches('0').trim_end_matches('.').to_owned())
        }
        Cell::Text(t) => Ok(t.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace(',', ".")),
        _ => Err("не число"),
    }
}

/// Turns one data row into product values. Errors: one line naming every bad column.
pub fn row_values(layout: &Layout, row: &[Cell]) -> Result<ProductValues, String> {
    let mut problems: Vec<String> = Vec::new();
    let text = |c: Column| layout.cell(row, c).map(text_of);
    let number = |c: Column, problems: &mut Vec<String>| -> Option<Quantity> {
        let cell = layout.cell(row, c)?;
        match decimal_of(cell).and_then(|t| Quantity::parse(&t)) {
            Ok(q) => Some(q),
            Err(e) => {
                problems.push(format!("{}: {e}", c.header()));
                None
            }
        }
    };
    let quantity = number(Column::Quantity, &mut problems);
    let min_quantity = number(Column::MinQuantity, &mut problems);
    let package_volume = number(Column::PackageVolume, &mut problems);
    let mut money = |c: Column| -> Option<Money> {
        let cell = layout.cell(row, c)?;
        match decimal_of(cell).and_then(|t| Money::parse(&t)) {
            Ok(m) => Some(m),
            Err(e) => {
                problems.push(format!("{}: {e}", c.header()));
                None
            }
        }
    };
    let price = money(Column::Price);
    let cost_price = money(Column::CostPrice);
    let unit = text(Column::Unit).and_then(|t| match unit_from(&t) {
        Some(u) => Some(u),
        None => {
            problems.push(format!("{}: невідома одиниця «{t}» (шт, мл, л, г, кг)", Column::Unit.header()));
            None
        }
    });
    let changes = ProductChanges {
        name: Some(text(Column::Name).unwrap_or_default()),
        sku: Some(text(Column::Sku).unwrap_or_default()),
        category: text(Column::Category).map(|c| category_from(&c)),
        kind: text(Column::Kind),
        quantity,
        unit,
        price,
        cost_price,
        min_quantity,
        package_volume: package_volume.map(|v| Some(v).filter(|v| v.milli() != 0)),
        description: text(Column::Description),
        is_active: None,
    };
    match changes.validate() {
        Ok(values) if problems.is_empty() => Ok(values),
        Ok(_) => Err(problems.join("; ")),
        Err(AppError::Invalid(details)) => {
            for (field, list) in details {
                problems.push(format!("{}: {}", header_of_field(&field), list.join(", ")));
            }
            Err(problems.join("; "))
        }
        Err(other) => Err(other.to_string()),
    }
}

fn header_of_field(field: &str) -> &str {
    match field {
        "name" => Column::Name.header(),
        "sku" => Column::Sku.header(),
        "category" => Column::Category.header(),
        "type" => Column::Kind.header(),
        "quantity" => Column::Quantity.header(),
        "minQuantity" => Column::MinQuantity.header(),
        "price" => Column::Price.header(),
        "costPrice" => Column::CostPrice.header(),
        "packageVolume" => Column::PackageVolume.header(),
        "description" => Column::Description.header(),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn headers_in_ukrainian_and_english() {
        assert_eq!(column_of(" Назва "), Some(Column::Name));
        assert_eq!(column_of("SKU"), Some(Column::Sku));
        assert_eq!(column_of("min_quantity"), Some(Column::MinQuantity));
        assert_eq!(column_of("Cost Price"), Some(Column::CostPrice));
        assert_eq!(column_of("Об’єм упаковки"), Some(Column::PackageVolume));
        assert_eq!(column_of("Ціна (грн)"), Some(Column::Price));
        assert_eq!(column_of("Колір"), None);
        assert_eq!(Layout::of(&[t("Назва"), t("Ціна")]).unwrap_err(), ["Артикул"]);
    }

    #[test]
    fn a_row_becomes_values_with_labels_and_locale_numbers() {
        let layout = Layout::of(&[t("Name"), t("SKU"), t("Кількість"), t("Одиниця"), t("Категорія"), t("Ціна"),
                                  t("Собівартість")]).unwrap();
        let row = [t(" Олія "), Cell::Int(1001), t("2,125"), t("мл"), t("Професійні"), Cell::Number(0.1 + 0.2),
                   Cell::Number(12.5)];
        let v = row_values(&layout, &row).unwrap();
        assert_eq!((v.name.as_deref(), v.sku.as_deref()), (Some("Олія"), Some("1001")));
        assert_eq!((v.quantity, v.unit), (Some(Quantity(2_125)), Some(Unit::Ml)));
        assert_eq!(v.category.as_deref(), Some("professional"));
        assert_eq!((v.price, v.cost_price), (Some(Money(30)), Some(Money(1_250))));
    }

    #[test]
    fn every_bad_column_of_a_row_is_named() {
        let layout = Layout::of(&[t("Назва"), t("Артикул"), t("Кількість"), t("Одиниця"), t("Ціна")]).unwrap();
        let err = row_values(&layout, &[t(""), t("A-1"), Cell::Number(1.0005), t("ящик"), t("-5")]).unwrap_err();
        for part in ["Назва", "Кількість", "Одиниця", "Ціна"] {
            assert!(err.contains(part), "{part} in {err}");
        }
    }
}
