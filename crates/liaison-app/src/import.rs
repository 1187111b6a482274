//! Bulk import and export of partners and contacts (SPEC A5) for the API, the UI and the CLI:
//! a file becomes rows, each row becomes checked input or row errors, and only a file with no
//! bad row is written, in one transaction.

use crate::values::{Values, message};
use crate::{Error, Result};
use liaison_core::partner::{ContactInput, Lang, PartnerFilter, PartnerInput, split_list};
use liaison_core::validate::Msg;
use liaison_core::validate::RowError;
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::audit::{self, Entry};
use liaison_db::partner::{self as repo, ImportReport};
use liaison_docs::{DocError, Row, Table, read_table};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

pub const MAX_ROWS: usize = 200_000;

/// One column of an import or export file. Its heading is `code` for systems or the catalogue
/// label `label` for people; an import also accepts the label in the other languages and
/// `aliases`. `values` names the closed set an enumerated column takes (read in any language,
/// written as codes or labels); `list` columns hold several such values.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub code: &'static str,
    pub label: &'static str,
    pub values: Option<Values>,
    pub list: bool,
    pub aliases: &'static [&'static str],
}

const fn col(code: &'static str, label: &'static str, aliases: &'static [&'static str]) -> Column {
    Column {
        code,
        label,
        values: None,
        list: false,
        aliases,
    }
}

const fn enumerated(
    code: &'static str,
    label: &'static str,
    values: Values,
    aliases: &'static [&'static str],
) -> Column {
    Column {
        code,
        label,
        values: Some(values),
        list: false,
        aliases,
    }
}

/// The columns of a partner file.
pub const PARTNER_COLUMNS: &[Column] = &[
    col(
        "code",
        "partner.code",
        &["编码", "代码", "伙伴编码", "編碼", "夥伴代碼"],
    ),
    col(
        "name",
        "partner.name",
        &["伙伴名称", "公司名称", "夥伴名稱", "公司名稱"],
    ),
    enumerated(
        "kind",
        "partner.kind",
        Values::PartnerKind,
        &["渠道类型", "通路類型"],
    ),
    col("region", "partner.region", &["地区", "地區"]),
    col("tier", "partner.tier", &["级别", "級別"]),
    enumerated(
        "status",
        "partner.status",
        Values::PartnerStatus,
        &["合作状态", "合作狀態"],
    ),
    col("owner", "partner.owner", &["渠道经理", "通路經理"]),
    col("timezone", "partner.timezone", &[]),
    col("working_days", "partner.working_days", &[]),
    col("working_hours", "partner.working_hours", &["工作時間"]),
    col("tags", "partner.tags", &[]),
    col("notes", "partner.notes", &[]),
];

/// The columns of a contact file.
pub const CONTACT_COLUMNS: &[Column] = &[
    col(
        "partner_code",
        "export.col.partner_code",
        &["编码", "伙伴编码", "編碼", "代碼"],
    ),
    col("name", "contact.name", &["联系人", "聯絡人"]),
    col(
        "email",
        "contact.email",
        &["邮箱", "电子邮件", "電子郵件", "郵箱"],
    ),
    col("phone", "contact.phone", &["电话", "手机", "電話", "手機"]),
    col("title", "contact.title", &["职务", "职位", "職稱", "職位"]),
    col(
        "im_webhook",
        "contact.im_webhook",
        &["机器人", "群机器人", "機器人"],
    ),
    Column {
        list: true,
        ..enumerated(
            "preferred_channels",
            "contact.preferred_channels",
            Values::Channel,
            &["偏好渠道", "偏好管道"],
        )
    },
    enumerated("lang", "contact.lang", Values::Lang, &["语言", "語言"]),
];

/// The columns of the receipts board's file (export only).
pub const DELIVERY_COLUMNS: &[Column] = &[
    col("partner_code", "export.col.partner_code", &[]),
    col("partner_name", "export.col.partner_name", &[]),
    col("contact", "receipts.contact", &[]),
    enumerated("channel", "receipts.channel", Values::Channel, &[]),
    enumerated("state", "receipts.state", Values::DeliveryState, &[]),
    col("read_at", "receipts.read_at", &[]),
    col("acked_at", "receipts.acked_at", &[]),
    enumerated("late", "export.col.late", Values::YesNo, &[]),
];

const LANGS: [Lang; 3] = [Lang::ZhCn, Lang::ZhTw, Lang::En];

