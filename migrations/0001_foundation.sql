-- Foundation: the salon registry, accounts, sessions, reset tokens, the permission matrix and
-- the audit trail. Tenant tables carry salon_id defaulted from the transaction's tenant and
-- composite keys; row-level security is applied by policies/10_tenant_rls.sql.

create schema if not exists app;
create schema if not exists platform;

-- The tenant of the current transaction. nullif matters: once a transaction-local setting
-- has ended the variable reads as '' rather than NULL.
create function app.current_salon_id() returns bigint
    language sql stable parallel safe
    as $$ select nullif(current_setting('app.salon_id', true), '')::bigint $$;

create table salons (
    id          bigint generated always as identity primary key,
    slug        text not null unique
                check (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name        text not null check (length(btrim(name)) between 1 and 200),
    timezone    text not null default 'Europe/Kyiv',
    currency    char(3) not null default 'UAH',
    plan        text not null default 'trial',
    status      text not null default 'active' check (status in ('active', 'suspended')),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table users (
    salon_id          bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id                bigint generated always as identity,
    email             text not null check (email = lower(btrim(email)) and length(email) between 3 and 254),
    password_hash     text,
    -- Set when a password is first stored; /auth/setup only serves accounts where it is null.
    password_set_at   timestamptz,
    invited_at        timestamptz,
    first_name        text not null default '',
    last_name         text not null default '',
    phone             text,
    role              text not null check (role in ('admin', 'manager', 'master', 'receptionist')),
    avatar_url        text,
    is_active         boolean not null default true,
    is_verified       boolean not null default false,
    telegram_id       bigint,
    telegram_username text,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, email),
    check ((password_hash is null) or (password_set_at is not null))
);
create index users_email on users (email);

-- One row per signed-in device. The refresh token is '<salon>.<id>.<secret>'; only the
-- SHA-256 of the secret is stored.
create table sessions (
    salon_id      bigint not null default app.current_salon_id(),
    id            bigint generated always as identity,
    user_id       bigint not null,
    token_hash    bytea not null,
    user_agent    text,
    ip            inet,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz not null default now(),
    expires_at    timestamptz not null,
    revoked_at    timestamptz,
    primary key (salon_id, id),
    foreign key (salon_id, user_id) references users (salon_id, id) on delete cascade
);
create index sessions_user on sessions (salon_id, user_id) where revoked_at is null;

create table password_resets (
    salon_id    bigint not null default app.current_salon_id(),
    id          bigint generated always as identity,
    user_id     bigint not null,
    token_hash  bytea not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    primary key (salon_id, id),
    foreign key (salon_id, user_id) references users (salon_id, id) on delete cascade
);

-- The salon's permission matrix: for each role, permission id -> true/false or a select value.
create table role_permissions (
    salon_id     bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    role         text not null check (role in ('admin', 'manager', 'master', 'receptionist')),
    permissions  jsonb not null check (jsonb_typeof(permissions) = 'object'),
    updated_at   timestamptz not null default now(),
    primary key (salon_id, role)
);

-- The audit trail, written in the same transaction as the change it describes.
create table changes (
    salon_id    bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id          bigint generated always as identity,
    user_id     bigint,
    entity      text not null,
    entity_id   bigint,
    action      text not null,
    before      jsonb,
    after       jsonb,
    ip          inet,
    created_at  timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, user_id) references users (salon_id, id) on delete set null (user_id)
);
create index changes_recent on changes (salon_id, created_at desc);
