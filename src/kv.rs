//! Short-lived shared state: Redis when `REDIS_URL` is set, an in-process map otherwise.
//!
//! Only what must be shared between server processes lives here (counters for rate limits
//! now; codes and caches later). The in-process stand-in is for a single node (`make run`).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use deadpool_redis::{Pool, Runtime, redis};

#[derive(Clone)]
pub enum Kv {
    Redis { pool: Pool, prefix: String },
    Local(Arc<Mutex<HashMap<String, (u64, Instant)>>>),
}

impl Kv {
    pub fn connect(url: Option<&str>, prefix: &str) -> anyhow::Result<Self> {
        Ok(match url {
            Some(url) => Kv::Redis {
                pool: deadpool_redis::Config::from_url(url).create_pool(Some(Runtime::Tokio1))?,
                prefix: prefix.to_owned(),
            },
            None => Kv::Local(Arc::default()),
        })
    }

    pub fn is_shared(&self) -> bool {
        matches!(self, Kv::Redis { .. })
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        if let Kv::Redis { pool, .. } = self {
            let mut conn = pool.get().await?;
            let _: String = redis::cmd("PING").query_async(&mut conn).await?;
        }
        Ok(())
    }

    /// A counter's value and the time until it resets; `(0, 0)` when absent.
    pub async fn counter(&self, key: &str) -> anyhow::Result<(u64, Duration)> {
        match self {
            Kv::Redis { pool, prefix } => {
                let key = format!("{prefix}{key}");
                let mut conn = pool.get().await?;
                let (count, ttl_ms): (Option<u64>, i64) =
                    redis::pipe().get(&key).pttl(&key).query_async(&mut conn).await?;
                Ok((count.unwrap_or(0), Duration::from_millis(ttl_ms.max(0) as u64)))
            }
            Kv::Local(map) => {
                let map = map.lock().unwrap_or_else(|e| e.into_inner());
                Ok(match map.get(key) {
                    Some((n, until)) if *until > Instant::now() => (*n, *until - Instant::now()),
                    _ => (0, Duration::ZERO),
                })
            }
        }
    }

    /// Increments a counter that expires `window` after its first increment (fixed window).
    pub async fn incr(&self, key: &str, window: Duration) -> anyhow::Result<u64> {
        match self {
            Kv::Redis { pool, prefix } => {
                let key = format!("{prefix}{key}");
                let mut conn = pool.get().await?;
                let ms = window.as_millis() as u64;
                // SET NX starts the window once; INCR counts within it.
                let (count,): (u64,) = redis::pipe()
                    .cmd("SET").arg(&key).arg(0).arg("PX").arg(ms).arg("NX").ignore()
                    .incr(&key, 1u64)
                    .query_async(&mut conn)
                    .await?;
                Ok(count)
            }
            Kv::Local(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                if map.len() > 100_000 {
                    map.retain(|_, (_, until)| *until > now);
                }
                let entry = map.entry(key.to_owned()).or_insert((0, now + window));
                if entry.1 <= now {
                    *entry = (0, now + window);
                }
                entry.0 += 1;
                Ok(entry.0)
            }
        }
    }

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                let _: u64 = redis::cmd("DEL").arg(format!("{prefix}{key}")).query_async(&mut conn).await?;
            }
            Kv::Local(map) => {
                map.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_counters_count_and_expire() {
        let kv = Kv::connect(None, "").unwrap();
        assert_eq!(kv.incr("k", Duration::from_millis(50)).await.unwrap(), 1);
        assert_eq!(kv.incr("k", Duration::from_millis(50)).await.unwrap(), 2);
        let (n, ttl) = kv.counter("k").await.unwrap();
        assert_eq!(n, 2);
        assert!(ttl <= Duration::from_millis(50) && ttl > Duration::ZERO);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(kv.counter("k").await.unwrap().0, 0);
        assert_eq!(kv.incr("k", Duration::from_millis(50)).await.unwrap(), 1, "a new window");
        kv.delete("k").await.unwrap();
        assert_eq!(kv.counter("k").await.unwrap().0, 0);
    }
}
