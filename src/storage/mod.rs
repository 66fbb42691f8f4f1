//! The file store: where uploaded files live. The embedded default, and for now the only
//! driver, is local disk under `UPLOAD_DIR`; an S3 driver joins [`FileStore`] as a variant.
//!
//! Files are addressed by a [`FileKey`]: a relative, tenant-prefixed path such as
//! `salons/7/avatars/12-<random>.png`. Keys are checked segment by segment, so no key can
//! leave the store's root. Files are served back publicly at `/uploads/{key}` (see [`serve`]):
//! an `<img>` cannot send a token, so a file's secrecy is its unguessable random name.

mod key;
mod local;
pub mod serve;

use bytes::Bytes;

pub use key::FileKey;

use crate::Config;

/// Where files are kept. Cheap to clone.
#[derive(Clone, Debug)]
pub enum FileStore {
    Local(local::LocalDisk),
}

impl FileStore {
    pub fn from_config(config: &Config) -> Self {
        FileStore::Local(local::LocalDisk::new(config.upload_dir.clone()))
    }

    /// Stores `bytes` under `key`, replacing what was there; readers never see a partial file.
    pub async fn put(&self, key: &FileKey, bytes: Bytes) -> anyhow::Result<()> {
        match self {
            FileStore::Local(disk) => disk.put(key, bytes).await,
        }
    }

    /// The file's bytes, `None` when there is no such file.
    pub async fn get(&self, key: &FileKey) -> anyhow::Result<Option<Bytes>> {
        match self {
            FileStore::Local(disk) => disk.get(key).await,
        }
    }

    /// Removes the file; removing a missing file is not an error.
    pub async fn delete(&self, key: &FileKey) -> anyhow::Result<()> {
        match self {
            FileStore::Local(disk) => disk.delete(key).await,
        }
    }

    /// The public URL of a stored file, for `<img src>`.
    pub fn url(config: &Config, key: &FileKey) -> String {
        format!("{}/uploads/{}", config.public_url, key.as_str())
    }
}
