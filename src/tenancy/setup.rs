//! Database provisioning: roles and database (`bootstrap`), schema and policies (`migrate`).

use std::str::FromStr;

use anyhow::{Context, bail};
use secrecy::ExposeSecret;
use sqlx::{Connection, Executor, PgConnection, postgres::PgConnectOptions};

use crate::config::Config;

/// The role that bypasses RLS and owns the `platform.*` functions. It cannot log in.
pub const PLATFORM_ROLE: &str = "adelante_platform";
/// The role the server and worker connect as; the policies grant to it by this name.
pub const APP_ROLE: &str = "adelante_app";
/// The job queue's schema (graphile_worker's tables and functions), owned by the owner role like
/// every migrated object; `policies/00_grants.sql` says what the server and worker may do in it.
pub const QUEUE_SCHEMA: &str = "graphile_worker";

/// Default privileges and database grants, applied before the migrations on every `migrate`,
/// so what a migration creates is privileged alike on fresh and upgraded databases.
const BEFORE_MIGRATIONS: (&str, &str) = ("00_defaults.sql", include_str!("../../policies/00_defaults.sql"));

/// Policies and grants, applied in this order after the migrations on every `migrate`, in one
/// transaction. Each file is idempotent (`create or replace`, `drop policy if exists`).
const POLICIES: &[(&str, &str)] = &[
    ("00_grants.sql", include_str!("../../policies/00_grants.sql")),
    ("10_tenant_rls.sql", include_str!("../../policies/10_tenant_rls.sql")),
    ("20_platform.sql", include_str!("../../policies/20_platform.sql")),
];

struct RoleSpec {
    name: String,
    password: Option<String>,
}

fn role_of(url: &str) -> anyhow::Result<(RoleSpec, String)> {
    let parsed = url::Url::parse(url).context("database URL is not a URL")?;
    let name = parsed.username().to_owned();
    if name.is_empty() {
        bail!("database URL names no user");
    }
    let password = parsed
        .password()
        .map(|p| percent_encoding::percent_decode_str(p).decode_utf8().map(|p| p.into_owned()))
        .transpose()
        .context("database password is not UTF-8")?;
    let db = parsed.path().trim_start_matches('/').to_owned();
    Ok((RoleSpec { name, password }, db))
}

/// Creates the owner, app and platform roles and the database when missing (idempotent).
/// Needs a superuser connection; production operators may do the same by hand.
pub async fn bootstrap(config: &Config) -> anyhow::Result<()> {
    let superuser = config
        .database_superuser_url
        .as_ref()
        .context("DATABASE_SUPERUSER_URL is needed to create roles and the database")?;
    let (owner, db_name) = role_of(config.database_owner_url.expose_secret())?;
    let (app, app_db) = role_of(config.database_url.expose_secret())?;
    if app.name != APP_ROLE {
        bail!("DATABASE_URL must connect as {APP_ROLE} (the policies grant to that role), not {}", app.name);
    }
    if db_name != app_db {
        bail!("DATABASE_URL and DATABASE_OWNER_URL must name the same database");
    }
    let mut su = PgConnection::connect(superuser.expose_secret()).await.context("superuser connection")?;
    ensure_roles(&mut su, &owner, &app).await?;
    create_database(&mut su, &db_name, &owner.name).await?;
    su.close().await?;

    let options = PgConnectOptions::from_str(superuser.expose_secret())?.database(&db_name);
    let mut su_db = PgConnection::connect_with(&options).await?;
    prepare_database(&mut su_db, &owner.name).await?;
    su_db.close().await?;
    Ok(())
}

async fn ensure_roles(su: &mut PgConnection, owner: &RoleSpec, app: &RoleSpec) -> anyhow::Result<()> {
    // Roles are cluster-wide and may be created by several test processes at once.
    sqlx::query!("select pg_advisory_lock(7345001)").fetch_one(&mut *su).await?;
    let result = async {
        create_role(su, &owner.name, owner.password.as_deref(), "login nosuperuser nobypassrls nocreaterole").await?;
        create_role(su, &app.name, app.password.as_deref(), "login nosuperuser nobypassrls nocreaterole nocreatedb").await?;
        create_role(su, PLATFORM_ROLE, None, "nologin nosuperuser bypassrls").await?;
        // The owner hands the platform functions to the platform role (ALTER ... OWNER needs
        // membership); membership does not pass on BYPASSRLS.
        exec_format(su, "grant %I to %I", &[PLATFORM_ROLE, &owner.name]).await?;
        // One stuck request must not hold a salon's rows.
        for setting in [
            "statement_timeout = '15s'",
            "lock_timeout = '5s'",
            "idle_in_transaction_session_timeout = '60s'",
        ] {
            let sql = format!("alter role {} set {setting}", quote_ident(&app.name));
            su.execute(sqlx::AssertSqlSafe(sql)).await?;
        }
        anyhow::Ok(())
    }
    .await;
    sqlx::query!("select pg_advisory_unlock(7345001)").fetch_one(&mut *su).await?;
    result
}

