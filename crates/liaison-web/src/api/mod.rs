//! The JSON API. One table lists every endpoint with its documentation; the router and the
//! OpenAPI document are both built from it, so no endpoint can go undocumented.

mod account;
mod ack;
mod api_tokens;
mod audit;
mod calendar;
mod data;
mod delivery;
mod docs;
mod event;
mod feedback;
mod history;
mod inbox;
mod kpi;
mod launch;
mod leaks;
pub mod meetings;
mod nda;
mod notify;
mod offline;
mod partner;
mod policies;
mod product;
mod request;
mod robot;
mod segment;
mod settings;
mod surveys;
mod thread;
mod tickets;
mod user;

use crate::AppState;
use axum::Router;
use axum::routing::{MethodRouter, get};

pub use docs::openapi;
pub use kpi::whose as kpi_whose;

/// One documented endpoint.
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
    /// Needs a bearer token or session cookie.
    pub auth: bool,
    /// Request body schema (a name under components/schemas), if any.
    pub body: Option<&'static str>,
    /// Success response: status and schema name.
    pub ok: (u16, &'static str),
    /// Query parameters it reads.
    pub query: &'static [&'static str],
}

macro_rules! ep {
    ($m:literal $path:literal, $tag:literal, $summary:literal, auth = $auth:expr, body = $body:expr, ok = ($status:literal, $schema:literal), query = [$($q:literal),*]) => {
        Endpoint { method: $m, path: $path, summary: $summary, tag: $tag, auth: $auth, body: $body, ok: ($status, $schema), query: &[$($q),*] }
    };
}

const LIST: &[&str] = &["limit", "cursor"];