impl Column {
    /// Its heading in `lang`.
    pub fn heading(&self, lang: Lang) -> &'static str {
        liaison_i18n::t(lang, self.label)
    }

    /// Every heading an import accepts for it.
    fn headings(&self) -> Vec<&'static str> {
        let mut names = vec![self.code];
        names.extend(LANGS.iter().map(|l| self.heading(*l)));
        names.extend(self.aliases.iter().copied());
        names
    }
}

/// The outcome of an import (or of its dry run).
#[derive(Debug, Clone, Serialize)]
pub struct ImportOutcome {
    pub dry_run: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
}

/// Every bad row at once, else `write` in one transaction, which a dry run rolls back: the
/// dry run is the real run, so it meets every check and counts what would be created.
async fn outcome<F>(
    errors: Vec<RowError>,
    rows: usize,
    dry_run: bool,
    write: impl FnOnce(bool) -> F,
) -> Result<ImportOutcome>
where
    F: std::future::Future<Output = liaison_db::Result<ImportReport>>,
{
    if !errors.is_empty() {
        return Err(Error::InvalidRows(errors));
    }
    let ImportReport { created, updated } = write(dry_run).await?;
    Ok(ImportOutcome {
        dry_run,
        rows,
        created,
        updated,
    })
}

/// "第 3 行 类型：…" in `lang`: a problem in one cell, naming the row and the column.
fn row_error(lang: Lang, row: usize, column: &Column, problem: &str) -> RowError {
    RowError {
        row,
        field: column.code.to_string(),
        message: message(
            lang,
            "import.error.row",
            &[
                ("row", &row.to_string()),
                ("column", column.heading(lang)),
                ("problem", problem),
            ],
        ),
    }
}

/// A problem with the whole file, in `lang`.
fn file_error(lang: Lang, key: &str, args: &[(&str, &str)]) -> Error {
    Error::invalid("file", message(lang, key, args))
}

fn list(lang: Lang, items: impl IntoIterator<Item = &'static str>) -> String {
    let sep = liaison_i18n::t(lang, "import.list_sep");
    let sep = if sep.is_ascii() {
        format!("{sep} ")
    } else {
        sep.to_string()
    };
    items.into_iter().collect::<Vec<_>>().join(&sep)
}

fn columns(
    lang: Lang,
    table: &Table,
    spec: &'static [Column],
    required: &[&str],
) -> Result<Vec<(&'static Column, Option<usize>)>> {
    let cols: Vec<(&'static Column, Option<usize>)> = spec
        .iter()
        .map(|c| (c, table.column(&c.headings())))
        .collect();
    let missing: Vec<&'static str> = cols
        .iter()
        .filter(|(c, i)| i.is_none() && required.contains(&c.code))
        .map(|(c, _)| c.heading(lang))
        .collect();
    if !missing.is_empty() {
        return Err(file_error(
            lang,
            "import.error.missing_columns",
            &[
                ("missing", &list(lang, missing)),
                (
                    "expected",
                    &list(lang, spec.iter().map(|c| c.heading(lang))),
                ),
            ],
        ));
    }
    Ok(cols)
}

fn read(lang: Lang, filename: Option<&str>, bytes: &[u8]) -> Result<Table> {
    if bytes.is_empty() {
        return Err(file_error(lang, "import.error.empty", &[]));
    }
    read_table(filename, bytes, MAX_ROWS).map_err(|e| {
        let (key, arg) = match &e {
            DocError::Empty => ("import.doc.empty", None),
            DocError::Csv { line, .. } => ("import.doc.csv", Some(("line", line.to_string()))),
            DocError::Encoding => ("import.doc.encoding", None),
            DocError::Xlsx(_) | DocError::XlsxWrite(_) => ("import.doc.xlsx", None),
            DocError::XlsxPassword => ("import.doc.password", None),
            DocError::TooLarge { limit } => {
                ("import.doc.too_large", Some(("limit", limit.to_string())))
            }
            DocError::UnknownFormat => ("import.doc.format", None),
        };
        match arg {
            Some((name, value)) => file_error(lang, key, &[(name, &value)]),
            None => file_error(lang, key, &[]),
        }
    })
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// One data row as the parsers see it: cells by column code, enumerated values already turned
/// into codes (a Chinese label, a Traditional one or a code all read the same), and the
/// problems found in them.
struct Cells<'a> {
    cols: &'a [(&'static Column, Option<usize>)],
    row: &'a Row,
    errors: Vec<RowError>,
}

