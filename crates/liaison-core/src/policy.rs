//! Who may do what, decided here and nowhere else (DESIGN security model). The service layer
//! (`liaison-app`) calls [`authorize`] once per operation with the permission and what it knows
//! of the object (its partner, its owner, its department); storage never decides. Queries for
//! partner users are scoped by `actor.scope()`.

use crate::role::{Role, Roles};
use serde::Serialize;
use uuid::Uuid;

/// Everything a permission check can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See partners and contacts (partner users: only their own, through `Scope`).
    ReadPartners,
    /// Create and edit partners, contacts and NDAs of the registry (§1.2).
    WritePartners,
    /// Bulk import (SPEC A5).
    ImportPartners,
    /// Bulk export: an export of the whole registry is itself audited (§7.2.1).
    ExportPartners,
    ReadSegments,
    WriteSegments,
    /// The staff directory and departments (needed to pick an owner or a reviewer).
    ReadDirectory,
    /// Users, departments, roles (SPEC A3).
    AdminUsers,
    /// Read the audit log (§7.2.1).
    ReadAudit,
    /// Use the staff console at all.
    UseConsole,
    /// Use the partner portal.
    UsePortal,
    /// Fill in request forms (§4.1.1): any company employee.
    CreateRequests,
    /// See every request and its receipts (channel management, leadership, admins).
    ReadAllRequests,
    /// Read, confirm and answer messages in the partner inbox (§4.3.2, §4.4.1).
    UseInbox,
    /// See and answer every partner thread, not only those assigned to oneself (§4.4.2):
    /// channel management, leadership, admins.
    ReadAllThreads,
    /// Send dead deliveries again and remind unconfirmed recipients now (§4.4.1): channel
    /// management and admins (a requester may remind on their own request).
    ManageDeliveries,
    /// Edit the working-hours calendar of public holidays and make-up days (§5.3.2).
    ManageCalendar,
    /// Register outbound event endpoints and see background jobs (SPEC H3): admins.
    ManageIntegrations,
    /// Read one request: decided by [`authorize`] from its requester and department.
    ReadRequest,
    /// Change, submit, withdraw or attach to a request: its requester only.
    EditRequest,
    /// One's own notifications, home page and e-mail choices: everyone signed in.
    ReadOwnNotifications,
    /// The policy library (§3.1.1): a partner user only the announced policies whose audience
    /// includes its partner (the service decides which; others are hidden).
    ReadPolicies,
    /// Write policies and their versions, see the acknowledgement matrix: any employee (a
    /// version is still published only through the review chain, §4.2.1).
    WritePolicies,
    /// The product catalogue and launch calendar (§3.2.1, §3.2.2): everyone; a partner user
    /// only the products whose visibility admits its partner (decided by the service layer).
    ReadProducts,
    /// Keep the catalogue and plan launches (§3.2.1, §3.2.2): R&D, channel management, admins.
    WriteProducts,
    /// Submit product feedback (§3.2.3): partner users, for their own partner.
    SubmitFeedback,
    /// Read feedback: a partner user its own partner's items; R&D, channel management,
    /// leadership and admins the whole queue (§3.2.3).
    ReadFeedback,
    /// Triage, answer and merge feedback (§3.2.3): R&D and admins.
    TriageFeedback,
    /// Raise a problem ticket (§3.4.1): a partner user for its own partner, staff on a
    /// partner's behalf (a phone call); the partner side also replies, rates and reopens.
    RaiseTickets,
    /// Read one ticket: decided by [`authorize`] from its partner, assignee (`owner`) and
    /// department; a partner user reads its own partner's.
    ReadTicket,
    /// Every ticket, whoever holds it: channel management, leadership, admins.
    ReadAllTickets,
    /// Answer, note, assign, resolve and merge a ticket one may read: company staff.
    WorkTickets,
    /// Routing rules, SLA targets and the root-cause taxonomy (§3.4.2, §3.4.3): admins.
    ManageTickets,
    /// The root-cause reports (§3.4.3): channel management, leadership, admins.
    ReadTicketReports,
    /// Data sets, requirements and one's own figures (§3.3): everyone; a partner user only its
    /// own partner's submissions, anomalies and trends, plus the anonymised peer benchmark.
    ReadData,
    /// Submit business data (§3.3.1): a partner user for its own partner; channel management
    /// and admins on a partner's behalf.
    SubmitData,
    /// Every partner's figures, the overdue list and the anomaly queue (§3.3.2): channel
    /// management, leadership, department heads, admins.
    ReadAllData,
    /// Define data sets, requirements and detection thresholds: admins and channel management.
    ManageData,
    /// Follow up an anomaly (§3.3.2): the partner on its own, channel management and admins.
    FollowUpData,
    /// Meetings (§2.1.3, §5.1) and one's action items: everyone; a partner user only the
    /// meetings its partner is invited to and its partner's tasks (the service decides which).
    ReadMeetings,
    /// Plan, change, invite, cancel and minute meetings: company staff.
    PlanMeetings,
    /// Meeting settings (notice days, cadence, visit cadence, video service), the business
    /// dates to avoid, and planning a period's series (§5.1, §5.3.1): admins and channel
    /// management.
    ManageMeetings,
    /// Site visits and call logs (§2.2.2, §2.2.3): staff all of them, a partner user its own
    /// partner's.
    ReadOffline,
    /// Plan and report visits, log calls: company staff.
    LogOffline,
    /// Create, list and revoke a partner's API tokens for its own systems (SPEC H2, §7.2.1):
    /// admins and channel management for any partner, a partner admin for its own (another
    /// partner's tokens are hidden by the scope, as for every partner object).
    ManageApiTokens,
    /// Trace a leaked text back to the recipient copies it came from (§7.3): channel
    /// management and leadership.
    TraceLeaks,
    /// Report a leak (§7.3): anyone on the staff. Reading and handling incidents is decided
    /// by `incidents::may_read` / `may_handle` (leadership and the head of channel
    /// management).
    ReportIncidents,
    /// One's own account security (§7.2.3): the second factor, one's sessions and devices.
    /// Everyone signed in, on their own account only: [`authorize`] hides another's.
    ManageOwnAccount,
    /// Surveys (§6.2.1): staff every one; a partner user only those its partner is invited to
    /// (the service decides which; others are hidden).
    ReadSurveys,
    /// Write, send, close surveys and enter phone interviews (§6.2.1): channel management and
    /// admins.
    WriteSurveys,
    /// A survey's results (§6.2.1, §6.3): channel management, leadership, admins.
    ReadSurveyResults,
    /// Answer a survey one's partner is invited to: partner users.
    AnswerSurveys,
    /// The evaluation (§6.1, §6.3): indicators, drill-down, scorecards and business impact.
    /// Leadership, channel management and admins read every department's; a department head
    /// reads the same pages narrowed to their own department's deliveries, tickets and
    /// people (the service applies the narrowing). Partner users never.
    ReadEvaluation,
    /// A partner's relationship index (§6.1.4): whoever reads the evaluation, and a partner
    /// user its own partner's (another partner's is hidden by the scope).
    ReadRelationship,
    /// The evaluation's settings (the working-hours rule, weights, thresholds) and rebuilding
    /// its aggregates: admins.
    ManageEvaluation,
}

