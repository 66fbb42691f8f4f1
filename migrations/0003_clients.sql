-- Clients module: the full client card, visit figures kept current by a trigger on
-- appointments, the salon's "lost after" setting, and durable spreadsheet import jobs.

-- Days without a visit after which a client counts as `lost` (salon setting, decision 3).
alter table salons add column lost_after_days int not null default 90
    check (lost_after_days between 1 and 3650);

-- The card. `name` becomes a stored generated column ("first middle last"), so it can never
-- disagree with the parts; existing names are split at the first space.
alter table clients
    add column first_name          text,
    add column middle_name         text not null default '' check (length(middle_name) <= 200),
    add column last_name           text not null default '' check (length(last_name) <= 200),
    add column birth_date          date,
    add column gender              text check (gender in ('male', 'female', 'other')),
    -- The form's "category" (contract §3.4 sends it as `source`).
    add column source              text check (source in ('vip', 'regular', 'new', 'inactive')),
    add column card_number         text check (length(card_number) between 1 and 50),
    -- Percent in hundredths (1050 = 10.5 %).
    add column discount_bp         int not null default 0 check (discount_bp between 0 and 10000),
    add column bonus_balance_minor bigint not null default 0 check (bonus_balance_minor >= 0),
    -- Completed, live appointments of the client, kept by app.refresh_client_visits().
    add column completed_visits    int not null default 0,
    add column total_spent_minor   bigint not null default 0,
    add column first_visit_at      timestamptz,
    add column last_visit_at       timestamptz;

update clients
set first_name = split_part(regexp_replace(btrim(name), '\s+', ' ', 'g'), ' ', 1),
    last_name = btrim(substr(regexp_replace(btrim(name), '\s+', ' ', 'g'),
                             length(split_part(regexp_replace(btrim(name), '\s+', ' ', 'g'), ' ', 1)) + 1));

alter table clients
    alter column first_name set not null,
    add constraint clients_first_name_check check (length(btrim(first_name)) between 1 and 200),
    add constraint clients_email_check check (length(email) between 3 and 254);
alter table clients drop column name;
alter table clients add column name text not null generated always as (
    first_name
    || case when middle_name <> '' then ' ' || middle_name else '' end
    || case when last_name <> '' then ' ' || last_name else '' end
) stored;

-- A phone is unique among the salon's live clients only: a deleted client's number may be
-- given to a new client (restoring the old one is then refused with 409).
alter table clients drop constraint clients_salon_id_phone_key;
create unique index clients_phone_live on clients (salon_id, phone) where deleted_at is null;
create index clients_live_name on clients (salon_id, lower(name)) where deleted_at is null;

-- Recomputes a client's visit figures and stored segment from their appointments:
-- `repeat` with two or more completed visits, `new` otherwise. (`lost` depends on the clock
-- and is decided when reading; see the Client schema in the OpenAPI document.)
-- The client row is locked first and the figures are read by a later statement, which in
-- READ COMMITTED sees every change committed before the lock was granted: two transactions
-- changing one client's appointments cannot leave stale figures behind.
create function app.refresh_client_visits(p_salon bigint, p_client bigint) returns void
    language plpgsql volatile
    set search_path = pg_catalog, public
as $$
begin
    perform 1 from clients where salon_id = p_salon and id = p_client for no key update;
    update clients c
    set completed_visits = v.n,
        total_spent_minor = v.spent,
        first_visit_at = v.first_at,
        last_visit_at = v.last_at,
        segment = case when v.n >= 2 then 'repeat' else 'new' end
    from (select count(*)::int as n, coalesce(sum(price_minor), 0)::bigint as spent,
                 min(starts_at) as first_at, max(starts_at) as last_at
          from appointments
          where salon_id = p_salon and client_id = p_client and status = 'completed' and deleted_at is null) v
    where c.salon_id = p_salon and c.id = p_client;
end
$$;

create function app.appointments_refresh_client() returns trigger
    language plpgsql volatile
    set search_path = pg_catalog, public
as $$
begin
    if tg_op <> 'INSERT' and old.client_id is not null
       and (tg_op = 'DELETE' or new.client_id is distinct from old.client_id) then
        perform app.refresh_client_visits(old.salon_id, old.client_id);
    end if;
    if tg_op <> 'DELETE' and new.client_id is not null then
        perform app.refresh_client_visits(new.salon_id, new.client_id);
    end if;
    return null;
end
$$;

create trigger appointments_refresh_client_ins after insert on appointments
    for each row when (new.client_id is not null)
    execute function app.appointments_refresh_client();
create trigger appointments_refresh_client_upd after update of status, deleted_at, client_id, price_minor, starts_at
    on appointments
    for each row when (old.status is distinct from new.status
                       or old.deleted_at is distinct from new.deleted_at
                       or old.client_id is distinct from new.client_id
                       or old.price_minor is distinct from new.price_minor
                       or old.starts_at is distinct from new.starts_at)
    execute function app.appointments_refresh_client();
create trigger appointments_refresh_client_del after delete on appointments
    for each row when (old.client_id is not null)
    execute function app.appointments_refresh_client();

-- Figures of clients that already have appointments.
select app.refresh_client_visits(salon_id, id) from clients;

-- Spreadsheet imports run as jobs: the upload is kept until the job ends, progress and the
-- result are readable by any request of the salon while the import's own transaction runs.
create table client_import_jobs (
    salon_id      bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id            bigint generated always as identity,
    status        text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed')),
    on_duplicate  text not null check (on_duplicate in ('skip', 'update')),
    file_name     text not null default '',
    -- The uploaded file; cleared when the job ends.
    file          bytea,
    total         int not null default 0,
    processed     int not null default 0,
    result        jsonb,
    error         text,
    created_by    bigint,
    created_at    timestamptz not null default now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    -- Heartbeat: bumped with every progress step; a running job that stops beating is stale.
    updated_at    timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, created_by) references users (salon_id, id) on delete set null (created_by)
);
-- One import at a time per salon.
create unique index client_import_jobs_one_active on client_import_jobs (salon_id) where status in ('queued', 'running');
