-- Invitation links and e-mail change confirmations: proof that the person acting reads the
-- mailbox. Both store only the SHA-256 of the link's secret; the link is
-- '<salon>.<id>.<secret>' like reset links.

-- One row per invitation e-mail. Opening the link records `opened_at`, which allows a first
-- password by e-mail and password alone for a short while (`/auth/setup` from the web page);
-- setting the password spends it (`used_at`). A new invitation spends the older ones.
create table invitations (
    salon_id    bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id          bigint generated always as identity,
    user_id     bigint not null,
    token_hash  bytea not null,
    invited_by  bigint,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    opened_at   timestamptz,
    used_at     timestamptz,
    primary key (salon_id, id),
    foreign key (salon_id, user_id) references users (salon_id, id) on delete cascade
);
create index invitations_user on invitations (salon_id, user_id) where used_at is null;

-- A requested change of a user's login e-mail, applied when the link mailed to the new
-- address is opened.
create table email_changes (
    salon_id    bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id          bigint generated always as identity,
    user_id     bigint not null,
    new_email   text not null check (new_email = lower(btrim(new_email)) and length(new_email) between 3 and 254),
    token_hash  bytea not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    primary key (salon_id, id),
    foreign key (salon_id, user_id) references users (salon_id, id) on delete cascade
);
create index email_changes_user on email_changes (salon_id, user_id) where used_at is null;
