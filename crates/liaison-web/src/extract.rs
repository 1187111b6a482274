//! What handlers take from a request, parsed once for the API and the pages alike: a JSON body
//! whose rejections name the field, query pairs, list paging, ids and the partner filter.
//!
//! Every text that comes in here is checked for control characters once, before any handler
//! sees it ([`check_text`]): PostgreSQL cannot store NUL in text, and no field of the policy's
//! records (§1.3.1: accurate, complete information) has a use for the others, so a request that
//! carries one is a 422 naming the parameter on both backends, whatever the handler does next.

use crate::{AppError, AppResult, AppState};
use axum::extract::{FromRequest, Request};
use liaison_core::FieldErrors;
use liaison_core::partner::{PartnerFilter, PartnerKind, PartnerStatus};
use liaison_core::validate::Msg;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// An id in a path, typed by where it goes (`RequestId`, `PartnerId`, ... or a plain `Uuid`):
/// one that cannot exist is simply not found, like any other missing object.
pub fn id<T: From<Uuid>>(s: &str) -> AppResult<T> {
    Uuid::parse_str(s)
        .map(T::from)
        .map_err(|_| AppError::NotFound)
}

/// Fields whose text legitimately spans lines (Markdown bodies, notes, comments, the one
/// sensitive term per line): tab, newline and carriage return are allowed in them. Every other
/// field, query parameter and key is a single line and refuses every control character.
const MULTILINE_FIELDS: &[&str] = &[
    "body",
    "purpose",
    "notes",
    "comment",
    "change_reason",
    "impact",
    "description",
    "sensitive_terms",
    "question",
    "features",
    "advantages",
    "usage",
    "customer_impact",
    "answer",
    // Problem tickets (§3.4): the resolution reported back, and why a ticket is reopened.
    "resolution",
    "reason",
    // Meetings (§2.1.3): the agenda, the minutes, the decisions one per line.
    "agenda",
    "minutes",
    "decisions",
    // Confidentiality (§7.3): a leaked text to trace, an incident's findings and notes.
    "text",
    "leaked_text",
    "cause",
    "actions",
    "note",
    // Surveys (§6.2.1): an intro, choices one per line, free-text answers.
    "intro",
    "choices",
    "choices_en",
];

/// Whether `field` (a name, or a JSON path such as `audience.partners[0]`) may hold line breaks.
fn multiline(field: &str) -> bool {
    // A survey's intro per language (`intro.en`) and its free-text answers (`answers.q4`).
    if field.starts_with("intro.") || field.starts_with("answers.") {
        return true;
    }
    let last = field
        .trim_end_matches(|c: char| c == ']' || c.is_ascii_digit())
        .trim_end_matches('[')
        .rsplit('.')
        .next()
        .unwrap_or(field);
    MULTILINE_FIELDS.contains(&last)
}

/// Refuses control characters in one text parameter: all of them in a single-line field, all
/// but tab, newline and carriage return in a multi-line one (see [`MULTILINE_FIELDS`]).
pub fn check_text(field: &str, value: &str) -> Result<(), AppError> {
    let lines = multiline(field);
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(lines && matches!(c, '\t' | '\n' | '\r')));
    if bad {
        Err(control_chars(field))
    } else {
        Ok(())
    }
}

fn control_chars(field: &str) -> AppError {
    // The field's own name may be what holds the control character: name it readably.
    let name: String = field.escape_debug().collect();
    AppError::invalid(&name, Msg::new("validate.control_chars"))
}

/// Checks every pair of a query string or form: keys are single-line, values as [`check_text`].
pub fn check_pairs(pairs: &[(String, String)]) -> Result<(), AppError> {
    for (k, v) in pairs {
        if k.chars().any(char::is_control) {
            return Err(control_chars(k));
        }
        check_text(k, v)?;
    }
    Ok(())
}

/// Checks every string and key of a JSON value, naming the first bad one by its path
/// (`audience.partners[1]`).
pub fn check_json(value: &serde_json::Value) -> Result<(), AppError> {
    fn walk(path: &mut String, v: &serde_json::Value) -> Result<(), AppError> {
        use serde_json::Value;
        match v {
            Value::String(s) => check_text(if path.is_empty() { "body" } else { path }, s),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    walk(path, item)?;
                    path.truncate(len);
                }
                Ok(())
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    if k.chars().any(char::is_control) {
                        return Err(control_chars(path));
                    }
                    walk(path, item)?;
                    path.truncate(len);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
    walk(&mut String::new(), value)
}

/// A JSON body whose rejections are problem+json: unreadable JSON is 400, a body of the wrong
/// shape is 422 naming what is wrong, and a field the body does not have (every input struct
/// denies unknown fields) is a 422 naming that field, so a misspelt field is never dropped.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiJson(value) = read_json(req, state).await?;
        Ok(ApiJson(from_value(value)?))
    }
}

