-- Inventory imports of more than 1,000 data rows run as background jobs, as clients' do: the
-- upload is kept here until its job ends, with the progress the import screen polls.
create table inventory_import_jobs (
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
    -- Whether the uploader could see and set cost prices (`inventory.cost.view`) when uploading.
    sees_cost     boolean not null default false,
    created_at    timestamptz not null default now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    -- Heartbeat: bumped with every progress step; a running job that stops beating is stale.
    updated_at    timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, created_by) references users (salon_id, id) on delete set null (created_by)
);

create unique index inventory_import_jobs_one_active on inventory_import_jobs (salon_id) where status in ('queued', 'running');
