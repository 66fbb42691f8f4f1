-- Finances: payment methods, cash registers, money operations, documents with gap-free
-- numbering, document line items and receipts.
--
-- Money is bigint minor units (kopiykas) and never negative: an operation's direction says
-- whether it brings money in or takes it out. A register's balance is never stored: it is
-- the sum of its completed operations.

-- How the salon takes money. `code` marks the defaults created on a salon's first use of
-- finances ('cash', 'card'); user-made methods have none.
create table payment_methods (
    salon_id               bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id                     bigint generated always as identity,
    code                   text,
    name                   text not null check (length(btrim(name)) between 1 and 100),
    type                   text not null
                           check (type in ('cash', 'card', 'online', 'certificate', 'bonus', 'tips', 'other')),
    -- The register money taken this way goes to when an operation names none.
    cash_register_id       bigint,
    commission_type        text not null default 'none' check (commission_type in ('none', 'percentage', 'fixed')),
    -- Hundredths: of a percent for 'percentage', kopiykas for 'fixed'.
    commission_value       bigint not null default 0 check (commission_value >= 0),
    commission_payer       text not null default 'salon' check (commission_payer in ('client', 'salon', 'split')),
    available_online       boolean not null default false,
    allow_partial_payment  boolean not null default false,
    allow_tips             boolean not null default false,
    sort_order             int not null default 0,
    is_active              boolean not null default true,
    -- Deleting archives: operations keep their method.
    archived_at            timestamptz,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, code),
    check (commission_type <> 'percentage' or commission_value <= 10000),
    check (commission_type <> 'none' or commission_value = 0)
);
-- The create form names methods by text: names are unique among live methods.
create unique index payment_methods_name_per_salon on payment_methods (salon_id, lower(name)) where archived_at is null;

create table cash_registers (
    salon_id    bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id          bigint generated always as identity,
    -- 'main' for the default register.
    code        text,
    name        text not null check (length(btrim(name)) between 1 and 100),
    type        text not null default 'cash' check (type in ('cash', 'bank', 'online', 'other')),
    currency    char(3) not null check (currency ~ '^[A-Z]{3}$'),
    location    text not null default '',
    is_active   boolean not null default true,
    archived_at timestamptz,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, code)
);
create unique index cash_registers_name_per_salon on cash_registers (salon_id, lower(name)) where archived_at is null;

alter table payment_methods
    add foreign key (salon_id, cash_register_id) references cash_registers (salon_id, id);

-- Gap-free numbering: one counter per salon, document type and year, advanced with
-- `update ... set last = last + 1 returning` inside the creating transaction. The row lock
-- serialises concurrent creations; a rolled-back creation gives its number back.
create table document_counters (
    salon_id  bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    doc_type  text not null,
    year      int not null,
    last      bigint not null default 0 check (last >= 0),
    primary key (salon_id, doc_type, year)
);

create table finance_documents (
    salon_id        bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id              bigint generated always as identity,
    number          text not null,
    -- A number the user typed (a supplier's invoice number); ours is `number`.
    external_number text not null default '',
    type            text not null check (type in ('receipt', 'invoice', 'expense', 'income', 'act')),
    content_type    text not null default 'services' check (content_type in ('services', 'products', 'mixed')),
    date            date not null,
    amount_minor    bigint not null check (amount_minor >= 0),
    services_count  int not null default 0 check (services_count >= 0),
    products_count  int not null default 0 check (products_count >= 0),
    client_id       bigint,
    counterparty    text not null default '',
    comment         text not null default '',
    author          text not null default '',
    status          text not null default 'draft' check (status in ('draft', 'issued', 'paid', 'cancelled')),
    created_by      bigint,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, number),
    foreign key (salon_id, client_id) references clients (salon_id, id),
    foreign key (salon_id, created_by) references users (salon_id, id) on delete set null (created_by)
);
create index finance_documents_date on finance_documents (salon_id, date desc, id desc);