/// What an operation touches, as far as authorization cares. `Object::default()` is "the
/// system" (a list, a setting); fill in what the object has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Object {
    /// The partner the object belongs to (a partner, its contacts, its messages and threads).
    pub partner: Option<Uuid>,
    /// The user who owns it (a request's requester).
    pub owner: Option<Uuid>,
    /// The owner's department (a department head reads its requests, §4.2.1).
    pub department: Option<Uuid>,
}

impl Object {
    pub fn partner(id: Uuid) -> Self {
        Object {
            partner: Some(id),
            ..Default::default()
        }
    }
    pub fn owned(owner: Uuid, department: Option<Uuid>) -> Self {
        Object {
            owner: Some(owner),
            department,
            ..Default::default()
        }
    }
}

/// Why an operation is refused. `Hidden` objects answer as if they did not exist (another
/// partner's data, a request one may not read): a 404, so ids cannot be probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("your role does not allow this")]
    Forbidden,
    #[error("not found")]
    Hidden,
}

/// The one authorization decision: may `actor` use `p` on `object`?
///
/// - Another partner's object is hidden from a partner user (§7.2.2, SPEC G2).
/// - Segments (audience filters over every partner) are hidden from partner users.
/// - Requests are company-internal until dispatched: hidden from partner users; readable by
///   their requester, channel management, leadership and admins, and the head of the
///   requester's department (§4.1.1, §4.2.1); changed only by their requester.
/// - Everything else is the permission table ([`allows`]).
pub fn authorize(actor: &Actor, p: Permission, object: &Object) -> Result<(), Denied> {
    if let Some(partner) = object.partner
        && !actor.scope().allows(partner)
    {
        return Err(Denied::Hidden);
    }
    let owns = object.owner.is_some_and(|o| o == actor.user_id);
    match p {
        Permission::ReadRequest | Permission::EditRequest if actor.is_partner() => {
            Err(Denied::Hidden)
        }
        // Segments are the company's audience filters over all partners (SPEC A4): like
        // requests, company-internal, so a partner user learns nothing of them (§7.2.2).
        Permission::ReadSegments | Permission::WriteSegments if actor.is_partner() => {
            Err(Denied::Hidden)
        }
        // No request at hand (a list, a new one): the role table decides.
        Permission::ReadRequest | Permission::EditRequest if object.owner.is_none() => {
            if actor.can(p) {
                Ok(())
            } else {
                Err(Denied::Forbidden)
            }
        }
        Permission::ReadRequest => {
            let head_of_department = actor.roles.has(Role::DeptHead)
                && actor.department_id.is_some()
                && actor.department_id == object.department;
            if owns || actor.can(Permission::ReadAllRequests) || head_of_department {
                Ok(())
            } else {
                Err(Denied::Hidden)
            }
        }
        Permission::EditRequest if owns => Ok(()),
        Permission::EditRequest => Err(Denied::Forbidden),
        // A partner user reads its own partner's tickets (the scope was checked above).
        Permission::ReadTicket if actor.is_partner() => Ok(()),
        Permission::WorkTickets if actor.is_partner() => Err(Denied::Forbidden),
        // §3.4.2: staff read and work the tickets they hold or their department holds;
        // channel management, leadership and admins every one.
        Permission::ReadTicket | Permission::WorkTickets => {
            let department =
                actor.department_id.is_some() && actor.department_id == object.department;
            if object.partner.is_none()
                || owns
                || department
                || actor.can(Permission::ReadAllTickets)
            {
                Ok(())
            } else {
                Err(Denied::Hidden)
            }
        }
        // A requester reminds the unconfirmed of their own request (§4.4.1).
        Permission::ManageDeliveries if owns => Ok(()),
        // §7.2.3: one's second factor and sessions are one's own; another's do not exist.
        Permission::ManageOwnAccount if object.owner.is_some() && !owns => Err(Denied::Hidden),
        _ if actor.can(p) => Ok(()),
        _ => Err(Denied::Forbidden),
    }
}

