//! Handlers of the client card: list, read, create, change, delete (soft) and restore.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header::HeaderName},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

use super::{
    ClientsDelete, ClientsEdit, ClientsExport, ClientsHistory, ClientsView, Deleted,
    export::{self, ExportQuery},
    history::{self, ClientHistory, HistoryQuery, HistoryType},
    input::{ClientChanges, NewClient},
    model::{CardQuery, Client, ClientDetail, ClientFilter},
    redact::Shown,
    store,
};
use crate::{
    audit,
    auth::{Can, ClientIp, CurrentUser, Role},
    error::AppError,
    http::{
        AppJson, AppPath, AppQuery,
        page::{Paged, Unpaged},
    },
    ids::ClientId,
    realtime::{Event, Hub},
    tenancy::{Lock, SalonClock, SalonId, TenantTx},
    xlsx,
};

/// Completed visits shown with a client's card.
const CARD_VISITS: i64 = 20;

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}

/// Card fields a user sees only with the roles page's permission for them.
mod shown {
    crate::permission!(Contacts = "clients.card.show_phone");
    crate::permission!(Surname = "clients.card.show_name");
    crate::permission!(Note = "clients.card.view_note");
    crate::permission!(Loyalty = "clients.loyalty.view");
}

/// After commit: the change of client `id` to the salon's sockets whose users may see the
/// client, without the card fields a receiver may not see.
async fn announce(hub: &Hub, salon: SalonId, kind: &str, id: ClientId, data: &impl Serialize) {
    let event = Event::new(kind, data)
        .requires::<ClientsView>()
        .about_client(Some(id))
        .hiding_unless::<shown::Contacts>(&["phone", "email"])
        .hiding_unless::<shown::Surname>(&["middleName", "lastName", "name"])
        .hiding_unless::<shown::Note>(&["notes"])
        .hiding_unless::<shown::Loyalty>(&["bonusBalance"]);
    hub.publish(salon, &event).await;
}

/// Live clients matching the filters, sorted (by name unless `sortBy` says otherwise).
/// `page`/`perPage` do not cut the answer: the clients page slices it itself (contract §10,
/// decision 2); `limit`/`offset` do ([`Unpaged`]). `X-Total-Count` always holds the number of
/// matches.
/// `deleted=true` lists the deleted clients instead (administrators only).
#[utoipa::path(get, path = "/clients", tag = "clients", security(("bearer" = [])), params(ClientFilter, Unpaged),
    responses((status = 200, body = [Client], headers(("X-Total-Count" = i64, description = "matches before limit/offset"))),
              (status = 403), (status = 422)))]
pub async fn list_clients(
    Can(user, ..): Can<ClientsView>,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<ClientFilter>,
    AppQuery(paging): AppQuery<Unpaged>,
) -> Result<Response, AppError> {
    let rows = paging.rows()?;
    if filter.deleted == Some(true) && user.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    if let (Some(from), Some(to)) = (filter.date_from, filter.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    let shown = Shown::list(&user);
    let args = || store::ListArgs::new(&filter, super::own_scope(&user), shown.contacts());
    let clients = store::list(&mut tx, args(), rows).await?;
    let total = match clients.first() {
        Some(c) => c.total_count,
        // A window past the end still reports the number of matches.
        None if rows.offset > 0 => store::count(&mut tx, args()).await?,
        None => 0,
    };
    tx.commit().await?;
    let clients: Vec<Client> = clients.into_iter().map(|c| shown.apply(c)).collect();
    let mut res = Json(clients).into_response();
    res.headers_mut().insert(HeaderName::from_static("x-total-count"), HeaderValue::from(total));
    Ok(res)
}

/// One client with statistics and the latest completed visits. A deleted client is 404 like
/// any missing one; an administrator opens it with `?deleted=true` (with `deletedAt`) and may
/// restore it (`POST /clients/{id}/restore`).
#[utoipa::path(get, path = "/clients/{id}", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path), CardQuery),
    responses((status = 200, body = ClientDetail), (status = 403, description = "`deleted=true` from a non-administrator"),
              (status = 404)))]
pub async fn get_client(
    Can(user, ..): Can<ClientsView>,
    mut tx: TenantTx,
    AppPath(id): AppPath<ClientId>,
    AppQuery(q): AppQuery<CardQuery>,
) -> Result<Json<ClientDetail>, AppError> {
    let with_deleted = super::with_deleted(&user, q.deleted)?;
    let client = store::find(&mut tx, id, with_deleted, Lock::No).await?.ok_or(AppError::NotFound)?;
    super::ensure_visible(&mut tx, &user, id).await?;
    let statistics = store::statistics(&mut tx, id).await?;
    let visits = if user.may("clients.history.view") {
        history::recent_completed(&mut tx, id.get(), CARD_VISITS).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(Json(ClientDetail { client: Shown::card(&user).apply(client), statistics, visits }))
}

/// Adds a client (segment `new`, no visits). The phone is stored as E.164 and is unique among
/// the salon's live clients: a taken phone is a 409 whose `conflict.id` names the holder.
#[utoipa::path(post, path = "/clients", tag = "clients", security(("bearer" = [])), request_body = NewClient,
    responses((status = 201, body = Client), (status = 403),
              (status = 409, description = "phone taken; `conflict: {id}` names the existing client"),
              (status = 422)))]
