//! Bulk import and export of partners and contacts (SPEC A5) for the API, the UI and the CLI:
//! a file becomes rows, each row becomes checked input or row errors, and only a file with no
//! bad row is written, in one transaction.

use crate::{Error, Result};
use liaison_core::partner::{ContactInput, PartnerFilter, PartnerInput};
use liaison_core::validate::Msg;
use liaison_core::validate::RowError;
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::audit::{self, Entry};
use liaison_db::partner::{self as repo, ImportReport};
use liaison_docs::{Table, read_table};
use serde::Serialize;
use serde_json::json;

pub const MAX_ROWS: usize = 200_000;

/// The columns of a partner file, with the Chinese headings also accepted.
pub const PARTNER_COLUMNS: &[(&str, &[&str])] = &[
    ("code", &["code", "编码", "代码", "伙伴编码"]),
    ("name", &["name", "名称", "伙伴名称", "公司名称"]),
    ("kind", &["kind", "类型", "渠道类型"]),
    ("region", &["region", "区域", "地区"]),
    ("tier", &["tier", "等级", "级别"]),
    ("status", &["status", "状态"]),
    ("owner", &["owner", "负责人", "渠道经理"]),
    ("timezone", &["timezone", "时区"]),
    ("working_days", &["working_days", "工作日"]),
    ("working_hours", &["working_hours", "工作时间"]),
    ("tags", &["tags", "标签"]),
    ("notes", &["notes", "备注"]),
];

pub const CONTACT_COLUMNS: &[(&str, &[&str])] = &[
    ("partner_code", &["partner_code", "伙伴编码", "编码"]),
    ("name", &["name", "姓名", "联系人"]),
    ("email", &["email", "邮箱", "电子邮件"]),
    ("phone", &["phone", "电话", "手机"]),
    ("title", &["title", "职务", "职位"]),
    ("im_webhook", &["im_webhook", "机器人", "群机器人"]),
    ("preferred_channels", &["preferred_channels", "偏好渠道"]),
    ("lang", &["lang", "语言"]),
];

/// The outcome of an import (or of its dry run).
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub dry_run: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
}

