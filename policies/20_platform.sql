-- The named crossings between tenants. Each function is SECURITY DEFINER, owned by
-- adelante_platform (NOLOGIN, BYPASSRLS), pins its search_path, and returns only what its
-- caller needs. The app role may execute them; nobody else.
grant usage on schema public to adelante_platform;
-- CREATE so it can be made owner of the functions below (ALTER FUNCTION ... OWNER needs it).
grant usage, create on schema platform to adelante_platform;
grant select on salons, users to adelante_platform;
grant insert on salons to adelante_platform;

create or replace function platform.salon_by_slug(p_slug text)
returns table (id bigint, slug text, name text, status text)
language sql stable security definer
set search_path = pg_catalog, public
as $$
    select s.id, s.slug, s.name, s.status from salons s where s.slug = lower(p_slug)
$$;

-- Accounts with an e-mail in any salon: login and first-password setup without a subdomain,
-- forgot-password, and the uniqueness check of register.
create or replace function platform.accounts_by_email(p_email text)
returns table (salon_id bigint, salon_slug text, salon_name text, salon_status text,
               user_id bigint, password_hash text, ever_had_password boolean,
               invited_at timestamptz, is_active boolean)
language sql stable security definer
set search_path = pg_catalog, public
as $$
    select s.id, s.slug, s.name, s.status, u.id, u.password_hash,
           u.password_set_at is not null, u.invited_at, u.is_active
    from users u join salons s on s.id = u.salon_id
    where u.email = lower(btrim(p_email))
    order by s.id
$$;

-- Registers a salon under the first free slug among base, base-2, base-3, ...
create or replace function platform.create_salon(p_name text, p_slug_base text, p_timezone text)
returns table (id bigint, slug text)
language plpgsql volatile security definer
set search_path = pg_catalog, public
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
        insert into salons (slug, name, timezone) values (candidate, btrim(p_name), p_timezone)
            on conflict on constraint salons_slug_key do nothing
            returning salons.id into new_id;
        exit when new_id is not null;
        n := n + 1;
    end loop;
    return query select new_id, candidate;
end
$$;

alter function platform.salon_by_slug(text) owner to adelante_platform;
alter function platform.accounts_by_email(text) owner to adelante_platform;
alter function platform.create_salon(text, text, text) owner to adelante_platform;

revoke all on function platform.salon_by_slug(text), platform.accounts_by_email(text),
    platform.create_salon(text, text, text) from public;
grant execute on function platform.salon_by_slug(text), platform.accounts_by_email(text),
    platform.create_salon(text, text, text) to adelante_app;

-- Housekeeping across salons for the worker: forgets sessions and reset links that can no
-- longer be used. Returns how many rows went.
grant select, delete on sessions, password_resets to adelante_platform;

create or replace function platform.purge_expired()
returns bigint
language plpgsql volatile security definer
set search_path = pg_catalog, public
as $$
declare
    sessions_gone bigint;
    resets_gone bigint;
begin
    delete from sessions
        where expires_at < now() - interval '7 days'
           or revoked_at < now() - interval '7 days';
    get diagnostics sessions_gone = row_count;
    delete from password_resets
        where expires_at < now() - interval '1 day';
    get diagnostics resets_gone = row_count;
    return sessions_gone + resets_gone;
end
$$;

alter function platform.purge_expired() owner to adelante_platform;
revoke all on function platform.purge_expired() from public;
grant execute on function platform.purge_expired() to adelante_app;
