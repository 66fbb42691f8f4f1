-- What the app role (server and worker) may touch. It owns nothing and bypasses nothing;
-- row-level security (10_tenant_rls.sql) decides which rows it sees.
grant usage on schema public, app, platform to adelante_app;
grant execute on function app.current_salon_id() to adelante_app;

grant select, insert, update, delete on all tables in schema public to adelante_app;
grant usage on all sequences in schema public to adelante_app;

-- The registry is written only through platform functions; migrations' bookkeeping not at all.
revoke insert, delete, truncate on salons from adelante_app;
revoke all on _sqlx_migrations from adelante_app;
