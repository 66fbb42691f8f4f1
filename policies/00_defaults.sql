-- Applied by `migrate` BEFORE the migrations (the other files come after them), so that what a
-- migration creates gets the same privileges on a fresh database as on an upgraded one.

-- A new function is executable by its owner alone until a grant names who else may (00_grants.sql,
-- 20_platform.sql). Global for each role: per-schema defaults can only add privileges.
alter default privileges revoke execute on functions from public;
alter default privileges for role adelante_platform revoke execute on functions from public;

-- No temporary objects for the server: a temporary table, view or function shadows a real name
-- for any code that searches pg_temp, and the server has no use for them. Database-level grants
-- are not copied from a template, so a database cloned or restored without `migrate` gets
-- PUBLIC's default TEMPORARY back; `serve` and `worker` refuse to start on such a database.
do $$
begin
    if (select pg_get_userbyid(datdba) = current_user from pg_database where datname = current_database()) then
        execute format('revoke temporary on database %I from public, adelante_app', current_database());
    end if;
    if has_database_privilege('adelante_app', current_database(), 'temporary') then
        raise exception 'role adelante_app may create temporary objects in database %', current_database()
            using hint = format('As the database owner: revoke temporary on database %I from public, adelante_app',
                                current_database());
    end if;
end $$;