async fn create_role(su: &mut PgConnection, name: &str, password: Option<&str>, attrs: &str) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar!(r#"select exists(select 1 from pg_roles where rolname = $1) as "exists!""#, name)
        .fetch_one(&mut *su)
        .await?;
    let verb = if exists { "alter" } else { "create" };
    let mut sql = format!("{verb} role {} {attrs}", quote_ident(name));
    if let Some(pw) = password {
        sql.push_str(&format!(" password {}", quote_literal(pw)));
    }
    su.execute(sqlx::AssertSqlSafe(sql)).await?;
    Ok(())
}

async fn create_database(su: &mut PgConnection, name: &str, owner: &str) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar!(
        r#"select exists(select 1 from pg_database where datname = $1) as "exists!""#,
        name,
    )
    .fetch_one(&mut *su)
    .await?;
    if !exists {
        exec_format(su, "create database %I owner %I encoding 'UTF8' template template0", &[name, owner]).await?;
        tracing::info!(database = name, "created database");
    }
    Ok(())
}

async fn prepare_database(su: &mut PgConnection, owner: &str) -> anyhow::Result<()> {
    su.execute("create extension if not exists btree_gist").await?;
    su.execute("create extension if not exists citext").await?;
    exec_format(su, "alter schema public owner to %I", &[owner]).await?;
    su.execute("revoke create on schema public from public").await?;
    Ok(())
}

/// Applies the migrations, then the policies and grants, as the owner role.
pub async fn migrate(owner_url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(owner_url).await.context("owner connection")?;
    let owns_schema: bool = sqlx::query_scalar!(
        r#"select pg_get_userbyid(nspowner) = current_user as "owns!" from pg_namespace where nspname = 'public'"#,
    )
    .fetch_one(&mut conn)
    .await?;
    if !owns_schema {
        bail!("DATABASE_OWNER_URL must connect as the owner of schema public (run `adelante bootstrap`)");
    }
    let mut tx = conn.begin().await?;
    sqlx::query!("select pg_advisory_xact_lock(7345002)").fetch_one(&mut *tx).await?;
    let (name, sql) = BEFORE_MIGRATIONS;
    sqlx::raw_sql(sql).execute(&mut *tx).await.with_context(|| format!("policies/{name}"))?;
    tx.commit().await?;

    sqlx::migrate!("./migrations").run(&mut conn).await.context("migrations")?;
    install_queue(owner_url).await?;

    let mut tx = conn.begin().await?;
    sqlx::query!("select pg_advisory_xact_lock(7345002)").fetch_one(&mut *tx).await?;
    for (name, sql) in POLICIES {
        sqlx::raw_sql(*sql).execute(&mut *tx).await.with_context(|| format!("policies/{name}"))?;
    }
    refuse_foreign_platform_objects(&mut tx).await?;
    tx.commit().await?;
    conn.close().await?;
    Ok(())
}

/// Creates or upgrades the job queue's schema with graphile_worker's own migrations, as the
/// owner. A worker started later finds it current and changes nothing (the app role may not).
async fn install_queue(owner_url: &str) -> anyhow::Result<()> {
    let pool = sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(owner_url).await?;
    graphile_worker::WorkerUtils::new(pool.clone(), QUEUE_SCHEMA)
        .migrate()
        .await
        .context("the job queue's schema")?;
    pool.close().await;
    Ok(())
}