-- Lines of a document: services and products with quantities (thousandths, for ml and g),
-- prices, a discount and the line total, all exact.
create table finance_document_items (
    salon_id        bigint not null default app.current_salon_id(),
    id              bigint generated always as identity,
    document_id     bigint not null,
    position        int not null,
    kind            text not null check (kind in ('service', 'product')),
    name            text not null check (length(btrim(name)) between 1 and 200),
    service_id      bigint,
    quantity_milli  bigint not null check (quantity_milli > 0),
    price_minor     bigint not null check (price_minor >= 0),
    discount_minor  bigint not null default 0 check (discount_minor >= 0),
    total_minor     bigint not null check (total_minor >= 0),
    primary key (salon_id, id),
    unique (salon_id, document_id, position),
    foreign key (salon_id, document_id) references finance_documents (salon_id, id) on delete cascade,
    foreign key (salon_id, service_id) references services (salon_id, id)
);

create table finance_operations (
    salon_id             bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id                   bigint generated always as identity,
    -- The contract's vocabulary (payment, refund, transfer, withdrawal, deposit) and the
    -- library's (income, expense); `direction` is what the money does to the register.
    type                 text not null
                         check (type in ('payment', 'refund', 'transfer', 'withdrawal', 'deposit', 'income', 'expense')),
    direction            text not null check (direction in ('in', 'out')),
    amount_minor         bigint not null check (amount_minor > 0),
    status               text not null default 'completed' check (status in ('completed', 'pending', 'cancelled')),
    category             text not null default '',
    description          text not null default '',
    document_number      text not null default '',
    -- The salon-local accounting date and the instant it happened.
    date                 date not null,
    occurred_at          timestamptz not null,
    -- Each reference is an id when it resolved within the salon, else the text as entered.
    payment_method_id    bigint,
    payment_method_text  text not null default '',
    cash_register_id     bigint,
    cash_register_text   text not null default '',
    client_id            bigint,
    client_name          text not null default '',
    counterparty         text not null default '',
    author               text not null default '',
    created_by           bigint,
    appointment_id       bigint,
    -- A correction: the operation this one cancels out (opposite direction, same amount).
    reversal_of          bigint,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, payment_method_id) references payment_methods (salon_id, id),
    foreign key (salon_id, cash_register_id) references cash_registers (salon_id, id),
    foreign key (salon_id, client_id) references clients (salon_id, id),
    foreign key (salon_id, created_by) references users (salon_id, id) on delete set null (created_by),
    foreign key (salon_id, appointment_id) references appointments (salon_id, id),
    foreign key (salon_id, reversal_of) references finance_operations (salon_id, id),
    -- Payments, deposits and income bring money in; refunds, withdrawals and expenses take it
    -- out; a transfer goes either way. A reversal flips its original's direction.
    check (type = 'transfer'
           or (reversal_of is null) = ((type in ('payment', 'deposit', 'income')) = (direction = 'in')))
);
-- One income operation per completed visit, however often it is completed.
create unique index finance_operations_appointment on finance_operations (salon_id, appointment_id)
    where appointment_id is not null;
-- An operation is reversed at most once.
create unique index finance_operations_reversal on finance_operations (salon_id, reversal_of)
    where reversal_of is not null;
create index finance_operations_date on finance_operations (salon_id, date desc, id desc);
create index finance_operations_register on finance_operations (salon_id, cash_register_id) where status = 'completed';

create table finance_receipts (
    salon_id             bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id                   bigint generated always as identity,
    document_id          bigint not null,
    operation_id         bigint not null,
    appointment_id       bigint,
    -- What the items add up to, and what was paid (less for a partial payment).
    total_minor          bigint not null check (total_minor >= 0),
    paid_minor           bigint not null check (paid_minor > 0),
    -- The register's balance right after this payment, under the register's lock.
    balance_after_minor  bigint not null,
    source               text not null default 'web' check (source in ('web', 'mobile', 'pos')),
    status               text not null check (status in ('paid', 'partial', 'cancelled')),
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, document_id),
    unique (salon_id, operation_id),
    foreign key (salon_id, document_id) references finance_documents (salon_id, id),
    foreign key (salon_id, operation_id) references finance_operations (salon_id, id),
    foreign key (salon_id, appointment_id) references appointments (salon_id, id),
    check (paid_minor <= total_minor)
);
