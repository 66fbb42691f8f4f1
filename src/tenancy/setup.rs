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

/// Policies and grants, applied in this order after the migrations on every `migrate`.
/// Each file is idempotent (`create or replace`, `drop policy if exists`).
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
    sqlx::query("select pg_advisory_lock(7345001)").execute(&mut *su).await?;
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
    sqlx::query("select pg_advisory_unlock(7345001)").execute(&mut *su).await?;
    result
}

async fn create_role(su: &mut PgConnection, name: &str, password: Option<&str>, attrs: &str) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
        .bind(name)
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
    let exists: bool = sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
        .bind(name)
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
    let owns_schema: bool = sqlx::query_scalar(
        "select pg_get_userbyid(nspowner) = current_user from pg_namespace where nspname = 'public'",
    )
    .fetch_one(&mut conn)
    .await?;
    if !owns_schema {
        bail!("DATABASE_OWNER_URL must connect as the owner of schema public (run `adelante bootstrap`)");
    }
    sqlx::migrate!("./migrations").run(&mut conn).await.context("migrations")?;
    let mut tx = conn.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(7345002)").execute(&mut *tx).await?;
    for (name, sql) in POLICIES {
        sqlx::raw_sql(*sql).execute(&mut *tx).await.with_context(|| format!("policies/{name}"))?;
    }
    tx.commit().await?;
    conn.close().await?;
    Ok(())
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
