-- clients: every card's e-mail, deleted cards included, for mails sent to a client (a receipt
-- mailed from finances). A view of its own: `client_contacts` keeps its columns.
create view client_emails with (security_invoker = true) as
select salon_id, id, email
from clients;