impl<'a> Cells<'a> {
    fn new(lang: Lang, cols: &'a [(&'static Column, Option<usize>)], row: &'a Row) -> Self {
        let mut cells = Cells {
            cols,
            row,
            errors: Vec::new(),
        };
        for (c, i) in cols {
            let (Some(values), Some(text)) = (c.values, opt(row.get(*i))) else {
                continue;
            };
            let words = if c.list {
                split_list(&text)
            } else {
                vec![text]
            };
            for w in words.iter().filter(|w| values.parse(w).is_none()) {
                let problem = message(
                    lang,
                    "import.error.not_allowed",
                    &[("value", w), ("allowed", &values.allowed(lang))],
                );
                cells.errors.push(row_error(lang, row.number, c, &problem));
            }
        }
        cells
    }

    fn column(&self, code: &str) -> Option<&(&'static Column, Option<usize>)> {
        self.cols.iter().find(|(c, _)| c.code == code)
    }

    /// The cell of column `code`, trimmed, `None` when empty or absent; an enumerated value
    /// as its code (a list as codes joined by commas); a word that is none of the allowed
    /// values as written (its problem is already recorded).
    pub fn get(&self, code: &str) -> Option<String> {
        let (c, i) = self.column(code)?;
        let text = opt(self.row.get(*i))?;
        let Some(values) = c.values else {
            return Some(text);
        };
        let words = if c.list {
            split_list(&text)
        } else {
            vec![text.clone()]
        };
        let codes: Option<Vec<&str>> = words.iter().map(|w| values.parse(w)).collect();
        Some(codes.map_or(text, |c| c.join(",")))
    }
}

/// The field errors of a row's checks, in `lang`, except for columns already reported (one
/// message per cell).
fn field_errors(
    lang: Lang,
    row: usize,
    spec: &[Column],
    e: liaison_core::FieldErrors,
    reported: &[RowError],
) -> Vec<RowError> {
    let mut out: Vec<RowError> = Vec::new();
    for f in e.0 {
        if reported.iter().chain(&out).any(|r| r.field == f.field) {
            continue;
        }
        out.push(match spec.iter().find(|c| c.code == f.field) {
            Some(c) => row_error(lang, row, c, &f.message),
            None => RowError {
                row,
                field: f.field,
                message: f.message,
            },
        });
    }
    out
}

/// A file's rows, each with the problems its cells already showed.
struct Parsed<T> {
    number: usize,
    value: T,
    errors: Vec<RowError>,
}

/// Reads a file and turns every row into `T` with `parse`, keeping each row's problems for the
/// caller to add to and report together (SPEC A5: a bad row never half-imports, and every bad
/// cell is named at once).
fn parse_rows<T>(
    actor: &Actor,
    lang: Lang,
    filename: Option<&str>,
    bytes: &[u8],
    spec: &'static [Column],
    required: &[&str],
    parse: impl Fn(&Cells) -> T,
) -> Result<Vec<Parsed<T>>> {
    authorize(actor, Permission::ImportPartners, &Object::default())?;
    let table = read(lang, filename, bytes)?;
    let cols = columns(lang, &table, spec, required)?;
    if table.rows.is_empty() {
        return Err(file_error(lang, "import.error.no_rows", &[]));
    }
    Ok(table
        .rows
        .iter()
        .map(|row| {
            let cells = Cells::new(lang, &cols, row);
            Parsed {
                number: row.number,
                value: parse(&cells),
                errors: cells.errors,
            }
        })
        .collect())
}

