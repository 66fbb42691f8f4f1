-- Every table with a salon_id column is a tenant table: RLS enabled and forced (so the owner
-- is not exempt either), with one policy whose USING and WITH CHECK both pin the row to the
-- transaction's salon. With no salon set, app.current_salon_id() is NULL and nothing matches:
-- reads return no rows and writes fail (fail closed). Applying by catalogue rather than by
-- list means a new tenant table cannot be forgotten.
do $$
declare t regclass;
begin
    for t in
        select c.oid::regclass
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'salon_id' and not a.attisdropped
        where n.nspname = 'public' and c.relkind in ('r', 'p')
    loop
        execute format('alter table %s enable row level security', t);
        execute format('alter table %s force row level security', t);
        execute format('drop policy if exists tenant_isolation on %s', t);
        execute format(
            'create policy tenant_isolation on %s
                 using (salon_id = app.current_salon_id())
                 with check (salon_id = app.current_salon_id())', t);
    end loop;
end $$;

-- The registry itself: a salon sees only its own row.
alter table salons enable row level security;
alter table salons force row level security;
drop policy if exists tenant_isolation on salons;
create policy tenant_isolation on salons
    using (id = app.current_salon_id())
    with check (id = app.current_salon_id());
