-- What the app role (server and worker) may touch. It owns nothing and bypasses nothing;
-- row-level security (10_tenant_rls.sql) decides which rows it sees.
grant usage on schema public, app, platform to adelante_app;
-- The migrations' own functions in app and public (the transaction's tenant, the triggers'
-- helpers): new functions are not executable by PUBLIC (00_defaults.sql), so the server is
-- named here. Extension functions are PUBLIC's already and not ours to grant.
do $$
declare f regprocedure;
begin
    for f in
        select p.oid from pg_proc p
        where p.pronamespace in ('app'::regnamespace, 'public'::regnamespace) and p.proowner = current_user::regrole
    loop
        execute format('grant execute on function %s to adelante_app', f);
    end loop;
end $$;

grant select, insert, update, delete on all tables in schema public to adelante_app;
grant usage on all sequences in schema public to adelante_app;

-- The registry is written only through platform functions; migrations' bookkeeping not at all.
revoke insert, delete, truncate on salons from adelante_app;
revoke all on _sqlx_migrations from adelante_app;

-- The registry row: the server writes only the salon's own settings (src/tenancy/salon.rs, for the settings domain).
-- Its slug, plan and status are the platform's to change, never a salon's.
revoke update on salons from adelante_app;
grant update (name, legal_name, city, address, phone, email, website, description, opening_date, currency,
              timezone, working_hours, instagram_url, facebook_url, telegram_url, slot_step_minutes,
              reminder_hours_before, online_booking_enabled, booking_min_lead_minutes, booking_horizon_days,
              cancellation_window_hours, sms_enabled, quiet_hours_start, quiet_hours_end, updated_at)
    on salons to adelante_app;

-- Views (migrations/0010_domain_exports.sql) are what domains export to each other's SQL: read
-- only. The grant above names them too, and a simple view would pass writes through.
do $$
declare v regclass;
begin
    for v in
        select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'v'
    loop
        execute format('revoke insert, update, delete, truncate on %s from adelante_app', v);
    end loop;
end $$;

-- The job queue (graphile_worker, installed by `migrate` after the migrations): the server
-- enqueues and removes jobs through its functions, the worker takes, completes and fails them.
-- Its bookkeeping of applied migrations is read-only, so a worker never changes the schema.
grant usage on schema graphile_worker to adelante_app;
grant select, insert, update, delete on all tables in schema graphile_worker to adelante_app;
grant usage on all sequences in schema graphile_worker to adelante_app;
grant execute on all functions in schema graphile_worker to adelante_app;
revoke insert, update, delete, truncate on graphile_worker.migrations from adelante_app;
-- graphile_worker turns row-level security on for its tables, with no policy, so that only their
-- owner reads them. The queue holds no salon's rows (a job's salon is in its payload, and job code
-- reaches salon data only through a TenantTx), so the app role is let in to every row.
do $$
declare t regclass;
begin
    for t in
        select c.oid::regclass from pg_class c
        where c.relnamespace = 'graphile_worker'::regnamespace and c.relkind = 'r' and c.relrowsecurity
    loop
        execute format('drop policy if exists queue_worker on %s', t);
        execute format('create policy queue_worker on %s to adelante_app using (true) with check (true)', t);
    end loop;
end $$;
-- Enqueuing is on the path of every booking. add_jobs is PL/pgSQL over its `specs` argument:
-- left to the default, PostgreSQL plans its eight statements afresh on every call (a custom
-- plan looks cheaper than a generic one estimated over an array of unknown length), which is
-- most of the call's cost (0.72 ms a call against 0.23 ms with generic plans; the generic plans
-- use the key index and stay index scans with 300,000 jobs queued). Set again on every migrate,
-- as an upgrade of graphile_worker that redefines the function drops the setting.
alter function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) set plan_cache_mode = force_generic_plan;

-- The audit trail is append-only for the server.
revoke update, delete, truncate on changes from adelante_app;

-- Functions of the schema that run as their caller still name pg_temp last, so a temporary
-- object can never shadow the tables they read (0003 created them without it).
alter function app.refresh_client_visits(bigint, bigint) set search_path = pg_catalog, public, pg_temp;
alter function app.appointments_refresh_client() set search_path = pg_catalog, public, pg_temp;
