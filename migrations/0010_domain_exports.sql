-- What each domain exports to the others' SQL, and one way to write a person's name.
--
-- A domain's SQL names its own tables only (scripts/table-owners.txt, checked by
-- scripts/check-table-owners.py). When another domain's query needs its data in the same
-- statement (a list that filters, sorts or joins on it), it reads one of the views below, each
-- named after the domain that owns it and reading that domain's tables alone. Every view runs
-- with the caller's rights (security_invoker), so row-level security holds exactly as on the
-- tables: another salon's rows are not visible through any of them. The server may only read
-- them (policies/00_grants.sql).
--
-- The overview's read model (src/overview/mod.rs) is these views, joined per page:
--   records  = calendar_appointments + client_contacts + staff_names + catalog_services
--              + user_names (author) + finance_visit_payments + salon_facts (time zone)
--   reviews  = reviews (the overview's own) + client_contacts + staff_names + salon_facts
--   changes  = audit_trail + user_names + salon_facts

-- A person's display name: first and last name, trimmed, or else the e-mail, or else ''. The
-- one rule for users and staff wherever SQL shows who someone is. Immutable and inlined by the
-- planner (only immutable operators inside: `concat_ws` is merely stable and would prevent it).
create function person_name(first_name text, last_name text, email text) returns text
    language sql immutable parallel safe
    as $$ select coalesce(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''),
                          nullif(btrim(email), ''), '') $$;

-- tenancy: what other domains may know of their salon's registry row.
create view salon_facts with (security_invoker = true) as
select id as salon_id, name, status, timezone, currency, lost_after_days, allow_negative_stock,
       slot_step_minutes
from salons;

-- auth: the display name of every account (left-joined by authors and creators).
create view user_names with (security_invoker = true) as
select salon_id, id, person_name(first_name, last_name, email) as name
from users;

-- staff: every member's display name and the account linked to it, deleted members included
-- (history keeps naming them).
create view staff_names with (security_invoker = true) as
select salon_id, id, user_id, person_name(first_name, last_name, email) as name
from staff;

-- clients: every card's name and phone, deleted cards included (history keeps naming them).
create view client_contacts with (security_invoker = true) as
select salon_id, id, name, phone
from clients;

-- catalog: every service's name and category, archived ones included.
create view catalog_services with (security_invoker = true) as
select salon_id, id, name, category
from services;

-- calendar: every appointment as booked; `deleted_at` is set on deleted ones, which readers
-- filter out unless they mean to count them (a payment outlives its deleted appointment).
create view calendar_appointments with (security_invoker = true) as
select salon_id, id, client_id, client_name, client_phone, staff_id, service_id, service_name,
       date, start_time, end_time, starts_at, ends_at, status, type, price_minor, notes,
       created_by, created_at, deleted_at
from appointments;

-- finances: the payment of a visit, i.e. the completed incoming operation linked to an
-- appointment (at most one: finance_operations_appointment) that no completed reversal cancels.
create view finance_visit_payments with (security_invoker = true) as
select o.salon_id, o.appointment_id, o.id as operation_id, o.amount_minor, pm.type as method_type,
       coalesce(pm.name, nullif(o.payment_method_text, '')) as method_name
from finance_operations o
left join payment_methods pm on pm.salon_id = o.salon_id and pm.id = o.payment_method_id
where o.appointment_id is not null and o.status = 'completed' and o.direction = 'in'
  and not exists (select 1 from finance_operations r
                  where r.salon_id = o.salon_id and r.reversal_of = o.id and r.status = 'completed');

-- audit: the audit trail as the overview shows it (without the client address).
create view audit_trail with (security_invoker = true) as
select salon_id, id, user_id, entity, entity_id, action, before, after, created_at
from changes;
