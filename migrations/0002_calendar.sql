-- Calendar core: services, staff with weekly schedules and exceptions, clients (the part the
-- calendar needs; the clients module extends it), appointments and in-app notifications.

-- How far apart bookable slots start, in minutes (salon setting).
alter table salons add column slot_step_minutes int not null default 15
    check (slot_step_minutes between 5 and 240);

create table services (
    salon_id          bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id                bigint generated always as identity,
    name              text not null check (length(btrim(name)) between 1 and 200),
    description       text not null default '',
    category          text not null default 'other' check (length(category) between 1 and 100),
    duration_minutes  int not null check (duration_minutes between 5 and 1440),
    price_minor       bigint not null default 0 check (price_minor >= 0),
    color             text check (color ~ '^#[0-9a-fA-F]{6}$'),
    is_active         boolean not null default true,
    -- Archived services keep their history; they are hidden from the catalogue.
    archived_at       timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    primary key (salon_id, id)
);
-- Appointments from the calendar name services by text; names are unique among live services.
create unique index services_name_per_salon on services (salon_id, lower(name)) where archived_at is null;

create table staff (
    salon_id         bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id               bigint generated always as identity,
    user_id          bigint,
    first_name       text not null check (length(btrim(first_name)) between 1 and 100),
    last_name        text not null default '',
    middle_name      text not null default '',
    phone            text not null default '',
    email            text,
    position         text not null default 'master' check (length(position) between 1 and 50),
    specializations  text[] not null default '{}',
    hire_date        date,
    salary_minor     bigint not null default 0 check (salary_minor >= 0),
    commission       numeric(5, 2) not null default 0 check (commission between 0 and 100),
    avatar_url       text,
    color            text check (color ~ '^#[0-9a-fA-F]{6}$'),
    is_active        boolean not null default true,
    -- Soft delete: the member leaves lists, their appointments and history stay.
    deleted_at       timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, user_id),
    foreign key (salon_id, user_id) references users (salon_id, id) on delete set null (user_id)
);

-- Which services each member performs.
create table staff_services (
    salon_id    bigint not null default app.current_salon_id(),
    staff_id    bigint not null,
    service_id  bigint not null,
    primary key (salon_id, staff_id, service_id),
    foreign key (salon_id, staff_id) references staff (salon_id, id) on delete cascade,
    foreign key (salon_id, service_id) references services (salon_id, id) on delete cascade
);

-- The weekly working pattern: one row per working interval (wall-clock time in the salon's
-- zone). Breaks are the gaps between a day's intervals.
create table staff_schedule (
    salon_id    bigint not null default app.current_salon_id(),
    id          bigint generated always as identity,
    staff_id    bigint not null,
    weekday     smallint not null check (weekday between 1 and 7), -- ISO: 1 = Monday
    starts      time not null,
    ends        time not null,
    primary key (salon_id, id),
    foreign key (salon_id, staff_id) references staff (salon_id, id) on delete cascade,
    check (starts < ends)
);
create index staff_schedule_staff on staff_schedule (salon_id, staff_id, weekday);

-- Dates that differ from the weekly pattern: a day off, vacation or sick leave (no work), or
-- changed hours (work only starts..ends on those dates).
create table staff_exceptions (
    salon_id    bigint not null default app.current_salon_id(),
    id          bigint generated always as identity,
    staff_id    bigint not null,
    kind        text not null check (kind in ('dayoff', 'vacation', 'sick', 'hours')),
    starts_on   date not null,
    ends_on     date not null,
    starts      time,
    ends        time,
    reason      text not null default '',
    created_at  timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, staff_id) references staff (salon_id, id) on delete cascade,
    check (starts_on <= ends_on),
    check ((kind = 'hours') = (starts is not null and ends is not null)),
    check (starts is null or starts < ends)
);
create index staff_exceptions_staff on staff_exceptions (salon_id, staff_id, starts_on, ends_on);

create table clients (
    salon_id    bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id          bigint generated always as identity,
    name        text not null check (length(btrim(name)) between 1 and 200),
    -- E.164 (+380671234567); unique within a salon.
    phone       text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
    email       text,
    segment     text not null default 'new' check (segment in ('new', 'repeat', 'lost', 'subscription-ending')),
    notes       text not null default '',
    deleted_at  timestamptz,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (salon_id, id),
    unique (salon_id, phone)
);

create table appointments (
    salon_id      bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id            bigint generated always as identity,
    client_id     bigint,
    client_name   text not null check (length(btrim(client_name)) between 1 and 200),
    client_phone  text not null default '',
    staff_id      bigint,
    service_id    bigint,
    service_name  text not null default '',
    -- The salon's wall-clock date and times exactly as booked, and the instants they denote.
    date          date not null,
    start_time    time not null,
    end_time      time not null,
    starts_at     timestamptz not null,
    ends_at       timestamptz not null,
    status        text not null default 'scheduled'
                  check (status in ('scheduled', 'confirmed', 'arrived', 'no-show', 'cancelled', 'completed')),
    type          text not null default 'standard' check (type in ('standard', 'important', 'special')),
    price_minor   bigint not null default 0 check (price_minor >= 0),
    notes         text not null default '',
    created_by    bigint,
    deleted_at    timestamptz,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, client_id) references clients (salon_id, id),
    foreign key (salon_id, staff_id) references staff (salon_id, id),
    foreign key (salon_id, service_id) references services (salon_id, id),
    foreign key (salon_id, created_by) references users (salon_id, id) on delete set null (created_by),
    check (start_time < end_time),
    check (starts_at < ends_at),
    -- No double booking, ever: one member, one live appointment at a time.
    constraint appointments_no_overlap exclude using gist (
        salon_id with =,
        staff_id with =,
        tstzrange(starts_at, ends_at, '[)') with &&
    ) where (staff_id is not null and status <> 'cancelled' and deleted_at is null)
);
create index appointments_day on appointments (salon_id, date, start_time) where deleted_at is null;
create index appointments_staff_time on appointments (salon_id, staff_id, starts_at) where deleted_at is null;
create index appointments_client on appointments (salon_id, client_id, starts_at desc) where deleted_at is null;

create table notifications (
    salon_id    bigint not null default app.current_salon_id() references salons (id) on delete cascade,
    id          bigint generated always as identity,
    user_id     bigint not null,
    type        text not null default 'info' check (type in ('info', 'success', 'warning', 'error')),
    title       text not null,
    message     text not null default '',
    link        text,
    read_at     timestamptz,
    created_at  timestamptz not null default now(),
    primary key (salon_id, id),
    foreign key (salon_id, user_id) references users (salon_id, id) on delete cascade
);
create index notifications_user on notifications (salon_id, user_id, created_at desc);
