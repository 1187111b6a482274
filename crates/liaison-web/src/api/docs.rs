//! Health checks and the OpenAPI 3.1 document, generated from the endpoint table.

use super::endpoints;
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.db.ping().await {
        (
            StatusCode::OK,
            Json(
                json!({"status": "ok", "database": format!("{:?}", state.db.backend()).to_lowercase()}),
            ),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "database": "unreachable"})),
        )
    }
}

pub async fn openapi_json() -> Json<Value> {
    Json(openapi())
}

fn s(t: &str) -> Value {
    json!({"type": t})
}
fn opt_s() -> Value {
    json!({"type": ["string", "null"]})
}
fn list_of(item: &str) -> Value {
    json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{item}")}},
        "next_cursor": opt_s()}})
}
fn enum_s(vals: &[&str]) -> Value {
    json!({"type": "string", "enum": vals})
}

/// The policy library's schemas (issue 11), apart: one `json!` of every schema passes the
/// macro's recursion limit.
fn policy_schemas() -> Value {
    json!({
        "PolicyInput": {"type": "object", "required": ["kind", "title", "audience"], "description": "A policy of the library (§3.1.1)", "properties": {
            "kind": enum_s(&["market", "sales", "product", "other"]), "title": s("string"), "title_en": opt_s(),
            "owner_department_id": {"type": ["string", "null"], "format": "uuid"},
            "audience": {"type": "object", "additionalProperties": false, "description": "{\"all\": true} or partners and segments (ids)",
                "properties": {"all": s("boolean"), "partners": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                "segments": {"type": "array", "items": {"type": "string", "format": "uuid"}},
                "contacts": {"type": "array", "maxItems": 0, "items": {"type": "string", "format": "uuid"}}}}}},
        "Policy": {"type": "object", "properties": {"id": s("string"), "kind": enum_s(&["market", "sales", "product", "other"]),
            "title": s("string"), "title_en": opt_s(), "owner_department_id": opt_s(), "owner_department_name": opt_s(),
            "audience": s("object"), "created_by": s("string"), "created_at": s("string"), "updated_at": s("string"),
            "version": s("integer"), "in_force": {"type": ["integer", "null"]}, "coming": {"type": ["integer", "null"]},
            "versions": {"type": "array", "items": {"$ref": "#/components/schemas/PolicyVersion"}}}},
        "PolicyList": list_of("Policy"),
        "VersionInput": {"type": "object", "description": "A policy version: Markdown text, effective date, and for a change its reason and impact (§3.1.2)", "properties": {
            "body": {"type": "string", "description": "Markdown"}, "effective_at": {"type": "string", "format": "date-time"},
            "change_reason": s("string"), "impact": s("string"),
            "important": {"type": "boolean", "description": "an important change needs the notice period of its kind (default true)"},
            "ack_due_at": {"type": "string", "format": "date-time"},
            "classification": {"type": "string", "enum": ["public", "internal", "confidential", "secret"], "description": "default internal; a confidential or secret version is read in full only by its author, approvers and access list (§7.2.2), and announced only to partners under an NDA"}}},
        "PolicyVersion": {"type": "object", "properties": {"id": s("string"), "n": s("integer"),
            "classification": enum_s(&["public", "internal", "confidential", "secret"]), "restricted": {"type": "boolean", "description": "§7.2.2: the caller is outside this confidential item's circle and sees its title only; ask its owner with POST /api/v1/access-requests"},
            "state": enum_s(&["draft", "in_review", "scheduled", "in_force", "superseded", "withdrawn"]),
            "body": s("string"), "effective_at": opt_s(), "in_force_from": opt_s(), "change_reason": opt_s(), "impact": opt_s(),
            "important": s("boolean"), "announced_at": opt_s(), "ack_due_at": opt_s(), "notice_days": {"type": ["integer", "null"]},
            "short_notice": s("boolean"), "executive_approved": s("boolean"),
            "change_summary": {"anyOf": [{"type": "object", "properties": {"changed": s("integer"), "added": s("integer"),
                "removed": s("integer"), "unchanged": s("integer")}}, {"type": "null"}]},
            "request_id": s("string"), "message_id": opt_s(),
            "acknowledgement": enum_s(&["acknowledged", "pending", "overdue", "not_sent"]),
            "faqs": {"type": "array", "items": {"$ref": "#/components/schemas/PolicyFaq"}}}},
        "PolicyVersionList": list_of("PolicyVersion"),
        "PolicyDiff": {"type": "object", "properties": {"from": s("integer"), "to": s("integer"),
            "summary": {"type": "object", "properties": {"changed": s("integer"), "added": s("integer"), "removed": s("integer"), "unchanged": s("integer")}},
            "paragraphs": {"type": "array", "items": {"type": "object", "properties": {
                "op": enum_s(&["equal", "insert", "delete", "change"]),
                "spans": {"type": "array", "items": {"type": "object", "properties": {
                    "op": enum_s(&["equal", "insert", "delete", "change"]), "text": s("string")}}}}}}}},
        "FaqInput": {"type": "object", "required": ["question", "answer"], "properties": {"question": s("string"),
            "answer": s("string"), "thread_id": {"type": ["string", "null"], "format": "uuid"}}},
        "PolicyFaq": {"type": "object", "properties": {"id": s("string"), "version_id": s("string"), "question": s("string"),
            "answer": s("string"), "thread_id": opt_s(), "created_at": s("string")}},
        "PolicyMatrix": {"type": "object", "description": "Which partners acknowledged which version (§3.1.1)", "properties": {
            "versions": {"type": "array", "items": {"type": "object", "properties": {"n": s("integer"),
                "state": enum_s(&["draft", "in_review", "scheduled", "in_force", "superseded", "withdrawn"]),
                "ack_due_at": opt_s(), "sent": {"type": ["integer", "null"], "description": "totals on the first page only"},
                "acknowledged": {"type": ["integer", "null"]}, "pending": {"type": ["integer", "null"]}, "overdue": {"type": ["integer", "null"]}}}},
            "rows": {"type": "array", "items": {"type": "object", "properties": {"id": s("string"), "code": s("string"), "name": s("string"),
                "cells": {"type": "array", "items": enum_s(&["acknowledged", "pending", "overdue", "not_sent"])}}}},
            "next": opt_s(), "next_cursor": opt_s()}}
    })
}

fn schemas() -> Value {
    let mut all = base_schemas();
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), policy_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), ticket_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), data_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), meeting_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), survey_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), offline_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), api_token_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), confidentiality_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), kpi_schemas()) {
        map.extend(more);
    }
    if let (Some(map), Value::Object(more)) = (all.as_object_mut(), account_schemas()) {
        map.extend(more);
    }
    all
}

/// API tokens' schemas (issue 15, SPEC H2), apart for the same reason as the policies'.
fn api_token_schemas() -> Value {
    let scopes: Vec<&str> = liaison_core::api_token::TokenScope::ALL
        .iter()
        .map(|s| s.as_str())
        .collect();
    let time = || json!({"type": "string", "format": "date-time"});
    let opt_time = || json!({"type": ["string", "null"], "format": "date-time"});
    let token = json!({
        "id": {"type": "string", "format": "uuid"}, "partner_id": {"type": "string", "format": "uuid"},
        "partner_code": s("string"), "partner_name": s("string"),
        "user_id": {"type": "string", "format": "uuid", "description": "the service user the token acts as: the audit log names it"},
        "name": s("string"), "hint": {"type": "string", "description": "the token's first characters"},
        "scopes": {"type": "array", "items": enum_s(&scopes)},
        "created_by": {"type": "string", "format": "uuid"}, "created_by_name": opt_s(),
        "created_at": time(), "expires_at": time(), "last_used_at": opt_time(),
        "revoked_at": opt_time(), "revoked_by": {"type": ["string", "null"], "format": "uuid"},
        "state": enum_s(&["active", "expired", "revoked"])});
    let mut created = token.clone();
    created["token"] =
        json!({"type": "string", "description": "lpt_...: shown this once, stored only hashed"});
    json!({
        "ApiTokenInput": {"type": "object", "required": ["name", "scopes"], "additionalProperties": false, "properties": {
            "partner_id": {"type": ["string", "null"], "format": "uuid", "description": "the partner it acts for; a partner admin's own when absent"},
            "name": {"type": "string", "maxLength": 80, "description": "what the token is for, e.g. ERP"},
            "scopes": {"type": "array", "minItems": 1, "items": enum_s(&scopes)},
            "expires_at": {"type": ["string", "null"], "format": "date-time", "description": "RFC 3339, in the future, at most 730 days ahead; a year from now when absent"}}},
        "ApiToken": {"type": "object", "properties": token},
        "ApiTokenCreated": {"type": "object", "properties": created},
        "ApiTokenList": list_of("ApiToken"),
    })
}

/// Confidentiality's schemas (issue 15: need-to-know, leak trace, incidents).
fn kpi_schemas() -> Value {
    let num = || json!({"type": ["number", "null"]});
    let day = || json!({"type": "string", "format": "date"});
    let time = || json!({"type": "string", "format": "date-time"});
    let opt_time = || json!({"type": ["string", "null"], "format": "date-time"});
    let fraction = || {
        json!({"type": "object", "description": "numerator over denominator; value null when the denominator is 0",
        "properties": {"numerator": s("integer"), "denominator": s("integer"), "value": num()}})
    };
    let satisfaction = || json!({"type": "object", "properties": {"mean": num(), "share_satisfied": num(), "responses": s("integer")}});
    let group = || {
        json!({"type": "object", "properties": {
        "key": {"type": "string", "description": "a department, user or partner id, or a channel, kind, region or tier code; none for rows without one"},
        "label": opt_s(), "accuracy": fraction(), "timeliness": fraction(), "satisfaction": satisfaction(),
        "relationship": {"type": "object", "properties": {"value": num(), "change": num()}}}})
    };
    let indicators = enum_s(&["accuracy", "timeliness", "satisfaction", "relationship"]);
    let reason = json!({"type": "object", "properties": {
        "indicator": {"type": ["string", "null"], "enum": ["accuracy", "timeliness", "satisfaction", "relationship", null]},
        "value": s("number"), "threshold": s("integer"), "above": s("boolean")}});
    let reasons = json!({"type": ["array", "null"], "items": reason});
    let line = json!({"type": "object", "properties": {"key": s("string"), "label": s("string"), "rank": s("integer"),
        "score": num(), "accuracy": fraction(), "timeliness": fraction(), "satisfaction": satisfaction(),
        "commended": reasons, "to_improve": reasons}});
    let rel_w = json!({"type": "object", "additionalProperties": false, "properties": {
        "acknowledgement": s("integer"), "attendance": s("integer"), "data_punctuality": s("integer"),
        "data_accuracy": s("integer"), "initiative": s("integer"), "willingness": s("integer"), "nps": s("integer"),
        "initiative_target": s("integer")}});
    let score_w = json!({"type": "object", "additionalProperties": false, "properties": {
        "accuracy": s("integer"), "timeliness": s("integer"), "satisfaction": s("integer"),
        "commend_from": s("integer"), "improve_below": s("integer"), "min_deliveries": s("integer")}});
    json!({
        "KpiReport": {"type": "object", "properties": {"from": day(), "to": day(),
            "group_by": enum_s(&["department", "person", "channel", "kind", "region", "tier", "partner"]),
            "total": group(), "groups": {"type": "array", "items": group()}}},
        "KpiDrilldown": {"type": "object", "properties": {"indicator": indicators,
            "deliveries": {"type": "array", "items": {"type": "object", "properties": {
                "id": s("string"), "message_id": s("string"), "request_id": s("string"),
                "title": {"type": ["string", "null"], "description": "null for confidential and secret messages"},
                "partner_id": s("string"), "partner": s("string"), "channel": s("string"), "state": s("string"),
                "sent_at": time(), "due_at": time(), "read_at": opt_time(), "acked_at": opt_time(),
                "ack_required": s("boolean"), "counted": {"type": "boolean", "description": "in the numerator"}}}},
            "tickets": {"type": "array", "items": {"type": "object", "properties": {
                "id": s("string"), "subject": opt_s(), "partner": s("string"), "rating": s("integer"),
                "rated_at": time(), "counted": s("boolean")}}},
            "next": {"type": ["string", "null"], "description": "pass as cursor for the next page"}}},
        "RelationshipIndex": {"type": "object", "properties": {"partner_id": s("string"), "partner": s("string"),
            "from": day(), "to": day(), "value": num(), "previous": num(), "change": num(),
            "components": {"type": "array", "items": {"type": "object", "properties": {
                "component": enum_s(&["acknowledgement", "attendance", "data_punctuality", "data_accuracy", "initiative", "willingness", "nps"]),
                "weight": s("integer"), "score": num(), "basis": s("integer")}}},
            "history": {"type": "array", "items": {"type": "object", "properties": {"period": s("string"), "value": num()}}}}},
        "Scorecard": {"type": "object", "properties": {"period": s("string"), "from": day(), "to": day(),
            "level": enum_s(&["department", "person"]),
            "lines": {"type": "array", "items": line.clone()},
            "commendations": {"type": "array", "items": line.clone()},
            "improvements": {"type": "array", "items": line},
            "weights": score_w.clone()}},
        "BusinessImpact": {"type": "object", "properties": {"partner_id": opt_s(), "region": opt_s(), "label": s("string"),
            "months": {"type": "array", "items": {"type": "object", "properties": {"period": s("string"),
                "accuracy": num(), "timeliness": num(), "relationship": num(), "sales": num(), "market_share": num()}}},
            "correlation": {"type": ["number", "null"], "description": "Pearson's r of monthly timeliness and sales; a correlation, not a cause"},
            "pairs": s("integer"),
            "figures_withheld": {"type": "boolean", "description": "sales or market share of partners whose confidential figures the reader may not know were left out (§7.2.2)"}}},
        "EvaluationSettings": {"type": "object", "properties": {"timeliness_hours": s("integer"),
            "relationship": rel_w.clone(), "scorecard": score_w.clone()}},
        "EvaluationSettingsInput": {"type": "object", "additionalProperties": false, "properties": {
            "timeliness_hours": {"type": "integer", "minimum": 1, "maximum": 200},
            "relationship": rel_w, "scorecard": score_w}},
    })
}

