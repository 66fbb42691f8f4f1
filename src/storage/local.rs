//! The local-disk driver: files under one root directory.

use std::{io::ErrorKind, path::PathBuf};

use anyhow::Context;
use bytes::Bytes;

use super::FileKey;

#[derive(Clone, Debug)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &FileKey) -> PathBuf {
        // FileKey admits only plain relative segments, so the join stays under the root.
        self.root.join(key.as_str())
    }

    pub async fn put(&self, key: &FileKey, bytes: Bytes) -> anyhow::Result<()> {
        let path = self.path(key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .with_context(|| format!("creating {}", dir.display()))?;
        }
        // Written aside and renamed into place: a reader sees the old file or the whole new one.
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, &bytes)
            .await
            .with_context(|| format!("writing {}", tmp.display()))?;
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e).with_context(|| format!("renaming into {}", path.display()));
        }
        Ok(())
    }

    pub async fn get(&self, key: &FileKey) -> anyhow::Result<Option<Bytes>> {
        match tokio::fs::read(self.path(key)).await {
            Ok(bytes) => Ok(Some(bytes.into())),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                Ok(None)
            }
            Err(e) => Err(e).with_context(|| format!("reading {key}")),
        }
    }

    pub async fn delete(&self, key: &FileKey) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("deleting {key}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_replace_delete() {
        let root = std::env::temp_dir().join(format!("adelante-store-{}", uuid::Uuid::new_v4()));
        let disk = LocalDisk::new(root.clone());
        let key = FileKey::parse("salons/1/avatars/1-a.png").unwrap();
        assert!(disk.get(&key).await.unwrap().is_none());
        disk.put(&key, Bytes::from_static(b"one")).await.unwrap();
        disk.put(&key, Bytes::from_static(b"two")).await.unwrap();
        assert_eq!(
            disk.get(&key).await.unwrap().unwrap(),
            Bytes::from_static(b"two")
        );
        disk.delete(&key).await.unwrap();
        disk.delete(&key).await.unwrap();
        assert!(disk.get(&key).await.unwrap().is_none());
        let left: Vec<_> = std::fs::read_dir(root.join("salons/1/avatars"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "no temporary files left: {left:?}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
