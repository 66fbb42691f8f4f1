-- Inventory: products and their stock movements. A product's quantity is the sum of its
-- movements' signed changes; `products.quantity_milli` caches that sum and is updated in the
-- same transaction as every movement, under the product's row lock. Quantities are integer
-- thousandths (0.001 ml/g steps), money integer kopiykas.

-- Whether stock may go below zero (a write-off of goods not yet booked in). Off by default.
alter table salons add column allow_negative_stock boolean not null default false;

create table products (
    salon_id              bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id                    bigint generated always as identity,
    name                  text not null check (length(btrim(name)) between 1 and 200),
    sku                   text not null check (length(btrim(sku)) between 1 and 100),
    -- A slug from the browser's category list; categories live only in the browser (contract
    -- open point 21), so any slug is accepted.
    category              text not null default 'uncategorized' check (length(category) between 1 and 100),
    -- The contract's optional `type` (`item`, `weight` in the demo data).
    kind                  text check (length(kind) between 1 and 50),
    unit                  text not null default 'pcs' check (unit in ('pcs', 'ml', 'l', 'g', 'kg')),
    quantity_milli        bigint not null default 0,
    min_quantity_milli    bigint not null default 0 check (min_quantity_milli >= 0),
    price_minor           bigint not null default 0 check (price_minor >= 0),
    cost_price_minor      bigint not null default 0 check (cost_price_minor >= 0),
    package_volume_milli  bigint check (package_volume_milli > 0),
    description           text not null default '',
    is_active             boolean not null default true,
    -- The last `in` movement; the contract's `lastRestockDate` is its date in the salon's zone.
    last_restock_at       timestamptz,
    -- Deleted products are archived: their movements stay.
    archived_at           timestamptz,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    primary key (salon_id, id)
);
-- Imports match products by SKU; it is unique among live products, ignoring case.
create unique index products_sku_per_salon on products (salon_id, lower(sku)) where archived_at is null;
create index products_live_by_name on products (salon_id, lower(name)) where archived_at is null;

create table stock_movements (
    salon_id         bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id               bigint generated always as identity,
    product_id       bigint not null,
    kind             text not null check (kind in ('in', 'out', 'adjustment')),
    -- The signed change of the product's quantity; an adjustment stores the difference between
    -- the counted and the previous quantity.
    delta_milli      bigint not null,
    reason           text check (length(reason) between 1 and 500),
    document_number  text check (length(document_number) between 1 and 100),
    created_by       bigint,
    created_at       timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, product_id) references products (salon_id, id) on delete cascade,
    foreign key (salon_id, created_by) references users (salon_id, id) on delete set null (created_by),
    check ((kind = 'in' and delta_milli > 0) or (kind = 'out' and delta_milli < 0) or kind = 'adjustment')
);
create index stock_movements_by_product on stock_movements (salon_id, product_id, id);
