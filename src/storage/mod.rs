//! The file store: where uploaded files live (local disk under `UPLOAD_DIR` by default).