fn confidentiality_schemas() -> Value {
    let uuid = || json!({"type": "string", "format": "uuid"});
    let opt_uuid = || json!({"type": ["string", "null"], "format": "uuid"});
    let time = || json!({"type": "string", "format": "date-time"});
    let opt_time = || json!({"type": ["string", "null"], "format": "date-time"});
    let unit = || json!({"type": "number", "minimum": 0, "maximum": 1});
    let roles = [
        "admin",
        "channel_manager",
        "dept_head",
        "executive",
        "staff",
        "rd",
    ];
    let suspect = json!({"type": "object", "required": ["delivery_id", "partner_id", "contact_id", "score"],
        "additionalProperties": false, "properties": {
        "delivery_id": uuid(), "partner_id": uuid(), "contact_id": uuid(), "score": unit()}});
    let incident = json!({
        "id": uuid(), "title": s("string"), "severity": enum_s(&["low", "medium", "high", "critical"]),
        "state": enum_s(&["reported", "contained", "investigating", "closed"]),
        "reported_by": uuid(), "reporter_name": s("string"), "reported_at": time(),
        "message_id": opt_uuid(), "message_title": opt_s(), "description": s("string"),
        "leaked_text": s("string"), "suspects": {"type": "array", "items": suspect.clone()},
        "cause": s("string"), "responsible": s("string"), "nda_id": opt_uuid(), "actions": s("string"),
        "contained_at": opt_time(), "closed_at": opt_time(), "version": s("integer"), "updated_at": time()});
    let contained = json!({"type": "object", "properties": {"recalled": s("integer"),
        "links_expired": s("integer"), "robots_to_rotate": s("integer")}});
    let event = json!({"type": "object", "properties": {"id": uuid(), "at": time(), "user_id": opt_uuid(),
        "user_name": opt_s(), "kind": enum_s(&["reported", "contained", "notified", "note", "investigation", "closed"]),
        "body": s("string"), "detail": {"type": "object"}}});
    let mut detail = incident.clone();
    if let Some(o) = detail.as_object_mut() {
        o.insert("events".into(), json!({"type": "array", "items": event}));
    }
    let mut after_contain = incident.clone();
    if let Some(o) = after_contain.as_object_mut() {
        o.insert("contained".into(), contained);
    }
    let kinds: Vec<&str> = liaison_core::access::ItemKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let access_request = json!({
        "id": uuid(), "item_kind": enum_s(&kinds), "item_id": uuid(), "item_title": s("string"),
        "user_id": uuid(), "user_name": s("string"), "owner_id": uuid(), "owner_name": s("string"),
        "reason": s("string"), "state": enum_s(&["requested", "granted", "refused"]), "note": s("string"),
        "decided_by": opt_uuid(), "decided_at": opt_time(), "created_at": time()});
    json!({
        "LeakTraceBody": {"type": "object", "required": ["text"], "additionalProperties": false, "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 50000, "description": "the leaked text, whole or in part; zero-width characters and spacing may be lost"}}},
        "LeakTraceFile": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary", "description": "a leaked PDF, PNG or JPEG downloaded from Liaison (its copy code names the delivery, score 1), or a text file (.txt, .md) traced as pasted text"}}},
        "LeakTrace": {"type": "object", "properties": {
            "candidates": {"type": "array", "description": "best first", "items": {"type": "object", "required": ["delivery_id", "partner_id", "contact_id", "score"], "properties": {
                "delivery_id": uuid(), "partner_id": uuid(), "contact_id": uuid(), "score": unit(), "confidence": unit(),
                "explained": s("integer"), "marks": s("integer"), "message_id": uuid(), "message_title": s("string"),
                "partner_name": s("string"), "partner_code": s("string"), "contact_name": s("string")}}},
            "sources": {"type": "array", "items": {"type": "object", "properties": {"message_id": uuid(), "title": s("string"),
                "overlap": unit(), "recipients": s("integer")}}},
            "marks": s("integer"), "tagged": s("boolean")}},
        "IncidentInput": {"type": "object", "required": ["title"], "additionalProperties": false, "properties": {
            "title": {"type": "string", "maxLength": 200}, "severity": {"type": ["string", "null"], "enum": ["low", "medium", "high", "critical", null]},
            "message_id": opt_uuid(), "description": {"type": "string", "maxLength": 20000},
            "leaked_text": {"type": "string", "maxLength": 50000}, "suspects": {"type": "array", "maxItems": 100, "items": suspect}}},
        "IncidentPatch": {"type": "object", "additionalProperties": false, "properties": {
            "cause": opt_s(), "responsible": opt_s(), "nda_id": opt_uuid(), "actions": opt_s(),
            "state": {"type": ["string", "null"], "enum": ["reported", "contained", "investigating", "closed", null]}, "note": opt_s()}},
        "Incident": {"type": "object", "properties": incident},
        "IncidentDetail": {"type": "object", "properties": detail},
        "IncidentContained": {"type": "object", "properties": after_contain},
        "IncidentList": list_of("Incident"),
        "AccessRequestInput": {"type": "object", "required": ["item_kind", "item_id", "reason"], "additionalProperties": false, "properties": {
            "item_kind": enum_s(&kinds), "item_id": uuid(), "reason": {"type": "string", "minLength": 1, "maxLength": 2000}}},
        "AccessDecision": {"type": "object", "required": ["decision"], "additionalProperties": false, "properties": {
            "decision": enum_s(&["grant", "refuse"]), "note": {"type": "string", "maxLength": 2000}}},
        "AccessRequest": {"type": "object", "properties": access_request},
        "AccessRequestList": list_of("AccessRequest"),
        "AccessCircle": {"type": "object", "properties": {
            "users": {"type": "array", "items": {"type": "object", "properties": {"id": uuid(), "name": s("string"), "email": s("string")}}},
            "roles": {"type": "array", "items": enum_s(&roles)}}},
        "AccessCircleInput": {"type": "object", "additionalProperties": false, "properties": {
            "users": {"type": "array", "maxItems": 500, "items": uuid()},
            "roles": {"type": "array", "maxItems": 6, "items": enum_s(&roles)}}},
    })
}

/// Account security's schemas (§7.2.3), apart for the same reason as the policies'.
fn account_schemas() -> Value {
    json!({
        "TotpStatus": {"type": "object", "properties": {"enrolled": s("boolean"), "pending": s("boolean"),
            "confirmed_at": {"type": ["string", "null"], "format": "date-time"}, "recovery_codes_left": s("integer"),
            "required": {"type": "boolean", "description": "required of this account's roles: admins and executives"},
            "gate": enum_s(&["open", "remind", "enforce"])}},
        "TotpEnrolment": {"type": "object", "properties": {"secret": {"type": "string", "description": "base32, for manual entry"},
            "otpauth_url": {"type": "string", "description": "otpauth://totp/Liaison:EMAIL?secret=...&issuer=Liaison&algorithm=SHA1&digits=6&period=30"}}},
        "TotpConfirm": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string", "description": "the 6-digit code the app shows now"}}},
        "TotpConfirmed": {"type": "object", "properties": {"enrolled": s("boolean"),
            "recovery_codes": {"type": "array", "items": s("string"), "description": "10 codes, shown this once; each works once instead of a code"}}},
        "TotpDisable": {"type": "object", "properties": {"code": {"type": ["string", "null"], "description": "a current code or an unused recovery code"},
            "password": {"type": ["string", "null"], "description": "or the account's password"}}},
        "PasswordChange": {"type": "object", "required": ["current", "new"], "additionalProperties": false, "properties": {
            "current": {"type": "string", "description": "the password in use now"},
            "new": {"type": "string", "minLength": 10, "maxLength": 128, "description": "two kinds of character at least, not on the breached-password list, not the current one"}}},
        "PasswordChanged": {"type": "object", "properties": {"changed": s("boolean"),
            "sessions_ended": {"type": "integer", "description": "the caller's other sessions ended (the current one stays)"}}},
        "Session": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}, "kind": enum_s(&["browser", "api"]),
            "created_at": {"type": "string", "format": "date-time"}, "last_seen_at": {"type": ["string", "null"], "format": "date-time"},
            "expires_at": {"type": "string", "format": "date-time"},
            "device": {"type": ["string", "null"], "description": "browser or client and system, from the User-Agent (Chrome · Windows)"},
            "address": opt_s(), "current": s("boolean")}},
        "SessionList": list_of("Session"),
        "SessionsRevoked": {"type": "object", "properties": {"revoked": {"type": "integer", "description": "sessions ended"}}},
        "SecuritySettings": {"type": "object", "required": ["totp_mode"], "properties": {"totp_mode": enum_s(&["remind", "enforce"])}}
    })
}

/// Surveys' schemas (issue 16 item 2), apart for the same reason as the policies'.
fn survey_schemas() -> Value {
    let uuid = || json!({"type": "string", "format": "uuid"});
    let opt_time = || json!({"type": ["string", "null"], "format": "date-time"});
    let time = || json!({"type": "string", "format": "date-time"});
    let texts = || json!({"type": "object", "description": "the text per language written: zh-cn, zh-tw, en", "additionalProperties": s("string")});
    let kinds = ["rating", "single", "multiple", "text", "nps"];
    let measures = ["satisfaction", "nps", "willingness"];
    let question = json!({"type": "object", "additionalProperties": false, "required": ["kind", "text"], "properties": {
        "key": {"type": "string", "description": "q1, q2, … (given when saved)"}, "kind": enum_s(&kinds), "text": texts(),
        "choices": {"type": "array", "maxItems": 20, "items": texts()}, "required": s("boolean"),
        "measure": {"type": ["string", "null"], "enum": ["satisfaction", "nps", "willingness", null]}}});
    let audience = json!({"type": "object", "additionalProperties": false, "properties": {
        "partners": {"type": "array", "maxItems": 20000, "items": uuid()},
        "segments": {"type": "array", "maxItems": 20000, "items": uuid()}}});
    let survey = json!({"id": uuid(), "title": texts(), "intro": texts(),
        "questions": {"type": "array", "items": question.clone()}, "audience": audience.clone(),
        "anonymous": s("boolean"), "schedule": enum_s(&["once", "monthly", "quarterly", "yearly"]),
        "state": enum_s(&["draft", "open", "closed"]), "round": s("integer"), "round_started_at": opt_time(),
        "closes_at": opt_time(), "closes_on": {"type": "string", "format": "date"},
        "days_open": {"type": ["integer", "null"]}, "remind_days": {"type": ["integer", "null"]},
        "created_by": uuid(), "version": s("integer"), "created_at": time(), "updated_at": time(),
        "opened_at": opt_time(), "closed_at": opt_time()});
    let invitation = json!({"type": "object", "properties": {"id": uuid(), "survey_id": uuid(), "round": s("integer"),
        "partner_id": uuid(), "partner_code": s("string"), "partner_name": s("string"), "answered": s("boolean"),
        "reminded_at": opt_time()}});
    let answer = json!({"type": "object", "properties": {"round": s("integer"), "answered_on": {"type": "string", "format": "date"},
        "partner_id": {"type": ["string", "null"], "format": "uuid"}, "partner_code": opt_s(), "partner_name": opt_s(),
        "via": {"type": ["string", "null"], "enum": ["portal", "link", "api", "phone", null]}, "entered_by_name": opt_s(),
        "values": {"type": "object", "description": "question key: a number or the chosen choices' indexes"},
        "texts": {"type": "object", "additionalProperties": s("string")}}});
    let mut detail = survey.clone();
    if let Some(o) = detail.as_object_mut() {
        o.insert("period".into(), opt_s());
        o.insert(
            "invitations".into(),
            json!({"type": "array", "items": invitation.clone()}),
        );
        o.insert("mine".into(), json!({"oneOf": [{"type": "object", "properties": {
            "invitation": invitation.clone(), "answer": {"oneOf": [answer, {"type": "null"}]}, "may_answer": s("boolean")}}, {"type": "null"}]}));
        o.insert("answerable".into(), s("boolean"));
    }
    let counts = json!({"type": "array", "items": s("integer")});
    json!({
        "SurveyInput": {"type": "object", "additionalProperties": false, "properties": {
            "title": texts(), "intro": texts(), "questions": {"type": "array", "maxItems": 50, "items": question},
            "audience": audience, "anonymous": {"type": ["boolean", "null"]},
            "schedule": {"type": ["string", "null"], "enum": ["once", "monthly", "quarterly", "yearly", null]},
            "closes_on": {"type": ["string", "null"], "description": "YYYY-MM-DD"},
            "remind_days": {"type": ["integer", "null"], "minimum": 0, "maximum": 60},
            "version": {"type": ["integer", "null"], "description": "PATCH: the version read"}}},
        "Survey": {"type": "object", "properties": survey},
        "SurveyDetail": {"type": "object", "properties": detail},
        "SurveyList": list_of("Survey"),
        "SurveyAnswerInput": {"type": "object", "additionalProperties": false, "properties": {
            "answers": {"type": "object", "description": "question key: a number (rating 1-5, NPS 0-10), a choice's index or a list of them, or a text"},
            "partner_id": {"type": ["string", "null"], "format": "uuid", "description": "staff entering a phone interview: the partner answering"}}},
        "SurveyResults": {"type": "object", "properties": {
            "survey_id": uuid(), "round": s("integer"), "period": opt_s(), "invited": s("integer"), "answered": s("integer"),
            "response_rate": {"type": ["number", "null"]}, "withheld": s("boolean"), "min_answers": s("integer"),
            "questions": {"type": "array", "items": {"type": "object", "properties": {
                "key": s("string"), "kind": enum_s(&kinds), "measure": {"type": ["string", "null"], "enum": [measures[0], measures[1], measures[2], null]},
                "answered": s("integer"), "mean": {"type": ["number", "null"]}, "counts": counts,
                "share_satisfied": {"type": ["number", "null"]},
                "nps": {"oneOf": [{"type": "object", "properties": {"promoters": s("integer"), "passives": s("integer"),
                    "detractors": s("integer"), "score": {"type": ["integer", "null"]}}}, {"type": "null"}]},
                "texts": {"type": "array", "items": s("string")}}}}}},
    })
}