fn column(spec: &'static [Column], code: &str) -> Option<&'static Column> {
    spec.iter().find(|c| c.code == code)
}

/// The problem `key` in the cell of column `code`.
fn cell_error(lang: Lang, row: usize, code: &str, key: &str, args: &[(&str, &str)]) -> RowError {
    let problem = message(lang, key, args);
    match column(PARTNER_COLUMNS, code).or_else(|| column(CONTACT_COLUMNS, code)) {
        Some(c) => row_error(lang, row, c, &problem),
        None => RowError {
            row,
            field: code.to_string(),
            message: problem,
        },
    }
}

pub async fn import_partners(
    db: &Db,
    actor: &Actor,
    lang: Lang,
    filename: Option<&str>,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportOutcome> {
    let parsed = parse_rows(
        actor,
        lang,
        filename,
        bytes,
        PARTNER_COLUMNS,
        &["code"],
        |cell| PartnerInput {
            code: cell.get("code"),
            name: cell.get("name"),
            kind: cell.get("kind"),
            region: cell.get("region"),
            tier: cell.get("tier"),
            status: cell.get("status"),
            owner: cell.get("owner"),
            timezone: cell.get("timezone"),
            working_days: cell.get("working_days"),
            working_hours: cell.get("working_hours"),
            tags: cell.get("tags").map(|t| vec![t]),
            notes: cell.get("notes"),
        },
    )?;
    // An existing partner keeps what the file does not say: missing columns and empty cells
    // leave its current values; a new partner needs every required field.
    let code_of = |i: &PartnerInput| {
        i.code
            .as_deref()
            .map(|c| c.trim().to_uppercase())
            .unwrap_or_default()
    };
    let codes: Vec<String> = parsed.iter().map(|p| code_of(&p.value)).collect();
    let existing = repo::find_partners_by_codes(db, &codes).await?;
    let owners = liaison_db::user::list_possible_owners(db).await?;
    let mut first_row: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(parsed.len());
    let mut errors: Vec<RowError> = Vec::new();
    for Parsed {
        number,
        value: input,
        errors: mut row_errors,
    } in parsed
    {
        let code = code_of(&input);
        if !code.is_empty()
            && let Some(first) = first_row.get(&code)
        {
            row_errors.push(cell_error(
                lang,
                number,
                "code",
                "import.error.duplicate_code",
                &[("code", &code), ("first", &first.to_string())],
            ));
        }
        first_row.entry(code.clone()).or_insert(number);
        if let Some(owner) = input.owner.as_deref().map(str::trim)
            && !owner.is_empty()
            && !owners
                .iter()
                .any(|u| u.id.to_string() == owner || u.email.eq_ignore_ascii_case(owner))
        {
            row_errors.push(cell_error(
                lang,
                number,
                "owner",
                "import.error.owner",
                &[("value", owner)],
            ));
        }
        let merged = match existing.iter().find(|p| p.code == code) {
            Some(p) => p.to_input().overlay(input),
            None => input,
        };
        match merged.parse() {
            Ok(p) if row_errors.is_empty() => rows.push((number, p)),
            Ok(_) => {}
            Err(e) => {
                let more = field_errors(lang, number, PARTNER_COLUMNS, e, &row_errors);
                row_errors.extend(more);
            }
        }
        errors.append(&mut row_errors);
    }
    outcome(errors, rows.len(), dry_run, |dry| {
        repo::import_partners(db, actor.user_id, &rows, dry)
    })
    .await
}

pub async fn import_contacts(
    db: &Db,
    actor: &Actor,
    lang: Lang,
    filename: Option<&str>,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportOutcome> {
    let parsed = parse_rows(
        actor,
        lang,
        filename,
        bytes,
        CONTACT_COLUMNS,
        &["partner_code", "name"],
        |cell| {
            (
                cell.get("partner_code")
                    .map(|c| c.to_uppercase())
                    .unwrap_or_default(),
                ContactInput {
                    name: cell.get("name"),
                    email: cell.get("email"),
                    phone: cell.get("phone"),
                    title: cell.get("title"),
                    im_webhook: cell.get("im_webhook"),
                    preferred_channels: cell.get("preferred_channels").map(|c| vec![c]),
                    lang: cell.get("lang"),
                },
            )
        },
    )?;
    let codes: Vec<String> = parsed.iter().map(|p| p.value.0.clone()).collect();
    let known: Vec<String> = repo::find_partners_by_codes(db, &codes)
        .await?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let mut first_row: HashMap<(String, String), usize> = HashMap::new();
    let mut rows = Vec::with_capacity(parsed.len());
    let mut errors: Vec<RowError> = Vec::new();
    for Parsed {
        number,
        value: (code, input),
        errors: mut row_errors,
    } in parsed
    {
        if code.is_empty() {
            row_errors.push(cell_error(
                lang,
                number,
                "partner_code",
                "import.error.required",
                &[],
            ));
        } else if !known.contains(&code) {
            row_errors.push(cell_error(
                lang,
                number,
                "partner_code",
                "import.error.unknown_partner",
                &[("code", &code)],
            ));
        }
        match input.parse() {
            Ok(c) => {
                // One e-mail twice for a partner would make two contacts out of one person.
                if let Some(email) = &c.email {
                    let key = (code.clone(), email.as_str().to_string());
                    match first_row.get(&key) {
                        Some(first) => row_errors.push(cell_error(
                            lang,
                            number,
                            "email",
                            "import.error.duplicate_email",
                            &[("email", email.as_str()), ("first", &first.to_string())],
                        )),
                        None => {
                            first_row.insert(key, number);
                        }
                    }
                }
                if row_errors.is_empty() {
                    rows.push((number, code, c));
                }
            }
            Err(e) => {
                let more = field_errors(lang, number, CONTACT_COLUMNS, e, &row_errors);
                row_errors.extend(more);
            }
        }
        errors.append(&mut row_errors);
    }
    outcome(errors, rows.len(), dry_run, |dry| {
        repo::import_contacts(db, actor.user_id, &rows, dry)
    })
    .await
}

/// A file to download.
pub struct Export {
    pub content_type: &'static str,
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Export({}, {} bytes)", self.filename, self.bytes.len())
    }
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

/// What an export writes in its header row and enumerated cells: the codes, for systems that
/// read the file back (`distributor`, `held`, timestamps in RFC 3339), or the labels of one
/// language, for people (经销商, 等待工作时间, `2026-12-04 16:05:00 +08:00`). Either kind
/// of file imports back unchanged. Times are the viewer's local time with its offset in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    Codes,
    In(Lang),
}

impl Labels {
    /// The `labels` query value: `codes`, or a language tag (`zh-CN`, `zh-TW`, `en`) for its
    /// labels; absent or empty means `default`.
    pub fn parse(s: Option<&str>, default: Labels) -> Result<Self> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("codes") => Ok(Labels::Codes),
            Some(v) => Lang::parse(&v.replace('_', "-"))
                .map(Labels::In)
                .map_err(|_| {
                    Error::invalid("labels", Msg::one_of(v, &["codes", "zh-CN", "zh-TW", "en"]))
                }),
        }
    }

    fn headers(self, spec: &[Column]) -> Vec<&'static str> {
        spec.iter()
            .map(|c| match self {
                Labels::Codes => c.code,
                Labels::In(lang) => c.heading(lang),
            })
            .collect()
    }

    /// A stored code of `values` as this export writes it.
    fn value(self, values: Values, code: &str) -> String {
        match self {
            Labels::Codes => code.to_string(),
            Labels::In(lang) => values.label(lang, code).to_string(),
        }
    }

    /// Stored codes of a list column; Chinese lists are written with 、.
    fn values(self, values: Values, codes: &[String]) -> String {
        let parts: Vec<String> = codes.iter().map(|c| self.value(values, c)).collect();
        match self {
            Labels::In(Lang::ZhCn | Lang::ZhTw) => parts.join("、"),
            Labels::In(Lang::En) => parts.join(", "),
            Labels::Codes => parts.join(","),
        }
    }

    /// A time in the viewer's zone with its offset: `2026-12-04T16:05:00+08:00` for systems,
    /// `2026-12-04 16:05:00 +08:00` for people.
    fn time(self, zone: liaison_core::calendar::Tz, t: chrono::DateTime<chrono::Utc>) -> String {
        let local = t.with_timezone(&zone);
        match self {
            Labels::Codes => local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            Labels::In(_) => local.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        }
    }
}

