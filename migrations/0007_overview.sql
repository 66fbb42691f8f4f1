-- Overview: client reviews, and an index for reading one entity's audit history.
--
-- The overview's records and changes are read models over appointments, finance operations
-- and the audit trail; only reviews are stored here.

create table reviews (
    salon_id        bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id              bigint generated always as identity,
    client_id       bigint,
    staff_id        bigint,
    appointment_id  bigint,
    rating          smallint not null check (rating between 1 and 5),
    text            text not null default '' check (length(text) <= 5000),
    created_by      bigint,
    created_at      timestamptz not null default now(),
    -- Soft delete: a hidden review keeps its row (no route deletes yet).
    deleted_at      timestamptz,
    primary key (salon_id, id),
    foreign key (salon_id, client_id) references clients (salon_id, id),
    foreign key (salon_id, staff_id) references staff (salon_id, id),
    foreign key (salon_id, appointment_id) references appointments (salon_id, id),
    foreign key (salon_id, created_by) references users (salon_id, id) on delete set null (created_by)
);
create index reviews_recent on reviews (salon_id, created_at desc, id desc) where deleted_at is null;
create index reviews_staff on reviews (salon_id, staff_id) where deleted_at is null;

-- A record's history (and any entity's) is read by entity and id, oldest first.
create index changes_entity on changes (salon_id, entity, entity_id, created_at);