/// The body as JSON, before it is given a shape.
async fn read_json<S: Send + Sync>(
    req: Request,
    state: &S,
) -> AppResult<ApiJson<serde_json::Value>> {
    use axum::extract::rejection::JsonRejection;
    match axum::Json::<serde_json::Value>::from_request(req, state).await {
        Ok(axum::Json(v)) => Ok(ApiJson(v)),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::BadRequest(
            "send the body as JSON with Content-Type: application/json".into(),
        )),
        Err(e) => Err(AppError::BadRequest(format!(
            "the body is not valid JSON: {}",
            e.body_text()
        ))),
    }
}

/// Gives a JSON value its shape; what does not fit is a 422 naming the field by its path
/// (`audience.partner_ids`).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> AppResult<T> {
    check_json(&value)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // The path of an unknown field already ends with its name.
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((name, expected)) = rest.split_once('`')
        {
            let field = match path.as_str() {
                "" | "." => name.to_string(),
                p => p.to_string(),
            };
            let expected = expected.trim_start_matches(", ");
            return AppError::invalid(
                &field,
                Msg::new("validate.unknown_field").arg("expected", expected),
            );
        }
        let field = match path.as_str() {
            "" | "." => "body".to_string(),
            p => p.to_string(),
        };
        AppError::invalid(
            &field,
            Msg::new("validate.unreadable_value").arg("reason", message),
        )
    })
}

/// A PATCH body: some fields of `T`, and optionally the `version` they were read at, which
/// guards against lost updates.
pub struct Versioned<T> {
    pub fields: T,
    pub version: Option<i64>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Versioned<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ApiJson(mut value) = read_json(req, state).await?;
        let version =
            match value.as_object_mut().and_then(|m| m.remove("version")) {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => Some(v.as_i64().ok_or_else(|| {
                    AppError::invalid("version", Msg::new("validate.whole_number"))
                })?),
            };
        Ok(Versioned {
            fields: from_value(value)?,
            version,
        })
    }
}

/// `limit` and `cursor` of a list request, checked.
pub struct ListParams {
    pub limit: i64,
    pub cursor: Option<String>,
}

impl ListParams {
    /// The cursor as the id of the previous page's last row.
    pub fn id_cursor(&self) -> AppResult<Option<Uuid>> {
        self.cursor
            .as_deref()
            .map(|c| Uuid::parse_str(c).map_err(|_| bad_cursor()))
            .transpose()
    }

    /// The cursor as the sequence number of the previous page's last row.
    pub fn int_cursor(&self) -> AppResult<Option<i64>> {
        self.cursor
            .as_deref()
            .map(|c| c.parse::<i64>().map_err(|_| bad_cursor()))
            .transpose()
    }

    /// The cursor as the time of the previous page's last row.
    pub fn time_cursor(&self) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
        self.cursor
            .as_deref()
            .map(|c| {
                chrono::DateTime::parse_from_rfc3339(c)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|_| bad_cursor())
            })
            .transpose()
    }

    /// The next page's cursor: the last row's key when the page is full, else none.
    pub fn next<T>(&self, items: &[T], key: impl Fn(&T) -> String) -> Option<String> {
        (items.len() as i64 == self.limit)
            .then(|| items.last().map(key))
            .flatten()
    }
}

fn bad_cursor() -> AppError {
    AppError::invalid("cursor", Msg::new("validate.cursor"))
}

/// Query pairs in order, repeated keys kept (`kind=a&kind=b`); a control character in any of
/// them is refused (a 422 naming the parameter) before a handler sees it.
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
    /// The value of `k` trimmed, empty when absent (a form field as typed).
    pub fn text(&self, k: &str) -> String {
        self.get(k).unwrap_or("").trim().to_string()
    }
    /// All values of `k`, each also split on commas.
    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == k)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }
    pub fn list(&self, default: i64) -> Result<ListParams, AppError> {
        let limit = match self.get("limit").filter(|l| !l.is_empty()) {
            None => default,
            Some(l) => match l.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => n,
                _ => {
                    return Err(AppError::invalid(
                        "limit",
                        Msg::new("validate.number_range")
                            .arg("min", 1)
                            .arg("max", 500),
                    ));
                }
            },
        };
        Ok(ListParams {
            limit,
            cursor: self
                .get("cursor")
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        })
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Pairs {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(q).map_err(|_| {
            AppError::BadRequest("the query string is not valid URL encoding".into())
        })?;
        Pairs::checked(pairs)
    }
}