/// Fails when schema `platform` holds a function the policy files did not just (re)define, or
/// any table or view. Such an object was not put there by a release: a function owned by the
/// platform role and callable by the server is a way around row-level security, so `migrate`
/// stops for a person to look rather than carry on beside it.
///
/// "Defined by this migrate" is read from the catalogue: `create or replace function` always
/// writes a new version of the function's `pg_proc` row, stamped with the writing transaction's
/// id, so a platform function whose row carries another id was not (re)created by the policy
/// files applied in this transaction. (Hence 20_platform.sql creates its functions at the top
/// level, not inside a block with an exception handler, which would stamp a subtransaction.)
async fn refuse_foreign_platform_objects(tx: &mut PgConnection) -> anyhow::Result<()> {
    let foreign: Vec<String> = sqlx::query_scalar!(
        r#"select p.oid::regprocedure::text as "name!" from pg_proc p
         where p.pronamespace = 'platform'::regnamespace and p.xmin <> pg_current_xact_id()::xid
         union all
         select c.oid::regclass::text from pg_class c where c.relnamespace = 'platform'::regnamespace
         order by 1"#,
    )
    .fetch_all(&mut *tx)
    .await?;
    if !foreign.is_empty() {
        bail!(
            "schema platform holds objects no policy file defines: {}. Nothing but the functions of \
             policies/20_platform.sql belongs there, and these may be left by an attack through the platform \
             role; inspect them (owner, definition, who may execute) and drop them as the database owner, then \
             run migrate again",
            foreign.join(", ")
        );
    }
    Ok(())
}

/// Refuses to serve through a `DATABASE_URL` role that row-level security would not hold: a
/// superuser, a role with BYPASSRLS, the owner of any table (or a member of such a role, which
/// can act as it), or one that may create temporary objects (which `migrate` forbids; a
/// database restored or cloned without `migrate` allows them again). `serve` and `worker`
/// call this before anything else.
pub async fn check_server_role(database_url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(database_url).await.context("database connection (DATABASE_URL)")?;
    let row = sqlx::query!(
        r#"select current_user::text as "role!",
                array(select r.rolname::text from pg_roles r
                      where r.rolsuper and pg_has_role(current_user, r.oid, 'member') order by 1) as "superusers!",
                array(select r.rolname::text from pg_roles r
                      where r.rolbypassrls and pg_has_role(current_user, r.oid, 'member') order by 1) as "bypassers!",
                array(select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                      where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
                        and n.nspname not like 'pg\_%' and n.nspname <> 'information_schema'
                        and pg_has_role(current_user, c.relowner, 'member')
                      order by 1 limit 5) as "owned!",
                has_database_privilege(current_database(), 'temporary') as "temporary!""#,
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    let role = row.role;
    let as_role = |via: &[String]| {
        if via.contains(&role) { String::new() } else { format!(" (through membership in {})", via.join(", ")) }
    };
    let (superusers, bypassers, owned) = (row.superusers, row.bypassers, row.owned);
    let problem = if !superusers.is_empty() {
        format!("is a superuser{}", as_role(&superusers))
    } else if !bypassers.is_empty() {
        format!("bypasses row-level security (BYPASSRLS){}", as_role(&bypassers))
    } else if !owned.is_empty() {
        format!("owns tables, which row-level security does not hold it to: {}", owned.join(", "))
    } else if row.temporary {
        "may create temporary objects in the database (run `adelante migrate`, which revokes TEMPORARY)".to_owned()
    } else {
        return Ok(());
    };
    bail!(
        "DATABASE_URL connects as {role}, which {problem}. The server must connect as {APP_ROLE}, a role that \
         owns nothing and bypasses nothing (see `adelante bootstrap`)"
    )
}

/// Runs `format(template, args...)` server-side so identifiers are quoted by PostgreSQL.
async fn exec_format(conn: &mut PgConnection, template: &str, args: &[&str]) -> anyhow::Result<()> {
    let mut q = sqlx::query_scalar::<_, String>(match args.len() {
        1 => "select format($1, $2)",
        2 => "select format($1, $2, $3)",
        _ => bail!("exec_format takes one or two arguments"),
    })
    .bind(template);
    for a in args {
        q = q.bind(*a);
    }
    let sql = q.fetch_one(&mut *conn).await?;
    conn.execute(sqlx::AssertSqlSafe(sql)).await?;
    Ok(())
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_role_and_database_from_url() {
        let (role, db) = role_of("postgres://adelante_app:p%40ss@127.0.0.1:5432/adelante").unwrap();
        assert_eq!(role.name, "adelante_app");
        assert_eq!(role.password.as_deref(), Some("p@ss"));
        assert_eq!(db, "adelante");
    }

    #[test]
    fn quoting_doubles_quotes() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
