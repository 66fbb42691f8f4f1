//! The finance vocabularies of contract §6, as Rust enums stored as checked text.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a lower-case text enum shared by JSON, SQL and OpenAPI. Each text is its variant's
/// name in lower case: utoipa does not see the per-variant `rename` through the macro's
/// `$text`, so the document takes the names from `rename_all`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
        #[sqlx(type_name = "text")]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $(#[serde(rename = $text)] #[sqlx(rename = $text)] $variant,)+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)+ }
            }
        }
    };
}

text_enum!(
    /// How a payment method takes money.
    PaymentMethodType { Cash = "cash", Card = "card", Online = "online", Certificate = "certificate",
                        Bonus = "bonus", Tips = "tips", Other = "other" }
);

text_enum!(CommissionType { None = "none", Percentage = "percentage", Fixed = "fixed" });

text_enum!(CommissionPayer { Client = "client", Salon = "salon", Split = "split" });

text_enum!(
    /// A cash box, a bank account, an online acquirer's account, or anything else holding money.
    RegisterType { Cash = "cash", Bank = "bank", Online = "online", Other = "other" }
);

text_enum!(
    /// The screens' five types and the library's two.
    OperationType { Payment = "payment", Refund = "refund", Transfer = "transfer", Withdrawal = "withdrawal",
                    Deposit = "deposit", Income = "income", Expense = "expense" }
);

text_enum!(
    /// What an operation does to its register: `in` adds, `out` subtracts.
    Direction { In = "in", Out = "out" }
);

text_enum!(OperationStatus { Completed = "completed", Pending = "pending", Cancelled = "cancelled" });

text_enum!(DocType { Receipt = "receipt", Invoice = "invoice", Expense = "expense", Income = "income", Act = "act" });

text_enum!(ContentType { Services = "services", Products = "products", Mixed = "mixed" });

text_enum!(DocStatus { Draft = "draft", Issued = "issued", Paid = "paid", Cancelled = "cancelled" });

text_enum!(ReceiptStatus { Paid = "paid", Partial = "partial", Cancelled = "cancelled" });

text_enum!(ReceiptSource { Web = "web", Mobile = "mobile", Pos = "pos" });

text_enum!(ItemKind { Service = "service", Product = "product" });

impl OperationType {
    /// The direction money of this type moves; `None` for a transfer, which goes either way.
    pub fn natural_direction(self) -> Option<Direction> {
        use OperationType::*;
        match self {
            Payment | Deposit | Income => Some(Direction::In),
            Refund | Withdrawal | Expense => Some(Direction::Out),
            Transfer => None,
        }
    }
}

impl Direction {
    pub fn opposite(self) -> Direction {
        match self {
            Direction::In => Direction::Out,
            Direction::Out => Direction::In,
        }
    }
}

impl DocType {
    /// The number prefix of each series (`РН-2026-000001`).
    pub fn prefix(self) -> &'static str {
        match self {
            DocType::Receipt => "ЧК",
            DocType::Invoice => "РН",
            DocType::Expense => "ВКО",
            DocType::Income => "ПКО",
            DocType::Act => "АКТ",
        }
    }
}

impl DocStatus {
    /// draft → issued → paid, draft/issued → cancelled; paid and cancelled are final.
    pub fn may_become(self, next: DocStatus) -> bool {
        use DocStatus::*;
        matches!((self, next), (Draft, Issued) | (Draft, Paid) | (Issued, Paid) | (Draft, Cancelled) | (Issued, Cancelled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_contract() {
        assert_eq!(serde_json::to_string(&PaymentMethodType::Certificate).unwrap(), "\"certificate\"");
        assert!(serde_json::from_str::<PaymentMethodType>("\"crypto\"").is_err());
        assert_eq!(OperationType::Withdrawal.as_str(), "withdrawal");
        assert_eq!(serde_json::from_str::<ReceiptSource>("\"pos\"").unwrap(), ReceiptSource::Pos);
    }

    #[test]
    fn every_type_has_a_direction_but_transfer() {
        assert_eq!(OperationType::Payment.natural_direction(), Some(Direction::In));
        assert_eq!(OperationType::Refund.natural_direction(), Some(Direction::Out));
        assert_eq!(OperationType::Expense.natural_direction(), Some(Direction::Out));
        assert_eq!(OperationType::Transfer.natural_direction(), None);
    }

    #[test]
    fn document_statuses_move_forward_only() {
        use DocStatus::*;
        assert!(Draft.may_become(Issued) && Issued.may_become(Paid) && Issued.may_become(Cancelled));
        assert!(!Paid.may_become(Cancelled) && !Cancelled.may_become(Draft) && !Issued.may_become(Draft));
    }
}
