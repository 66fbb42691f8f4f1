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
    Local(Arc<Local>),
}

/// The single-node stand-in: counters and text values, each with its expiry.
#[derive(Default)]
pub struct Local {
    counters: Mutex<HashMap<String, (u64, Instant)>>,
    texts: Mutex<HashMap<String, (String, Instant)>>,
}

/// `EVAL script n key…` over the prefixed keys; arguments follow with `.arg`.
fn eval(script: &str, prefix: &str, keys: &[String]) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(script).arg(keys.len());
    for key in keys {
        cmd.arg(format!("{prefix}{key}"));
    }
    cmd
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
            Kv::Local(local) => {
                let map = locked(&local.counters);
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
            Kv::Local(local) => {
                let mut map = locked(&local.counters);
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

    /// Counts one hit on each key and answers every key's new value with the time until its
    /// window ends, in one atomic step: the decision is taken on the count that includes this
    /// hit, so parallel requests cannot all read the same old value. A key's window (`window`)
    /// starts at its first hit; a key somehow left without an expiry gets one.
    pub async fn hit(&self, keys: &[String], window: Duration) -> anyhow::Result<Vec<(u64, Duration)>> {
        const SCRIPT: &str = "local out = {}
            for i, key in ipairs(KEYS) do
                local n = redis.call('INCR', key)
                local ttl = redis.call('PTTL', key)
                if ttl < 0 then
                    redis.call('PEXPIRE', key, ARGV[1])
                    ttl = tonumber(ARGV[1])
                end
                out[#out + 1] = n
                out[#out + 1] = ttl
            end
            return out";
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                let mut cmd = eval(SCRIPT, prefix, keys);
                cmd.arg(window.as_millis().max(1) as u64);
                let flat: Vec<i64> = cmd.query_async(&mut conn).await?;
                Ok(flat.chunks(2).map(|p| (p[0].max(0) as u64, Duration::from_millis(p[1].max(0) as u64))).collect())
            }
            Kv::Local(local) => {
                let mut map = locked(&local.counters);
                let now = Instant::now();
                if map.len() > 100_000 {
                    map.retain(|_, (_, until)| *until > now);
                }
                Ok(keys
                    .iter()
                    .map(|key| {
                        let entry = map.entry(key.clone()).or_insert((0, now + window));
                        if entry.1 <= now {
                            *entry = (0, now + window);
                        }
                        entry.0 += 1;
                        (entry.0, entry.1 - now)
                    })
                    .collect())
            }
        }
    }

    /// Takes one hit back from each key that still exists (an attempt that turned out not
    /// to count, such as a successful sign-in).
    pub async fn unhit(&self, keys: &[String]) -> anyhow::Result<()> {
        const SCRIPT: &str = "for i, key in ipairs(KEYS) do
                if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
            end
            return 0";
        if keys.is_empty() {
            return Ok(());
        }
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                let _: i64 = eval(SCRIPT, prefix, keys).query_async(&mut conn).await?;
            }
            Kv::Local(local) => {
                let mut map = locked(&local.counters);
                for key in keys {
                    if let Some(entry) = map.get_mut(key) {
                        entry.0 = entry.0.saturating_sub(1);
                    }
                }
            }
        }
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                let _: u64 = redis::cmd("DEL").arg(format!("{prefix}{key}")).query_async(&mut conn).await?;
            }
            Kv::Local(local) => {
                locked(&local.counters).remove(key);
                locked(&local.texts).remove(key);
            }
        }
        Ok(())
    }

    /// A text value, if present and not expired.
    pub async fn get_text(&self, key: &str) -> anyhow::Result<Option<String>> {
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                Ok(redis::cmd("GET").arg(format!("{prefix}{key}")).query_async(&mut conn).await?)
            }
            Kv::Local(local) => Ok(locked(&local.texts)
                .get(key)
                .filter(|(_, until)| *until > Instant::now())
                .map(|(text, _)| text.clone())),
        }
    }

    /// Stores a text value that expires after `ttl`.
    pub async fn set_text(&self, key: &str, value: &str, ttl: Duration) -> anyhow::Result<()> {
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                let ms = ttl.as_millis() as u64;
                let _: () = redis::cmd("SET").arg(format!("{prefix}{key}")).arg(value).arg("PX").arg(ms).query_async(&mut conn).await?;
            }
            Kv::Local(local) => {
                let mut map = locked(&local.texts);
                let now = Instant::now();
                if map.len() > 10_000 {
                    map.retain(|_, (_, until)| *until > now);
                }
                map.insert(key.to_owned(), (value.to_owned(), now + ttl));
            }
        }
        Ok(())
    }

    /// Reads and removes a text value in one step: whoever takes it, takes it alone (a
    /// single-use code).
    pub async fn take_text(&self, key: &str) -> anyhow::Result<Option<String>> {
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                Ok(redis::cmd("GETDEL").arg(format!("{prefix}{key}")).query_async(&mut conn).await?)
            }
            Kv::Local(local) => {
                Ok(locked(&local.texts).remove(key).filter(|(_, until)| *until > Instant::now()).map(|(text, _)| text))
            }
        }
    }

    /// Stores a text value only where there is none: `false` when the key was taken already
    /// (a Telegram update seen before).
    pub async fn claim_text(&self, key: &str, value: &str, ttl: Duration) -> anyhow::Result<bool> {
        match self {
            Kv::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                let ms = ttl.as_millis() as u64;
                let set: Option<String> =
                    redis::cmd("SET").arg(format!("{prefix}{key}")).arg(value).arg("NX").arg("PX").arg(ms).query_async(&mut conn).await?;
                Ok(set.is_some())
            }
            Kv::Local(local) => {
                let mut map = locked(&local.texts);
                let now = Instant::now();
                if map.get(key).is_some_and(|(_, until)| *until > now) {
                    return Ok(false);
                }
                map.insert(key.to_owned(), (value.to_owned(), now + ttl));
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_texts_are_taken_once_and_claimed_once() {
        let kv = Kv::connect(None, "").unwrap();
        kv.set_text("code", "v", Duration::from_secs(5)).await.unwrap();
        assert_eq!(kv.take_text("code").await.unwrap().as_deref(), Some("v"));
        assert_eq!(kv.take_text("code").await.unwrap(), None);
        assert!(kv.claim_text("u", "1", Duration::from_secs(5)).await.unwrap());
        assert!(!kv.claim_text("u", "1", Duration::from_secs(5)).await.unwrap());
    }

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

    #[tokio::test]
    async fn local_hits_count_first_and_can_be_taken_back() {
        let kv = Kv::connect(None, "").unwrap();
        let keys = ["a".to_owned(), "b".to_owned()];
        let first = kv.hit(&keys, Duration::from_secs(60)).await.unwrap();
        assert_eq!(first.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 1]);
        assert!(first[0].1 > Duration::ZERO && first[0].1 <= Duration::from_secs(60));
        assert_eq!(kv.hit(&keys[..1], Duration::from_secs(60)).await.unwrap()[0].0, 2);
        kv.unhit(&keys).await.unwrap();
        assert_eq!(kv.counter("a").await.unwrap().0, 1);
        assert_eq!(kv.counter("b").await.unwrap().0, 0);
    }

    #[tokio::test]
    async fn local_texts_are_kept_until_deleted_or_expired() {
        let kv = Kv::connect(None, "").unwrap();
        kv.set_text("t", "one", Duration::from_secs(60)).await.unwrap();
        assert_eq!(kv.get_text("t").await.unwrap().as_deref(), Some("one"));
        kv.delete("t").await.unwrap();
        assert_eq!(kv.get_text("t").await.unwrap(), None);
        kv.set_text("t", "two", Duration::from_millis(20)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(kv.get_text("t").await.unwrap(), None);
    }
}
