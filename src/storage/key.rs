//! File keys: relative paths that cannot escape the store.

use std::fmt;

/// A checked key: 1 to 8 `/`-separated segments of ASCII letters, digits, `-`, `_` and `.`,
/// none empty and none starting with a dot (so no `.`, `..` or hidden files), at most 512
/// bytes, and an extension the store knows a content type for.
#[derive(Clone, PartialEq, Eq)]
pub struct FileKey(String);

const MAX_LEN: usize = 512;
const MAX_SEGMENTS: usize = 8;

impl FileKey {
    pub fn parse(raw: &str) -> Option<FileKey> {
        if raw.is_empty() || raw.len() > MAX_LEN {
            return None;
        }
        let segments: Vec<&str> = raw.split('/').collect();
        let valid = segments.len() <= MAX_SEGMENTS
            && segments.iter().all(|s| {
                !s.is_empty()
                    && !s.starts_with('.')
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            });
        let key = FileKey(raw.to_owned());
        (valid && key.content_type().is_some()).then_some(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The media type served for this key, by its extension (the store writes only files it
    /// produced itself, so the extension is trustworthy).
    pub fn content_type(&self) -> Option<&'static str> {
        let ext = self.0.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "webp" => "image/webp",
            "pdf" => "application/pdf",
            _ => return None,
        })
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileKey({})", self.0)
    }
}

impl fmt::Display for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_tenant_prefixed_keys() {
        let key = FileKey::parse("salons/7/avatars/12-0a1b2c.png").unwrap();
        assert_eq!(key.content_type(), Some("image/png"));
    }

    #[test]
    fn refuses_anything_that_could_leave_the_root() {
        for bad in [
            "",
            "/etc/passwd",
            "../x.png",
            "salons/../../x.png",
            "salons/./x.png",
            "salons//x.png",
            "salons/.hidden.png",
            "salons\\..\\x.png",
            "salons/x.png/",
            "salons/%2e%2e/x.png",
            "salons/x y.png",
            "salons/x.sh",
            "salons/x",
            "a/b/c/d/e/f/g/h/i.png",
        ] {
            assert!(FileKey::parse(bad).is_none(), "{bad:?} accepted");
        }
        assert!(FileKey::parse(&format!("{}.png", "a".repeat(600))).is_none());
    }
}
