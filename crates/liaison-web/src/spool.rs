//! Request bodies too big to hold: streamed chunk by chunk into a temporary file that is
//! removed when the [`Spooled`] guard drops (business-data uploads of a million rows, issue 13;
//! the idempotency layer's fingerprint of such a body).

use crate::{AppError, AppResult};
use axum::body::{Body, Bytes};
use futures_util::StreamExt;
use sha2::Digest;
use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;

/// A body kept on disk, deleted on drop.
pub struct Spooled {
    path: PathBuf,
    pub size: u64,
}

impl Spooled {
    /// The file, opened for reading from its start.
    pub fn open(&self) -> AppResult<std::fs::File> {
        let mut f = std::fs::File::open(&self.path)
            .map_err(|e| AppError::Internal(format!("spooled upload: {e}")))?;
        f.seek(SeekFrom::Start(0))
            .map_err(|e| AppError::Internal(format!("spooled upload: {e}")))?;
        Ok(f)
    }

    /// The file as a streamed body (a body read again after it was spooled).
    pub fn body(&self) -> AppResult<Body> {
        let file = tokio::fs::File::from_std(self.open()?);
        let stream = futures_util::stream::unfold(file, |mut file| async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; 256 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), file))
                }
                Err(e) => Some((Err(e), file)),
            }
        });
        Ok(Body::from_stream(stream))
    }
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Somewhere new to write.
fn temp_path() -> PathBuf {
    std::env::temp_dir().join(format!("liaison-upload-{}", uuid::Uuid::now_v7()))
}

/// Writes `chunks` to a temporary file, refusing more than `limit` bytes (413), feeding each
/// chunk to `hash` on the way.
pub async fn spool_stream<S, E>(
    mut chunks: S,
    limit: u64,
    mut hash: Option<&mut sha2::Sha256>,
) -> AppResult<Spooled>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let path = temp_path();
    // New, and readable by this process's user only: partners' figures are confidential.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| AppError::Internal(format!("spooling an upload: {e}")))?;
    let mut spooled = Spooled { path, size: 0 };
    let mut buf = std::io::BufWriter::with_capacity(1 << 20, &mut file);
    while let Some(chunk) = chunks.next().await {
        let chunk =
            chunk.map_err(|e| AppError::BadRequest(format!("the upload broke off: {e}")))?;
        spooled.size += chunk.len() as u64;
        if spooled.size > limit {
            return Err(AppError::PayloadTooLarge(format!(
                "the upload is larger than {} MB",
                limit / (1024 * 1024)
            )));
        }
        if let Some(h) = hash.as_deref_mut() {
            h.update(&chunk);
        }
        buf.write_all(&chunk)
            .map_err(|e| AppError::Internal(format!("spooling an upload: {e}")))?;
    }
    buf.flush()
        .map_err(|e| AppError::Internal(format!("spooling an upload: {e}")))?;
    drop(buf);
    Ok(spooled)
}

/// A whole request body to a temporary file.
pub async fn spool(body: Body, limit: u64) -> AppResult<Spooled> {
    spool_stream(body.into_data_stream(), limit, None).await
}