/// Meetings' schemas (issue 14), apart for the same reason as the policies'.
fn meeting_schemas() -> Value {
    let uuid = || json!({"type": "string", "format": "uuid"});
    let opt_uuid = || json!({"type": ["string", "null"], "format": "uuid"});
    let time = || json!({"type": "string", "format": "date-time"});
    let opt_time = || json!({"type": ["string", "null"], "format": "date-time"});
    let ids = || json!({"type": "array", "maxItems": 20000, "items": {"type": "string", "format": "uuid"}});
    let kinds = [
        "partner_conference",
        "quarterly",
        "monthly",
        "ad_hoc",
        "training",
        "launch_briefing",
    ];
    let states = ["planned", "invited", "held", "cancelled"];
    let answers = ["needs_action", "accepted", "declined", "tentative"];
    let invitees = json!({"type": "object", "additionalProperties": false, "properties": {
        "partners": ids(), "segments": ids(), "contacts": ids(), "users": ids()}});
    let meeting = json!({
        "id": uuid(), "kind": enum_s(&kinds), "title": s("string"), "starts_at": time(), "ends_at": time(),
        "timezone": s("string"), "place": opt_s(), "video_url": opt_s(), "agenda": s("string"),
        "chair_id": uuid(), "chair_name": s("string"), "chair_email": s("string"),
        "classification": enum_s(&["public", "internal", "confidential", "secret"]),
        "state": enum_s(&states), "sequence": s("integer"), "invitees": invitees.clone(),
        "invited_at": opt_time(), "late": s("boolean"), "cancelled_at": opt_time(), "minutes": opt_s(),
        "decisions": {"type": "array", "items": s("string")}, "held_at": opt_time(), "created_by": uuid(),
        "version": s("integer"), "created_at": time(), "updated_at": time()});
    let attendee = json!({"type": "object", "properties": {
        "id": uuid(), "meeting_id": uuid(), "partner_id": opt_uuid(), "partner_code": opt_s(),
        "contact_id": opt_uuid(), "user_id": opt_uuid(), "name": s("string"), "email": opt_s(),
        "response": enum_s(&answers), "responded_at": opt_time(),
        "responded_via": {"type": ["string", "null"], "enum": ["portal", "console", "link", "email", "api", null]},
        "attended": {"type": ["boolean", "null"]}, "sent_sequence": {"type": ["integer", "null"]}, "removed": s("boolean")}});
    let clash = json!({"type": "object", "properties": {
        "kind": enum_s(&["meeting", "holiday", "non_working_day", "business_date", "launch", "outside_hours"]),
        "on": {"type": "string", "format": "date"}, "title": s("string"),
        "partners": {"type": "array", "items": s("string")}, "meeting_id": opt_uuid()}});
    let task = json!({"type": "object", "properties": {
        "id": uuid(), "source": enum_s(&["meeting", "visit", "call"]), "meeting_id": opt_uuid(),
        "visit_id": opt_uuid(), "call_id": opt_uuid(), "source_title": opt_s(), "partner_id": opt_uuid(),
        "partner_code": opt_s(), "title": s("string"), "owner_user_id": opt_uuid(), "owner_contact_id": opt_uuid(),
        "owner_name": opt_s(), "due_on": {"type": "string", "format": "date"},
        "status": enum_s(&["open", "done", "cancelled"]), "done_at": opt_time(), "reminded_at": opt_time(),
        "escalated_at": opt_time(), "created_by": uuid(), "created_at": time()}});
    let mut detail = meeting.clone();
    if let Some(o) = detail.as_object_mut() {
        o.insert(
            "attendees".into(),
            json!({"type": "array", "items": attendee.clone()}),
        );
        o.insert("restricted".into(), json!({"type": "boolean", "description": "§7.2.2: the caller is outside this confidential item's circle and sees its title only; ask its owner with POST /api/v1/access-requests"}));
        o.insert("answers".into(), json!({"type": "object", "properties": {"invited": s("integer"),
            "accepted": s("integer"), "declined": s("integer"), "tentative": s("integer"), "attended": s("integer")}}));
        o.insert(
            "mine".into(),
            json!({"oneOf": [attendee.clone(), {"type": "null"}]}),
        );
        o.insert(
            "tasks".into(),
            json!({"type": "array", "items": task.clone()}),
        );
        o.insert(
            "clashes".into(),
            json!({"type": "array", "items": clash.clone()}),
        );
    }
    let per_kind = |names: &[&str], max: i64| -> serde_json::Map<String, Value> {
        names
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    json!({"type": "integer", "minimum": 0, "maximum": max}),
                )
            })
            .collect()
    };
    let day_props = per_kind(&kinds, 365);
    let regular_props = per_kind(&["partner_conference", "quarterly", "monthly"], 31);
    let days = json!({"type": "object", "additionalProperties": false, "properties": day_props});
    let regular =
        json!({"type": "object", "additionalProperties": false, "properties": regular_props});
    json!({
        "MeetingInput": {"type": "object", "additionalProperties": false, "properties": {
            "kind": enum_s(&kinds), "title": {"type": "string", "maxLength": 200},
            "starts_at": {"type": "string", "description": "RFC 3339, or a local time (2026-12-15T14:00) in timezone"},
            "ends_at": {"type": "string", "description": "after starts_at, at most 7 days later"},
            "timezone": {"type": ["string", "null"], "description": "IANA zone; the company's when absent"},
            "place": opt_s(), "video_url": {"type": ["string", "null"], "description": "http(s) address"},
            "generate_video": {"type": ["boolean", "null"]}, "agenda": {"type": ["string", "null"], "description": "Markdown"},
            "chair_id": opt_uuid(), "classification": {"type": ["string", "null"], "enum": ["public", "internal", "confidential", "secret", null]},
            "invitees": invitees, "version": {"type": ["integer", "null"], "description": "PATCH: the version read"}}},
        "Meeting": {"type": "object", "properties": meeting},
        "MeetingDetail": {"type": "object", "properties": detail},
        "MeetingList": list_of("Meeting"),
        "Attendee": attendee,
        "Clash": clash,
        "ClashList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Clash"}}}},
        "RsvpInput": {"type": "object", "required": ["response"], "additionalProperties": false, "properties": {
            "response": enum_s(&["accepted", "declined", "tentative"])}},
        "MinutesInput": {"type": "object", "additionalProperties": false, "properties": {
            "minutes": opt_s(), "decisions": {"type": "array", "maxItems": 100, "items": s("string")},
            "attendance": {"type": "array", "items": {"type": "object", "additionalProperties": false, "properties": {
                "attendee_id": opt_uuid(), "attended": s("boolean")}}},
            "action_items": {"type": "array", "maxItems": 100, "items": {"type": "object", "additionalProperties": false, "properties": {
                "title": s("string"), "owner_user_id": opt_uuid(), "owner_contact_id": opt_uuid(),
                "due_on": {"type": "string", "description": "YYYY-MM-DD"}}}}}},
        "Cadence": {"type": "object", "properties": {"year": s("integer"), "items": {"type": "array", "items": {"type": "object", "properties": {
            "kind": enum_s(&["partner_conference", "quarterly", "monthly"]), "period": s("string"),
            "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
            "required": s("integer"), "planned": s("integer"), "held": s("integer"),
            "status": enum_s(&["met", "on_track", "heading_short", "short", "future"])}}}}},
        "SeriesInput": {"type": "object", "required": ["kind", "year", "title"], "additionalProperties": false, "properties": {
            "kind": enum_s(&["partner_conference", "quarterly", "monthly"]), "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
            "title": {"type": "string", "maxLength": 150}, "invitees": {"type": "object", "additionalProperties": false, "properties": {
                "partners": ids(), "segments": ids(), "contacts": ids(), "users": ids()}}}},
        "MeetingSettings": {"type": "object", "additionalProperties": false, "properties": {
            "notice_days": days, "cadence": regular,
            "visit_months": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 24}},
            "video_url_template": {"type": ["string", "null"], "description": "https address with {id}"}}},
        "BusinessDate": {"type": "object", "properties": {"id": uuid(), "on_date": {"type": "string", "format": "date"}, "title": s("string")}},
        "BusinessDateList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/BusinessDate"}}}},
        "BusinessDateInput": {"type": "object", "required": ["on", "title"], "additionalProperties": false, "properties": {
            "on": {"type": "string", "description": "YYYY-MM-DD"}, "title": {"type": "string", "maxLength": 200}}},
        "Task": task,
        "TaskList": list_of("Task"),
        "TaskPatch": {"type": "object", "required": ["status"], "additionalProperties": false, "properties": {
            "status": enum_s(&["open", "done", "cancelled"])}},
        "CalendarFeed": {"type": "object", "properties": {"url": s("string"), "webcal": s("string")}},
    })
}