pub async fn create_client(
    State(hub): State<Hub>,
    Can(user, ..): Can<ClientsView>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewClient>,
) -> Result<(StatusCode, Json<Client>), AppError> {
    let values = input.validate(SalonClock::read(&mut tx).await?.today())?;
    let client = store::insert(&mut tx, &values).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "client", entity_id: Some(client.id.get()), action: "created",
        before: None, after: Some(json(&client)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    announce(&hub, user.salon, "client:created", client.id, &client).await;
    Ok((StatusCode::CREATED, Json(Shown::card(&user).apply(client))))
}

/// Changes the keys present in the body; the answer is the whole client.
#[utoipa::path(put, path = "/clients/{id}", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ClientChanges,
    responses((status = 200, body = Client), (status = 403), (status = 404),
              (status = 409, description = "phone taken; `conflict: {id}` names the existing client"),
              (status = 422)))]
pub async fn update_client(
    State(hub): State<Hub>,
    Can(user, ..): Can<ClientsEdit>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<ClientId>,
    AppJson(changes): AppJson<ClientChanges>,
) -> Result<Json<Client>, AppError> {
    let shown = Shown::card(&user);
    let values = shown.keep_visible(changes).validate(SalonClock::read(&mut tx).await?.today())?;
    let before = store::find(&mut tx, id, Deleted::Excluded, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    super::ensure_visible(&mut tx, &user, id).await?;
    let after = store::update(&mut tx, id, &values).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "client", entity_id: Some(id.get()), action: "updated",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    announce(&hub, user.salon, "client:updated", id, &after).await;
    Ok(Json(shown.apply(after)))
}

/// Deletes a client softly: gone from lists, search and export; appointments and history
/// stay, and an administrator can restore the card. Refused with 409
/// `client_has_appointments` while an appointment of the client is still to come.
#[utoipa::path(delete, path = "/clients/{id}", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404),
              (status = 409, description = "the client has upcoming appointments")))]
pub async fn delete_client(
    State(hub): State<Hub>,
    Can(user, ..): Can<ClientsDelete>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<ClientId>,
) -> Result<StatusCode, AppError> {
    let before = store::find(&mut tx, id, Deleted::Excluded, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    super::ensure_visible(&mut tx, &user, id).await?;
    if store::has_upcoming_appointments(&mut tx, id).await? {
        return Err(AppError::conflict(
            "client_has_appointments",
            "Клієнта не можна видалити: у нього є майбутні записи. Скасуйте або перенесіть їх спочатку",
        ));
    }
    let after = store::soft_delete(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "client", entity_id: Some(id.get()), action: "deleted",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    announce(&hub, user.salon, "client:deleted", id, &json!({ "id": id })).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Brings a deleted client back, with their history (administrators only, 403 otherwise).
/// 404 for an id that is not a deleted client of the salon; 409 with `conflict: {id}` when a
/// live client has taken the phone since.
#[utoipa::path(post, path = "/clients/{id}/restore", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Client), (status = 403, description = "not an administrator"),
              (status = 404), (status = 409, description = "the phone now belongs to another live client")))]
pub async fn restore_client(
    State(hub): State<Hub>,
    user: CurrentUser,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<ClientId>,
) -> Result<Json<Client>, AppError> {
    if user.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let before = store::find(&mut tx, id, Deleted::Included, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    if before.deleted_at.is_none() {
        return Err(AppError::NotFound);
    }
    if let Some(owner) = store::phone_owner(&mut tx, &before.phone, Some(id)).await? {
        return Err(store::phone_taken(owner));
    }
    let after = store::restore(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "client", entity_id: Some(id.get()), action: "updated",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    announce(&hub, user.salon, "client:updated", id, &after).await;
    Ok(Json(after))
}

/// The client's appointments (every status), newest first, paginated, and their payments
/// (none yet). A deleted client's history stays readable for administrators, with
/// `?deleted=true` as the card.
#[utoipa::path(get, path = "/clients/{id}/history", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path), HistoryQuery, Paged),
    responses((status = 200, body = ClientHistory,
               headers(("X-Total-Count" = i64, description = "appointments in the whole history"))),
              (status = 403), (status = 404)))]
pub async fn client_history(
    Can(user, ..): Can<ClientsHistory>,
    mut tx: TenantTx,
    AppPath(id): AppPath<ClientId>,
    AppQuery(q): AppQuery<HistoryQuery>,
    AppQuery(paging): AppQuery<Paged>,
) -> Result<Response, AppError> {
    let page = paging.page()?;
    let with_deleted = super::with_deleted(&user, q.deleted)?;
    store::find(&mut tx, id, with_deleted, Lock::No).await?.ok_or(AppError::NotFound)?;
    super::ensure_visible(&mut tx, &user, id).await?;
    let (appointments, total) = if q.kind == Some(HistoryType::Purchases) {
        (Vec::new(), 0)
    } else {
        history::visits(&mut tx, id.get(), page).await?
    };
    tx.commit().await?;
    let body = ClientHistory {
        appointments,
        payments: Vec::new(),
        pagination: page.meta(total),
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(HeaderName::from_static("x-total-count"), HeaderValue::from(total));
    Ok(res)
}

/// The live clients matching the filters (every match, sorted like the list) as `clients.xlsx`:
/// a sheet "Клієнти" with Ukrainian headers, dates as Excel dates, phones as text, and with
/// `includeVisits=true` a sheet "Візити". The import reads this file back.
#[utoipa::path(get, path = "/clients/export", tag = "clients", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, description = "clients.xlsx",
               content_type = xlsx::CONTENT_TYPE, body = Vec<u8>),
              (status = 403), (status = 422)))]
pub async fn export_clients(
    Can(user, ..): Can<ClientsExport>,
    _slot: crate::auth::HeavySlot,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let bytes = export::workbook(&mut tx, &user, &q).await?;
    tx.commit().await?;
    Ok(xlsx::attachment(bytes, "clients.xlsx"))
}
