-- The named crossings between tenants. Each function is SECURITY DEFINER, owned by
-- adelante_platform (NOLOGIN, BYPASSRLS), and returns only what its caller needs. The app role
-- may execute them; nobody else.
--
-- A SECURITY DEFINER function runs with its owner's rights on whatever its names resolve to,
-- so every one pins `search_path = pg_catalog, public, pg_temp`: with pg_temp left out,
-- PostgreSQL searches it *first*, and a caller's temporary view named `users` would be read
-- with BYPASSRLS. The names below are also schema-qualified. tests/tenancy.rs checks every
-- SECURITY DEFINER function in the database for pg_temp last.
grant usage on schema public to adelante_platform;
grant select on salons, users to adelante_platform;
grant insert on salons to adelante_platform;

-- ALTER FUNCTION ... OWNER TO needs the new owner to have CREATE on the schema. It gets it only
-- for the length of this transaction (`migrate` applies every policy file in one): granted
-- here, revoked at the end of this file, so no committed state lets the platform role create
-- anything, and a function it could be tricked into running cannot plant another.
grant create on schema platform to adelante_platform;

-- Its single e-mail lookup handed password hashes to every caller; split into login_accounts
-- (the login route) and email_accounts (everything else).
drop function if exists platform.accounts_by_email(text);

create or replace function platform.salon_by_slug(p_slug text)
returns table (id bigint, slug text, name text, status text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
    select s.id, s.slug, s.name, s.status from public.salons s where s.slug = lower(p_slug)
$$;

-- The accounts a login with this e-mail may sign into (in `p_salon_id` only, when the request
-- came through a salon's subdomain), with their password hashes. For the login route alone:
-- no other caller ever receives a hash.
create or replace function platform.login_accounts(p_email text, p_salon_id bigint)
returns table (salon_id bigint, salon_slug text, salon_name text, salon_status text,
               user_id bigint, ever_had_password boolean, invited_at timestamptz, is_active boolean,
               password_hash text)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
    select s.id, s.slug, s.name, s.status, u.id, true, u.invited_at, u.is_active, u.password_hash
    from public.users u join public.salons s on s.id = u.salon_id
    where u.email = lower(btrim(p_email)) and u.password_hash is not null
      and (p_salon_id is null or s.id = p_salon_id)
    order by s.id
$$;

-- Accounts with an e-mail in any salon, without credentials: first-password setup without a
-- subdomain, forgot-password, and the uniqueness check of register.
create or replace function platform.email_accounts(p_email text)
returns table (salon_id bigint, salon_slug text, salon_name text, salon_status text,
               user_id bigint, ever_had_password boolean, invited_at timestamptz, is_active boolean)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
    select s.id, s.slug, s.name, s.status, u.id, u.password_set_at is not null, u.invited_at, u.is_active
    from public.users u join public.salons s on s.id = u.salon_id
    where u.email = lower(btrim(p_email))
    order by s.id
$$;

-- Registers a salon under the first free slug among base, base-2, base-3, ...
create or replace function platform.create_salon(p_name text, p_slug_base text, p_timezone text)
returns table (id bigint, slug text)
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
    candidate text;
    n int := 1;
    new_id bigint;
begin
    if p_slug_base !~ '^[a-z0-9]([a-z0-9-]{0,50}[a-z0-9])?$' then
        raise exception 'invalid slug base %', p_slug_base using errcode = '22023';
    end if;
    loop
        candidate := case when n = 1 then p_slug_base else p_slug_base || '-' || n end;
        insert into public.salons (slug, name, timezone) values (candidate, btrim(p_name), p_timezone)
            on conflict on constraint salons_slug_key do nothing
            returning salons.id into new_id;
        exit when new_id is not null;
        n := n + 1;
    end loop;
    return query select new_id, candidate;
end
$$;

-- A Telegram webhook names only its hook: which salon's bot it is and the hash of the secret
-- Telegram must echo. Nothing else of the bot (its sealed token stays behind RLS).
grant select on telegram_bots to adelante_platform;

create or replace function platform.telegram_hook(p_hook text)
returns table (salon_id bigint, bot_id bigint, secret_hash bytea)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
    select b.salon_id, b.bot_id, b.secret_hash from public.telegram_bots b where b.hook = p_hook
$$;

-- The platform bot's sign-in on the bare domain: the active accounts linked to this Telegram
-- user, in whichever salon (active salons only), without credentials.
create or replace function platform.telegram_accounts(p_telegram_id bigint)
returns table (salon_id bigint, salon_slug text, salon_name text, user_id bigint)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
    select s.id, s.slug, s.name, u.id
    from public.users u join public.salons s on s.id = u.salon_id
    where u.telegram_id = p_telegram_id and u.is_active and s.status = 'active'
    order by s.id
$$;

-- Housekeeping across salons for the worker: forgets sessions and reset links that can no
-- longer be used. Returns how many rows went.
grant select, delete on sessions, password_resets, telegram_updates to adelante_platform;

create or replace function platform.purge_expired()
returns bigint
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
    sessions_gone bigint;
    resets_gone bigint;
    updates_gone bigint;
begin
    delete from public.sessions
        where expires_at < now() - interval '7 days'
           or revoked_at < now() - interval '7 days';
    get diagnostics sessions_gone = row_count;
    delete from public.password_resets
        where expires_at < now() - interval '1 day';
    get diagnostics resets_gone = row_count;
    delete from public.telegram_updates
        where received_at < now() - interval '7 days';
    get diagnostics updates_gone = row_count;
    return sessions_gone + resets_gone + updates_gone;
end
$$;

alter function platform.salon_by_slug(text) owner to adelante_platform;
alter function platform.login_accounts(text, bigint) owner to adelante_platform;
alter function platform.email_accounts(text) owner to adelante_platform;
alter function platform.create_salon(text, text, text) owner to adelante_platform;
alter function platform.purge_expired() owner to adelante_platform;
alter function platform.telegram_hook(text) owner to adelante_platform;
alter function platform.telegram_accounts(bigint) owner to adelante_platform;

revoke all on function platform.salon_by_slug(text), platform.login_accounts(text, bigint),
    platform.email_accounts(text), platform.create_salon(text, text, text), platform.purge_expired(),
    platform.telegram_hook(text), platform.telegram_accounts(bigint)
    from public;
grant execute on function platform.salon_by_slug(text), platform.login_accounts(text, bigint),
    platform.email_accounts(text), platform.create_salon(text, text, text), platform.purge_expired(),
    platform.telegram_hook(text), platform.telegram_accounts(bigint)
    to adelante_app;

revoke create on schema platform from adelante_platform;