/// Visits' and calls' schemas (issue 14), apart for the same reason as the policies'.
fn offline_schemas() -> Value {
    let uuid = json!({"type": "string", "format": "uuid"});
    let date = json!({"type": "string", "format": "date", "description": "YYYY-MM-DD"});
    let task_input = json!({"type": "object", "additionalProperties": false, "required": ["title", "due_on"], "properties": {
        "title": s("string"), "owner_user_id": uuid, "owner_contact_id": uuid, "due_on": date}});
    let task = json!({"type": "object", "properties": {"id": s("string"), "source": enum_s(&["meeting", "visit", "call"]),
        "meeting_id": opt_s(), "visit_id": opt_s(), "call_id": opt_s(), "source_title": opt_s(), "partner_id": opt_s(),
        "partner_code": opt_s(), "title": s("string"), "owner_user_id": opt_s(), "owner_contact_id": opt_s(), "owner_name": opt_s(),
        "due_on": s("string"), "status": enum_s(&["open", "done", "cancelled"]), "done_at": opt_s(), "reminded_at": opt_s(),
        "escalated_at": opt_s(), "created_by": s("string"), "created_at": s("string")}});
    let visit_props = json!({"id": s("string"), "partner_id": s("string"), "partner_code": s("string"), "partner_name": s("string"),
        "partner_tier": s("string"), "visitor_id": s("string"), "visitor_name": s("string"), "planned_on": s("string"),
        "state": enum_s(&["planned", "done", "cancelled"]), "purpose": s("string"), "visited_on": opt_s(), "findings": opt_s(),
        "problems": {"type": ["string", "null"], "description": "company-internal: always null for a partner's user"},
        "reported_at": opt_s(), "created_by": s("string"), "version": s("integer"), "created_at": s("string"), "updated_at": s("string")});
    let visit_file = json!({"type": "object", "properties": {"id": s("string"), "visit_id": s("string"), "filename": s("string"),
        "content_type": s("string"), "size": s("integer"), "sha256": s("string"), "created_at": s("string")}});
    let mut detail = visit_props.clone();
    detail["files"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/VisitFile"}});
    detail["tasks"] = json!({"type": "array", "items": {"$ref": "#/components/schemas/Task"}});
    let overdue = json!({"type": "object", "properties": {"partner_id": s("string"), "partner_code": s("string"),
        "partner_name": s("string"), "tier": s("string"), "owner_id": opt_s(), "owner_name": opt_s(), "partner_since": s("string"),
        "last_visit": opt_s(), "next_planned": opt_s(), "due_on": s("string"), "days_overdue": s("integer")}});
    let call_props = json!({"id": s("string"), "partner_id": s("string"), "partner_code": s("string"), "partner_name": s("string"),
        "contact_id": opt_s(), "contact_name": opt_s(), "user_id": s("string"), "user_name": s("string"), "at": s("string"),
        "direction": enum_s(&["inbound", "outbound"]), "duration_minutes": s("integer"), "summary": s("string"),
        "delivery_id": opt_s(), "ticket_id": opt_s(), "created_at": s("string")});
    // One list, two shapes: visits, or with overdue=true the partners overdue a visit.
    let mut union = visit_props.clone();
    if let (Some(u), Some(o)) = (union.as_object_mut(), overdue["properties"].as_object()) {
        for (k, v) in o {
            u.insert(k.clone(), v.clone());
        }
    }
    let list_item = json!({"type": "object", "description": "a Visit, or with overdue=true an OverdueVisit", "properties": union});
    let mut call_detail = call_props.clone();
    call_detail["follow_ups"] =
        json!({"type": "array", "items": {"$ref": "#/components/schemas/Task"}});
    json!({
        "VisitInput": {"type": "object", "required": ["partner_id", "planned_on", "purpose"], "properties": {
            "partner_id": uuid, "planned_on": date, "purpose": s("string"),
            "visitor_id": {"type": "string", "format": "uuid", "description": "the staff member who goes; the caller by default"}}},
        "VisitPatch": {"type": "object", "properties": {
            "report": {"type": "object", "additionalProperties": false, "required": ["visited_on", "findings"], "properties": {
                "visited_on": date, "findings": s("string"),
                "problems": {"type": "string", "description": "company-internal: never shown to the partner"},
                "actions": {"type": "array", "items": task_input}}},
            "state": enum_s(&["cancelled"]), "planned_on": date, "purpose": s("string"), "visitor_id": uuid,
            "version": {"type": ["integer", "null"], "description": "the version the fields were read at: a stale one is a 409"}}},
        "Task": task,
        "Visit": {"type": "object", "properties": visit_props},
        "VisitFile": visit_file,
        "VisitDetail": {"type": "object", "properties": detail},
        "OverdueVisit": overdue,
        "VisitList": {"type": "object", "properties": {
            "items": {"type": "array", "items": list_item},
            "next_cursor": opt_s()}},
        "CallInput": {"type": "object", "required": ["partner_id", "direction", "summary"], "properties": {
            "partner_id": uuid, "contact_id": uuid,
            "at": {"type": "string", "format": "date-time", "description": "RFC 3339; now by default; not in the future"},
            "direction": enum_s(&["inbound", "outbound"]),
            "duration_minutes": {"type": "integer", "minimum": 0, "maximum": 600},
            "summary": s("string"),
            "delivery_id": {"type": "string", "format": "uuid", "description": "a phone delivery of this partner's the call carried out: marked done"},
            "follow_ups": {"type": "array", "items": task_input},
            "ticket": {"type": "object", "additionalProperties": false, "required": ["kind", "subject", "description"], "properties": {
                "kind": s("string"), "priority": s("string"), "subject": s("string"), "description": s("string")}}}},
        "Call": {"type": "object", "properties": call_props},
        "CallDetail": {"type": "object", "properties": call_detail},
        "CallList": list_of("Call"),
    })
}

/// Business data's schemas (issue 13), apart for the same reason as the policies'.
fn data_schemas() -> Value {
    let uuid = || json!({"type": "string", "format": "uuid"});
    let opt_uuid = || json!({"type": ["string", "null"], "format": "uuid"});
    let time = || json!({"type": "string", "format": "date-time"});
    let opt_time = || json!({"type": ["string", "null"], "format": "date-time"});
    let opt_num = || json!({"type": ["number", "null"]});
    let kinds = [
        "text",
        "integer",
        "decimal",
        "date",
        "period",
        "product_code",
        "region_code",
    ];
    let column = json!({"type": "object", "required": ["name", "label_zh", "kind"], "additionalProperties": false, "properties": {
        "name": {"type": "string", "description": "the header in files and the key in rows: a-z, 0-9, _"},
        "label_zh": s("string"), "label_en": s("string"), "kind": enum_s(&kinds),
        "scale": {"type": "integer", "minimum": 0, "maximum": 6, "description": "decimal places of a decimal"},
        "unit": s("string"), "required": s("boolean"), "min": opt_num(), "max": opt_num(),
        "aggregate": {"type": ["string", "null"], "enum": ["sum", "mean", null], "description": "how rows add up to a figure (numbers only; default sum)"}}});
    let classification = enum_s(&["public", "internal", "confidential", "secret"]);
    let dataset_input = json!({"type": "object", "additionalProperties": false, "properties": {
        "code": s("string"), "name_zh": s("string"), "name_en": s("string"), "description": s("string"),
        "columns": {"type": "array", "items": column.clone()},
        "series_by": {"type": "string", "description": "the column that names a series (a product code or a category); empty: the total only"},
        "classification": classification.clone(), "active": s("boolean")}});
    let mut dataset_patch = dataset_input.clone();
    dataset_patch["properties"]["version"] = json!({"type": ["integer", "null"],
        "description": "the version the fields were read at: a stale one is a 409"});
    let submission_state = enum_s(&["current", "superseded", "rejected"]);
    let submission = json!({"type": "object", "properties": {
        "id": uuid(), "dataset_id": uuid(), "dataset_code": s("string"), "dataset_name_zh": s("string"),
        "dataset_name_en": s("string"), "partner_id": uuid(), "partner_code": s("string"), "partner_name": s("string"),
        "period": s("string"), "version": {"type": "integer", "description": "0 for a rejected submission"},
        "state": submission_state, "via": enum_s(&["portal", "api", "cli", "console"]),
        "file_name": opt_s(), "row_count": s("integer"), "error_count": s("integer"),
        "due_on": {"type": ["string", "null"], "format": "date"}, "on_time": {"type": ["boolean", "null"]},
        "submitted_by": uuid(), "submitted_by_name": opt_s(), "submitted_at": time(), "superseded_at": opt_time(),
        "classification": enum_s(&["public", "internal", "confidential", "secret"]), "restricted": {"type": "boolean", "description": "§7.2.2: the caller is outside this confidential item's circle and sees its title only; ask its owner with POST /api/v1/access-requests"},
        "anomalies": {"type": "integer", "description": "on a new submission: how many figures were found abnormal"}}});
    let anomaly_state = enum_s(&["open", "explained", "corrected", "closed"]);
    let anomaly = json!({"type": "object", "properties": {
        "id": uuid(), "dataset_id": uuid(), "dataset_code": s("string"), "dataset_name_zh": s("string"),
        "dataset_name_en": s("string"), "partner_id": uuid(), "partner_code": s("string"), "partner_name": s("string"),
        "submission_id": uuid(), "series": {"type": "string", "description": "a product or category; empty: the partner's total"},
        "measure": s("string"), "period": s("string"),
        "baseline": {"type": ["string", "null"], "enum": ["history", "seasonal", null], "description": "null where the figures are withheld (restricted)"},
        "value": opt_num(), "expected": opt_num(), "score": opt_num(), "ratio": opt_num(),
        "peer_percentile": opt_num(), "periods": s("integer"), "state": anomaly_state, "owner_id": opt_uuid(),
        "owner_name": opt_s(), "version": s("integer"), "created_at": time(), "updated_at": time(), "closed_at": opt_time(),
        "classification": enum_s(&["public", "internal", "confidential", "secret"]),
        "restricted": {"type": "boolean", "description": "§7.2.2: the data set is confidential and the caller is outside the circle of this partner's figures: baseline, value, expected, score, ratio and peer_percentile are null and the follow-up is not shown; ask for access on submission_id with POST /api/v1/access-requests"},
        "explanation": {"type": "string", "description": "in words, in the reader's language"}}});
    let mut detail = anomaly.clone();
    detail["properties"]["follow_ups"] = json!({"type": "array", "items": {"type": "object", "properties": {
        "id": uuid(), "anomaly_id": uuid(), "author_id": opt_uuid(), "author_name": opt_s(), "author_is_partner": s("boolean"),
        "kind": enum_s(&["comment", "cause", "action", "corrected", "closed", "reopened"]), "body": s("string"), "created_at": time()}}});
    let bench = json!({"anyOf": [{"type": "object", "properties": {"q1": s("number"), "median": s("number"), "q3": s("number"), "peers": s("integer")}}, {"type": "null"}]});
    let mut out = json!({
        "Column": column,
        "DatasetInput": dataset_input,
        "DatasetPatch": dataset_patch,
        "Dataset": {"type": "object", "properties": {
            "id": uuid(), "code": s("string"), "name_zh": s("string"), "name_en": s("string"), "description": s("string"),
            "schema": {"type": "object", "properties": {"columns": {"type": "array", "items": {"$ref": "#/components/schemas/Column"}}, "series_by": opt_s()}},
            "classification": classification, "active": s("boolean"), "version": s("integer"),
            "created_at": time(), "updated_at": time()}},
        "DatasetList": list_of("Dataset"),
        "RequirementInput": {"type": "object", "additionalProperties": false, "properties": {
            "dataset": {"type": "string", "description": "the data set's code or id"},
            "partner_kind": {"type": "string", "enum": ["distributor", "agent", "ecommerce", "store", "other", ""]},
            "segment_id": uuid(), "period": enum_s(&["weekly", "monthly", "quarterly"]),
            "due_working_days": {"type": "integer", "minimum": 0, "maximum": 60, "description": "the due day: this many working days after the period ends"},
            "remind_days": {"type": "integer", "minimum": 0, "maximum": 30}, "active": s("boolean")}},
        "Requirement": {"type": "object", "properties": {
            "id": uuid(), "dataset_id": uuid(), "dataset_code": s("string"),
            "partner_kind": {"type": ["string", "null"]}, "segment_id": opt_uuid(), "segment_name": opt_s(),
            "period_kind": enum_s(&["weekly", "monthly", "quarterly"]), "due_days": s("integer"), "remind_days": s("integer"),
            "active": s("boolean"), "created_at": time()}},
        "RequirementList": list_of("Requirement"),
        "ObligationList": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
            "requirement_id": uuid(), "dataset_id": uuid(), "dataset_code": s("string"), "period": s("string"),
            "due_on": {"type": "string", "format": "date"}, "standing": enum_s(&["due", "overdue", "on_time", "late"]),
            "submission": {"anyOf": [{"$ref": "#/components/schemas/Submission"}, {"type": "null"}]}}}}}},
        "OverdueList": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
            "partner_id": uuid(), "partner_code": s("string"), "partner_name": s("string"), "owner_id": opt_uuid(), "owner_name": opt_s(),
            "dataset_id": uuid(), "dataset_code": s("string"), "period": s("string"),
            "due_on": {"type": "string", "format": "date"}, "days_late": s("integer")}}}}},
        "SubmissionInput": {"type": "object", "required": ["dataset", "period", "rows"], "additionalProperties": false, "properties": {
            "dataset": {"type": "string", "description": "the data set's code, e.g. sales"},
            "period": {"type": "string", "description": "2026-11 (month), 2026-W45 (ISO week) or 2026-Q4"},
            "partner_id": {"type": "string", "format": "uuid", "description": "staff: the partner the figures are for"},
            "rows": {"type": "array", "items": {"type": "object", "description": "column name → value"}}}},
        "SubmissionForm": {"type": "object", "required": ["dataset", "period", "file"], "properties": {
            "dataset": s("string"), "period": s("string"), "partner_id": {"type": "string", "format": "uuid"},
            "file": {"type": "string", "format": "binary", "description": "CSV (UTF-8, UTF-8 with BOM, GBK, UTF-16) or XLSX"}}},
        "Submission": submission,
        "SubmissionList": list_of("Submission"),
        "SubmissionErrors": {"type": "object", "properties": {"submission_id": uuid(), "state": enum_s(&["current", "superseded", "rejected"]),
            "error_count": s("integer"), "errors": {"type": "array", "items": {"type": "object", "properties": {
                "row": {"type": "integer", "description": "the row in the file (the header is row 1); 0: the whole file"},
                "column": s("string"), "code": s("string"), "message": s("string")}}}}},
        "Anomaly": anomaly,
        "AnomalyList": list_of("Anomaly"),
        "AnomalyDetail": detail,
        "FollowUpInput": {"type": "object", "additionalProperties": false, "properties": {
            "kind": enum_s(&["comment", "cause", "action", "closed"]), "body": s("string")}},
        "Trend": {"type": "object", "properties": {
            "dataset": s("string"), "measure": s("string"), "measure_label_zh": s("string"), "measure_label_en": s("string"),
            "unit": s("string"), "periods": {"type": "array", "items": s("string")}, "partner_id": opt_uuid(), "series": opt_s(),
            "values": {"type": "array", "items": opt_num()},
            "benchmark": {"type": "array", "items": bench},
            "peer_group": {"anyOf": [{"type": "object", "properties": {"kind": s("string"), "region": opt_s()}}, {"type": "null"}]},
            "benchmark_withheld": s("boolean"),
            "groups": {"type": "array", "items": {"type": "object", "properties": {"group": s("string"), "values": {"type": "array", "items": opt_num()}}}},
            "restricted": {"type": "boolean", "description": "§7.2.2: the partner's figures of this confidential data set are outside the caller's circle (its channel manager and those on the access list of one of its submissions of the data set): values and benchmark are null"},
            "ask_on": {"type": ["string", "null"], "format": "uuid", "description": "when restricted: the partner's newest submission of the data set, on which to ask for access (POST /api/v1/access-requests)"},
            "withheld_partners": {"type": "integer", "description": "company totals and groups of a confidential or secret data set: how many partners that reported in these periods were left out, their figures being outside the caller's circle (§7.2.2)"}}},
        "DataSettings": {"type": "object", "required": ["score", "min_history", "peer_percentile"], "additionalProperties": false, "properties": {
            "score": {"type": "number", "minimum": 1, "maximum": 20, "description": "robust score (modified z) at which a figure is abnormal"},
            "min_history": {"type": "integer", "minimum": 3, "maximum": 24},
            "peer_percentile": {"type": "number", "minimum": 0, "maximum": 49}}}
    });
    // The submission's body, whichever of its media types it comes in; as JSON, closed.
    out["SubmissionUpload"] = out["SubmissionInput"].clone();
    out
}

