//! The NDA register (policy §7.1.2, SPEC G2): agreements per partner (covering all its
//! contacts) or per person (one contact), valid between their signing and expiry.

use crate::audit::Entry;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::validate::Msg;
use liaison_core::validate::optional_text;
use liaison_core::{FieldErrors, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Nda {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub contact_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub signed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub document: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whether the signed document itself is on file (issue 9).
    pub has_document: bool,
}

from_row!(Nda; id: uuid, partner_id: uuid, partner_code: text, contact_id: opt_uuid,
    contact_name: opt_text, signed_at: time, expires_at: time, document: opt_text,
    created_at: time, has_document: bool);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NdaInput {
    pub partner: Option<String>,
    pub contact_id: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The signed document's name or reference.
    pub document: Option<String>,
}

const SELECT: &str =
    "SELECT n.id, n.partner_id, p.code AS partner_code, n.contact_id, c.name AS contact_name,
        n.signed_at, n.expires_at, n.document, n.created_at, (n.doc_data IS NOT NULL) AS has_document
   FROM ndas n JOIN partners p ON p.id = n.partner_id LEFT JOIN contacts c ON c.id = n.contact_id";

pub async fn list_ndas(db: &Db, scope: Scope, partner: Option<Uuid>) -> Result<Vec<Nda>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    match scope {
        Scope::All => {}
        Scope::Partner(p) => query.and("n.partner_id =", p),
        Scope::Nothing => return Ok(Vec::new()),
    }
    query.and_some("n.partner_id =", partner);
    query.push_sql(" ORDER BY n.id DESC");
    db.fetch_all(query).await
}

pub async fn insert_nda(db: &Db, actor: Uuid, input: &NdaInput) -> Result<Nda> {
    let mut e = FieldErrors::new();
    let partner = match crate::given(&input.partner) {
        None => {
            e.add("partner", Msg::new("validate.partner_ref_required"));
            None
        }
        Some(p) => match crate::partner::resolve_partner_ref(db, p).await? {
            Some(id) => Some(id),
            None => {
                e.add("partner", Msg::new("validate.no_partner").arg("value", p));
                None
            }
        },
    };
    if let (Some(pid), Some(cid)) = (partner, input.contact_id)
        && crate::partner::find_contact(db, Scope::All, pid, cid)
            .await
            .is_err()
    {
        e.add("contact_id", Msg::new("validate.not_partner_contact"));
    }
    if input.signed_at.is_none() {
        e.required("signed_at");
    }
    match (input.signed_at, input.expires_at) {
        (_, None) => e.required("expires_at"),
        (Some(s), Some(x)) if x <= s => {
            e.add("expires_at", Msg::new("validate.expires_after_signed"))
        }
        _ => {}
    }
    let document = e
        .take(
            "document",
            optional_text(input.document.as_deref().unwrap_or(""), 300),
        )
        .flatten();
    let (Some(partner), Some(signed), Some(expires)) = (partner, input.signed_at, input.expires_at)
    else {
        return Err(DbError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(DbError::Invalid(e));
    }
    let id = Uuid::now_v7();
    let detail = json!({"contact_id": input.contact_id, "signed_at": signed, "expires_at": expires,
                        "document": document});
    db.write_one(
        |now| {
            q("INSERT INTO ndas (id, partner_id, contact_id, signed_at, expires_at, document, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(partner)
            .bind(input.contact_id)
            .bind(signed)
            .bind(expires)
            .bind(document.clone())
            .bind(actor)
            .bind(now)
        },
        Entry::by(actor, "nda.create", "nda", id, detail).of_partner(partner),
    )
    .await?;
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE n.id = $1")).bind(id))
        .await
}

fn doc_aad(id: Uuid) -> String {
    format!("ndas:document:{id}")
}

/// Files the signed document of agreement `id` (replacing any earlier one), encrypted at rest
/// (§7.2.1); the type is checked against the content like a request attachment.
pub async fn attach_document(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<Nda> {
    use base64::Engine;
    let invalid =
        |f: &str, m: liaison_core::validate::Msg| DbError::Invalid(FieldErrors::single(f, m));
    let nda: Nda = db
        .fetch_optional(Q::dynamic(format!("{SELECT} WHERE n.id = $1")).bind(id))
        .await?
        .ok_or(DbError::NotFound)?;
    if bytes.is_empty() {
        return Err(invalid(
            "file",
            liaison_core::validate::Msg::new("validate.file_empty"),
        ));
    }
    if bytes.len() > crate::attachment::MAX_BYTES {
        return Err(invalid(
            "file",
            liaison_core::validate::Msg::new("validate.file_too_large")
                .arg("size", bytes.len())
                .arg("max", crate::attachment::MAX_BYTES),
        ));
    }
    let name = filename.trim();
    let ct = crate::attachment::check_type(name, bytes)
        .map_err(|m| DbError::Invalid(FieldErrors::single("file", m)))?;
    let data = db
        .cipher()?
        .encrypt(
            &doc_aad(id),
            &base64::engine::general_purpose::STANDARD.encode(bytes),
        )
        .map_err(|e| DbError::Config(e.to_string()))?;
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("UPDATE ndas SET document = $1, doc_type = $2, doc_size = $3, doc_data = $4 WHERE id = $5")
            .bind(name)
            .bind(ct)
            .bind(bytes.len() as i64)
            .bind(data)
            .bind(id),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "nda.document",
            "nda",
            Some(id),
            json!({"filename": name, "size": bytes.len(), "sha256": crate::sha256_hex(bytes)}),
        )
        .of_partner(nda.partner_id),
    )
    .await?;
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE n.id = $1")).bind(id))
        .await
}

struct DocRow {
    partner_id: Uuid,
    document: Option<String>,
    doc_type: Option<String>,
    doc_data: Option<String>,
}

from_row!(DocRow; partner_id: uuid, document: opt_text, doc_type: opt_text, doc_data: opt_text);

/// The signed document of an agreement in `scope`: name, type and bytes.
pub async fn read_document(db: &Db, scope: Scope, id: Uuid) -> Result<(String, String, Vec<u8>)> {
    use base64::Engine;
    let d: DocRow = db
        .fetch_optional::<DocRow>(
            q("SELECT partner_id, document, doc_type, doc_data FROM ndas WHERE id = $1").bind(id),
        )
        .await?
        .filter(|d| scope.allows(d.partner_id))
        .ok_or(DbError::NotFound)?;
    let (Some(data), Some(ct)) = (d.doc_data, d.doc_type) else {
        return Err(DbError::NotFound);
    };
    let b64 = db
        .cipher()?
        .decrypt(&doc_aad(id), &data)
        .map_err(|e| DbError::Config(e.to_string()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| DbError::Config(e.to_string()))?;
    Ok((d.document.unwrap_or_else(|| "nda".into()), ct, bytes))
}

/// The SQL condition "contact `c` has an NDA valid at placeholder `at`".
pub(crate) fn valid_nda_sql(at: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM ndas n WHERE n.partner_id = c.partner_id AND (n.contact_id IS NULL OR n.contact_id = c.id)
           AND n.signed_at <= {at} AND n.expires_at > {at})"
    )
}