/// Which partners a query may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    Partner(Uuid),
    /// A partner user whose account lost its partner: sees nothing.
    Nothing,
}

impl Scope {
    pub fn allows(&self, partner_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Partner(p) => *p == partner_id,
            Scope::Nothing => false,
        }
    }
    pub fn partner(&self) -> Option<Uuid> {
        match self {
            Scope::Partner(p) => Some(*p),
            _ => None,
        }
    }
}

/// The authenticated user a request acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: Uuid,
    pub roles: Roles,
    pub partner_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
}

impl Actor {
    pub fn can(&self, p: Permission) -> bool {
        allows(&self.roles, p)
    }

    pub fn scope(&self) -> Scope {
        if self.roles.is_partner() {
            self.partner_id.map_or(Scope::Nothing, Scope::Partner)
        } else {
            Scope::All
        }
    }

    pub fn is_partner(&self) -> bool {
        self.roles.is_partner()
    }
}

/// The permission table. Company roles see the registry (they address communications to it);
/// only admins and channel management change it (§4.2.1 makes channel management its owner).
pub fn allows(roles: &Roles, p: Permission) -> bool {
    use Permission::*;
    use Role::*;
    // partner_admin is held beside partner_user, which grants a partner user's rights; the
    // role itself adds the partner's API tokens and nothing else (it must not match the
    // `r != PartnerUser` rows below).
    roles.iter().any(|r| match p {
        _ if r == PartnerAdmin => p == ManageApiTokens,
        ReadPartners | ReadOwnNotifications | ReadPolicies => true,
        ReadSegments => r != PartnerUser,
        UsePortal => r == PartnerUser,
        UseConsole | ReadDirectory => r != PartnerUser,
        WritePartners | ImportPartners | WriteSegments => matches!(r, Admin | ChannelManager),
        ExportPartners => matches!(r, Admin | ChannelManager | DeptHead | Executive),
        AdminUsers | ReadAudit => r == Admin,
        CreateRequests | WritePolicies => r != PartnerUser,
        ReadAllRequests => matches!(r, Admin | ChannelManager | Executive),
        UseInbox => r == PartnerUser,
        ReadAllThreads => matches!(r, Admin | ChannelManager | Executive),
        ManageDeliveries | ManageCalendar => matches!(r, Admin | ChannelManager),
        ManageIntegrations => r == Admin,
        // Object-level: [`authorize`] decides with the request at hand; without one, only
        // those who may make requests at all.
        ReadRequest | EditRequest => r != PartnerUser,
        ReadProducts => true,
        WriteProducts => matches!(r, Admin | ChannelManager | Rd),
        SubmitFeedback => r == PartnerUser,
        ReadFeedback => matches!(r, Admin | ChannelManager | Executive | Rd | PartnerUser),
        TriageFeedback => matches!(r, Admin | Rd),
        RaiseTickets | ReadTicket => true,
        ReadAllTickets => matches!(r, Admin | ChannelManager | Executive),
        WorkTickets => r != PartnerUser,
        ManageTickets => r == Admin,
        ReadTicketReports => matches!(r, Admin | ChannelManager | DeptHead | Executive),
        ReadData => true,
        SubmitData | FollowUpData => matches!(r, Admin | ChannelManager | PartnerUser),
        ReadAllData => matches!(r, Admin | ChannelManager | DeptHead | Executive),
        ManageData => matches!(r, Admin | ChannelManager),
        ReadMeetings | ReadOffline => true,
        PlanMeetings | LogOffline => r != PartnerUser,
        ManageMeetings => matches!(r, Admin | ChannelManager),
        ManageApiTokens => matches!(r, Admin | ChannelManager),
        TraceLeaks => matches!(r, ChannelManager | Executive),
        ReportIncidents => r != PartnerUser,
        ManageOwnAccount => true,
        ReadSurveys => true,
        WriteSurveys => matches!(r, Admin | ChannelManager),
        ReadSurveyResults => matches!(r, Admin | ChannelManager | Executive),
        AnswerSurveys => r == PartnerUser,
        ReadEvaluation => matches!(r, Admin | ChannelManager | DeptHead | Executive),
        ReadRelationship => {
            matches!(
                r,
                Admin | ChannelManager | DeptHead | Executive | PartnerUser
            )
        }
        ManageEvaluation => r == Admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &str, partner: Option<Uuid>) -> Actor {
        Actor {
            user_id: Uuid::nil(),
            roles: Roles::parse_list(roles).expect("roles"),
            partner_id: partner,
            department_id: None,
        }
    }

    #[test]
    fn only_admin_and_channel_management_change_the_registry() {
        for (roles, can) in [
            ("admin", true),
            ("channel_manager", true),
            ("dept_head", false),
            ("executive", false),
            ("staff", false),
            ("partner_user", false),
        ] {
            assert_eq!(
                actor(roles, None).can(Permission::WritePartners),
                can,
                "{roles}"
            );
        }
    }

    #[test]
    fn a_partner_user_is_scoped_to_its_partner() {
        let p = Uuid::now_v7();
        let a = actor("partner_user", Some(p));
        assert_eq!(a.scope(), Scope::Partner(p));
        assert!(a.scope().allows(p));
        assert!(!a.scope().allows(Uuid::now_v7()));
        assert!(!a.can(Permission::UseConsole));
        assert!(a.can(Permission::UsePortal));
        assert_eq!(actor("partner_user", None).scope(), Scope::Nothing);
        assert_eq!(actor("staff", None).scope(), Scope::All);
    }

    /// §4.1.1, §4.2.1: a request is read by its requester, leadership and channel management,
    /// and its department's head; other staff and every partner user do not learn it exists.
    #[test]
    fn a_request_is_read_by_its_requester_its_department_head_and_management() {
        let dept = Uuid::now_v7();
        let mut requester = actor("staff", None);
        requester.user_id = Uuid::now_v7();
        requester.department_id = Some(dept);
        let req = Object::owned(requester.user_id, Some(dept));
        assert_eq!(authorize(&requester, Permission::ReadRequest, &req), Ok(()));
        assert_eq!(authorize(&requester, Permission::EditRequest, &req), Ok(()));
        let mut head = actor("dept_head", None);
        head.department_id = Some(dept);
        assert_eq!(authorize(&head, Permission::ReadRequest, &req), Ok(()));
        assert_eq!(
            authorize(&head, Permission::EditRequest, &req),
            Err(Denied::Forbidden)
        );
        let mut other_head = actor("dept_head", None);
        other_head.department_id = Some(Uuid::now_v7());
        assert_eq!(
            authorize(&other_head, Permission::ReadRequest, &req),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(&actor("staff", None), Permission::ReadRequest, &req),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(
                &actor("channel_manager", None),
                Permission::ReadRequest,
                &req
            ),
            Ok(())
        );
        let p = actor("partner_user", Some(Uuid::now_v7()));
        assert_eq!(
            authorize(&p, Permission::ReadRequest, &req),
            Err(Denied::Hidden)
        );
    }

    /// §7.2.2: another partner's object does not exist for a partner user.
    #[test]
    fn another_partners_object_is_hidden() {
        let mine = Uuid::now_v7();
        let p = actor("partner_user", Some(mine));
        assert_eq!(
            authorize(&p, Permission::ReadPartners, &Object::partner(mine)),
            Ok(())
        );
        assert_eq!(
            authorize(
                &p,
                Permission::ReadPartners,
                &Object::partner(Uuid::now_v7())
            ),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(&p, Permission::WritePartners, &Object::partner(mine)),
            Err(Denied::Forbidden)
        );
    }

    /// §3.2.3: feedback goes to R&D's queue; a partner sees its own items, other staff none.
    #[test]
    fn rd_triages_feedback_and_partners_see_only_their_own() {
        let mine = Uuid::now_v7();
        let p = actor("partner_user", Some(mine));
        let item = Object::partner(mine);
        assert_eq!(authorize(&p, Permission::ReadFeedback, &item), Ok(()));
        assert_eq!(
            authorize(
                &p,
                Permission::ReadFeedback,
                &Object::partner(Uuid::now_v7())
            ),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(&p, Permission::TriageFeedback, &item),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            authorize(&actor("rd", None), Permission::TriageFeedback, &item),
            Ok(())
        );
        assert_eq!(
            authorize(&actor("staff", None), Permission::ReadFeedback, &item),
            Err(Denied::Forbidden)
        );
        assert!(!actor("rd", None).can(Permission::SubmitFeedback));
        assert!(actor("rd", None).can(Permission::WriteProducts));
        assert!(!actor("staff", None).can(Permission::WriteProducts));
    }

    /// §3.4.2: a ticket is read by its partner, its holder and its department, and by channel
    /// management; another partner and other staff do not learn it exists.
    #[test]
    fn a_ticket_is_read_by_its_partner_its_holder_and_its_department() {
        let (mine, dept) = (Uuid::now_v7(), Uuid::now_v7());
        let mut holder = actor("staff", None);
        holder.user_id = Uuid::now_v7();
        let t = Object {
            partner: Some(mine),
            owner: Some(holder.user_id),
            department: Some(dept),
        };
        assert_eq!(authorize(&holder, Permission::WorkTickets, &t), Ok(()));
        let mut colleague = actor("staff", None);
        colleague.department_id = Some(dept);
        assert_eq!(authorize(&colleague, Permission::ReadTicket, &t), Ok(()));
        assert_eq!(
            authorize(&actor("staff", None), Permission::ReadTicket, &t),
            Err(Denied::Hidden)
        );
        assert_eq!(
            authorize(&actor("channel_manager", None), Permission::WorkTickets, &t),
            Ok(())
        );
        let p = actor("partner_user", Some(mine));
        assert_eq!(authorize(&p, Permission::ReadTicket, &t), Ok(()));
        assert_eq!(
            authorize(&p, Permission::WorkTickets, &t),
            Err(Denied::Forbidden)
        );
        let other = actor("partner_user", Some(Uuid::now_v7()));
        assert_eq!(
            authorize(&other, Permission::ReadTicket, &t),
            Err(Denied::Hidden)
        );
        assert!(!actor("staff", None).can(Permission::ManageTickets));
        assert!(!actor("staff", None).can(Permission::ReadTicketReports));
    }

    /// SPEC H2: a partner admin manages its own partner's API tokens and gains nothing else of
    /// the company's; another partner's tokens are hidden; staff without the role may not.
    #[test]
    fn a_partner_admin_manages_only_its_own_partners_tokens() {
        let mine = Uuid::now_v7();
        let admin = actor("partner_user,partner_admin", Some(mine));
        let own = Object::partner(mine);
        assert_eq!(authorize(&admin, Permission::ManageApiTokens, &own), Ok(()));
        assert_eq!(
            authorize(
                &admin,
                Permission::ManageApiTokens,
                &Object::partner(Uuid::now_v7())
            ),
            Err(Denied::Hidden)
        );
        assert_eq!(admin.scope(), Scope::Partner(mine));
        for p in [
            Permission::UseConsole,
            Permission::ReadDirectory,
            Permission::CreateRequests,
            Permission::WritePolicies,
            Permission::WorkTickets,
            Permission::PlanMeetings,
            Permission::ReadSegments,
        ] {
            assert!(!admin.can(p), "{p:?}");
        }
        assert!(admin.can(Permission::UsePortal));
        assert!(admin.can(Permission::UseInbox));
        let user = actor("partner_user", Some(mine));
        assert_eq!(
            authorize(&user, Permission::ManageApiTokens, &own),
            Err(Denied::Forbidden)
        );
        for (roles, can) in [
            ("admin", true),
            ("channel_manager", true),
            ("staff", false),
            ("executive", false),
            ("dept_head", false),
            ("rd", false),
        ] {
            assert_eq!(
                actor(roles, None).can(Permission::ManageApiTokens),
                can,
                "{roles}"
            );
        }
    }

    /// §6.2.1: channel management sends surveys, leadership reads results, partners answer.
    #[test]
    fn channel_management_sends_surveys_leadership_reads_results_partners_answer() {
        for (roles, write, results, answer) in [
            ("admin", true, true, false),
            ("channel_manager", true, true, false),
            ("executive", false, true, false),
            ("staff", false, false, false),
            ("dept_head", false, false, false),
            ("partner_user", false, false, true),
        ] {
            let a = actor(roles, Some(Uuid::now_v7()));
            assert_eq!(a.can(Permission::WriteSurveys), write, "{roles}");
            assert_eq!(a.can(Permission::ReadSurveyResults), results, "{roles}");
            assert_eq!(a.can(Permission::AnswerSurveys), answer, "{roles}");
        }
    }

    #[test]
    fn several_roles_add_up() {
        let a = actor("staff,dept_head", None);
        assert!(a.can(Permission::ExportPartners));
        assert!(!a.can(Permission::AdminUsers));
    }

    /// §7.2.3: everyone manages their own second factor and sessions; another user's, even an
    /// admin's looking, are hidden (404).
    #[test]
    fn ones_account_security_is_ones_own() {
        let mut me = actor("staff", None);
        me.user_id = Uuid::now_v7();
        let mine = Object::owned(me.user_id, None);
        let theirs = Object::owned(Uuid::now_v7(), None);
        assert_eq!(authorize(&me, Permission::ManageOwnAccount, &mine), Ok(()));
        assert_eq!(
            authorize(&me, Permission::ManageOwnAccount, &theirs),
            Err(Denied::Hidden)
        );
        let mut admin = actor("admin", None);
        admin.user_id = Uuid::now_v7();
        assert_eq!(
            authorize(&admin, Permission::ManageOwnAccount, &theirs),
            Err(Denied::Hidden)
        );
        let p = actor("partner_user", Some(Uuid::now_v7()));
        assert!(p.can(Permission::ManageOwnAccount));
    }
}
