-- Messages to clients about their visits: confirmation, reminder, cancellation.
--
-- tenancy: the salon decides whether it sends SMS (it pays for them) and when it keeps quiet.
-- Quiet hours are wall-clock times in the salon's zone; start = end means none.
alter table salons
    add column sms_enabled       boolean not null default false,
    add column quiet_hours_start time not null default '21:00',
    add column quiet_hours_end   time not null default '09:00';

-- clients: a client who asked not to be messaged about visits.
alter table clients add column messages_opt_out boolean not null default false;

-- clients' export gains what a message needs: where to reach the client and whether they may be
-- reached (columns appended: the view keeps its existing ones in place).
create or replace view client_contacts with (security_invoker = true) as
select salon_id, id, name, phone, email, messages_opt_out
from clients;

-- messaging: every message about a visit, one row per (visit, purpose, visit time). The row is
-- claimed ('sending') in its own transaction before the provider is called and settled after,
-- so a job that runs again finds a message already sent and does not send it twice.
create table visit_messages (
    salon_id        bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id              bigint generated always as identity,
    appointment_id  bigint not null,
    purpose         text not null check (purpose in ('confirmation', 'reminder', 'cancellation')),
    -- The visit's start the message speaks of: a moved visit is a new reminder.
    visit_at        timestamptz not null,
    channel         text check (channel in ('telegram', 'sms', 'email')),
    recipient       text not null default '',
    status          text not null check (status in ('sending', 'sent', 'failed', 'skipped')),
    provider_id     text,
    -- Why it failed, or why it was not sent (no contact, opted out).
    error           text,
    segments        int,
    attempts        int not null default 1,
    created_at      timestamptz not null default now(),
    sent_at         timestamptz,
    updated_at      timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, appointment_id, purpose, visit_at)
);

create index visit_messages_appointment on visit_messages (salon_id, appointment_id, created_at);