/// Problem tickets' schemas (issue 12), apart for the same reason as the policies'.
fn ticket_schemas() -> Value {
    let kinds = enum_s(&[
        "marketing",
        "product_quality",
        "customer_complaint",
        "other",
    ]);
    let priorities = enum_s(&["urgent", "high", "normal", "low"]);
    let states = enum_s(&["new", "open", "waiting_partner", "resolved", "closed"]);
    let vias = enum_s(&["portal", "api", "email", "phone", "console"]);
    let time = || json!({"type": "string", "format": "date-time"});
    let opt_time = || json!({"type": ["string", "null"], "format": "date-time"});
    let opt_uuid = || json!({"type": ["string", "null"], "format": "uuid"});
    let ticket_props = json!({
        "id": s("string"), "partner_id": s("string"), "partner_code": s("string"), "partner_name": s("string"),
        "region": s("string"), "partner_owner_id": opt_s(), "raised_by": s("string"), "raised_by_name": opt_s(),
        "via": vias, "kind": kinds, "priority": priorities, "product_id": opt_s(), "product_name": opt_s(),
        "product_category": opt_s(), "product_text": opt_s(), "subject": s("string"),
        "description": {"type": "string", "description": "Markdown; left out of lists"},
        "classification": enum_s(&["public", "internal", "confidential", "secret"]), "state": states,
        "department_id": opt_s(), "department_name": opt_s(), "department_head_id": opt_s(),
        "assignee_id": opt_s(), "assignee_name": opt_s(), "first_response_at": opt_time(),
        "first_response_due_at": {"type": ["string", "null"], "format": "date-time", "description": "null once answered"},
        "resolution_due_at": {"type": ["string", "null"], "format": "date-time", "description": "null once resolved, or while waiting for the partner (the clock is paused)"},
        "paused_at": opt_time(), "paused_minutes": s("integer"), "warned_first": s("boolean"), "warned_resolution": s("boolean"),
        "resolved_at": opt_time(), "resolution": {"type": "string", "description": "left out of lists, and until resolved"}, "root_cause": opt_s(), "closed_at": opt_time(),
        "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5}, "rating_comment": {"type": "string", "description": "left out of lists, and when none"}, "rated_at": opt_time(),
        "reopen_count": s("integer"), "merged_into": opt_s(), "version": s("integer"), "created_at": time(), "updated_at": time(),
        "breached": {"type": "array", "description": "the SLA clocks that ran out", "items": {"type": "object", "properties": {
            "clock": enum_s(&["first_response", "resolution"]), "due_at": time(), "recorded_at": time()}}}
    });
    let mut detail = ticket_props.clone();
    if let Some(o) = detail.as_object_mut() {
        o.insert("restricted".into(), json!({"type": "boolean", "description": "§7.2.2: the caller is outside this confidential ticket's circle and sees its subject only; ask its owner with POST /api/v1/access-requests"}));
        o.insert("events".into(), json!({"type": "array", "items": {"type": "object", "properties": {
            "id": s("string"), "ticket_id": s("string"),
            "kind": enum_s(&["created", "reply", "note", "state", "assign", "merge", "rating", "breach", "reopen"]),
            "internal": s("boolean"), "author_id": opt_s(), "author_name": opt_s(), "from_partner": s("boolean"),
            "via": {"type": ["string", "null"], "enum": ["portal", "api", "email", "phone", "console", null]},
            "body": opt_s(), "detail": {"type": "object"}, "created_at": time()}}}));
        o.insert("files".into(), json!({"type": "array", "items": {"type": "object", "properties": {
            "id": s("string"), "ticket_id": s("string"), "event_id": opt_s(), "filename": s("string"),
            "content_type": s("string"), "size": s("integer"), "sha256": s("string"), "created_at": time()}}}));
        o.insert("first_response_left_minutes".into(), json!({"type": ["integer", "null"], "description": "clock minutes left; negative once overdue"}));
        o.insert(
            "resolution_left_minutes".into(),
            json!({"type": ["integer", "null"]}),
        );
        o.insert("may_reopen".into(), s("boolean"));
    }
    let count = || json!({"type": "array", "items": {"type": "object", "properties": {"key": s("string"), "count": s("integer")}}});
    let target = json!({"type": "object", "required": ["first_response_minutes", "resolution_minutes"], "additionalProperties": false, "properties": {
        "first_response_minutes": {"type": "integer", "minimum": 1, "maximum": 525600},
        "resolution_minutes": {"type": "integer", "minimum": 1, "maximum": 525600}}});
    let route = json!({"type": "object", "properties": {"id": s("string"), "position": s("integer"),
        "kind": {"type": ["string", "null"], "enum": ["marketing", "product_quality", "customer_complaint", "other", null]},
        "product_category": opt_s(), "region": opt_s(), "department_id": s("string"), "assignee_id": opt_s()}});
    json!({
        "TicketInput": {"type": "object", "required": ["kind", "subject", "description"], "additionalProperties": false, "properties": {
            "kind": kinds, "priority": priorities, "subject": {"type": "string", "maxLength": 200},
            "description": {"type": "string", "description": "Markdown", "maxLength": 20000},
            "product_id": opt_uuid(), "product_text": {"type": ["string", "null"], "description": "a product not in the catalogue"},
            "partner_id": {"type": ["string", "null"], "format": "uuid", "description": "staff: the partner the ticket is for (required)"},
            "classification": enum_s(&["public", "internal", "confidential", "secret"]),
            "via": {"type": ["string", "null"], "enum": ["phone", "email", "console", "portal", "api", null], "description": "staff: how it came in"}}},
        "Ticket": {"type": "object", "properties": ticket_props},
        "TicketDetail": {"type": "object", "properties": detail},
        "TicketList": list_of("Ticket"),
        "ReplyInput": {"type": "object", "required": ["body"], "additionalProperties": false, "properties": {
            "body": {"type": "string", "description": "Markdown"}, "internal": {"type": "boolean", "description": "staff: an internal note"},
            "waiting_partner": {"type": "boolean", "description": "staff: the reply waits for the partner (pauses the resolution clock)"}}},
        "AssignInput": {"type": "object", "additionalProperties": false, "properties": {
            "assignee_id": opt_uuid(), "department_id": opt_uuid(), "priority": priorities}},
        "ResolveInput": {"type": "object", "required": ["resolution", "root_cause"], "additionalProperties": false, "properties": {
            "resolution": s("string"), "root_cause": {"type": "string", "description": "a code of /api/v1/root-causes"}}},
        "RateInput": {"type": "object", "required": ["score"], "additionalProperties": false, "properties": {
            "score": {"type": "integer", "minimum": 1, "maximum": 5}, "comment": opt_s()}},
        "ReopenInput": {"type": "object", "additionalProperties": false, "properties": {"reason": opt_s()}},
        "RootCause": {"type": "object", "properties": {"code": s("string"), "name": s("string"), "name_en": s("string"),
            "position": s("integer"), "active": s("boolean")}},
        "RootCauseList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/RootCause"}}}},
        "RootCauseInput": {"type": "object", "required": ["code", "name"], "additionalProperties": false, "properties": {
            "code": {"type": "string", "pattern": "^[a-z0-9_]{2,40}$"}, "name": s("string"), "name_en": opt_s(), "active": s("boolean")}},
        "TicketSettings": {"type": "object", "required": ["sla", "auto_close_days", "reopen_days", "warn_minutes"], "additionalProperties": false, "properties": {
            "sla": {"type": "object", "description": "targets per priority (urgent, high, normal, low)", "additionalProperties": target},
            "auto_close_days": {"type": "integer", "minimum": 1, "maximum": 90},
            "reopen_days": {"type": "integer", "minimum": 1, "maximum": 365},
            "warn_minutes": {"type": "integer", "minimum": 1, "maximum": 1440}}},
        "InboundMailList": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
            "key": s("string"), "from_addr": s("string"),
            "outcome": enum_s(&["claimed", "filed", "opened", "refused", "ignored", "duplicate"]),
            "ticket_id": opt_s(), "thread_id": opt_s(), "detail": s("string"), "received_at": time()}}},
            "next_cursor": opt_s()}},
        "TicketRoutes": {"type": "object", "properties": {"rules": {"type": "array", "items": route}}},
        "TicketRoutesInput": {"type": "object", "additionalProperties": false, "properties": {"rules": {"type": "array", "items": {
            "type": "object", "required": ["department_id"], "additionalProperties": false, "properties": {
                "kind": {"type": ["string", "null"], "enum": ["marketing", "product_quality", "customer_complaint", "other", null]},
                "product_category": opt_s(), "region": opt_s(), "department_id": {"type": "string", "format": "uuid"},
                "assignee_id": opt_uuid()}}}}},
        "TicketReport": {"type": "object", "properties": {
            "from": time(), "to": time(),
            "totals": {"type": "object", "properties": {"raised": s("integer"), "resolved": s("integer"), "reopened": s("integer"),
                "merged": s("integer"), "rated": s("integer"), "rating_sum": s("integer"), "satisfied": s("integer")}},
            "satisfaction_mean": {"type": ["number", "null"]}, "satisfied_share": {"type": ["number", "null"]},
            "by_cause": count(), "by_kind": count(), "by_product": count(), "by_department": count(), "by_region": count(), "by_priority": count(),
            "trend": {"type": "array", "items": {"type": "object", "properties": {"from": time(), "to": time(), "raised": s("integer"), "by_cause": count()}}},
            "recurrences": {"type": "array", "items": {"type": "object", "properties": {"product": s("string"), "root_cause": s("string"),
                "tickets": {"type": "array", "items": s("string")}, "first_at": time(), "last_at": time()}}},
            "sla": {"type": "array", "items": {"type": "object", "properties": {"department": s("string"), "tickets": s("integer"),
                "breached": s("integer"), "first_response_breaches": s("integer"), "resolution_breaches": s("integer")}}}}},
    })
}

