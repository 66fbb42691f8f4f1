//! Declarative salons (`tenants/*.toml`): demo data for `make run` and provisioning.
//!
//! ```toml
//! slug = "kyiv-beauty"
//! name = "Kyiv Beauty"
//! timezone = "Europe/Kyiv"
//! [admin]
//! email = "admin@kyiv-beauty.example"
//! password = "…"
//! first_name = "Олена"
//! last_name = "Коваль"
//! ```
//! Applying a file whose slug exists leaves that salon untouched.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::{
    auth::{NewAccount, Role, create_account, password, seed_role_permissions},
    tenancy::PlatformDb,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    pub slug: String,
    pub name: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    pub admin: AdminSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSpec {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub phone: Option<String>,
}

fn default_timezone() -> String {
    "Europe/Kyiv".into()
}

pub enum Applied {
    Created { slug: String },
    Exists { slug: String },
}

pub async fn apply_file(platform: &PlatformDb, path: &Path) -> anyhow::Result<(Applied, TenantFile)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let spec: TenantFile = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    if spec.timezone.parse::<chrono_tz::Tz>().is_err() {
        bail!("{}: unknown timezone {}", path.display(), spec.timezone);
    }
    let applied = apply(platform, &spec).await?;
    Ok((applied, spec))
}

pub async fn apply(platform: &PlatformDb, spec: &TenantFile) -> anyhow::Result<Applied> {
    if platform.salon_by_slug(&spec.slug).await?.is_some() {
        return Ok(Applied::Exists { slug: spec.slug.clone() });
    }
    let email = crate::auth::normalise_email("email", &spec.admin.email)?;
    let hash = password::hash(spec.admin.password.clone()).await?;
    let (mut tx, salon) = platform
        .register_salon(&spec.name, &spec.slug, &spec.timezone)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e:?}", spec.slug))?;
    if salon.slug != spec.slug {
        bail!("slug {} was taken while applying", spec.slug);
    }
    let account = NewAccount {
        email,
        password_hash: Some(hash),
        first_name: spec.admin.first_name.clone(),
        last_name: spec.admin.last_name.clone(),
        phone: spec.admin.phone.clone(),
        role: Role::Admin,
    };
    create_account(&mut tx, &account).await?;
    seed_role_permissions(&mut tx).await?;
    tx.commit().await?;
    Ok(Applied::Created { slug: salon.slug })
}
