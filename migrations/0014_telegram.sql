-- telegram: each salon's own bot, the updates it has received, and who writes to it.

-- A salon's bot. The token is sealed (XChaCha20-Poly1305 under SECRETS_KEY: nonce followed by
-- ciphertext), never stored in clear. Telegram reaches the bot at /telegram/{hook}, a random id
-- that names neither the salon nor the bot, and echoes the secret whose SHA-256 is kept here.
-- One bot serves one salon: bot_id is unique across salons (the check holds under RLS too).
create table telegram_bots (
    salon_id      bigint primary key default app.current_salon_id() references salons (id) on delete cascade,
    bot_id        bigint not null unique,
    username      text not null check (length(username) between 1 and 64),
    token_sealed  bytea not null,
    hook          text not null unique check (hook ~ '^[A-Za-z0-9_-]{16,64}$'),
    secret_hash   bytea not null check (length(secret_hash) = 32),
    connected_at  timestamptz not null default now()
);

-- Updates already taken from Telegram, so a redelivered one is acknowledged and ignored.
-- Kept a week (Telegram gives up redelivering after a day).
create table telegram_updates (
    salon_id     bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    bot_id       bigint not null,
    update_id    bigint not null,
    received_at  timestamptz not null default now(),
    primary key (salon_id, bot_id, update_id)
);

create index telegram_updates_received on telegram_updates (received_at);

-- The people who write to a salon's bot. A private chat's id is its user's id. A client is
-- known once they shared their phone through Telegram's contact button.
create table telegram_chats (
    salon_id          bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    telegram_user_id  bigint not null,
    first_name        text not null default '',
    username          text,
    client_id         bigint,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (salon_id, telegram_user_id),
    foreign key (salon_id, client_id) references clients (salon_id, id) on delete set null (client_id)
);

create index telegram_chats_client on telegram_chats (salon_id, client_id) where client_id is not null;

-- auth: a Telegram account is linked to one user of a salon at most.
-- The platform bot's sign-in finds a Telegram user's accounts across salons.
create unique index users_telegram_id on users (salon_id, telegram_id) where telegram_id is not null;
create index users_telegram_id_any on users (telegram_id) where telegram_id is not null;

-- telegram's export: which clients can be reached through the salon's bot (messaging's channel
-- choice reads it): the chat that spoke last, when several people shared one phone.
create view telegram_clients with (security_invoker = true) as
select distinct on (c.salon_id, c.client_id) c.salon_id, c.client_id, c.telegram_user_id as chat_id
from telegram_chats c
where c.client_id is not null
order by c.salon_id, c.client_id, c.updated_at desc;

-- telegram's export for messaging, which sends through the salon's bot: its sealed token.
create view telegram_bot_tokens with (security_invoker = true) as
select salon_id, bot_id, username, token_sealed from telegram_bots;

-- auth's export of who can be reached through a salon's bot (staff notices, low-stock alerts):
-- the active users who linked their Telegram account.
create view telegram_users with (security_invoker = true) as
select salon_id, id as user_id, telegram_id as chat_id, role from users
where telegram_id is not null and is_active;

-- tenancy's export gains the online-booking rules (the bot books under them; columns appended).
create or replace view salon_facts with (security_invoker = true) as
select id as salon_id, name, status, timezone, currency, lost_after_days, allow_negative_stock,
       slot_step_minutes, online_booking_enabled, booking_min_lead_minutes, booking_horizon_days,
       cancellation_window_hours
from salons;
