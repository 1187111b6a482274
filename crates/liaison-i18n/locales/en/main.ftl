# Liaison UI messages — English.
# One message per line: `key = text`. No placeholders, no multi-line values.
# Every key here must also exist in zh-CN and zh-TW.

# App shell
app.name = Liaison Partner Communication
app.footer = Official communication with channel partners goes through Liaison and is kept on record.
nav.console = Console
nav.portal = Partner portal
nav.my_company = My company
nav.partners = Partners
nav.segments = Segments
nav.import = Import
nav.users = Users
nav.audit = Audit log
nav.logout = Sign out
list.next = Next page

# Login
login.title = Sign in
login.intro = Liaison is where we and our distributors, agents, e-commerce platforms and stores keep in touch.
login.email = E-mail
login.password = Password
login.submit = Sign in
login.demo = Demo accounts
login.failed = E-mail or password is wrong.
login.rate_limited = Too many attempts. Wait a few minutes and try again.

# Forms
form.save = Save
form.cancel = Cancel
form.fix_errors = Please correct the highlighted fields and save again.

# Partner list
partners.title = Channel partners
partners.new = New partner
partners.export_csv = Export CSV
partners.export_xlsx = Export Excel
partners.search = Search code, name, region or tag
partners.all_kinds = All types
partners.all_regions = All regions
partners.all_tiers = All tiers
partners.all_statuses = All statuses
partners.all_segments = All segments
partners.sort = Sort by
partners.filter = Filter
partners.clear = Clear
partners.none = No partners match these filters.

# Sort orders
sort.code = Code
sort.name = Name
sort.created = Oldest first
sort.-created = Newest first

# Partner fields
partner.code = Code
partner.name = Name
partner.kind = Type
partner.region = Region
partner.tier = Tier
partner.status = Status
partner.owner = Owner
partner.timezone = Time zone
hint.timezone = e.g. Asia/Shanghai
partner.working_days = Working days
hint.working_days = 1-5 = Mon–Fri
partner.working_hours = Working hours
hint.working_hours = 09:00-18:00
partner.working = Working time
partner.tags = Tags
hint.tags = comma-separated
partner.notes = Notes
partner.contacts = Contacts
partner.edit = Edit partner
partner.history = History

# Partner types
kind.distributor = Distributor
kind.agent = Agent
kind.ecommerce = E-commerce platform
kind.store = Retail store
kind.other = Other

# Partner statuses
status.prospect = Prospect
status.active = Active
status.suspended = Suspended
status.terminated = Terminated

# Contacts
contact.name = Name
contact.title = Job title
contact.email = E-mail
contact.phone = Phone
contact.im_webhook = IM bot webhook URL
contact.preferred_channels = Preferred channels
hint.preferred_channels = comma-separated, e.g. email, wecom, phone
contact.channels = Preferred channels
contact.lang = Language
contact.add = Add contact
contact.save = Add contact
contact.edit = Edit contact
contact.delete = Delete contact
contact.delete_confirm = Delete this contact? This cannot be undone.
contact.none = No contacts yet.

# Communication channels
channel.portal = Portal
channel.email = E-mail
channel.wecom = WeCom
channel.dingtalk = DingTalk
channel.feishu = Feishu
channel.slack = Slack
channel.webhook = Webhook
channel.phone = Phone

# History
history.none = No changes recorded yet.
history.system = System

# Audit actions
action.partner.create = Partner created
action.partner.update = Partner updated
action.partner.import_create = Partner created by import
action.partner.import_update = Partner updated by import
action.contact.create = Contact added
action.contact.update = Contact updated
action.contact.delete = Contact deleted
action.contact.import_create = Contact added by import
action.contact.import_update = Contact updated by import
action.segment.create = Segment created
action.segment.update = Segment updated
action.segment.delete = Segment deleted
action.user.create = User created
action.department.create = Department created
action.department.set_head = Department head assigned
action.auth.login = Signed in
action.auth.logout = Signed out
action.export = Data exported
action.demo.load = Demo data loaded
action.demo.generate = Demo data generated