fn base_schemas() -> Value {
    // Every kind of notification, from the enum itself: a new kind cannot be left out.
    let notify_kinds = json!({"type": "string", "enum": liaison_core::notify::NotifyKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()});
    // Every kind of background job, the same way.
    let job_kinds: Vec<&str> = liaison_core::job::JobKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let kinds = enum_s(&["distributor", "agent", "ecommerce", "store", "other"]);
    let statuses = enum_s(&["prospect", "active", "suspended", "terminated"]);
    let partner_fields = json!({
        "code": {"type": "string", "description": "2-32 of A-Z 0-9 - _; stored upper-case"},
        "name": s("string"), "kind": kinds, "region": s("string"), "tier": s("string"), "status": statuses,
        "timezone": {"type": "string", "description": "IANA zone, default Asia/Shanghai"},
        "working_days": {"type": "string", "description": "ISO weekdays, e.g. 1-5"},
        "working_hours": {"type": "string", "description": "e.g. 09:00-18:00"},
        "tags": {"type": "array", "items": s("string")}, "notes": opt_s(),
    });
    let mut partner = partner_fields.clone();
    for (k, v) in [
        ("id", json!({"type": "string", "format": "uuid"})),
        (
            "owner_id",
            json!({"type": ["string", "null"], "format": "uuid"}),
        ),
        ("owner_name", opt_s()),
        ("contact_count", s("integer")),
        ("version", s("integer")),
        (
            "created_at",
            json!({"type": "string", "format": "date-time"}),
        ),
        (
            "updated_at",
            json!({"type": "string", "format": "date-time"}),
        ),
    ] {
        partner[k] = v;
    }
    let mut partner_input = partner_fields;
    partner_input["owner"] =
        json!({"type": "string", "description": "e-mail or id of a channel manager"});
    let channels = enum_s(&[
        "portal", "email", "wecom", "dingtalk", "feishu", "slack", "webhook", "phone",
    ]);
    let contact_fields = json!({
        "name": s("string"), "email": opt_s(), "phone": opt_s(), "title": opt_s(), "im_webhook": opt_s(),
        "preferred_channels": {"type": "array", "items": channels}, "lang": enum_s(&["zh-CN", "zh-TW", "en"]),
    });
    let mut contact = contact_fields.clone();
    contact["id"] = json!({"type": "string", "format": "uuid"});
    contact["partner_id"] = json!({"type": "string", "format": "uuid"});
    contact["partner_code"] = s("string");
    let filter = json!({"type": "object", "properties": {
        "kinds": {"type": "array", "items": kinds}, "regions": {"type": "array", "items": s("string")},
        "tiers": {"type": "array", "items": s("string")}, "statuses": {"type": "array", "items": statuses},
        "tags": {"type": "array", "items": s("string")}, "q": opt_s()}});
    let roles = enum_s(&liaison_core::Role::ALL.map(|r| r.as_str()));
    let mut out = json!({
        "Problem": {"type": "object", "description": "RFC 9457 problem details", "properties": {
            "type": s("string"), "title": s("string"), "status": s("integer"), "detail": s("string"),
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": s("string"),
                "code": {"type": ["string", "null"], "description": "catalogue key of the message, e.g. validate.required"},
                "args": {"type": "object", "description": "the message's arguments by name"},
                "message": {"type": "string", "description": "in the request's language: Accept-Language, else the user's setting"},
                "row": s("integer")}}}}},
        "Health": {"type": "object", "properties": {"status": s("string")}},
        "OpenApi": {"type": "object"},
        "File": {"type": "string", "format": "binary"},
        "Upload": {"type": "string", "format": "binary", "description": "CSV (UTF-8, UTF-8 with BOM, or GBK) or XLSX bytes"},
        "LoginBody": {"type": "object", "required": ["email", "password"], "properties": {"email": s("string"), "password": s("string"),
            "totp": {"type": ["string", "null"], "description": "for an account with a second factor (§7.2.3): the 6-digit code from the authenticator app, or a recovery code"}}},
        "LoginView": {"type": "object", "properties": {"token": s("string"), "user": {"$ref": "#/components/schemas/User"}}},
        "User": {"type": "object", "properties": {
            "id": {"type": "string", "format": "uuid"}, "email": s("string"), "name": s("string"),
            "roles": {"type": "array", "items": roles}, "department_id": opt_s(), "department_name": opt_s(),
            "partner_id": opt_s(), "partner_name": opt_s(), "lang": opt_s(),
            "time_zone": {"type": ["string", "null"], "description": "IANA zone times are shown in; null: the company's"},
            "active": s("boolean")}},
        "UserSettings": {"type": "object", "additionalProperties": false, "description": "the caller's own settings; an empty string returns to the default", "properties": {
            "lang": enum_s(&["", "zh-CN", "zh-TW", "en"]), "time_zone": {"type": "string", "description": "IANA zone, e.g. Asia/Shanghai"}}},
        "UserInput": {"type": "object", "required": ["email", "name", "password", "roles"], "properties": {
            "email": s("string"), "name": s("string"), "password": {"type": "string", "minLength": 10},
            "roles": {"type": "array", "items": roles}, "department": {"type": "string", "description": "code or id"},
            "partner": {"type": "string", "description": "partner code or id (partner users only)"}, "lang": s("string")}},
        "UserPatch": {"type": "object", "additionalProperties": false, "description": "a change to a user: absent fields stay as they are", "properties": {
            "email": s("string"), "name": s("string"),
            "password": {"type": "string", "description": "a new password (at least 10 characters); empty or absent keeps the old one"},
            "roles": {"type": "array", "items": roles}, "department": {"type": "string", "description": "code or id; empty for none"},
            "partner": {"type": "string", "description": "partner code or id (partner users only); empty for none"},
            "lang": enum_s(&["", "zh-CN", "zh-TW", "en"]),
            "active": {"type": "boolean", "description": "false deactivates: the user's sessions end and login is refused"}}},
        "UserList": list_of("User"),
        "Department": {"type": "object", "properties": {"id": s("string"), "code": s("string"), "name": s("string"),
            "name_en": opt_s(), "head_user_id": opt_s(), "head_name": opt_s()}},
        "DepartmentInput": {"type": "object", "required": ["code", "name"], "properties": {"code": s("string"),
            "name": s("string"), "name_en": s("string"), "head": {"type": "string", "description": "e-mail or id"}}},
        "DepartmentPatch": {"type": "object", "additionalProperties": false, "description": "a change to a department: absent fields stay as they are", "properties": {
            "name": s("string"), "name_en": {"type": "string", "description": "empty clears it"},
            "head": {"type": "string", "description": "an active company user's e-mail or id; empty for none"}}},
        "DepartmentList": list_of("Department"),
        "Partner": {"type": "object", "properties": partner},
        "PartnerInput": {"type": "object", "required": ["code", "name", "kind", "region", "tier"], "properties": partner_input},
        "PartnerPage": list_of("Partner"),
        "Contact": {"type": "object", "properties": contact},
        "ContactInput": {"type": "object", "required": ["name"], "properties": contact_fields},
        "ContactList": list_of("Contact"),
        "PartnerFilter": filter,
        "Segment": {"type": "object", "properties": {"id": s("string"), "name": s("string"), "description": opt_s(),
            "filter": {"$ref": "#/components/schemas/PartnerFilter"}, "member_count": s("integer")}},
        "SegmentInput": {"type": "object", "required": ["name", "filter"], "properties": {"name": s("string"),
            "description": s("string"), "filter": {"$ref": "#/components/schemas/PartnerFilter"}}},
        "SegmentList": list_of("Segment"),
        "ImportReport": {"type": "object", "properties": {"dry_run": s("boolean"), "rows": s("integer"),
            "created": s("integer"), "updated": s("integer")}},
        "AuditRow": {"type": "object", "properties": {"seq": s("integer"), "at": s("string"), "actor_id": opt_s(),
            "actor_name": opt_s(), "action": s("string"), "entity": s("string"), "entity_id": opt_s(),
            "partner_id": opt_s(), "detail": s("string"), "prev_hash": s("string"), "hash": s("string")}},
        "AuditList": list_of("AuditRow"),
        "RequestInput": {"type": "object", "description": "Channel Communication Request Form (§4.1.1)", "properties": {
            "title": s("string"), "purpose": s("string"), "body": {"type": "string", "description": "Markdown"},
            "category": enum_s(&["policy", "product", "data", "problem", "meeting", "other"]),
            "channels": {"type": "array", "items": s("string")},
            "audience": {"type": "object", "additionalProperties": false, "properties": {"all": {"type": "boolean", "description": "every active partner"},
                "partners": {"type": "array", "items": s("string")},
                "segments": {"type": "array", "items": s("string")}, "contacts": {"type": "array", "items": s("string")}}},
            "importance": enum_s(&["normal", "important", "major"]), "urgency": enum_s(&["normal", "urgent"]),
            "classification": enum_s(&["public", "internal", "confidential", "secret"]),
            "ack_required": s("boolean"), "ack_due_at": {"type": "string", "format": "date-time"},
            "send_at": {"type": "string", "format": "date-time"}, "effective_at": {"type": "string", "format": "date-time"},
            "change_reason": s("string"), "impact": s("string"), "corrects": {"type": "string", "format": "uuid"}}},
        "Request": {"type": "object", "properties": {"id": s("string"), "state": enum_s(&["draft", "pending_dept_head",
            "pending_channel_review", "pending_executive", "approved", "dispatched", "rejected", "returned", "withdrawn"]),
            "chain": {"type": "array", "items": s("string")}, "findings": {"type": "array", "items": {"type": "object",
                "description": "a pre-check finding (§4.2.1): a stable code, its arguments (term, wording, classification, days, count, channel, reason) and a message in the caller's language",
                "required": ["code", "message"], "additionalProperties": true, "properties": {"code": enum_s(&["sensitive_term", "vague_wording",
                "missing_purpose", "classification_low", "confidential_to_segment", "short_notice", "nda_missing", "channel_skipped", "text"]),
                "message": s("string")}}},
            "form": {"$ref": "#/components/schemas/RequestForm"}, "message_id": opt_s(),
            "restricted": {"type": "boolean", "description": "§7.2.2: the caller is outside this confidential request's circle and sees its title only (the form holds only title and classification); ask its owner with POST /api/v1/access-requests"},
            "reviews": {"type": "array", "items": {"type": "object", "properties": {"step": s("string"),
                "reviewer_id": s("string"), "reviewer_name": opt_s(), "decision": s("string"), "comment": s("string"), "created_at": s("string")}}}}},
        "RequestList": list_of("Request"),
        "CommentBody": {"type": "object", "properties": {"comment": s("string")}},
        "Notification": {"type": "object", "properties": {"id": s("string"), "kind": notify_kinds,
            "title": s("string"), "link": s("string"), "urgent": s("boolean"), "created_at": {"type": "string", "format": "date-time"}, "read_at": opt_s()}},
        "NotificationList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Notification"}}, "next_cursor": opt_s(), "unread": s("integer")}},
        "Marked": {"type": "object", "properties": {"marked": s("integer")}},
        "NotificationSettings": {"type": "object", "properties": {"email": {"type": "object", "description": "kind → also by e-mail", "additionalProperties": s("boolean")}}},
        "Dashboard": {"type": "object", "properties": {"sections": {"type": "array", "items": {"type": "object", "properties": {
            "key": enum_s(&["to_review", "my_requests", "unanswered_questions", "overdue_confirmations", "dead_deliveries", "held_back", "to_confirm", "answers", "my_questions", "feedback_to_triage", "my_tickets", "tickets_to_confirm", "surveys_to_answer", "my_tasks", "meetings_ahead",
                "indicators", "tickets_breaching", "data_overdue", "anomalies_open", "cadence_warnings", "relationship_movers", "open_incidents", "my_open_tickets", "data_due"]),
            "count": s("integer"), "mine": s("boolean"), "items": {"type": "array", "items": {"type": "object", "properties": {
                "title": s("string"), "link": s("string"), "at": opt_s(), "state": s("string"), "count": s("integer"), "confirmed": s("integer"),
                "age_hours": s("integer"),
                "value": {"type": "string", "description": "an indicator's figure as shown (96.4%, 4.20, 78.5)"},
                "change": {"type": "number", "description": "against the period before: percentage points for a rate, points otherwise"}}}}}}}}},
        "Coverage": {"type": "object", "properties": {"people": s("integer"), "covered": s("integer"), "uncovered_count": s("integer"),
            "uncovered": {"type": "array", "items": {"type": "object", "properties": {"contact_id": s("string"), "contact_name": s("string"), "partner_code": s("string")}}},
            "skipped": {"type": "array", "description": "requested channels some recipients will not get, by channel and reason", "items": {"type": "object", "properties": {
                "channel": s("string"), "reason": enum_s(&["not_preferred", "no_email", "no_phone", "no_robot"]), "people": s("integer")}}}}},
        "ApproveBody": {"type": "object", "properties": {"comment": s("string"), "send_to_covered_only": {"type": "boolean", "description": "Confidential content some of whose audience lacks a valid NDA: send to the covered ones only (else 422; nobody covered is 409)"}}},
        "Delivery": {"type": "object", "description": "one recipient contact on one channel (the receipts board's row)", "properties": {
            "id": s("string"), "partner_id": s("string"), "partner_code": s("string"), "partner_name": s("string"),
            "contact_id": s("string"), "contact_name": s("string"), "channel": s("string"),
            "state": enum_s(&["queued", "held", "failed", "sent", "delivered", "read", "acknowledged", "dead", "manual"]),
            "read_at": opt_s(), "acked_at": opt_s(), "late": s("boolean"), "attempts": s("integer"), "next_at": opt_s(),
            "sent_at": opt_s(), "last_error": opt_s(), "reminders": s("integer"), "acked_via": opt_s(),
            "rate_waits": {"type": "integer", "description": "times it was put back for a robot's rate limit (no attempt counted)"},
            "wait_reason": {"type": ["string", "null"], "enum": ["robot_minute", "platform", null], "description": "what it waits for until next_at: the robot's 20 messages a minute are used, or the platform asked to slow down"},
            "acked_by_name": {"type": ["string", "null"], "description": "who of the partner confirmed: the contact or portal user"}}},
        "DeliveryList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
            "next_cursor": opt_s(), "message_id": opt_s(),
            "summary": {"type": "object", "properties": {"total": s("integer"), "read": s("integer"), "acknowledged": s("integer"), "overdue": s("integer"),
                "queued": s("integer"), "held": s("integer"), "failed": s("integer"), "dead": s("integer"), "sent": s("integer"),
                "rate_limited": {"type": "integer", "description": "deliveries waiting now for a robot's rate limit"},
                "people": s("integer"), "people_read": s("integer"), "people_acknowledged": s("integer"), "people_overdue": s("integer"),
                "ack_required": s("boolean")}}}},
        "InboxItem": {"type": "object", "properties": {"message_id": s("string"), "title": s("string"), "importance": s("string"),
            "urgency": s("string"), "ack_required": s("boolean"), "ack_due_at": opt_s(), "read_at": opt_s(), "acked_at": opt_s(), "late": s("boolean")}},
        "InboxList": list_of("InboxItem"),
        "Message": {"type": "object", "description": "an InboxItem with its body"},
        "NdaInput": {"type": "object", "required": ["partner", "signed_at", "expires_at"], "properties": {
            "partner": {"type": "string", "description": "partner code or id"}, "contact_id": {"type": "string", "format": "uuid", "description": "omit for a partner-wide NDA"},
            "signed_at": {"type": "string", "format": "date-time"}, "expires_at": {"type": "string", "format": "date-time"}, "document": s("string")}},
        "Nda": {"type": "object", "properties": {"id": s("string"), "partner_id": s("string"), "partner_code": s("string"),
            "contact_id": opt_s(), "contact_name": opt_s(), "signed_at": s("string"), "expires_at": s("string"), "document": opt_s()}},
        "NdaList": list_of("Nda"),
        "PostBody": {"type": "object", "required": ["body"], "properties": {"body": {"type": "string", "maxLength": 20000}}},
        "ThreadInput": {"type": "object", "required": ["subject", "body"], "properties": {"subject": {"type": "string", "maxLength": 200},
            "body": {"type": "string", "maxLength": 20000}, "category": enum_s(&["policy", "product", "data", "problem", "meeting", "other"])}},
        "ThreadPost": {"type": "object", "properties": {"id": s("string"), "author_id": s("string"), "author_name": opt_s(),
            "from_partner": s("boolean"), "body": s("string"), "created_at": {"type": "string", "format": "date-time"}}},
        "Thread": {"type": "object", "properties": {"id": s("string"), "partner_id": s("string"), "partner_code": s("string"),
            "partner_name": s("string"), "message_id": opt_s(), "message_title": opt_s(), "request_id": opt_s(), "subject": s("string"), "category": s("string"),
            "classification": s("string"), "assignee_id": opt_s(), "assignee_name": opt_s(), "state": enum_s(&["open", "answered", "closed"]),
            "created_by": s("string"), "created_by_name": opt_s(), "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}, "first_answer_at": opt_s(), "closed_at": opt_s(),
            "first_answer_seconds": {"type": ["integer", "null"], "description": "time to first answer: first_answer_at - created_at"},
            "post_count": s("integer"), "posts": {"type": "array", "description": "one thread only, oldest first", "items": {"$ref": "#/components/schemas/ThreadPost"}}}},
        "ThreadList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Thread"}},
            "next_cursor": opt_s(), "counts": {"type": "object", "properties": {"open": s("integer"), "answered": s("integer"), "closed": s("integer")}}}},
        "Timeline": {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
            "at": s("string"), "kind": enum_s(&["message", "read", "acknowledged", "post", "ticket", "ticket_resolved", "visit", "call", "meeting"]), "message_id": opt_s(), "meeting_id": opt_s(),
            "thread_id": opt_s(), "ticket_id": opt_s(), "title": s("string"), "actor_name": opt_s()}}}, "next_cursor": opt_s()}},
        "SearchHits": {"type": "object", "description": "Best first: with access to everything, matches in names, codes and titles before matches in bodies, then newest; a partner user's own results newest first. Every word of q must match: Chinese by character pairs (2-character words inside longer text), other words and codes by prefix. At most 100 hits (limit, default 20); next_cursor is always null.",
            "properties": {"items": {"type": "array", "items": {"type": "object",
            "required": ["kind", "id", "title", "title_highlights", "snippet", "snippet_highlights", "at"], "properties": {
            "kind": enum_s(&["partner", "contact", "message", "thread", "product", "ticket"]), "id": s("string"),
            "partner_id": {"type": ["string", "null"], "description": "the partner (partners, contacts, threads); null for messages"},
            "title": s("string"),
            "title_highlights": {"type": "array", "description": "matches in title as [start, end) character offsets", "items": {"type": "array", "items": s("integer"), "minItems": 2, "maxItems": 2}},
            "snippet": {"type": "string", "description": "an excerpt around the first match (never the body of a confidential message)"},
            "snippet_highlights": {"type": "array", "description": "matches in snippet as [start, end) character offsets", "items": {"type": "array", "items": s("integer"), "minItems": 2, "maxItems": 2}},
            "at": s("string")}}}, "next_cursor": opt_s()}},
        "Attachment": {"type": "object", "properties": {"id": s("string"), "request_id": s("string"), "filename": s("string"),
            "content_type": s("string"), "size": s("integer"), "sha256": s("string"), "created_at": s("string")}},
        "AttachmentList": list_of("Attachment"),
        "ReviewSettings": {"type": "object", "properties": {"policy_notice_days": {"type": "integer", "minimum": 1, "maximum": 365},
            "sensitive_terms": {"type": "array", "items": s("string")},
            "need_all_steps": {"type": "array", "description": "review steps that need every eligible reviewer, not just one", "items": enum_s(&["dept_head", "channel_review", "executive"])},
            "policy_kind_notice_days": {"type": "object", "description": "the policy library (§3.1.2): days of notice an important change of each kind of policy needs (default 30)",
                "additionalProperties": false, "properties": {"market": {"type": "integer", "minimum": 1, "maximum": 365},
                "sales": {"type": "integer", "minimum": 1, "maximum": 365}, "product": {"type": "integer", "minimum": 1, "maximum": 365},
                "other": {"type": "integer", "minimum": 1, "maximum": 365}}}}},
        "Count": {"type": "object", "description": "{reminders: n} or {queued: n}"},
        "RetryBody": {"type": "object", "properties": {"delivery_id": {"type": "string", "format": "uuid"}}},
        "DeliverySettings": {"type": "object", "properties": {"remind_before_hours": {"type": "integer", "minimum": 1, "maximum": 336},
            "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20}}},
        "RobotInput": {"type": "object", "required": ["kind", "url"], "properties": {"kind": enum_s(&["wecom", "dingtalk", "feishu", "slack", "webhook"]),
            "url": {"type": "string", "description": "https:// (http:// only to loopback)"}, "secret": {"type": "string", "description": "DingTalk/Feishu signing secret; required for webhook"},
            "label": s("string"), "contact_id": {"type": "string", "format": "uuid", "description": "omit for the partner's group robot"}}},
        "Robot": {"type": "object", "properties": {"id": s("string"), "partner_id": s("string"), "contact_id": opt_s(), "contact_name": opt_s(),
            "kind": s("string"), "label": s("string"), "url_hint": s("string"), "signed": s("boolean"), "created_at": s("string")}},
        "RobotList": list_of("Robot"),
        "CalendarDayInput": {"type": "object", "required": ["kind", "name"], "properties": {"kind": enum_s(&["holiday", "workday"]), "name": s("string")}},
        "CalendarDay": {"type": "object", "properties": {"date": {"type": "string", "format": "date"}, "kind": enum_s(&["holiday", "workday"]), "name": s("string")}},
        "CalendarList": list_of("CalendarDay"),
        "EndpointInput": {"type": "object", "required": ["url", "secret"], "properties": {"url": s("string"), "secret": {"type": "string", "minLength": 16},
            "events": {"type": "array", "items": s("string"), "description": "event types, or * (default)"}}},
        "Endpoint": {"type": "object", "properties": {"id": s("string"), "url_hint": s("string"), "events": {"type": "array", "items": s("string")},
            "active": s("boolean"), "created_at": s("string")}},
        "EndpointList": list_of("Endpoint"),
        "Job": {"type": "object", "properties": {"id": s("string"), "kind": enum_s(&job_kinds), "state": enum_s(&["queued", "failed", "done", "dead"]),
            "attempts": s("integer"), "run_at": opt_s(), "last_error": opt_s(), "payload": {"type": "object"}}},
        "JobList": list_of("Job"),
        "AuditVerdict": {"type": "object", "description": "{\"Intact\": {rows, head}} or {\"Broken\": {seq, reason}}"},
    });
    if let (Some(all), Value::Object(more)) = (out.as_object_mut(), product_schemas(&kinds)) {
        all.extend(more);
    }
    out
}