impl Pairs {
    /// Query or form pairs, refused when one holds a control character ([`check_pairs`]).
    pub fn checked(pairs: Vec<(String, String)>) -> AppResult<Self> {
        check_pairs(&pairs)?;
        Ok(Pairs(pairs))
    }
}

/// Reads the list filters (`q`, `kind`, `region`, `tier`, `status`, `tag`, `segment`).
/// Partner users cannot name segments (they describe other partners): `segment` is ignored.
pub async fn partner_filter(
    state: &AppState,
    p: &Pairs,
    partner_user: bool,
) -> AppResult<PartnerFilter> {
    let mut e = FieldErrors::new();
    let mut f = match p.get("segment").filter(|s| !s.is_empty() && !partner_user) {
        Some(s) => match Uuid::parse_str(s) {
            Ok(id) => match liaison_db::segment::find_segment(&state.db, id).await {
                Ok(seg) => seg.filter,
                Err(liaison_db::DbError::NotFound) => {
                    e.add("segment", Msg::new("validate.no_segment"));
                    PartnerFilter::default()
                }
                Err(other) => return Err(other.into()),
            },
            Err(_) => {
                e.add("segment", Msg::new("validate.no_segment"));
                PartnerFilter::default()
            }
        },
        None => PartnerFilter::default(),
    };
    for k in p.all("kind") {
        if let Some(v) = e.take("kind", PartnerKind::parse(&k)) {
            f.kinds.push(v);
        }
    }
    for s in p.all("status") {
        if let Some(v) = e.take("status", PartnerStatus::parse(&s)) {
            f.statuses.push(v);
        }
    }
    f.regions.extend(p.all("region"));
    f.tiers.extend(p.all("tier"));
    f.tags.extend(p.all("tag"));
    if let Some(q) = p.get("q").map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 100 {
            e.add("q", Msg::new("validate.max_chars").arg("max", 100));
        }
        f.q = Some(q.to_string());
    }
    if let Err(bad) = f.check() {
        e.0.extend(bad.0.into_iter().filter(|b| b.field != "q"));
    }
    if e.is_empty() {
        Ok(f)
    } else {
        Err(AppError::Invalid(e))
    }
}

/// One end of a period in a query (`from`, `to`): a day (`YYYY-MM-DD`, the company's zone; an
/// end day counts whole) or an RFC 3339 time.
fn period_bound(p: &Pairs, k: &str, end: bool) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    use chrono::TimeZone;
    let Some(v) = p.get(k).map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return Ok(Some(t.with_timezone(&chrono::Utc)));
    }
    let bad = || AppError::invalid(k, Msg::new("validate.date").arg("value", v));
    let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad())?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    liaison_core::calendar::COMPANY_ZONE
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| Some(t.with_timezone(&chrono::Utc)))
        .ok_or_else(bad)
}

fn kpi_date(p: &Pairs, k: &str) -> AppResult<Option<chrono::NaiveDate>> {
    p.get(k)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| AppError::invalid(k, Msg::new("validate.date").arg("value", v)))
        })
        .transpose()
}

/// `from`/`to` (days, the company's zone, both inclusive), or `period` (2026-07, 2026-Q3,
/// 2026); the current month by default.
pub fn kpi_days(p: &Pairs, db: &liaison_db::Db) -> AppResult<liaison_app::kpi::Days> {
    if let Some(v) = p.get("period").map(str::trim).filter(|v| !v.is_empty()) {
        let period =
            liaison_core::kpi::Period::parse(v).map_err(|m| AppError::invalid("period", m))?;
        return Ok(liaison_app::kpi::Days::of(period));
    }
    let month = liaison_app::kpi::Days::of(liaison_app::kpi::this_month(db));
    let from = kpi_date(p, "from")?;
    let to = kpi_date(p, "to")?;
    Ok(match (from, to) {
        (None, None) => month,
        (Some(f), None) => liaison_app::kpi::Days {
            from: f,
            to: month.to.max(f),
        },
        (None, Some(t)) => liaison_app::kpi::Days {
            from: t - chrono::Duration::days(30),
            to: t,
        },
        (Some(f), Some(t)) => liaison_app::kpi::Days { from: f, to: t },
    })
}

/// A report's period from `from`/`to` (the ticket report's API and page): the last 30 days
/// until `now` unless given.
pub fn period(
    p: &Pairs,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    let to = period_bound(p, "to", true)?.unwrap_or(now);
    let from = period_bound(p, "from", false)?.unwrap_or(to - chrono::Duration::days(30));
    Ok((from, to))
}