# Import
import.title = Import partners and contacts
import.intro = Upload a CSV (UTF-8 or GBK) or XLSX file. Rows are matched by code: existing partners are updated, new ones are created. If any row is invalid, nothing is written.
import.what = What to import
import.file = File (CSV or XLSX)
import.dry_run = Check only, do not save
import.submit = Import
import.checked = Check passed, rows
import.done = Import complete
import.created = created
import.updated = updated
import.failed = Nothing was imported. Fix these rows and try again.
import.row = Row
import.field = Column
import.problem = Problem
import.columns = Columns
import.columns_hint = Column order does not matter. Chinese headings such as 编码, 名称, 类型, 区域 and 等级 are also accepted.

# Segments
segments.title = Segments
segments.intro = A segment is a saved partner filter. Its members update automatically as partner details change.
segments.new = New segment
segments.delete = Delete
segments.delete_confirm = Delete this segment? The partners themselves are not affected.
segments.none = No segments yet.
segment.name = Name
segment.description = Description
segment.filter = Criteria
segment.members = Partners

# Users and roles
users.title = Users
users.departments = Departments
users.head = Head
users.new = New user
user.name = Name
user.email = E-mail
user.password = Initial password (at least 10 characters)
user.roles = Roles
user.department = Department
user.partner = Partner
role.admin = Administrator
role.channel_manager = Channel manager
role.dept_head = Department head
role.executive = Executive
role.staff = Staff
role.partner_user = Partner user

# Audit log
audit.title = Audit log
audit.intact = Hash chain verified, no tampering detected
audit.broken = Hash chain check failed at record
audit.at = Time
audit.actor = By
audit.action = Action
audit.detail = Details
audit.hash = Hash
audit.partner = View partner

# Partner portal
portal.welcome = Your company's details as we have them. Please tell your channel manager if anything is out of date.
portal.manager = Your channel manager
portal.soon = Messages, confirmations and questions from us will appear here.

# Errors
error.home = Back to home
error.title.400 = Bad request
error.title.401 = Please sign in
error.title.403 = Access denied
error.title.404 = Page not found
error.title.409 = Conflict
error.title.413 = File too large
error.title.422 = Invalid input
error.title.429 = Too many requests
error.title.500 = Server error
audit.verify = Verify the chain

