-- messaging: a confirmation or a cancellation is one message per change that called for it,
-- not one per visit time: a visit cancelled and then restored, or moved away and back after
-- its confirmation went out, is confirmed again. `issue` names the change (a random number
-- carried by the queued notice, the same on every attempt of its job); reminders keep 0, so a
-- visit time is reminded once however its visit moved.
alter table visit_messages add column issue bigint not null default 0;
alter table visit_messages drop constraint visit_messages_salon_id_appointment_id_purpose_visit_at_key;
alter table visit_messages
    add constraint visit_messages_one_per_issue unique (salon_id, appointment_id, purpose, visit_at, issue);