fn columns(
    table: &Table,
    spec: &[(&'static str, &[&str])],
    required: &[&str],
) -> Result<Vec<(&'static str, Option<usize>)>> {
    let cols: Vec<(&'static str, Option<usize>)> = spec
        .iter()
        .map(|(n, aliases)| (*n, table.column(aliases)))
        .collect();
    let missing: Vec<&str> = cols
        .iter()
        .filter(|(n, c)| c.is_none() && required.contains(n))
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(
            "file",
            Msg::new("validate.import_columns")
                .arg("missing", missing.join(", "))
                .arg(
                    "expected",
                    spec.iter().map(|s| s.0).collect::<Vec<_>>().join(", "),
                ),
        ));
    }
    Ok(cols)
}

fn read(filename: Option<&str>, bytes: &[u8]) -> Result<Table> {
    if bytes.is_empty() {
        return Err(Error::invalid("file", Msg::new("validate.file_empty")));
    }
    read_table(filename, bytes, MAX_ROWS).map_err(|e| {
        Error::invalid(
            "file",
            Msg::new("validate.file_unreadable").arg("reason", e),
        )
    })
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Reads a file and turns every row into `T` with `parse`, collecting every row's problems;
/// any problem means no rows (SPEC A5: a bad row never half-imports).
fn parse_rows<T>(
    actor: &Actor,
    filename: Option<&str>,
    bytes: &[u8],
    spec: &[(&'static str, &[&str])],
    required: &[&str],
    parse: impl Fn(&dyn Fn(&str) -> Option<String>, usize) -> Result<T, Vec<RowError>>,
) -> Result<Vec<T>> {
    authorize(actor, Permission::ImportPartners, &Object::default())?;
    let table = read(filename, bytes)?;
    let cols = columns(&table, spec, required)?;
    let mut good = Vec::with_capacity(table.rows.len());
    let mut errors: Vec<RowError> = Vec::new();
    for row in &table.rows {
        let cell =
            |name: &str| opt(row.get(cols.iter().find(|(n, _)| *n == name).and_then(|(_, c)| *c)));
        match parse(&cell, row.number) {
            Ok(v) => good.push(v),
            Err(e) => errors.extend(e),
        }
    }
    if good.is_empty() && errors.is_empty() {
        return Err(Error::invalid("file", Msg::new("validate.file_no_rows")));
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRows(errors));
    }
    Ok(good)
}

pub async fn import_partners(
    db: &Db,
    actor: &Actor,
    filename: Option<&str>,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportOutcome> {
    let inputs = parse_rows(
        actor,
        filename,
        bytes,
        PARTNER_COLUMNS,
        &["code"],
        |cell, number| {
            Ok((
                number,
                PartnerInput {
                    code: cell("code"),
                    name: cell("name"),
                    kind: cell("kind"),
                    region: cell("region"),
                    tier: cell("tier"),
                    status: cell("status"),
                    owner: cell("owner"),
                    timezone: cell("timezone"),
                    working_days: cell("working_days"),
                    working_hours: cell("working_hours"),
                    tags: cell("tags").map(|t| vec![t]),
                    notes: cell("notes"),
                },
            ))
        },
    )?;
    // An existing partner keeps what the file does not say: missing columns and empty cells
    // leave its current values; a new partner needs every required field.
    let codes: Vec<String> = inputs
        .iter()
        .filter_map(|(_, i)| i.code.as_deref().map(|c| c.trim().to_uppercase()))
        .collect();
    let existing = repo::find_partners_by_codes(db, &codes).await?;
    let mut rows = Vec::with_capacity(inputs.len());
    let mut errors: Vec<RowError> = Vec::new();
    for (number, input) in inputs {
        let code = input
            .code
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .unwrap_or_default();
        let merged = match existing.iter().find(|p| p.code == code) {
            Some(p) => p.to_input().overlay(input),
            None => input,
        };
        match merged.parse() {
            Ok(p) => rows.push((number, p)),
            Err(e) => errors.extend(RowError::from_fields(number, e)),
        }
    }
    if !errors.is_empty() {
        return Err(Error::InvalidRows(errors));
    }
    let n = rows.len();
    if dry_run {
        return Ok(ImportOutcome {
            dry_run,
            rows: n,
            created: 0,
            updated: 0,
        });
    }
    let ImportReport { created, updated } = repo::import_partners(db, actor.user_id, &rows).await?;
    Ok(ImportOutcome {
        dry_run,
        rows: n,
        created,
        updated,
    })
}

pub async fn import_contacts(
    db: &Db,
    actor: &Actor,
    filename: Option<&str>,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportOutcome> {
    let rows = parse_rows(
        actor,
        filename,
        bytes,
        CONTACT_COLUMNS,
        &["partner_code", "name"],
        |cell, number| {
            let code = cell("partner_code").unwrap_or_default();
            let input = ContactInput {
                name: cell("name"),
                email: cell("email"),
                phone: cell("phone"),
                title: cell("title"),
                im_webhook: cell("im_webhook"),
                preferred_channels: cell("preferred_channels").map(|c| vec![c]),
                lang: cell("lang"),
            };
            let mut errors: Vec<RowError> = Vec::new();
            if code.is_empty() {
                errors.push(RowError {
                    row: number,
                    field: "partner_code".into(),
                    message: "is required".into(),
                });
            }
            match input.parse() {
                Ok(c) if errors.is_empty() => Ok((number, code, c)),
                Ok(_) => Err(errors),
                Err(e) => {
                    errors.extend(RowError::from_fields(number, e));
                    Err(errors)
                }
            }
        },
    )?;
    let n = rows.len();
    if dry_run {
        return Ok(ImportOutcome {
            dry_run,
            rows: n,
            created: 0,
            updated: 0,
        });
    }
    let ImportReport { created, updated } = repo::import_contacts(db, actor.user_id, &rows).await?;
    Ok(ImportOutcome {
        dry_run,
        rows: n,
        created,
        updated,
    })
}

/// A file to download.
pub struct Export {
    pub content_type: &'static str,
    pub filename: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(s: Option<&str>) -> Result<Self> {
        match s.unwrap_or("csv") {
            "" | "csv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            other => Err(Error::invalid(
                "format",
                Msg::one_of(other, &["csv", "xlsx"]),
            )),
        }
    }
}

fn build(
    format: ExportFormat,
    stem: &str,
    headers: &[&str],
    rows: &[Vec<String>],
) -> Result<Export> {
    Ok(match format {
        ExportFormat::Csv => Export {
            content_type: "text/csv; charset=utf-8",
            filename: format!("{stem}.csv"),
            bytes: liaison_docs::write_csv(headers, rows),
        },
        ExportFormat::Xlsx => Export {
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename: format!("{stem}.xlsx"),
            bytes: liaison_docs::write_xlsx(stem, headers, rows)
                .map_err(|e| Error::Internal(e.to_string()))?,
        },
    })
}

/// Exports are recorded in the audit log (SPEC G5).
async fn audit_export(
    db: &Db,
    actor: &Actor,
    what: &str,
    rows: usize,
    filter: &PartnerFilter,
) -> Result<()> {
    audit::record(
        db,
        Entry {
            actor_id: Some(actor.user_id),
            action: "export",
            entity: what,
            entity_id: None,
            partner_id: actor.scope().partner(),
            detail: json!({"rows": rows, "filter": filter}),
        },
    )
    .await?;
    Ok(())
}

pub async fn export_partners(
    db: &Db,
    actor: &Actor,
    filter: &PartnerFilter,
    format: ExportFormat,
) -> Result<Export> {
    authorize(actor, Permission::ExportPartners, &Object::default())?;
    let partners = repo::list_all_partners(db, actor.scope(), filter).await?;
    let users = liaison_db::user::list_users(db).await?;
    let owner_email = |id: Option<uuid::Uuid>| {
        id.and_then(|i| users.iter().find(|u| u.id == i))
            .map(|u| u.email.clone())
            .unwrap_or_default()
    };
    let rows: Vec<Vec<String>> = partners
        .iter()
        .map(|p| {
            vec![
                p.code.clone(),
                p.name.clone(),
                p.kind.clone(),
                p.region.clone(),
                p.tier.clone(),
                p.status.clone(),
                owner_email(p.owner_id),
                p.timezone.clone(),
                p.working_days.clone(),
                p.working_hours.clone(),
                p.tags.join(";"),
                p.notes.clone().unwrap_or_default(),
            ]
        })
        .collect();
    audit_export(db, actor, "partners", rows.len(), filter).await?;
    let headers: Vec<&str> = PARTNER_COLUMNS.iter().map(|c| c.0).collect();
    build(format, "partners", &headers, &rows)
}

pub async fn export_contacts(
    db: &Db,
    actor: &Actor,
    filter: &PartnerFilter,
    format: ExportFormat,
) -> Result<Export> {
    authorize(actor, Permission::ExportPartners, &Object::default())?;
    let contacts = repo::list_all_contacts(db, actor.scope(), filter).await?;
    let rows: Vec<Vec<String>> = contacts
        .iter()
        .map(|c| {
            vec![
                c.partner_code.clone(),
                c.name.clone(),
                c.email.clone().unwrap_or_default(),
                c.phone.clone().unwrap_or_default(),
                c.title.clone().unwrap_or_default(),
                c.im_webhook.clone().unwrap_or_default(),
                c.preferred_channels.join(","),
                c.lang.clone(),
            ]
        })
        .collect();
    audit_export(db, actor, "contacts", rows.len(), filter).await?;
    let headers: Vec<&str> = CONTACT_COLUMNS.iter().map(|c| c.0).collect();
    build(format, "contacts", &headers, &rows)
}

/// The receipts board as a file (§6.1.2): every delivery of a message, or only the ones not
/// yet confirmed, with read and confirmation times. Recorded in the audit log.
pub async fn export_deliveries(
    db: &Db,
    actor: &Actor,
    request: liaison_core::ids::RequestId,
    unconfirmed: bool,
    format: ExportFormat,
) -> Result<Export> {
    let (_, message) = crate::request::message_of(db, actor, request).await?;
    let message = uuid::Uuid::from(message);
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let page = liaison_db::inbox::deliveries(db, message, unconfirmed, after, 5000).await?;
        let done = page.len() < 5000;
        after = page.last().map(|d| d.id);
        rows.extend(page.into_iter().map(|d| {
            vec![
                d.partner_code,
                d.partner_name,
                d.contact_name,
                d.channel,
                d.state,
                d.read_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                d.acked_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                if d.late { "late".into() } else { String::new() },
            ]
        }));
        if done {
            break;
        }
    }
    audit::record(
        db,
        Entry {
            actor_id: Some(actor.user_id),
            action: "export",
            entity: "deliveries",
            entity_id: Some(message),
            partner_id: None,
            detail: json!({"rows": rows.len(), "unconfirmed": unconfirmed}),
        },
    )
    .await?;
    let headers = [
        "partner_code",
        "partner_name",
        "contact",
        "channel",
        "state",
        "read_at",
        "acked_at",
        "late",
    ];
    build(
        format,
        if unconfirmed {
            "unconfirmed"
        } else {
            "deliveries"
        },
        &headers,
        &rows,
    )
}