# Communication loop: requests, review, receipts (console); inbox and confirmations (portal)
nav.requests = Requests
nav.inbox = Inbox
requests.title = Communication requests
requests.intro = Every communication to partners starts as a request, is reviewed by your department head and channel management (and an executive when it is major or secret), and is then delivered and recorded.
requests.new = New request
requests.tab.mine = My requests
requests.tab.to_review = To review
requests.tab.all = All requests
requests.none = No requests here.
request.title = Title
request.purpose = Purpose
request.body = Content
request.body_source = Markdown source
request.category = Category
request.importance = Importance
request.urgency = Urgency
request.classification = Classification
request.channels = Channels
request.audience = Audience
request.partners = Partner codes
request.segments = Segments
request.contacts = Named contacts
request.ack = Confirmation
request.ack_required = Recipients must confirm receipt
request.ack_due_at = Confirm by
request.ack_by = Required, by
request.no_ack = Not required
request.send_at = Send at
request.policy = Policy change
request.effective_at = Effective from
request.change_reason = Reason for the change
request.impact = Impact on partners
request.state = State
request.requester = Requester
request.created = Created
request.submitted = Submitted
request.updated = Last change
request.edit = Edit request
request.form_intro = Channel Communication Request Form. Saving keeps a draft that only you see; submit it to start the review.
request.save_draft = Save draft
request.save_submit = Save and submit
request.submit = Submit for review
request.withdraw = Withdraw
request.withdraw_confirm = Withdraw this request? It will not be sent.
request.action_refused = This could not be done:
request.attachments = Attachments
request.chain = Review chain
request.findings = Compliance pre-check
request.no_findings = The pre-check found nothing to flag.
request.your_review = Your review
request.comment = Comment
request.history = Review history
request.no_reviews = No decisions yet.
hint.request.purpose = Why partners receive this and what they should do.
hint.request.body = Markdown source. Partners see paragraphs and line breaks; HTML is shown as plain text.
hint.request.importance = Major communications also need an executive's approval.
hint.request.classification = Confidential and secret content only reaches contacts with a valid NDA. Secret content also needs an executive's approval.
hint.request.channels = The partner portal inbox is always included.
hint.request.partners = Partner codes separated by commas, e.g. SH-D001, BJ-D002. You may also (or instead) choose segments.
hint.request.send_at = Leave empty to send as soon as it is approved.
hint.request.times = Times are Beijing time (Asia/Shanghai, UTC+8).
hint.request.policy = Required when the category is policy: effective date, reason and impact. Less than 14 days' notice needs an executive's approval.
hint.request.comment = Required to return or reject; optional to approve.
category.policy = Policy change
category.product = Product information
category.data = Data request
category.problem = Problem handling
category.meeting = Meeting or event
category.other = Other
importance.normal = Normal
importance.important = Important
importance.major = Major
urgency.normal = Normal
urgency.urgent = Urgent
classification.public = Public
classification.internal = Internal
classification.confidential = Confidential
classification.secret = Secret
state.draft = Draft
state.pending_dept_head = Awaiting department head
state.pending_channel_review = Awaiting channel review
state.pending_executive = Awaiting executive
state.approved = Approved, waiting to send
state.dispatched = Sent
state.rejected = Rejected
state.returned = Returned for changes
state.withdrawn = Withdrawn
step.dept_head = Department head
step.channel_review = Channel management
step.executive = Executive
step_status.approved = approved
step_status.returned = returned
step_status.rejected = rejected
step_status.current = waiting for decision
step_status.waiting = not yet
decision.approve = Approve
decision.return = Return for changes
decision.reject = Reject
review.at = Time
review.step = Step
review.reviewer = Reviewer
review.decision = Decision
review.comment = Comment
receipts.title = Receipts
receipts.total = Deliveries
receipts.read = Read
receipts.acknowledged = Confirmed
receipts.unconfirmed = Not confirmed
receipts.overdue = Overdue
receipts.filter_all = All
receipts.filter_unconfirmed = Not confirmed
receipts.export_csv = Export unconfirmed (CSV)
receipts.export_xlsx = Export unconfirmed (Excel)
receipts.partner = Partner
receipts.contact = Contact
receipts.channel = Channel
receipts.state = State
receipts.read_at = Read
receipts.acked_at = Confirmed
receipts.not_confirmed = Not confirmed
receipts.all_confirmed = Everyone has confirmed.
receipts.none = No deliveries.
receipts.held_back = Held back (no valid NDA)
delivery.queued = Queued
delivery.in_inbox = In the inbox
delivery.sent = Sent
delivery.delivered = Delivered
delivery.failed = Failed
delivery.read = Read
delivery.acknowledged = Confirmed
inbox.title = Inbox
inbox.unread = unread
inbox.to_confirm = to confirm
inbox.to_confirm_short = To confirm
inbox.open = Open inbox
inbox.none = No messages yet.
inbox.new = New
inbox.confirmed = Confirmed
inbox.confirmed_at = Receipt confirmed
inbox.late = Late
inbox.overdue = Overdue
inbox.please_confirm = Please confirm
inbox.due = Due
inbox.confirm = Confirm receipt
inbox.ack_needed = Please confirm that you have received and read this message.
inbox.correction = Correction
inbox.corrected = Corrected
inbox.corrected_notice = A correction to this message has been sent.
inbox.open_correction = Read the correction
inbox.corrects_notice = This message corrects an earlier one.
inbox.open_original = Read the original
inbox.read_recorded = Opening a message is recorded as read.
action.request.create = Request created
action.request.update = Request changed
action.request.submit = Request submitted
action.request.withdraw = Request withdrawn
action.request.review = Request reviewed
action.message.dispatch = Message sent
action.message.read = Message read
action.message.ack = Receipt confirmed
inbox.reply_title = Questions about this message?
inbox.reply_hint = Your question goes to the person responsible at the company.
inbox.reply_send = Send question
inbox.reply_sent = Your question was sent to the person responsible; you will be told when it is answered.
nav.threads = Questions
threads.title = Partners' questions
threads.mine = Assigned to me
threads.all = All
threads.none = No questions here.
thread.subject = Subject
thread.state = State
thread.assignee = Responsible
thread.first_answer = First answer after
thread.state.open = Open
thread.state.answered = Answered
thread.state.closed = Closed
thread.partner = Partner
thread.answer = Your answer
thread.send = Send answer
thread.close = Close the question

ack.confidential = This message is confidential. Log in to the partner portal to read and confirm it.
ack.login = Log in to read
ack.thanks = Thank you: your receipt is recorded.
ack.portal_hint = Questions about this message?
ack.open_portal = Open it in the partner portal
error.title.410 = No longer valid