/// Products, launches and feedback (§3.2; issue 11).
fn product_schemas(kinds: &Value) -> Value {
    json!({
        "ParamInput": {"type": "object", "description": "a technical parameter (§3.2.1); a number type's value must read as a number", "properties": {
            "name": s("string"), "value": {"type": ["string", "number", "boolean"]}, "unit": s("string"),
            "type": enum_s(&["number", "text", "boolean"])}},
        "Visibility": {"type": "object", "description": "who sees the product: partners matching every list given (kind, tier, one of the segments); all empty is every partner", "properties": {
            "kinds": {"type": "array", "items": kinds}, "tiers": {"type": "array", "items": s("string")},
            "segments": {"type": "array", "items": {"type": "string", "format": "uuid"}}}},
        "ProductInput": {"type": "object", "required": ["code", "name_zh", "category"], "properties": {
            "code": {"type": "string", "description": "2-40 of A-Z 0-9 - _ .; stored upper-case"}, "name_zh": s("string"), "name_en": s("string"),
            "category": s("string"), "status": enum_s(&["planned", "launched", "discontinued"]),
            "features": {"type": "string", "description": "Markdown"}, "advantages": {"type": "string", "description": "Markdown"},
            "usage": {"type": "string", "description": "Markdown"},
            "parameters": {"type": "array", "items": {"$ref": "#/components/schemas/ParamInput"}},
            "visibility": {"$ref": "#/components/schemas/Visibility"}}},
        "Product": {"type": "object", "properties": {"id": s("string"), "code": s("string"), "name_zh": s("string"), "name_en": s("string"),
            "category": s("string"), "status": enum_s(&["planned", "launched", "discontinued"]), "features": s("string"),
            "advantages": s("string"), "usage": s("string"),
            "parameters": {"type": "array", "items": {"type": "object", "properties": {"name": s("string"), "value": s("string"), "unit": s("string"), "type": enum_s(&["number", "text", "boolean"])}}},
            "visibility": {"type": "object"}, "version": s("integer"),
            "documents": {"type": "array", "items": {"$ref": "#/components/schemas/ProductDocument"}},
            "created_at": s("string"), "updated_at": s("string")}},
        "ProductList": list_of("Product"),
        "ProductDocument": {"type": "object", "properties": {"id": s("string"), "product_id": s("string"), "filename": s("string"),
            "content_type": s("string"), "size": s("integer"), "sha256": s("string"), "created_at": s("string")}},
        "LaunchInput": {"type": "object", "required": ["product_id", "title", "launch_on"], "properties": {
            "product_id": {"type": "string", "format": "uuid"}, "title": s("string"),
            "launch_on": {"type": "string", "format": "date", "description": "YYYY-MM-DD"}, "notes": s("string"),
            "owner_id": {"type": "string", "format": "uuid", "description": "who announces it (a company user); the creator by default"}}},
        "Launch": {"type": "object", "properties": {"id": s("string"), "product_id": s("string"), "product_code": s("string"),
            "product_name": s("string"), "title": s("string"), "launch_on": {"type": "string", "format": "date"},
            "notice_on": {"type": "string", "format": "date", "description": "the day partners must be told by (launch_notice_days ahead)"},
            "notes": s("string"), "owner_id": s("string"), "owner_name": opt_s(), "request_id": opt_s(), "request_state": opt_s(),
            "drafted_at": opt_s(), "warned_at": opt_s(), "version": s("integer"), "created_at": s("string"), "updated_at": s("string")}},
        "LaunchList": list_of("Launch"),
        "LaunchSettings": {"type": "object", "required": ["launch_notice_days"], "properties": {"launch_notice_days": {"type": "integer", "minimum": 1, "maximum": 365}}},
        "FeedbackInput": {"type": "object", "required": ["product_id", "kind", "description"], "properties": {
            "product_id": {"type": "string", "format": "uuid"}, "kind": enum_s(&["customer_need", "improvement"]),
            "description": s("string"), "customer_impact": s("string")}},
        "TriageInput": {"type": "object", "properties": {"state": enum_s(&["new", "under_review", "planned", "declined", "shipped"]),
            "answer": {"type": "string", "description": "the answer the partner sees"}}},
        "MergeBody": {"type": "object", "required": ["into"], "properties": {"into": {"type": "string", "format": "uuid"}}},
        "Feedback": {"type": "object", "properties": {"id": s("string"), "product_id": s("string"), "product_code": s("string"),
            "product_name": s("string"), "partner_id": s("string"), "partner_code": s("string"), "partner_name": s("string"),
            "author_id": s("string"), "author_name": opt_s(), "kind": enum_s(&["customer_need", "improvement"]),
            "description": s("string"), "customer_impact": s("string"),
            "state": enum_s(&["new", "under_review", "planned", "declined", "shipped"]), "answer": opt_s(), "merged_into": opt_s(),
            "votes": {"type": "integer", "description": "distinct partners asking: this item's and those merged into it"},
            "version": s("integer"), "created_at": s("string"), "updated_at": s("string")}},
        "FeedbackList": list_of("Feedback"),
    })
}

