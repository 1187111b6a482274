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