/// Every API endpoint with its handler.
pub fn endpoints() -> Vec<(Endpoint, MethodRouter<AppState>)> {
    use axum::routing::{delete, patch, post, put};
    let _ = LIST;
    vec![
        (
            ep!("get" "/healthz", "system", "The process is up", auth = false, body = None, ok = (200, "Health"), query = []),
            get(docs::healthz),
        ),
        (
            ep!("get" "/readyz", "system", "The database answers", auth = false, body = None, ok = (200, "Health"), query = []),
            get(docs::readyz),
        ),
        (
            ep!("get" "/api/openapi.json", "system", "This document", auth = false, body = None, ok = (200, "OpenApi"), query = []),
            get(docs::openapi_json),
        ),
        (
            ep!("post" "/api/v1/auth/login", "auth", "Log in with e-mail and password, and totp (a code from the authenticator app or a recovery code) for an account with a second factor; returns a bearer token. Without the code such an account is answered 401 with the problem type totp-required; a wrong code is a 401 too and counts as a failed login", auth = false, body = Some("LoginBody"), ok = (200, "LoginView"), query = []),
            post(user::login),
        ),
        (
            ep!("post" "/api/v1/auth/logout", "auth", "Revoke the current token", auth = true, body = None, ok = (204, ""), query = []),
            post(user::logout),
        ),
        (
            ep!("get" "/api/v1/me", "auth", "The current user", auth = true, body = None, ok = (200, "User"), query = []),
            get(user::me),
        ),
        (
            ep!("patch" "/api/v1/me", "auth", "Change the current user's own language and time zone", auth = true, body = Some("UserSettings"), ok = (200, "User"), query = []),
            patch(user::update_me),
        ),
        (
            ep!("get" "/api/v1/me/totp", "auth", "The caller's second factor (§7.2.3): enrolled, an enrolment waiting for its code, recovery codes left, whether it is required of them and the gate (open, remind, enforce)", auth = true, body = None, ok = (200, "TotpStatus"), query = []),
            get(account::totp_status),
        ),
        (
            ep!("post" "/api/v1/me/totp", "auth", "Start (or start again) enrolling a second factor: the secret (base32) and the otpauth:// address to scan; not in force until confirmed. With one already in force: 422 (disable it first)", auth = true, body = None, ok = (200, "TotpEnrolment"), query = []),
            post(account::start_totp),
        ),
        (
            ep!("post" "/api/v1/me/totp/confirm", "auth", "Confirm the enrolment with a code from the app: it takes effect, and the answer holds the 10 recovery codes, shown this once (each usable once instead of a code). A wrong code: 422", auth = true, body = Some("TotpConfirm"), ok = (200, "TotpConfirmed"), query = []),
            post(account::confirm_totp),
        ),
        (
            ep!("delete" "/api/v1/me/totp", "auth", "Turn the second factor off. With one in force the body proves it is the owner: a current code or recovery code (code), or the password (password); a wrong one is a 422 and counts as a failed login (429 after too many). An enrolment never confirmed is dropped with {}", auth = true, body = Some("TotpDisable"), ok = (204, ""), query = []),
            delete(account::disable_totp),
        ),
        (
            ep!("post" "/api/v1/me/password", "auth", "Change one's own password (§7.2.3): current and new; the new one meets the password rules (10 to 128 characters, two kinds of character, not on the breached-password list) and differs from the current one. Every other session of the caller ends at once. A wrong current password is a 422 on current and counts as a failed login (429 after too many)", auth = true, body = Some("PasswordChange"), ok = (200, "PasswordChanged"), query = []),
            post(account::change_password),
        ),
        (
            ep!("get" "/api/v1/me/sessions", "auth", "The caller's live sessions (browser and API): created, last seen, expiry, the device in a few words (from the User-Agent), the address; the current one marked", auth = true, body = None, ok = (200, "SessionList"), query = []),
            get(account::sessions),
        ),
        (
            ep!("delete" "/api/v1/me/sessions", "auth", "Log out everywhere else: every session of the caller but the current one ends at once (their tokens answer 401)", auth = true, body = None, ok = (200, "SessionsRevoked"), query = []),
            delete(account::revoke_other_sessions),
        ),
        (
            ep!("delete" "/api/v1/me/sessions/{id}", "auth", "End one of the caller's sessions; another person's is 404", auth = true, body = None, ok = (204, ""), query = []),
            delete(account::revoke_session),
        ),
        (
            ep!("get" "/api/v1/security-settings", "auth", "How the second factor is required of admins and executives (§7.2.3): remind (asked on every page) or enforce (only enrolment until enrolled)", auth = true, body = None, ok = (200, "SecuritySettings"), query = []),
            get(account::settings),
        ),
        (
            ep!("put" "/api/v1/security-settings", "auth", "Change it (admins)", auth = true, body = Some("SecuritySettings"), ok = (200, "SecuritySettings"), query = []),
            put(account::update_settings),
        ),
        (
            ep!("get" "/api/v1/users", "users", "List users (admin)", auth = true, body = None, ok = (200, "UserList"), query = []),
            get(user::list),
        ),
        (
            ep!("post" "/api/v1/users", "users", "Create a user (admin)", auth = true, body = Some("UserInput"), ok = (201, "User"), query = []),
            post(user::create),
        ),
        (
            ep!("patch" "/api/v1/users/{id}", "users", "Change a user (admin): absent fields stay; active false or a new password ends their sessions; an admin cannot deactivate themselves or drop their own admin role (422)", auth = true, body = Some("UserPatch"), ok = (200, "User"), query = []),
            patch(user::update),
        ),
        (
            ep!("get" "/api/v1/departments", "users", "List departments and their heads", auth = true, body = None, ok = (200, "DepartmentList"), query = []),
            get(user::departments),
        ),
        (
            ep!("post" "/api/v1/departments", "users", "Create a department (admin)", auth = true, body = Some("DepartmentInput"), ok = (201, "Department"), query = []),
            post(user::create_department),
        ),
        (
            ep!("patch" "/api/v1/departments/{id}", "users", "Rename a department or change its head (admin): absent fields stay", auth = true, body = Some("DepartmentPatch"), ok = (200, "Department"), query = []),
            patch(user::update_department),
        ),
        (
            ep!("get" "/api/v1/partners", "partners", "List partners: filter, search, sort, page", auth = true, body = None, ok = (200, "PartnerPage"), query = ["limit", "cursor", "sort", "q", "kind", "region", "tier", "status", "tag", "segment"]),
            get(partner::list),
        ),
        (
            ep!("post" "/api/v1/partners", "partners", "Create a partner", auth = true, body = Some("PartnerInput"), ok = (201, "Partner"), query = []),
            post(partner::create),
        ),
        (
            ep!("get" "/api/v1/partners/{id}", "partners", "One partner", auth = true, body = None, ok = (200, "Partner"), query = []),
            get(partner::show),
        ),
        (
            ep!("patch" "/api/v1/partners/{id}", "partners", "Change some fields of a partner (send `version` to guard against lost updates)", auth = true, body = Some("PartnerPatch"), ok = (200, "Partner"), query = []),
            patch(partner::update),
        ),
        (
            ep!("get" "/api/v1/partners/{id}/history", "partners", "A partner's audit history, newest first", auth = true, body = None, ok = (200, "AuditList"), query = ["limit", "cursor"]),
            get(partner::history),
        ),
        (
            ep!("get" "/api/v1/partners/{id}/contacts", "contacts", "A partner's contacts", auth = true, body = None, ok = (200, "ContactList"), query = []),
            get(partner::contacts),
        ),
        (
            ep!("post" "/api/v1/partners/{id}/contacts", "contacts", "Add a contact", auth = true, body = Some("ContactInput"), ok = (201, "Contact"), query = []),
            post(partner::create_contact),
        ),
        (
            ep!("get" "/api/v1/partners/{id}/contacts/{contact_id}", "contacts", "One contact", auth = true, body = None, ok = (200, "Contact"), query = []),
            get(partner::show_contact),
        ),
        (
            ep!("patch" "/api/v1/partners/{id}/contacts/{contact_id}", "contacts", "Change a contact", auth = true, body = Some("ContactInput"), ok = (200, "Contact"), query = []),
            patch(partner::update_contact),
        ),
        (
            ep!("delete" "/api/v1/partners/{id}/contacts/{contact_id}", "contacts", "Remove a contact", auth = true, body = None, ok = (204, ""), query = []),
            delete(partner::delete_contact),
        ),
        (
            ep!("get" "/api/v1/segments", "segments", "List segments", auth = true, body = None, ok = (200, "SegmentList"), query = []),
            get(segment::list),
        ),
        (
            ep!("post" "/api/v1/segments", "segments", "Save a segment (an audience filter)", auth = true, body = Some("SegmentInput"), ok = (201, "Segment"), query = []),
            post(segment::create),
        ),
        (
            ep!("get" "/api/v1/segments/{id}", "segments", "One segment with its member count", auth = true, body = None, ok = (200, "Segment"), query = []),
            get(segment::show),
        ),
        (
            ep!("patch" "/api/v1/segments/{id}", "segments", "Change a segment", auth = true, body = Some("SegmentInput"), ok = (200, "Segment"), query = []),
            patch(segment::update),
        ),
        (
            ep!("delete" "/api/v1/segments/{id}", "segments", "Delete a segment", auth = true, body = None, ok = (204, ""), query = []),
            delete(segment::remove),
        ),
        (
            ep!("get" "/api/v1/segments/{id}/partners", "segments", "The partners a segment addresses now", auth = true, body = None, ok = (200, "PartnerPage"), query = ["limit", "cursor"]),
            get(segment::partners),
        ),
        (
            ep!("post" "/api/v1/imports/partners", "imports", "Import partners from CSV (UTF-8 or GBK) or XLSX, upserting by code; all rows or none", auth = true, body = Some("Upload"), ok = (200, "ImportReport"), query = ["dry_run", "filename"]),
            post(partner::import_partners),
        ),
        (
            ep!("post" "/api/v1/imports/contacts", "imports", "Import contacts (by partner_code) from CSV or XLSX; all rows or none", auth = true, body = Some("Upload"), ok = (200, "ImportReport"), query = ["dry_run", "filename"]),
            post(partner::import_contacts),
        ),
        (
            ep!("get" "/api/v1/exports/partners", "imports", "Export partners as CSV (UTF-8 with BOM) or XLSX, with the list's filters; codes or Chinese labels (see labels)", auth = true, body = None, ok = (200, "File"), query = ["format", "labels", "q", "kind", "region", "tier", "status", "tag", "segment"]),
            get(partner::export_partners),
        ),
        (
            ep!("get" "/api/v1/exports/contacts", "imports", "Export contacts as CSV or XLSX; codes or Chinese labels (see labels)", auth = true, body = None, ok = (200, "File"), query = ["format", "labels", "q", "kind", "region", "tier", "status", "tag", "segment"]),
            get(partner::export_contacts),
        ),
        (
            ep!("get" "/api/v1/policies", "policies", "The policy library (§3.1.1): every policy for staff; a partner user the policies announced to its partner, with the version in force and the one coming", auth = true, body = None, ok = (200, "PolicyList"), query = ["kind"]),
            get(policies::list),
        ),
        (
            ep!("post" "/api/v1/policies", "policies", "Create a policy (kind, title, owner department, audience)", auth = true, body = Some("PolicyInput"), ok = (201, "Policy"), query = []),
            post(policies::create),
        ),
        (
            ep!("get" "/api/v1/policies/{id}", "policies", "One policy with its versions, their states and published answers", auth = true, body = None, ok = (200, "Policy"), query = []),
            get(policies::show),
        ),
        (
            ep!("patch" "/api/v1/policies/{id}", "policies", "Change a policy: absent fields stay", auth = true, body = Some("PolicyPatch"), ok = (200, "Policy"), query = []),
            patch(policies::update),
        ),
        (
            ep!("get" "/api/v1/policies/{id}/versions", "policies", "A policy's versions, oldest first (a partner user: those it was sent)", auth = true, body = None, ok = (200, "PolicyVersionList"), query = []),
            get(policies::versions),
        ),
        (
            ep!("post" "/api/v1/policies/{id}/versions", "policies", "Draft the next version and its announcement request (category policy); submit that request to publish it through the review chain", auth = true, body = Some("VersionInput"), ok = (201, "PolicyVersion"), query = []),
            post(policies::create_version),
        ),
        (
            ep!("get" "/api/v1/policies/{id}/versions/{n}", "policies", "Version n (1, 2, ...) with its state, notice and answers", auth = true, body = None, ok = (200, "PolicyVersion"), query = []),
            get(policies::version),
        ),
        (
            ep!("patch" "/api/v1/policies/{id}/versions/{n}", "policies", "Change a draft version (its author) and its announcement", auth = true, body = Some("VersionInput"), ok = (200, "PolicyVersion"), query = []),
            patch(policies::update_version),
        ),
        (
            ep!("post" "/api/v1/policies/{id}/versions/{n}/withdraw", "policies", "Withdraw an approved version before it takes force", auth = true, body = None, ok = (200, "PolicyVersion"), query = []),
            post(policies::withdraw_version),
        ),
        (
            ep!("get" "/api/v1/policies/{id}/versions/{n}/diff", "policies", "What changed from the version before (or `against`), by paragraph and word", auth = true, body = None, ok = (200, "PolicyDiff"), query = ["against"]),
            get(policies::diff),
        ),
        (
            ep!("post" "/api/v1/policies/{id}/versions/{n}/faqs", "policies", "Publish an answer on version n to its whole audience (§3.1.1)", auth = true, body = Some("FaqInput"), ok = (201, "PolicyFaq"), query = []),
            post(policies::publish_faq),
        ),
        (
            ep!("get" "/api/v1/policies/{id}/in-force", "policies", "The version in force at `at` (a date or RFC 3339 time; default now)", auth = true, body = None, ok = (200, "PolicyVersion"), query = ["at"]),
            get(policies::in_force),
        ),
        (
            ep!("get" "/api/v1/policies/{id}/acknowledgements", "policies", "The acknowledgement matrix: totals per version and a page of partners with a cell per version", auth = true, body = None, ok = (200, "PolicyMatrix"), query = ["limit", "cursor"]),
            get(policies::acknowledgements),
        ),
        (
            ep!("get" "/api/v1/policies/{id}/acknowledgements/export", "policies", "The whole acknowledgement matrix as CSV or XLSX; codes or labels", auth = true, body = None, ok = (200, "File"), query = ["format", "labels"]),
            get(policies::export_acknowledgements),
        ),
        (
            ep!("post" "/api/v1/requests", "requests", "Fill in a Channel Communication Request Form (a draft)", auth = true, body = Some("RequestInput"), ok = (201, "Request"), query = []),
            post(request::create),
        ),
        (
            ep!("get" "/api/v1/requests", "requests", "Requests: mine, waiting for my review, or all", auth = true, body = None, ok = (200, "RequestList"), query = ["view", "limit", "cursor"]),
            get(request::list),
        ),
        (
            ep!("get" "/api/v1/requests/{id}", "requests", "A request with its state and whole review history", auth = true, body = None, ok = (200, "Request"), query = []),
            get(request::show),
        ),
        (
            ep!("patch" "/api/v1/requests/{id}", "requests", "Change a draft or returned request (send `version` to guard against lost updates)", auth = true, body = Some("RequestPatch"), ok = (200, "Request"), query = []),
            patch(request::update),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/submit", "requests", "Submit into the review chain", auth = true, body = None, ok = (200, "Request"), query = []),
            post(request::submit),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/approve", "requests", "Approve the current step; confidential content reaching only part of its audience (NDAs) needs send_to_covered_only, reaching nobody is 409", auth = true, body = Some("ApproveBody"), ok = (200, "Request"), query = []),
            post(request::approve),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/reject", "requests", "Reject (comment required)", auth = true, body = Some("CommentBody"), ok = (200, "Request"), query = []),
            post(request::reject),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/return", "requests", "Return for changes (comment required)", auth = true, body = Some("CommentBody"), ok = (200, "Request"), query = []),
            post(request::return_),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/withdraw", "requests", "Withdraw before a decision (requester)", auth = true, body = None, ok = (200, "Request"), query = []),
            post(request::withdraw),
        ),
        (
            ep!("get" "/api/v1/requests/{id}/deliveries", "requests", "Receipts: each delivery and a summary", auth = true, body = None, ok = (200, "DeliveryList"), query = ["unconfirmed", "limit", "cursor"]),
            get(request::deliveries),
        ),
        (
            ep!("get" "/api/v1/inbox", "inbox", "The partner's messages with unread and to-confirm counts", auth = true, body = None, ok = (200, "InboxList"), query = ["limit", "cursor"]),
            get(inbox::list),
        ),
        (
            ep!("get" "/api/v1/inbox/{message_id}", "inbox", "Open a message (records the read)", auth = true, body = None, ok = (200, "Message"), query = []),
            get(inbox::show),
        ),
        (
            ep!("post" "/api/v1/inbox/{message_id}/ack", "inbox", "Confirm a message (late after ack_due_at)", auth = true, body = None, ok = (200, "InboxItem"), query = []),
            post(inbox::ack),
        ),
        (
            ep!("get" "/api/v1/ndas", "ndas", "The NDA register (a partner user sees its own)", auth = true, body = None, ok = (200, "NdaList"), query = ["partner"]),
            get(nda::list),
        ),
        (
            ep!("post" "/api/v1/ndas", "ndas", "Record an NDA for a partner or one of its contacts", auth = true, body = Some("NdaInput"), ok = (201, "Nda"), query = []),
            post(nda::create),
        ),
        (
            ep!("post" "/api/v1/inbox/{message_id}/replies", "threads", "Reply to a message: starts a thread with its requester, or joins the partner's unclosed thread on it (then 200)", auth = true, body = Some("PostBody"), ok = (201, "Thread"), query = []),
            post(thread::reply_to_message),
        ),
        (
            ep!("post" "/api/v1/threads", "threads", "Open a thread to the company (partner); it lands with the partner's channel manager", auth = true, body = Some("ThreadInput"), ok = (201, "Thread"), query = []),
            post(thread::create),
        ),
        (
            ep!("get" "/api/v1/threads", "threads", "Threads: a partner's own; staff those assigned to them (view=mine) or all they may see", auth = true, body = None, ok = (200, "ThreadList"), query = ["state", "view", "limit", "cursor"]),
            get(thread::list),
        ),
        (
            ep!("get" "/api/v1/threads/{id}", "threads", "A thread with its posts, state and time to first answer", auth = true, body = None, ok = (200, "Thread"), query = []),
            get(thread::show),
        ),
        (
            ep!("post" "/api/v1/threads/{id}/replies", "threads", "Post to a thread: staff answer it, the partner's reply (re)opens it", auth = true, body = Some("PostBody"), ok = (200, "Thread"), query = []),
            post(thread::reply),
        ),
        (
            ep!("post" "/api/v1/threads/{id}/close", "threads", "Close a thread (staff, or the partner its own)", auth = true, body = None, ok = (200, "Thread"), query = []),
            post(thread::close),
        ),
        (
            ep!("get" "/api/v1/notifications", "notifications", "The caller's notifications, newest first, titles in the request's language; unread=true for the unread only", auth = true, body = None, ok = (200, "NotificationList"), query = ["unread", "limit", "cursor"]),
            get(notify::list),
        ),
        (
            ep!("post" "/api/v1/notifications/{id}/read", "notifications", "Mark one of the caller's notifications read", auth = true, body = None, ok = (200, "Notification"), query = []),
            post(notify::read),
        ),
        (
            ep!("post" "/api/v1/notifications/read", "notifications", "Mark every unread notification of the caller read", auth = true, body = None, ok = (200, "Marked"), query = []),
            post(notify::read_all),
        ),
        (
            ep!("get" "/api/v1/notifications/settings", "notifications", "Per kind the caller receives: whether it also comes by e-mail (in-app always)", auth = true, body = None, ok = (200, "NotificationSettings"), query = []),
            get(notify::settings),
        ),
        (
            ep!("put" "/api/v1/notifications/settings", "notifications", "Choose per kind whether it also comes by e-mail", auth = true, body = Some("NotificationSettings"), ok = (200, "NotificationSettings"), query = []),
            axum::routing::put(notify::set_settings),
        ),
        (
            ep!("get" "/api/v1/dashboard", "notifications", "The caller's home items: what waits for their review, their requests and receipts, unanswered questions, overdue confirmations, dead deliveries, people held back; for partners what to confirm and answers to their questions", auth = true, body = None, ok = (200, "Dashboard"), query = []),
            get(notify::dashboard),
        ),
        (
            ep!("get" "/api/v1/requests/{id}/coverage", "requests", "Who the audience reaches now and, for confidential or secret content, who of them lacks a valid NDA (§7.1.2)", auth = true, body = None, ok = (200, "Coverage"), query = []),
            get(request::coverage),
        ),
        (
            ep!("get" "/api/v1/partners/{id}/timeline", "history", "Every message, read, confirmation, thread post and problem ticket (raised, resolved) of a partner, newest first", auth = true, body = None, ok = (200, "Timeline"), query = ["limit", "cursor"]),
            get(history::timeline),
        ),
        (
            ep!("get" "/api/v1/search", "history", "Search partners, contacts, messages and threads (Chinese words inside text, word prefixes, codes), ranked and highlighted; partners search their own", auth = true, body = None, ok = (200, "SearchHits"), query = ["q", "limit"]),
            get(history::search),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/attachments", "requests", "Attach a file (body; ?filename=): pdf, png, jpg, docx, xlsx, pptx, txt, csv, md; at most 10 MiB", auth = true, body = Some("Upload"), ok = (201, "Attachment"), query = ["filename"]),
            post(request::add_attachment),
        ),
        (
            ep!("get" "/api/v1/requests/{id}/attachments", "requests", "A request's attachments", auth = true, body = None, ok = (200, "AttachmentList"), query = []),
            get(request::attachments),
        ),
        (
            ep!("get" "/api/v1/requests/{id}/attachments/{attachment_id}", "requests", "Download an attachment", auth = true, body = None, ok = (200, "File"), query = []),
            get(request::attachment),
        ),
        (
            ep!("get" "/api/v1/inbox/{message_id}/attachments", "inbox", "A message's attachments", auth = true, body = None, ok = (200, "AttachmentList"), query = []),
            get(inbox::attachments),
        ),
        (
            ep!("get" "/api/v1/inbox/{message_id}/attachments/{attachment_id}", "inbox", "Download an attachment of a message", auth = true, body = None, ok = (200, "File"), query = []),
            get(inbox::attachment),
        ),
        (
            ep!("get" "/api/v1/requests/{id}/deliveries/export", "requests", "Receipts as CSV (BOM) or XLSX; unconfirmed=true for who has not confirmed; codes or Chinese labels (see labels)", auth = true, body = None, ok = (200, "File"), query = ["format", "unconfirmed", "labels"]),
            get(request::export_deliveries),
        ),
        (
            ep!("get" "/api/v1/settings/review", "settings", "Review settings: sensitive terms and policy-change notice days", auth = true, body = None, ok = (200, "ReviewSettings"), query = []),
            get(settings::review_settings),
        ),
        (
            ep!("put" "/api/v1/settings/review", "settings", "Change the review settings (admin)", auth = true, body = Some("ReviewSettings"), ok = (200, "ReviewSettings"), query = []),
            axum::routing::put(settings::update_review_settings),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/remind", "deliveries", "Remind unconfirmed recipients now, on their channels and within their working hours (requester or channel management)", auth = true, body = None, ok = (200, "Count"), query = []),
            post(delivery::remind),
        ),
        (
            ep!("post" "/api/v1/requests/{id}/retry", "deliveries", "Send dead deliveries again (all, or one with delivery_id)", auth = true, body = Some("RetryBody"), ok = (200, "Count"), query = []),
            post(delivery::retry),
        ),
        (
            ep!("get" "/api/v1/settings/delivery", "settings", "Delivery settings: reminder lead time and attempts", auth = true, body = None, ok = (200, "DeliverySettings"), query = []),
            get(settings::settings),
        ),
        (
            ep!("put" "/api/v1/settings/delivery", "settings", "Change the delivery settings (admin)", auth = true, body = Some("DeliverySettings"), ok = (200, "DeliverySettings"), query = []),
            axum::routing::put(settings::update_settings),
        ),
        (
            ep!("get" "/api/v1/partners/{id}/robots", "robots", "A partner's IM robots (URLs shown redacted, secrets never)", auth = true, body = None, ok = (200, "RobotList"), query = []),
            get(robot::list_robots),
        ),
        (
            ep!("post" "/api/v1/partners/{id}/robots", "robots", "Add an IM robot for the partner's group or one contact (WeCom, DingTalk, Feishu/Lark, Slack, signed webhook)", auth = true, body = Some("RobotInput"), ok = (201, "Robot"), query = []),
            post(robot::create_robot),
        ),
        (
            ep!("delete" "/api/v1/partners/{id}/robots/{robot_id}", "robots", "Remove a robot", auth = true, body = None, ok = (204, ""), query = []),
            delete(robot::delete_robot),
        ),
        (
            ep!("get" "/api/v1/calendar", "calendar", "Public holidays and make-up working days (mainland China shipped)", auth = true, body = None, ok = (200, "CalendarList"), query = ["year"]),
            get(calendar::calendar),
        ),
        (
            ep!("put" "/api/v1/calendar/{date}", "calendar", "Set a date (YYYY-MM-DD) as a holiday or a make-up working day", auth = true, body = Some("CalendarDayInput"), ok = (200, "CalendarDay"), query = []),
            axum::routing::put(calendar::put_day),
        ),
        (
            ep!("delete" "/api/v1/calendar/{date}", "calendar", "Make a date an ordinary day again", auth = true, body = None, ok = (204, ""), query = []),
            delete(calendar::delete_day),
        ),
        (
            ep!("get" "/api/v1/event-endpoints", "events", "Endpoints receiving signed JSON events (admin)", auth = true, body = None, ok = (200, "EndpointList"), query = []),
            get(event::list_endpoints),
        ),
        (
            ep!("post" "/api/v1/event-endpoints", "events", "Register an HTTPS endpoint for events: request.approved, message.dispatched, delivery.failed, delivery.acknowledged, reply.received (admin)", auth = true, body = Some("EndpointInput"), ok = (201, "Endpoint"), query = []),
            post(event::create_endpoint),
        ),
        (
            ep!("delete" "/api/v1/event-endpoints/{id}", "events", "Remove an endpoint (admin)", auth = true, body = None, ok = (204, ""), query = []),
            delete(event::delete_endpoint),
        ),
        (
            ep!("get" "/api/v1/jobs", "events", "Background jobs (events, escalations), with errors (admin)", auth = true, body = None, ok = (200, "JobList"), query = ["state", "kind", "limit"]),
            get(event::list_jobs),
        ),
        (
            ep!("post" "/api/v1/jobs/{id}/retry", "events", "Run a dead job again (admin)", auth = true, body = None, ok = (200, "Count"), query = []),
            post(event::retry_job),
        ),
        (
            ep!("get" "/api/v1/ack/{token}", "inbox", "The message behind a one-click confirmation link (no login: the signed link is the credential; confidential bodies need a login)", auth = false, body = None, ok = (200, "Message"), query = []),
            get(ack::link_show),
        ),
        (
            ep!("post" "/api/v1/ack/{token}", "inbox", "Confirm with a one-click link (public and internal messages)", auth = false, body = None, ok = (200, "InboxItem"), query = []),
            post(ack::link_ack),
        ),
        (
            ep!("get" "/api/v1/products", "products", "The product catalogue (§3.2.1): a partner user sees the products visible to its partner; q searches codes, names, texts and parameters", auth = true, body = None, ok = (200, "ProductList"), query = ["q", "category", "status", "limit", "cursor"]),
            get(product::list),
        ),
        (
            ep!("post" "/api/v1/products", "products", "Add a product with typed technical parameters and its visibility (R&D, channel management, admin)", auth = true, body = Some("ProductInput"), ok = (201, "Product"), query = []),
            post(product::create),
        ),
        (
            ep!("get" "/api/v1/products/{id}", "products", "One product with its documents (404 for a partner it is not visible to)", auth = true, body = None, ok = (200, "Product"), query = []),
            get(product::show),
        ),
        (
            ep!("patch" "/api/v1/products/{id}", "products", "Change a product: absent fields stay (send `version` to guard against lost updates)", auth = true, body = Some("ProductPatch"), ok = (200, "Product"), query = []),
            patch(product::update),
        ),
        (
            ep!("post" "/api/v1/products/{id}/documents", "products", "Attach a datasheet or manual (body; ?filename=): pdf, png, jpg, docx, xlsx, pptx, txt, csv, md; at most 10 MiB", auth = true, body = Some("Upload"), ok = (201, "ProductDocument"), query = ["filename"]),
            post(product::add_document),
        ),
        (
            ep!("get" "/api/v1/products/{id}/documents/{document_id}", "products", "Download a product document", auth = true, body = None, ok = (200, "File"), query = []),
            get(product::document),
        ),
        (
            ep!("get" "/api/v1/launches", "launches", "Planned launches (§3.2.2) of the products the caller may see, by day; from and to are YYYY-MM-DD", auth = true, body = None, ok = (200, "LaunchList"), query = ["from", "to"]),
            get(launch::list),
        ),
        (
            ep!("post" "/api/v1/launches", "launches", "Plan a launch; its announcement is drafted ahead of the notice date (R&D, channel management, admin)", auth = true, body = Some("LaunchInput"), ok = (201, "Launch"), query = []),
            post(launch::create),
        ),
        (
            ep!("get" "/api/v1/launches.ics", "launches", "The launch calendar as an iCalendar feed (RFC 5545): the caller's launches from 90 days back", auth = true, body = None, ok = (200, "File"), query = []),
            get(launch::ics),
        ),
        (
            ep!("get" "/api/v1/launches/{id}", "launches", "One launch with its notice date and drafted announcement", auth = true, body = None, ok = (200, "Launch"), query = []),
            get(launch::show),
        ),
        (
            ep!("patch" "/api/v1/launches/{id}", "launches", "Change a launch: absent fields stay (send `version` to guard against lost updates)", auth = true, body = Some("LaunchPatch"), ok = (200, "Launch"), query = []),
            patch(launch::update),
        ),
        (
            ep!("get" "/api/v1/settings/launches", "settings", "Launch settings: days ahead partners are told of a launch", auth = true, body = None, ok = (200, "LaunchSettings"), query = []),
            get(launch::settings),
        ),
        (
            ep!("put" "/api/v1/settings/launches", "settings", "Change the launch settings (admin)", auth = true, body = Some("LaunchSettings"), ok = (200, "LaunchSettings"), query = []),
            axum::routing::put(launch::update_settings),
        ),
        (
            ep!("get" "/api/v1/feedback", "feedback", "Product feedback (§3.2.3): a partner user its partner's items, R&D and leadership the queue; filters state, kind, product, merged", auth = true, body = None, ok = (200, "FeedbackList"), query = ["state", "kind", "product", "merged", "limit", "cursor"]),
            get(feedback::list),
        ),
        (
            ep!("post" "/api/v1/feedback", "feedback", "Submit a customer need or an improvement suggestion on a product (partner user); it goes to R&D's queue", auth = true, body = Some("FeedbackInput"), ok = (201, "Feedback"), query = []),
            post(feedback::create),
        ),
        (
            ep!("get" "/api/v1/feedback/{id}", "feedback", "One feedback item with its state, answer and votes (another partner's is 404)", auth = true, body = None, ok = (200, "Feedback"), query = []),
            get(feedback::show),
        ),
        (
            ep!("patch" "/api/v1/feedback/{id}", "feedback", "Triage (R&D): state and the answer the partner sees; the partners who asked are told", auth = true, body = Some("TriagePatch"), ok = (200, "Feedback"), query = []),
            patch(feedback::update),
        ),
        (
            ep!("post" "/api/v1/feedback/{id}/merge", "feedback", "Merge a similar item of the same product into another (R&D): its partner counts as a vote there", auth = true, body = Some("MergeBody"), ok = (200, "Feedback"), query = []),
            post(feedback::merge),
        ),
        (
            ep!("get" "/api/v1/tickets", "tickets", "Problem tickets (§3.4), newest first: a partner user its partner's; staff the tickets they may read, by queue (mine, department, unassigned, breaching, all) and filters", auth = true, body = None, ok = (200, "TicketList"), query = ["queue", "state", "priority", "kind", "partner", "limit", "cursor"]),
            get(tickets::list),
        ),
        (
            ep!("post" "/api/v1/tickets", "tickets", "Raise a ticket: a partner user for its partner; staff on a partner's behalf with partner_id (via phone for a call). It is routed by the rules, else to the partner's channel manager; urgent ones notify at once (§5.2.2)", auth = true, body = Some("TicketInput"), ok = (201, "Ticket"), query = []),
            post(tickets::create),
        ),
        (
            ep!("get" "/api/v1/tickets/{id}", "tickets", "One ticket with its SLA due times, breaches, timeline (internal notes for staff only) and files; another partner's is 404", auth = true, body = None, ok = (200, "TicketDetail"), query = []),
            get(tickets::show),
        ),
        (
            ep!("post" "/api/v1/tickets/{id}/replies", "tickets", "A public reply (the partner is e-mailed, and may answer by e-mail) or, for staff, an internal note (internal: true) the partner never sees; waiting_partner pauses the resolution clock", auth = true, body = Some("ReplyInput"), ok = (201, "Ticket"), query = []),
            post(tickets::reply),
        ),
        (
            ep!("post" "/api/v1/tickets/{id}/assign", "tickets", "Assign or reassign to a person and/or department, or change the priority (staff); recorded on the timeline", auth = true, body = Some("AssignInput"), ok = (200, "Ticket"), query = []),
            post(tickets::assign),
        ),
        (
            ep!("post" "/api/v1/tickets/{id}/resolve", "tickets", "Resolve with the resolution reported back to the partner and a root cause from the taxonomy (§3.4.2, §3.4.3); the partner is asked to confirm and rate", auth = true, body = Some("ResolveInput"), ok = (200, "Ticket"), query = []),
            post(tickets::resolve),
        ),
        (
            ep!("post" "/api/v1/tickets/{id}/rate", "tickets", "The partner confirms a resolved ticket with a rating 1-5 and a comment (§6.1.3); it closes", auth = true, body = Some("RateInput"), ok = (200, "Ticket"), query = []),
            post(tickets::rate),
        ),
        (
            ep!("post" "/api/v1/tickets/{id}/reopen", "tickets", "Reopen a resolved or closed ticket within the reopen window; counted as a reopen", auth = true, body = Some("ReopenInput"), ok = (200, "Ticket"), query = []),
            post(tickets::reopen),
        ),
        (
            ep!("post" "/api/v1/tickets/{id}/merge", "tickets", "Merge this duplicate into another ticket of the same partner (staff): it closes and points to the survivor", auth = true, body = Some("MergeBody"), ok = (200, "Ticket"), query = []),
            post(tickets::merge),
        ),
        (
            ep!("post" "/api/v1/tickets/{id}/watch", "tickets", "Watch a ticket one may read: be told of its replies", auth = true, body = None, ok = (200, "Ticket"), query = []),
            post(tickets::watch),
        ),
        (
            ep!("get" "/api/v1/tickets/{id}/files/{file}", "tickets", "A file of the ticket (a file on an internal note is 404 for partners)", auth = true, body = None, ok = (200, "File"), query = []),
            get(tickets::file),
        ),
        (
            ep!("get" "/api/v1/kpis", "evaluation", "The four indicators of §6.1 for a period, grouped (department, person, channel, kind, region, tier, partner), from the daily aggregates: accuracy (F1, deliveries that reached their recipient and were not corrected, retracted or recalled, over all deliveries sent in the period), timeliness (F2, deliveries read, or acknowledged where required, by their deadline or within the working-hours rule, over deliveries due in the period), satisfaction (F3, ticket ratings and survey answers: mean, share of 4-5, responses) and the relationship index (F4, mean of the group's partners, with its change against the period before). from/to are days (YYYY-MM-DD, the company's zone, inclusive) or period (2026-07, 2026-Q3, 2026); default this month. Leadership, channel management, admins; a department head only their department's", auth = true, body = None, ok = (200, "KpiReport"), query = ["from", "to", "period", "group_by"]),
            get(kpi::report),
        ),
        (
            ep!("get" "/api/v1/kpis/drilldown", "evaluation", "The rows behind a figure: the deliveries (accuracy, timeliness) or rated tickets (satisfaction) of a period and one group (group_by and key, a key as the report gives it); misses=true only those not counted in the numerator (dead, corrected, late, ratings below 4). Paged by cursor", auth = true, body = None, ok = (200, "KpiDrilldown"), query = ["indicator", "from", "to", "period", "group_by", "key", "misses", "limit", "cursor"]),
            get(kpi::drilldown),
        ),
        (
            ep!("get" "/api/v1/kpis/settings", "evaluation", "The evaluation's settings: timeliness_hours (the working hours within which a delivery with no deadline must be read), the relationship index's weights, the scorecards' weights and thresholds", auth = true, body = None, ok = (200, "EvaluationSettings"), query = []),
            get(kpi::settings),
        ),
        (
            ep!("put" "/api/v1/kpis/settings", "evaluation", "Change the evaluation's settings (admins); a new working-hours rule rebuilds the aggregates at the worker's next sweep", auth = true, body = Some("EvaluationSettingsInput"), ok = (200, "EvaluationSettings"), query = []),
            put(kpi::update_settings),
        ),
        (
            ep!("get" "/api/v1/relationship-index", "evaluation", "A partner's relationship index (§6.1.4, §6.2.3) for a period, 0-100, with its breakdown (acknowledgement timeliness, meeting attendance, data punctuality and accuracy, initiative, willingness, NPS), the previous period's value, the change and a year's monthly history. A partner user only its own partner's (another's: 404)", auth = true, body = None, ok = (200, "RelationshipIndex"), query = ["partner", "from", "to", "period"]),
            get(kpi::relationship),
        ),
        (
            ep!("get" "/api/v1/business-impact", "evaluation", "Business impact (§6.2.2): one partner's (partner) or region's (region) accuracy, timeliness and relationship index month by month beside its sales and market share from the business-data area, over the months (3-36, default 12) ending with to, and Pearson's r of timeliness and sales: a correlation, not a cause", auth = true, body = None, ok = (200, "BusinessImpact"), query = ["partner", "region", "to", "months"]),
            get(kpi::impact),
        ),
        (
            ep!("get" "/api/v1/scorecards", "evaluation", "Scorecards (§6.3.2): departments or people ranked by the weighted score of their indicators for the period, with the commendation and improvement lists, each entry with its reasons", auth = true, body = None, ok = (200, "Scorecard"), query = ["period", "level"]),
            get(kpi::scorecards),
        ),
        (
            ep!("get" "/api/v1/scorecards/export", "evaluation", "The scorecard as CSV or XLSX", auth = true, body = None, ok = (200, "File"), query = ["period", "level", "format", "labels"]),
            get(kpi::export_scorecards),
        ),
        (
            ep!("get" "/api/v1/ticket-reports", "tickets", "The root-cause report of a period (§3.4.3): counts by cause, kind, product, department, region; the two periods before; recurrences; SLA by department; satisfaction. from/to are days (YYYY-MM-DD, the company's zone) or RFC 3339 times; default the last 30 days", auth = true, body = None, ok = (200, "TicketReport"), query = ["from", "to"]),
            get(tickets::report),
        ),
        (
            ep!("get" "/api/v1/ticket-reports/export", "tickets", "The root-cause report as CSV or XLSX", auth = true, body = None, ok = (200, "File"), query = ["from", "to", "format", "labels"]),
            get(tickets::export_report),
        ),
        (
            ep!("get" "/api/v1/root-causes", "tickets", "The root-cause taxonomy (§3.4.3): {code, name} items", auth = true, body = None, ok = (200, "RootCauseList"), query = []),
            get(tickets::root_causes),
        ),
        (
            ep!("post" "/api/v1/root-causes", "tickets", "Add, rename or retire (active: false) a root cause (admin)", auth = true, body = Some("RootCauseInput"), ok = (200, "RootCauseList"), query = []),
            post(tickets::save_root_cause),
        ),
        (
            ep!("get" "/api/v1/ticket-settings", "tickets", "SLA targets per priority (minutes of working time; urgent on the 24-hour clock), the confirmation and reopen windows, the warning lead", auth = true, body = None, ok = (200, "TicketSettings"), query = []),
            get(tickets::settings),
        ),
        (
            ep!("put" "/api/v1/ticket-settings", "tickets", "Change the ticket settings (admin)", auth = true, body = Some("TicketSettings"), ok = (200, "TicketSettings"), query = []),
            put(tickets::update_settings),
        ),
        (
            ep!("get" "/api/v1/ticket-routes", "tickets", "The routing rules: the most specific matching rule (kind, product category, region) sends a new ticket to its department and person", auth = true, body = None, ok = (200, "TicketRoutes"), query = []),
            get(tickets::routes),
        ),
        (
            ep!("put" "/api/v1/ticket-routes", "tickets", "Replace the routing rules (admin)", auth = true, body = Some("TicketRoutesInput"), ok = (200, "TicketRoutes"), query = []),
            put(tickets::update_routes),
        ),
        (
            ep!("get" "/api/v1/inbound-mails", "tickets", "What the reply mailbox (LIAISON_IMAP_URL) received, newest first, and what became of each: filed, opened, refused (with why), ignored, duplicate (admin)", auth = true, body = None, ok = (200, "InboundMailList"), query = ["limit"]),
            get(tickets::inbound_mails),
        ),
        (
            ep!("get" "/api/v1/datasets", "data", "The data sets partners report (§3.3): each with a code, names, its schema (typed columns with units and rules) and which column names a series", auth = true, body = None, ok = (200, "DatasetList"), query = []),
            get(data::datasets),
        ),
        (
            ep!("post" "/api/v1/datasets", "data", "Define a data set (admins, channel management): code, names, columns (text, integer, decimal with scale, date, period, product_code, region_code; required, min, max, aggregate)", auth = true, body = Some("DatasetInput"), ok = (201, "Dataset"), query = []),
            post(data::create_dataset),
        ),
        (
            ep!("get" "/api/v1/datasets/{id}", "data", "One data set by id or code", auth = true, body = None, ok = (200, "Dataset"), query = []),
            get(data::dataset),
        ),
        (
            ep!("patch" "/api/v1/datasets/{id}", "data", "Change a data set (admins, channel management): absent fields stay; version guards against lost updates", auth = true, body = Some("DatasetPatch"), ok = (200, "Dataset"), query = []),
            patch(data::update_dataset),
        ),
        (
            ep!("get" "/api/v1/datasets/{id}/template", "data", "The data set's template: the header row and an example row, as CSV (UTF-8 with BOM) or XLSX", auth = true, body = None, ok = (200, "File"), query = ["format"]),
            get(data::template),
        ),
        (
            ep!("get" "/api/v1/data-requirements", "data", "Reporting requirements: which data set each partner kind or segment reports, how often (weekly, monthly, quarterly) and by which working day after the period; a partner user sees those that ask it", auth = true, body = None, ok = (200, "RequirementList"), query = []),
            get(data::requirements),
        ),
        (
            ep!("post" "/api/v1/data-requirements", "data", "Add a requirement (admins, channel management)", auth = true, body = Some("RequirementInput"), ok = (201, "Requirement"), query = []),
            post(data::create_requirement),
        ),
        (
            ep!("patch" "/api/v1/data-requirements/{id}", "data", "Change a requirement (admins, channel management): absent fields stay", auth = true, body = Some("RequirementInput"), ok = (200, "Requirement"), query = []),
            patch(data::update_requirement),
        ),
        (
            ep!("get" "/api/v1/data-obligations", "data", "What a partner owes: the last three periods of each requirement with the due day on the working calendar and where each stands (due, overdue, on_time, late); a partner user its own", auth = true, body = None, ok = (200, "ObligationList"), query = ["partner"]),
            get(data::obligations),
        ),
        (
            ep!("get" "/api/v1/data-overdue", "data", "Partners whose figures for the latest period past its due day are not in, most late first (channel management, leadership)", auth = true, body = None, ok = (200, "OverdueList"), query = []),
            get(data::overdue),
        ),
        (
            ep!("get" "/api/v1/submissions", "data", "Submissions, newest first: a partner user its own partner's; staff every partner's, by partner, dataset, period, state (current, superseded, rejected) and on_time", auth = true, body = None, ok = (200, "SubmissionList"), query = ["partner", "dataset", "period", "state", "on_time", "limit", "cursor"]),
            get(data::submissions),
        ),
        (
            ep!("post" "/api/v1/submissions", "data", "Submit one period's figures: JSON {dataset, period, rows} (staff add partner_id), a multipart form with those fields and a file, or a CSV/XLSX body with dataset, period and partner_id in the query. Every row is checked; with any error nothing is stored and the answer is a 422 listing each bad row and column (errors: [{row, column, message}]); else the rows are stored whole as a new version (201) and judged for anomalies", auth = true, body = Some("SubmissionUpload"), ok = (201, "Submission"), query = ["dataset", "period", "partner_id", "filename"]),
            post(data::submit).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        (
            ep!("get" "/api/v1/submissions/{id}", "data", "One submission: version, state, rows, due day and on time; another partner's is 404", auth = true, body = None, ok = (200, "Submission"), query = []),
            get(data::submission),
        ),
        (
            ep!("get" "/api/v1/submissions/{id}/errors", "data", "A submission's errors (the first 1,000; error_count counts all), each message in the reader's language", auth = true, body = None, ok = (200, "SubmissionErrors"), query = []),
            get(data::submission_errors),
        ),
        (
            ep!("get" "/api/v1/submissions/{id}/rows", "data", "The rows a submission stored, as CSV", auth = true, body = None, ok = (200, "File"), query = []),
            get(data::submission_rows),
        ),
        (
            ep!("get" "/api/v1/anomalies", "data", "Abnormal figures to follow up (§3.3.2), newest first, each explained in words: a partner user its own; staff by partner, dataset, state (open, explained, corrected, closed) or mine (owned by me)", auth = true, body = None, ok = (200, "AnomalyList"), query = ["partner", "dataset", "state", "mine", "limit", "cursor"]),
            get(data::anomalies),
        ),
        (
            ep!("get" "/api/v1/anomalies/{id}", "data", "One anomaly with its explanation and follow-up thread; another partner's is 404", auth = true, body = None, ok = (200, "AnomalyDetail"), query = []),
            get(data::anomaly),
        ),
        (
            ep!("post" "/api/v1/anomalies/{id}/follow-ups", "data", "Add to the follow-up: a comment, the cause (explained), an action, or (staff) closed; the other side is told", auth = true, body = Some("FollowUpInput"), ok = (201, "AnomalyDetail"), query = []),
            post(data::follow_up),
        ),
        (
            ep!("get" "/api/v1/trends", "data", "A series over time: a partner's (a partner user its own) beside the anonymised benchmark of its peers (median and quartiles, only where at least 5 other partners of its kind and region, else of its kind, reported); staff without a partner get the company's totals, by region, kind or series with group", auth = true, body = None, ok = (200, "Trend"), query = ["dataset", "measure", "partner", "series", "from", "to", "group"]),
            get(data::trends),
        ),
        (
            ep!("get" "/api/v1/data-settings", "data", "Anomaly detection's thresholds: the robust score, the history needed, the peer percentile band", auth = true, body = None, ok = (200, "DataSettings"), query = []),
            get(data::settings),
        ),
        (
            ep!("put" "/api/v1/data-settings", "data", "Change the thresholds (admins, channel management)", auth = true, body = Some("DataSettings"), ok = (200, "DataSettings"), query = []),
            put(data::update_settings),
        ),
        (
            ep!("get" "/api/v1/meetings", "meetings", "Meetings (§2.1.3, §5.1): a partner user those its partner is invited to; staff every one (mine=true: those they chair, planned or are invited to). from/to are days (YYYY-MM-DD, the company's zone) or RFC 3339 times; without from, newest first", auth = true, body = None, ok = (200, "MeetingList"), query = ["from", "to", "kind", "state", "mine", "limit"]),
            get(meetings::list),
        ),
        (
            ep!("post" "/api/v1/meetings", "meetings", "Plan a meeting (staff): kind, title, start and end (RFC 3339, or local times in timezone), place or video link (generate_video: the configured service), agenda (Markdown), chair, classification, invitees (partners, segments, contacts, users). It stays planned until invited; the answer carries the clashes", auth = true, body = Some("MeetingInput"), ok = (201, "MeetingDetail"), query = []),
            post(meetings::create),
        ),
        (
            ep!("post" "/api/v1/meetings/check", "meetings", "The clashes of a proposed time (§5.3.1), nothing saved: the invitees' other meetings, public holidays and non-working days of each invited partner, business dates and launches that day, and times outside a partner's working hours (a warning)", auth = true, body = Some("MeetingInput"), ok = (200, "ClashList"), query = []),
            post(meetings::check),
        ),
        (
            ep!("get" "/api/v1/meetings/{id}", "meetings", "One meeting with its invitees' answers (a partner user sees only its own people), its action items and, while it is to come, its clashes", auth = true, body = None, ok = (200, "MeetingDetail"), query = []),
            get(meetings::show),
        ),
        (
            ep!("patch" "/api/v1/meetings/{id}", "meetings", "Change a meeting still to come (its chair or planner, channel management): absent fields stay; once invited, everyone is sent the update with SEQUENCE raised and people no longer invited a cancellation", auth = true, body = Some("MeetingInput"), ok = (200, "MeetingDetail"), query = []),
            patch(meetings::update),
        ),
        (
            ep!("post" "/api/v1/meetings/{id}/invite", "meetings", "Send the invitations: an e-mail per invitee with the agenda, one-click answer links and a text/calendar METHOD:REQUEST part (stable UID, SEQUENCE, VTIMEZONE); one sent fewer than the kind's notice days ahead is flagged late (§5.3.1). Again on an invited meeting: sent again as an update", auth = true, body = None, ok = (200, "MeetingDetail"), query = []),
            post(meetings::invite),
        ),
        (
            ep!("post" "/api/v1/meetings/{id}/cancel", "meetings", "Cancel: everyone invited is sent METHOD:CANCEL with the same UID and a higher SEQUENCE", auth = true, body = None, ok = (200, "MeetingDetail"), query = []),
            post(meetings::cancel),
        ),
        (
            ep!("post" "/api/v1/meetings/{id}/rsvp", "meetings", "The caller's answer to an invitation: accepted, declined or tentative", auth = true, body = Some("RsvpInput"), ok = (200, "Attendee"), query = []),
            post(meetings::rsvp),
        ),
        (
            ep!("post" "/api/v1/meetings/{id}/minutes", "meetings", "Record the minutes of a meeting that has begun: minutes (Markdown), decisions, attendance per invitee, action items (title, owner: a staff user or a partner's contact, due day) that become tasks; the meeting is held", auth = true, body = Some("MinutesInput"), ok = (200, "MeetingDetail"), query = []),
            post(meetings::minutes),
        ),
        (
            ep!("get" "/api/v1/meetings/{id}/ics", "meetings", "The meeting as an iCalendar file (METHOD:PUBLISH) for one's calendar", auth = true, body = None, ok = (200, "File"), query = []),
            get(meetings::ics),
        ),
        (
            ep!("get" "/api/v1/cadence", "meetings", "The cadence of a year (§5.1): per regular kind (partner_conference per year, quarterly per quarter, monthly per month) and period, required, planned and held, and the status (met, on_track, heading_short, short, future)", auth = true, body = None, ok = (200, "Cadence"), query = ["year"]),
            get(meetings::cadence),
        ),
        (
            ep!("post" "/api/v1/cadence/plan", "meetings", "Plan the missing meetings of a regular kind for a year (channel management): one per short period, on the first working Wednesday from the 10th, 14:00-16:00", auth = true, body = Some("SeriesInput"), ok = (201, "MeetingList"), query = []),
            post(meetings::plan_series),
        ),
        (
            ep!("get" "/api/v1/meeting-settings", "meetings", "Notice days per kind (§5.3.1), the cadence (§5.1), months between visits per partner tier (§2.2.2) and the video service's address template", auth = true, body = None, ok = (200, "MeetingSettings"), query = []),
            get(meetings::settings),
        ),
        (
            ep!("put" "/api/v1/meeting-settings", "meetings", "Change the meeting settings (admins, channel management)", auth = true, body = Some("MeetingSettings"), ok = (200, "MeetingSettings"), query = []),
            put(meetings::update_settings),
        ),
        (
            ep!("get" "/api/v1/business-dates", "meetings", "Important business dates meetings should avoid (§5.3.1), from a month back", auth = true, body = None, ok = (200, "BusinessDateList"), query = []),
            get(meetings::business_dates),
        ),
        (
            ep!("post" "/api/v1/business-dates", "meetings", "Add a business date (admins, channel management)", auth = true, body = Some("BusinessDateInput"), ok = (201, "BusinessDate"), query = []),
            post(meetings::add_business_date),
        ),
        (
            ep!("delete" "/api/v1/business-dates/{id}", "meetings", "Remove a business date (admins, channel management)", auth = true, body = None, ok = (204, ""), query = []),
            delete(meetings::remove_business_date),
        ),
        (
            ep!("get" "/api/v1/tasks", "meetings", "Action items: staff their own (all=true: everyone's, for channel management), a partner user its partner's; open first by due day", auth = true, body = None, ok = (200, "TaskList"), query = ["status", "all"]),
            get(meetings::tasks),
        ),
        (
            ep!("patch" "/api/v1/tasks/{id}", "meetings", "Mark an action item done, open or cancelled: its owner, its partner's users for a partner contact's item, whoever set it, channel management", auth = true, body = Some("TaskPatch"), ok = (200, "Task"), query = []),
            patch(meetings::update_task),
        ),
        (
            ep!("get" "/api/v1/calendar-feed", "meetings", "The caller's private calendar feed address (https and webcal): their meetings and the launch calendar; made on first ask", auth = true, body = None, ok = (200, "CalendarFeed"), query = []),
            get(meetings::feed),
        ),
        (
            ep!("post" "/api/v1/calendar-feed", "meetings", "A new feed address; the old one answers 404 from now on", auth = true, body = None, ok = (200, "CalendarFeed"), query = []),
            post(meetings::renew_feed),
        ),
        (
            ep!("delete" "/api/v1/calendar-feed", "meetings", "Stop the feed: its address answers 404", auth = true, body = None, ok = (204, ""), query = []),
            delete(meetings::revoke_feed),
        ),
        (
            ep!("get" "/calendar/{token}", "meetings", "A private calendar feed (RFC 5545), addressed /calendar/TOKEN.ics: no login, the token is the key; a revoked or unknown one is 404", auth = false, body = None, ok = (200, "File"), query = []),
            get(meetings::public_feed),
        ),
        (
            ep!("get" "/api/v1/surveys", "surveys", "Surveys (§6.2.1), newest first: staff every one; a partner user those its partner is invited to (whom else a survey goes to is never shown)", auth = true, body = None, ok = (200, "SurveyList"), query = ["limit"]),
            get(surveys::list),
        ),
        (
            ep!("post" "/api/v1/surveys", "surveys", "Write a survey (channel management, admins): title and intro in the languages written (zh-cn, zh-tw, en), ordered questions (rating 1-5, single, multiple, text, nps 0-10; measure satisfaction|willingness on a rating, nps on an NPS question feed the indicators), audience (partners, segments), anonymous, schedule (once, monthly, quarterly, yearly), closes_on (the first round's closing day) and remind_days. It stays a draft until sent", auth = true, body = Some("SurveyInput"), ok = (201, "SurveyDetail"), query = []),
            post(surveys::create),
        ),
        (
            ep!("get" "/api/v1/surveys/{id}", "surveys", "One survey: staff with the current round's invitations (answered or not); a partner user with its own invitation and, for a named survey, its answer. A survey its partner is not invited to is 404", auth = true, body = None, ok = (200, "SurveyDetail"), query = []),
            get(surveys::show),
        ),
        (
            ep!("patch" "/api/v1/surveys/{id}", "surveys", "Change a draft (absent fields stay); a survey sent is 409", auth = true, body = Some("SurveyInput"), ok = (200, "SurveyDetail"), query = []),
            patch(surveys::update),
        ),
        (
            ep!("post" "/api/v1/surveys/{id}/send", "surveys", "Send a draft: the state becomes open and round 1 begins; each partner the audience names gets an invitation, its portal users a notification and an e-mail with a one-click answer link (a partner without portal users: each contact with an e-mail address, the invitation and the reminder with the same link). A periodic survey's later rounds begin with their period (the worker's sweep), each open as long as the first", auth = true, body = None, ok = (200, "SurveyDetail"), query = []),
            post(surveys::send),
        ),
        (
            ep!("post" "/api/v1/surveys/{id}/close", "surveys", "Close an open survey for good: no more answers, no more rounds", auth = true, body = None, ok = (200, "SurveyDetail"), query = []),
            post(surveys::close),
        ),
        (
            ep!("post" "/api/v1/surveys/{id}/responses", "surveys", "Answer the current round: a partner user for its partner (one answer per partner and round; a named survey's answer may be changed until the round closes, an anonymous one not), or staff entering a phone interview for partner_id (named surveys only). answers maps question keys to a number, a choice's index (or a list of them) or a text", auth = true, body = Some("SurveyAnswerInput"), ok = (200, "SurveyDetail"), query = []),
            post(surveys::respond),
        ),
        (
            ep!("get" "/api/v1/surveys/{id}/responses", "surveys", "A round's results (channel management, leadership): per question the mean and distribution (rating, NPS with its score = % promoters - % detractors), choice counts, free texts, and the response rate. An anonymous survey's results are withheld below 5 answers (withheld = true, no questions)", auth = true, body = None, ok = (200, "SurveyResults"), query = ["round"]),
            get(surveys::results),
        ),
        (
            ep!("get" "/api/v1/surveys/{id}/export", "surveys", "The answers as CSV or XLSX (format): one row per answer and one column per question; an anonymous survey's without any partner column, and none of a round with fewer than 5 answers", auth = true, body = None, ok = (200, "File"), query = ["format"]),
            get(surveys::export),
        ),
        (
            ep!("get" "/api/v1/visits", "visits", "Site visits (§2.2.2), soonest first: a partner user its own partner's (never a report's problems); staff by partner, state (planned, done, cancelled), visitor and from/to (YYYY-MM-DD). overdue=true answers the active partners overdue a visit by tier instead (staff)", auth = true, body = None, ok = (200, "VisitList"), query = ["partner", "state", "visitor", "from", "to", "overdue", "limit"]),
            get(offline::list_visits),
        ),
        (
            ep!("post" "/api/v1/visits", "visits", "Plan a site visit (staff): partner, day, purpose and the visitor (the caller by default)", auth = true, body = Some("VisitInput"), ok = (201, "Visit"), query = []),
            post(offline::create_visit),
        ),
        (
            ep!("get" "/api/v1/visits/{id}", "visits", "One visit with its photos and action items; another partner's is 404", auth = true, body = None, ok = (200, "VisitDetail"), query = []),
            get(offline::show_visit),
        ),
        (
            ep!("patch" "/api/v1/visits/{id}", "visits", "Report a planned visit (report: visited_on, findings, problems (internal), actions as tasks), cancel it (state: cancelled) or change its plan (planned_on, purpose, visitor_id); send `version` to guard against lost updates (staff)", auth = true, body = Some("VisitPatch"), ok = (200, "VisitDetail"), query = []),
            patch(offline::update_visit),
        ),
        (
            ep!("post" "/api/v1/visits/{id}/files", "visits", "Add a photo (body; ?filename=): png, jpg, pdf and the other attachment types; at most 10 MiB; kept encrypted (staff)", auth = true, body = Some("Upload"), ok = (201, "VisitFile"), query = ["filename"]),
            post(offline::add_file),
        ),
        (
            ep!("get" "/api/v1/visits/{id}/files/{file}", "visits", "Download a visit's photo", auth = true, body = None, ok = (200, "File"), query = []),
            get(offline::file),
        ),
        (
            ep!("get" "/api/v1/calls", "calls", "Call logs (§2.2.3), newest first: a partner user its own partner's; staff by partner and from/to (YYYY-MM-DD in the company's zone, or RFC 3339)", auth = true, body = None, ok = (200, "CallList"), query = ["partner", "from", "to", "limit"]),
            get(offline::list_calls),
        ),
        (
            ep!("post" "/api/v1/calls", "calls", "Log a call (staff): follow-ups become tasks; delivery_id (a phone delivery of this partner) is marked done; ticket raises a ticket on the partner's behalf via phone", auth = true, body = Some("CallInput"), ok = (201, "CallDetail"), query = []),
            post(offline::create_call),
        ),
        (
            ep!("get" "/api/v1/calls/{id}", "calls", "One call with its follow-ups; another partner's is 404", auth = true, body = None, ok = (200, "CallDetail"), query = []),
            get(offline::show_call),
        ),
        (
            ep!("get" "/api/v1/api-tokens", "api-tokens", "API tokens for partners' systems (SPEC H2), newest first: a partner admin its own partner's, channel management and admins every partner's or one (partner). Each shows name, scopes, created by and at, expiry, last use and state (active, expired, revoked), never the token", auth = true, body = None, ok = (200, "ApiTokenList"), query = ["partner", "limit", "cursor"]),
            get(api_tokens::list),
        ),
        (
            ep!("post" "/api/v1/api-tokens", "api-tokens", "Create a token for a partner's system (a partner admin for its own partner, which it may leave out; channel management and admins for any): name, scopes (inbox:read, inbox:ack, data:submit, tickets), expires_at (RFC 3339, at most 730 days ahead; a year by default). The answer holds the token, once: it is stored hashed. Calls with it (Authorization: Bearer lpt_...) act for that partner, only where its scopes allow (else 403), at most 600 a minute (429 with Retry-After), each in the audit log", auth = true, body = Some("ApiTokenInput"), ok = (201, "ApiTokenCreated"), query = []),
            post(api_tokens::create),
        ),
        (
            ep!("get" "/api/v1/api-tokens/{id}", "api-tokens", "One token (never the token itself); another partner's is 404", auth = true, body = None, ok = (200, "ApiToken"), query = []),
            get(api_tokens::show),
        ),
        (
            ep!("delete" "/api/v1/api-tokens/{id}", "api-tokens", "Revoke a token: its next call is 401; revoking it again changes nothing", auth = true, body = None, ok = (204, ""), query = []),
            delete(api_tokens::revoke),
        ),
        (
            ep!("get" "/api/v1/audit", "audit", "The audit log, newest first (admin)", auth = true, body = None, ok = (200, "AuditList"), query = ["limit", "cursor"]),
            get(audit::list),
        ),
        (
            ep!("get" "/api/v1/audit/verify", "audit", "Verify the audit hash chain (admin)", auth = true, body = None, ok = (200, "AuditVerdict"), query = []),
            get(audit::verify),
        ),
        (
            ep!("post" "/api/v1/leak-trace", "confidentiality", "Trace a leaked text or file (§7.3): the confidential messages it is taken from and the recipient copies whose marks explain it, best first (channel management, leadership); JSON `{text}` or a multipart `file`", auth = true, body = Some("LeakTraceBody"), ok = (200, "LeakTrace"), query = []),
            post(leaks::trace),
        ),
        (
            ep!("get" "/api/v1/incidents", "confidentiality", "Leak incidents (§7.3), newest first: leadership and the head of channel management all, others those they reported", auth = true, body = None, ok = (200, "IncidentList"), query = []),
            get(leaks::incidents),
        ),
        (
            ep!("post" "/api/v1/incidents", "confidentiality", "Report a leak (§7.3), by hand or from a trace's suspects: leadership is told at once by every channel they have", auth = true, body = Some("IncidentInput"), ok = (201, "Incident"), query = []),
            post(leaks::report),
        ),
        (
            ep!("get" "/api/v1/incidents/{id}", "confidentiality", "One incident with its timeline; others than leadership, the channel head and its reporter get 404", auth = true, body = None, ok = (200, "IncidentDetail"), query = []),
            get(leaks::incident),
        ),
        (
            ep!("patch" "/api/v1/incidents/{id}", "confidentiality", "The investigation (cause, responsible party, NDA, actions) and the state; closing needs cause, responsible and actions", auth = true, body = Some("IncidentPatch"), ok = (200, "Incident"), query = []),
            patch(leaks::update_incident),
        ),
        (
            ep!("post" "/api/v1/incidents/{id}/contain", "confidentiality", "Contain at once: recall the suspects' portal copies, expire their one-click links, pause their partners' robots until new secrets are saved", auth = true, body = None, ok = (200, "IncidentContained"), query = []),
            post(leaks::contain),
        ),
        (
            ep!("get" "/api/v1/access-requests", "confidentiality", "Access requests the caller made and those waiting for the caller's decision (§7.2.2)", auth = true, body = None, ok = (200, "AccessRequestList"), query = []),
            get(leaks::access_requests),
        ),
        (
            ep!("post" "/api/v1/access-requests", "confidentiality", "Ask the owner of a confidential item one sees the title of for access; the owner is told", auth = true, body = Some("AccessRequestInput"), ok = (201, "AccessRequest"), query = []),
            post(leaks::ask),
        ),
        (
            ep!("get" "/api/v1/access-requests/{id}", "confidentiality", "One access request: its asker's and its owner's", auth = true, body = None, ok = (200, "AccessRequest"), query = []),
            get(leaks::access_request),
        ),
        (
            ep!("patch" "/api/v1/access-requests/{id}", "confidentiality", "The owner grants or refuses; a grant puts the asker on the item's access list", auth = true, body = Some("AccessDecision"), ok = (200, "AccessRequest"), query = []),
            patch(leaks::decide),
        ),
        (
            ep!("get" "/api/v1/requests/{id}/access", "confidentiality", "Who else may read a confidential request in full (§7.2.2): named staff and roles", auth = true, body = None, ok = (200, "AccessCircle"), query = []),
            get(leaks::request_access_list),
        ),
        (
            ep!("put" "/api/v1/requests/{id}/access", "confidentiality", "The requester replaces the access list (staff users and roles)", auth = true, body = Some("AccessCircleInput"), ok = (200, "AccessCircle"), query = []),
            put(leaks::set_request_access_list),
        ),
        (
            ep!("get" "/api/v1/access/{kind}/{id}", "confidentiality", "Who else may read a confidential item in full (§7.2.2; kind: request, ticket, meeting, submission, policy_version): named staff and roles, for those who read it whole", auth = true, body = None, ok = (200, "AccessCircle"), query = []),
            get(leaks::access_list),
        ),
        (
            ep!("put" "/api/v1/access/{kind}/{id}", "confidentiality", "The item's owners replace its access list (staff users and roles): a request's requester, a ticket's assignee or partner's channel manager, a meeting's organiser, a submission's channel manager, a policy version's author", auth = true, body = Some("AccessCircleInput"), ok = (200, "AccessCircle"), query = []),
            put(leaks::set_access_list),
        ),
    ]
}

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for (e, handler) in endpoints() {
        r = r.route(e.path, handler);
    }
    r
}