/// The problem answers every operation shares, named under `components/responses` and built
/// from the same [`AppError`]s the handlers return: their status and problem `type` come from
/// the error itself, so the document cannot drift from the answers.
fn problem_responses() -> Vec<(&'static str, AppError, &'static str)> {
    use liaison_core::FieldErrors;
    vec![
        (
            "Malformed",
            AppError::BadRequest(String::new()),
            "the request could not be read: malformed JSON, a body without `Content-Type: application/json`, a query string that is not URL encoding",
        ),
        (
            "Unauthenticated",
            AppError::Unauthenticated,
            "not logged in: no bearer token (the scheme in any case) or session cookie, or an expired one; at login, a wrong e-mail or password",
        ),
        (
            "Forbidden",
            AppError::Forbidden,
            "the role does not allow it (type `forbidden`), an API token's scopes do not (type `forbidden`, the detail names the scope), a cookie-authenticated write lacks its X-CSRF-Token (type `csrf`), or an admin or executive must first enrol a second factor while it is enforced (type `totp-enrolment-required`; only /api/v1/me, /api/v1/me/totp, /api/v1/me/totp/confirm and logout answer)",
        ),
        (
            "NotFound",
            AppError::NotFound,
            "no such object, or one the caller may not know of: another partner's, or company-internal to a partner user (§7.2.2)",
        ),
        (
            "Conflict",
            AppError::Conflict(String::new()),
            "a conflict: a duplicate (code, e-mail), a stale `version`, a state that no longer allows it, or the first request with this Idempotency-Key still running after 30 s",
        ),
        (
            "Gone",
            AppError::Gone(String::new()),
            "the link has expired or was used up",
        ),
        (
            "TooLarge",
            AppError::PayloadTooLarge(String::new()),
            "the body is larger than allowed",
        ),
        (
            "Invalid",
            AppError::Invalid(FieldErrors::new()),
            "invalid input, with a message per field (`errors[].field`): a value out of range, a control character in a text, an Idempotency-Key that is malformed or was used for another request",
        ),
        (
            "LoginRefused",
            AppError::TotpRequired { wrong: false },
            "at login, an account with a second factor (§7.2.3) without a code, or with a wrong, old or used one (send `totp`); a wrong e-mail or password is the same status with the type `unauthenticated`",
        ),
        (
            "RateLimited",
            AppError::RateLimited(1),
            "too many failed logins, or an API token's calls over its minute; wait Retry-After seconds",
        ),
    ]
}

fn problem_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/responses/{name}")})
}

/// Paths whose list is company-internal: a partner user is answered 404 (§7.2.2).
const HIDDEN_FROM_PARTNERS: &[&str] = &[
    "/api/v1/requests",
    // Another partner's tokens (`?partner=`, or its partner_id in a new one) are 404.
    "/api/v1/api-tokens",
    // Another partner's visits and calls (`?partner=`) are 404.
    "/api/v1/visits",
    "/api/v1/calls",
    "/api/v1/segments",
    "/api/v1/submissions",
    "/api/v1/trends",
    "/api/v1/data-obligations",
];

/// Media types of a download: the exports' two formats, or whatever a stored file is.
fn download_content(path: &str) -> Value {
    let file = json!({"schema": {"$ref": "#/components/schemas/File"}});
    if path.contains("/export") {
        json!({"text/csv": file, XLSX: file})
    } else {
        json!({"*/*": file})
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What a query parameter means where its name does not say it.
fn query_description(name: &str) -> Option<&'static str> {
    match name {
        "labels" => Some(
            "What an export's header row and enumerated cells hold. `codes`: the column names and \
             stored codes (`kind`, `distributor`, `held`), for systems. `zh-CN`, `zh-TW` or `en`: \
             the headings and labels people see in that language (类型, 经销商, 等待工作时间). \
             Without it, an Accept-Language that prefers Chinese gets Chinese labels and every \
             other request (none, or English) gets codes, as before. Times are the viewer's local \
             time with its offset in both (the company's zone until users choose their own): \
             `2026-12-04T16:05:00+08:00` (RFC 3339, the same instants as before) with codes, \
             `2026-12-04 16:05:00 +08:00` with labels. Either file imports back unchanged: the \
             imports read codes and labels in every language.",
        ),
        _ => None,
    }
}

/// `schema` or null.
fn nullable(schema: Value) -> Value {
    match schema.get("type").cloned() {
        Some(Value::String(t)) if schema.get("enum").is_none() => {
            let mut v = schema;
            v["type"] = json!([t, "null"]);
            v
        }
        _ => json!({"anyOf": [schema, {"type": "null"}]}),
    }
}

fn responses_components() -> Value {
    let mut out = serde_json::Map::new();
    for (name, err, description) in problem_responses() {
        let mut r = json!({
            "description": format!("{} (problem type `{}`): {description}", err.status().as_u16(), err.kind()),
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        });
        match err {
            AppError::Unauthenticated | AppError::TotpRequired { .. } => {
                r["headers"] = json!({"WWW-Authenticate": {"schema": {"type": "string"}}});
            }
            AppError::RateLimited(_) => {
                r["headers"] = json!({"Retry-After": {"description": "seconds", "schema": {"type": "string"}}});
            }
            _ => {}
        }
        out.insert(name.to_string(), r);
    }
    Value::Object(out)
}

/// The OpenAPI document for every endpoint in the table.
pub fn openapi() -> Value {
    let mut paths = serde_json::Map::new();
    for (e, _) in endpoints() {
        let mut params: Vec<Value> = Vec::new();
        let mut rest = e.path;
        while let Some(start) = rest.find('{') {
            let Some(end) = rest[start..].find('}') else {
                break;
            };
            let name = &rest[start + 1..start + end];
            let schema = match name {
                "date" => json!({"type": "string", "format": "date"}),
                "token" => json!({"type": "string"}),
                "kind" => {
                    json!({"type": "string", "enum": liaison_core::access::ItemKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>()})
                }
                _ => json!({"type": "string", "format": "uuid"}),
            };
            params.push(json!({"name": name, "in": "path", "required": true, "schema": schema}));
            rest = &rest[start + end + 1..];
        }
        let mutating = e.auth && e.method != "get";
        if mutating {
            params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": "replays the first response for 24 h; copies sent while the first runs wait for its answer; the same key with another request is a 422",
                "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"}}));
        }
        for q in e.query {
            let mut param = json!({"name": q, "in": "query", "required": false,
                "schema": {"type": "string", "pattern": "^[^\\u0000-\\u001f\\u007f]*$"}});
            if let Some(d) = query_description(q) {
                param["description"] = json!(d);
            }
            if *q == "labels" {
                param["schema"]["enum"] = json!(["codes", "zh-CN", "zh-TW", "en"]);
            }
            params.push(param);
        }
        let mut responses = serde_json::Map::new();
        let ok = match e.ok.1 {
            "" => json!({"description": "done"}),
            "File" => json!({"description": "the file", "content": download_content(e.path)}),
            schema => {
                json!({"description": "success", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
            }
        };
        responses.insert(e.ok.0.to_string(), ok.clone());
        // Replying to a message joins the partner's open thread on it when there is one.
        if e.path == "/api/v1/inbox/{message_id}/replies" {
            responses.insert("200".into(), ok);
        }
        let reads_input = e.body.is_some() || !e.query.is_empty() || e.path.contains('{');
        let login = e.path == "/api/v1/auth/login";
        let mut add = |status: u16, name: &str| {
            responses.insert(status.to_string(), problem_ref(name));
        };
        if reads_input {
            add(400, "Malformed");
        }
        if login {
            add(401, "LoginRefused");
        } else if e.auth {
            add(401, "Unauthenticated");
        }
        if e.auth {
            add(403, "Forbidden");
        }
        if e.path.contains('{') || HIDDEN_FROM_PARTNERS.contains(&e.path) {
            add(404, "NotFound");
        }
        if mutating {
            add(409, "Conflict");
        }
        if e.path.starts_with("/api/v1/ack/")
            || e.path.starts_with("/api/v1/meetings/{id}/")
            || e.path.starts_with("/api/v1/inbox/{")
        {
            add(410, "Gone");
        }
        if e.body.is_some() {
            add(413, "TooLarge");
        }
        if reads_input || mutating {
            add(422, "Invalid");
        }
        // Logins are limited, and so is every call made with an API token (SPEC H2); a wrong
        // proof when turning the second factor off counts as a failed login.
        if login || e.auth || (e.path == "/api/v1/me/totp" && e.method == "delete") {
            add(429, "RateLimited");
        }
        if e.path == "/readyz" {
            responses.insert(
                "503".into(),
                json!({"description": "the database does not answer", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}),
            );
        }
        let mut op = json!({
            "summary": e.summary,
            "tags": [e.tag],
            "operationId": format!("{}_{}", e.method, e.path.trim_start_matches('/').replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": responses,
        });
        if e.auth {
            op["security"] = json!([{"bearer": []}, {"cookie": []}]);
        }
        if e.body == Some("SubmissionUpload") {
            let mut content = serde_json::Map::new();
            content.insert(
                "application/json".into(),
                json!({"schema": {"$ref": "#/components/schemas/SubmissionInput"}}),
            );
            content.insert(
                "multipart/form-data".into(),
                json!({"schema": {"$ref": "#/components/schemas/SubmissionForm"}}),
            );
            content.insert(
                "text/csv".into(),
                json!({"schema": {"$ref": "#/components/schemas/Upload"}}),
            );
            content.insert(
                XLSX.into(),
                json!({"schema": {"$ref": "#/components/schemas/Upload"}}),
            );
            op["requestBody"] = json!({"required": true, "content": content});
        } else if let Some(body) = e.body {
            let media = if body == "Upload" {
                "text/csv"
            } else {
                "application/json"
            };
            let mut content = serde_json::Map::new();
            content.insert(
                media.into(),
                json!({"schema": {"$ref": format!("#/components/schemas/{body}")}}),
            );
            if body == "LeakTraceBody" {
                content.insert(
                    "multipart/form-data".into(),
                    json!({"schema": {"$ref": "#/components/schemas/LeakTraceFile"}}),
                );
            }
            if body == "Upload" {
                content.insert(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
                    json!({"schema": {"$ref": "#/components/schemas/Upload"}}),
                );
            }
            op["requestBody"] = json!({"required": true, "content": content});
        }
        let entry = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    // Every JSON body refuses fields it does not know (a 422 naming them), and says so. A PATCH
    // body is its input's fields and the `version` they were read at.
    let mut schemas = schemas();
    for (patch, input) in [
        ("PartnerPatch", "PartnerInput"),
        ("RequestPatch", "RequestInput"),
        ("PolicyPatch", "PolicyInput"),
        ("ProductPatch", "ProductInput"),
        ("LaunchPatch", "LaunchInput"),
        ("TriagePatch", "TriageInput"),
    ] {
        let mut p = schemas[input].clone();
        p["properties"]["version"] = json!({"type": ["integer", "null"],
            "description": "the version the fields were read at: a stale one is a 409"});
        schemas[patch] = p;
    }
    // A request's form as it is answered: what a draft has not filled in yet is null.
    let mut form = schemas["RequestInput"].clone();
    if let Some(props) = form["properties"].as_object_mut() {
        for v in props.values_mut() {
            *v = nullable(v.take());
        }
    }
    schemas["RequestForm"] = form;
    let mut bodies: Vec<&str> = endpoints().iter().filter_map(|(e, _)| e.body).collect();
    bodies.extend(["Audience", "ParamInput", "Visibility"]);
    for name in bodies {
        if let Some(obj) = schemas.get_mut(name).and_then(Value::as_object_mut)
            && obj.get("type") == Some(&json!("object"))
        {
            obj.insert("additionalProperties".into(), json!(false));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Liaison API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Channel partner communication under the channel communication policy. Lists take `limit` (1-500) and `cursor` and answer {items, next_cursor}. Errors are RFC 9457 problem+json."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": responses_components(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "token from POST /api/v1/auth/login, or a partner system's API token (lpt_..., POST /api/v1/api-tokens) limited to its scopes"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "liaison_session"}
            }
        }
    })
}