pub(crate) fn build(
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
    labels: Labels,
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
                labels.value(Values::PartnerKind, &p.kind),
                p.region.clone(),
                p.tier.clone(),
                labels.value(Values::PartnerStatus, &p.status),
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
    build(format, "partners", &labels.headers(PARTNER_COLUMNS), &rows)
}

pub async fn export_contacts(
    db: &Db,
    actor: &Actor,
    filter: &PartnerFilter,
    format: ExportFormat,
    labels: Labels,
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
                labels.values(Values::Channel, &c.preferred_channels),
                labels.value(Values::Lang, &c.lang),
            ]
        })
        .collect();
    audit_export(db, actor, "contacts", rows.len(), filter).await?;
    build(format, "contacts", &labels.headers(CONTACT_COLUMNS), &rows)
}

/// The receipts board as a file (§6.1.2): every delivery of a message, or only the ones not
/// yet confirmed, with read and confirmation times in the viewer's zone. Recorded in the
/// audit log.
pub async fn export_deliveries(
    db: &Db,
    actor: &Actor,
    request: liaison_core::ids::RequestId,
    unconfirmed: bool,
    format: ExportFormat,
    labels: Labels,
) -> Result<Export> {
    let (_, message) = crate::request::message_of(db, actor, request).await?;
    let message = uuid::Uuid::from(message);
    let zone = liaison_core::calendar::viewer_zone(actor);
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| labels.time(zone, t)).unwrap_or_default()
    };
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
                labels.value(Values::Channel, &d.channel),
                labels.value(Values::DeliveryState, &d.state),
                time(d.read_at),
                time(d.acked_at),
                match labels {
                    // Systems have read `late` or nothing here since the first export.
                    Labels::Codes if d.late => "late".into(),
                    Labels::Codes => String::new(),
                    // People: 是/否 once confirmed, nothing while it is not.
                    Labels::In(_) if d.acked_at.is_none() => String::new(),
                    Labels::In(_) => labels.value(Values::YesNo, &d.late.to_string()),
                },
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
    build(
        format,
        if unconfirmed {
            "unconfirmed"
        } else {
            "deliveries"
        },
        &labels.headers(DELIVERY_COLUMNS),
        &rows,
    )
}
