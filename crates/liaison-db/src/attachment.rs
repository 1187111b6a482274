//! Attachments of a request form (SPEC B1): at most 10 MiB each and 10 a request, of the
//! types partners can open (PDF, images, Office files, plain text and CSV), checked by their
//! content, not only their name. Confidential and secret ones are encrypted at rest.

use crate::audit::Entry;
use crate::{Db, DbError, FromDbRow, Result, RowExt, q};
use base64::Engine;
use chrono::{DateTime, Utc};
use liaison_core::FieldErrors;
use liaison_core::validate::Msg;
use serde::Serialize;
use uuid::Uuid;

pub const MAX_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_PER_REQUEST: i64 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Attachment {
    pub id: Uuid,
    pub request_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

from_row!(Attachment; id: uuid, request_id: uuid, filename: text, content_type: text, size: i64,
    sha256: text, created_at: time);

/// The content type for a file whose bytes match its extension; `Err` says what is wrong.
pub fn check_type(filename: &str, bytes: &[u8]) -> Result<&'static str, Msg> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let zip = bytes.starts_with(b"PK\x03\x04");
    let (ok, ct) = match ext.as_str() {
        "pdf" => (bytes.starts_with(b"%PDF-"), "application/pdf"),
        "png" => (bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "image/png"),
        "jpg" | "jpeg" => (bytes.starts_with(b"\xFF\xD8\xFF"), "image/jpeg"),
        "docx" => (
            zip,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "xlsx" => (
            zip,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "pptx" => (
            zip,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        "txt" | "csv" | "md" => (
            std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
            "text/plain; charset=utf-8",
        ),
        _ => {
            return Err(Msg::new("validate.file_type"));
        }
    };
    if ok {
        Ok(ct)
    } else {
        Err(Msg::new("validate.file_content").arg("ext", ext))
    }
}

pub(crate) fn clean_name(name: &str) -> Result<String, Msg> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty()
        || base.chars().count() > 200
        || base.chars().any(|c| c.is_control() || c == '"')
    {
        return Err(Msg::new("validate.file_name"));
    }
    Ok(base.to_string())
}

pub async fn insert_attachment(
    db: &Db,
    actor: Uuid,
    request_id: Uuid,
    encrypt: bool,
    filename: &str,
    bytes: &[u8],
) -> Result<Attachment> {
    let invalid = |f: &str, m: Msg| DbError::Invalid(FieldErrors::single(f, m));
    let name = clean_name(filename).map_err(|m| invalid("filename", m))?;
    if bytes.is_empty() {
        return Err(invalid("file", Msg::new("validate.file_empty")));
    }
    if bytes.len() > MAX_BYTES {
        return Err(invalid(
            "file",
            Msg::new("validate.file_too_large")
                .arg("size", bytes.len())
                .arg("max", MAX_BYTES),
        ));
    }
    let ct = check_type(&name, bytes).map_err(|m| invalid("file", m))?;
    let count: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM attachments WHERE request_id = $1").bind(request_id))
        .await?;
    if count >= MAX_PER_REQUEST {
        return Err(invalid(
            "file",
            Msg::new("validate.max_attachments").arg("max", MAX_PER_REQUEST),
        ));
    }
    let id = Uuid::now_v7();
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let data = if encrypt {
        db.seal("attachments:data", id, &b64)?
    } else {
        b64
    };
    let sha = crate::sha256_hex(bytes);
    let detail = serde_json::json!({"attachment": id, "filename": name, "size": bytes.len(),
                                    "sha256": sha});
    let now = db
        .write_one(
            |now| {
                q("INSERT INTO attachments (id, request_id, filename, content_type, size, sha256, data, created_by, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(id)
                .bind(request_id)
                .bind(name.as_str())
                .bind(ct)
                .bind(bytes.len() as i64)
                .bind(sha.as_str())
                .bind(data)
                .bind(actor)
                .bind(now)
            },
            Entry::by(actor, "attachment.add", "request", request_id, detail),
        )
        .await?;
    Ok(Attachment {
        id,
        request_id,
        filename: name,
        content_type: ct.to_string(),
        size: bytes.len() as i64,
        sha256: sha,
        created_at: now,
    })
}

pub async fn list_attachments(db: &Db, request_id: Uuid) -> Result<Vec<Attachment>> {
    db.fetch_all(
        q("SELECT id, request_id, filename, content_type, size, sha256, created_at FROM attachments WHERE request_id = $1 ORDER BY id")
            .bind(request_id),
    )
    .await
}

struct Data(Attachment, String);
impl FromDbRow for Data {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(Attachment::from_row(r)?, r.text("data")?))
    }
}

/// The attachment and its bytes (decrypted).
pub async fn read_attachment(db: &Db, request_id: Uuid, id: Uuid) -> Result<(Attachment, Vec<u8>)> {
    let d: Data = db
        .fetch_optional(
            q("SELECT id, request_id, filename, content_type, size, sha256, created_at, data FROM attachments WHERE id = $1 AND request_id = $2")
                .bind(id)
                .bind(request_id),
        )
        .await?
        .ok_or(DbError::NotFound)?;
    let b64 = if crate::crypto::is_encrypted(&d.1) {
        db.open("attachments:data", id, &d.1)?
    } else {
        d.1
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| DbError::Config(e.to_string()))?;
    Ok((d.0, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_must_match_the_extension() {
        assert_eq!(
            check_type("价格表.pdf", b"%PDF-1.7 ..."),
            Ok("application/pdf")
        );
        assert!(check_type("价格表.pdf", b"MZ\x90\x00").is_err());
        assert!(check_type("run.exe", b"MZ").is_err());
        assert!(check_type("a.txt", b"\xff\xfe").is_err());
        assert!(check_type("a.xlsx", b"PK\x03\x04...").is_ok());
        assert_eq!(clean_name("C:\\tmp\\报价.pdf").as_deref(), Ok("报价.pdf"));
        assert!(clean_name("a\"b.pdf").is_err());
    }
}
