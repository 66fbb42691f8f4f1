-- Document numbers (contract §3.7): `number` is the number the user typed on the form, unique
-- per salon and document type. The server's gap-free series (`РН-2026-000001`, counters in
-- `document_counters`) numbers the documents sent without one and every receipt the server
-- prints; the series number is kept in `series_number` (also when a number was typed).
--
-- Until now every document got a series number in `number` and the typed value went to
-- `external_number`. Existing rows are moved to the new shape: the series number goes to
-- `series_number`, and what was typed becomes `number`. Typed numbers were never unique, so
-- when several documents of a salon and type typed the same value, or a document keeps that
-- value as its own number (one typed nothing and its series number equals it), the oldest
-- typed one gets the value and the others get the value followed by their series number in
-- brackets (`INV-7 (РН-2026-000012)`): nothing typed is lost and numbers become unique.

alter table finance_documents drop constraint finance_documents_salon_id_number_key;
alter table finance_documents add column series_number text;
update finance_documents set series_number = number;

with typed as (
    select d.salon_id, d.id, btrim(d.external_number) as typed,
           row_number() over (partition by d.salon_id, d.type, btrim(d.external_number) order by d.id) as nth,
           exists (select 1 from finance_documents o
                   where o.salon_id = d.salon_id and o.type = d.type and o.number = btrim(d.external_number)
                     and btrim(o.external_number) in ('', o.number)) as held
    from finance_documents d
    where btrim(d.external_number) not in ('', d.number)
)
update finance_documents d
set number = case when t.nth = 1 and not t.held then t.typed else t.typed || ' (' || d.number || ')' end
from typed t
where d.salon_id = t.salon_id and d.id = t.id;

alter table finance_documents drop column external_number;
alter table finance_documents add constraint finance_documents_number_check check (btrim(number) <> '');
-- The index decides between concurrent creations with the same number.
alter table finance_documents add constraint finance_documents_number_key unique (salon_id, type, number);
alter table finance_documents add constraint finance_documents_series_number_key unique (salon_id, type, series_number);
