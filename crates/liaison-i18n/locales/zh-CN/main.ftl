# Liaison 界面文案 — 简体中文。
# 每行一条：`key = 文本`。不支持占位符和多行。键与 en 保持一致。

# 框架
app.name = Liaison 渠道沟通
app.footer = 与渠道伙伴的正式沟通均通过 Liaison 进行并留存记录。
nav.console = 管理后台
nav.portal = 伙伴门户
nav.my_company = 我的企业
nav.partners = 渠道伙伴
nav.segments = 受众分组
nav.import = 导入
nav.users = 用户
nav.audit = 审计日志
nav.logout = 退出登录
list.next = 下一页

# 登录
login.title = 登录
login.intro = Liaison 是企业与经销商、代理商、电商平台和线下门店等渠道伙伴沟通协作的平台。
login.email = 邮箱
login.password = 密码
login.submit = 登录
login.demo = 演示账号
login.failed = 邮箱或密码错误。
login.rate_limited = 尝试次数过多，请几分钟后再试。

# 表单
form.save = 保存
form.cancel = 取消
form.fix_errors = 请修正标出的字段后重新保存。

# 伙伴列表
partners.title = 渠道伙伴
partners.new = 新建伙伴
partners.export_csv = 导出 CSV
partners.export_xlsx = 导出 Excel
partners.search = 搜索编码、名称、区域或标签
partners.all_kinds = 全部类型
partners.all_regions = 全部区域
partners.all_tiers = 全部等级
partners.all_statuses = 全部状态
partners.all_segments = 全部分组
partners.sort = 排序方式
partners.filter = 筛选
partners.clear = 清除
partners.none = 没有符合条件的渠道伙伴。

# 排序
sort.code = 按编码
sort.name = 按名称
sort.created = 最早创建
sort.-created = 最新创建

# 伙伴字段
partner.code = 编码
partner.name = 名称
partner.kind = 类型
partner.region = 区域
partner.tier = 等级
partner.status = 状态
partner.owner = 负责人
partner.timezone = 时区
hint.timezone = 如 Asia/Shanghai
partner.working_days = 工作日
hint.working_days = 1-5 表示周一至周五
partner.working_hours = 工作时间
hint.working_hours = 如 09:00-18:00
partner.working = 工作时间
partner.tags = 标签
hint.tags = 以逗号分隔
partner.notes = 备注
partner.contacts = 联系人
partner.edit = 编辑伙伴
partner.history = 变更记录

# 伙伴类型
kind.distributor = 经销商
kind.agent = 代理商
kind.ecommerce = 电商平台
kind.store = 线下门店
kind.other = 其他

# 合作状态
status.prospect = 潜在
status.active = 合作中
status.suspended = 已暂停
status.terminated = 已终止

# 联系人
contact.name = 姓名
contact.title = 职务
contact.email = 邮箱
contact.phone = 电话
contact.im_webhook = 群机器人 Webhook 地址
contact.preferred_channels = 偏好渠道
hint.preferred_channels = 以逗号分隔，如 email, wecom, phone
contact.channels = 偏好渠道
contact.lang = 语言
contact.add = 添加联系人
contact.save = 添加联系人
contact.edit = 编辑联系人
contact.delete = 删除联系人
contact.delete_confirm = 确定删除该联系人吗？删除后无法恢复。
contact.none = 暂无联系人。

# 沟通渠道
channel.portal = 伙伴门户
channel.email = 邮件
channel.wecom = 企业微信
channel.dingtalk = 钉钉
channel.feishu = 飞书
channel.slack = Slack
channel.webhook = Webhook
channel.phone = 电话

# 变更记录
history.none = 暂无变更记录。
history.system = 系统

# 审计操作
action.partner.create = 新建伙伴
action.partner.update = 更新伙伴资料
action.partner.import_create = 导入新建伙伴
action.partner.import_update = 导入更新伙伴
action.contact.create = 添加联系人
action.contact.update = 更新联系人
action.contact.delete = 删除联系人
action.contact.import_create = 导入新建联系人
action.contact.import_update = 导入更新联系人
action.segment.create = 新建分组
action.segment.update = 更新分组
action.segment.delete = 删除分组
action.user.create = 新建用户
action.department.create = 新建部门
action.department.set_head = 设置部门负责人
action.auth.login = 登录
action.auth.logout = 退出登录
action.export = 导出数据
action.demo.load = 加载演示数据
action.demo.generate = 生成演示数据

# 导入
import.title = 导入伙伴与联系人
import.intro = 上传 CSV（UTF-8 或 GBK 编码）或 XLSX 文件。按编码匹配：已有伙伴将被更新，新编码将新建。只要有一行数据有误，就不会写入任何数据。
import.what = 导入内容
import.file = 文件（CSV 或 XLSX）
import.dry_run = 仅校验，不写入
import.submit = 开始导入
import.checked = 校验通过，行数
import.done = 导入完成
import.created = 新建
import.updated = 更新
import.failed = 未导入任何数据，请修正以下问题后重试。
import.row = 行号
import.field = 列
import.problem = 问题
import.columns = 列说明
import.columns_hint = 列的顺序不限。也可使用中文表头，如 编码、名称、类型、区域、等级。

# 受众分组
segments.title = 受众分组
segments.intro = 分组是保存下来的伙伴筛选条件，成员会随伙伴资料的变化自动更新。
segments.new = 新建分组
segments.delete = 删除
segments.delete_confirm = 确定删除该分组吗？分组内的渠道伙伴不受影响。
segments.none = 暂无分组。
segment.name = 名称
segment.description = 说明
segment.filter = 筛选条件
segment.members = 伙伴数

# 用户与角色
users.title = 用户
users.departments = 部门
users.head = 负责人
users.new = 新建用户
user.name = 姓名
user.email = 邮箱
user.password = 初始密码（至少 10 位）
user.roles = 角色
user.department = 部门
user.partner = 所属伙伴
role.admin = 系统管理员
role.channel_manager = 渠道经理
role.dept_head = 部门负责人
role.executive = 高管
role.staff = 员工
role.partner_user = 伙伴用户

# 审计日志
audit.title = 审计日志
audit.intact = 哈希链校验通过，未发现篡改
audit.broken = 哈希链校验失败，断点记录
audit.at = 时间
audit.actor = 操作人
audit.action = 操作
audit.detail = 详情
audit.hash = 哈希
audit.partner = 查看伙伴

# 伙伴门户
portal.welcome = 以下是我们登记的贵司信息，如有变动请告知您的渠道经理。
portal.manager = 您的渠道经理
portal.soon = 我们发出的消息、待确认事项和问题将显示在这里。

# 错误页
error.home = 返回首页
error.title.400 = 请求有误
error.title.401 = 请先登录
error.title.403 = 无权访问
error.title.404 = 页面不存在
error.title.409 = 数据冲突
error.title.413 = 文件过大
error.title.422 = 输入有误
error.title.429 = 请求过于频繁
error.title.500 = 服务器错误
audit.verify = 校验哈希链

# 沟通闭环：沟通申请、审核、回执（管理后台）；收件箱与确认（伙伴门户）
nav.requests = 沟通申请
nav.inbox = 收件箱
requests.title = 渠道沟通申请
requests.intro = 每一次对渠道伙伴的沟通都从申请开始：经部门负责人和渠道管理部审核（重大或绝密事项还需高管审批）后发送，并全程留痕。
requests.new = 新建申请
requests.tab.mine = 我的申请
requests.tab.to_review = 待我审核
requests.tab.all = 全部申请
requests.none = 暂无申请。
request.title = 标题
request.purpose = 沟通目的
request.body = 正文
request.body_source = Markdown 原文
request.category = 类别
request.importance = 重要程度
request.urgency = 紧急程度
request.classification = 密级
request.channels = 发送渠道
request.audience = 受众
request.partners = 伙伴编码
request.segments = 受众分组
request.contacts = 指定联系人
request.ack = 回执确认
request.ack_required = 要求收件人确认收到
request.ack_due_at = 确认截止时间
request.ack_by = 需要确认，截止
request.no_ack = 无需确认
request.send_at = 定时发送
request.policy = 政策变更
request.effective_at = 生效时间
request.change_reason = 变更原因
request.impact = 对伙伴的影响
request.state = 状态
request.requester = 申请人
request.created = 创建时间
request.submitted = 提交时间
request.updated = 最近更新
request.edit = 修改申请
request.form_intro = 渠道沟通申请表。保存后为草稿，仅本人可见；提交后进入审核流程。
request.save_draft = 保存草稿
request.save_submit = 保存并提交
request.submit = 提交审核
request.withdraw = 撤回
request.withdraw_confirm = 确定撤回此申请吗？撤回后将不会发送。
request.action_refused = 操作未能完成：
request.attachments = 附件
request.chain = 审核流程
request.findings = 合规预检
request.no_findings = 合规预检未发现问题。
request.your_review = 我的审核
request.comment = 审核意见
request.history = 审核记录
request.no_reviews = 暂无审核意见。
hint.request.purpose = 说明为什么要发给伙伴，以及希望对方做什么。
hint.request.body = Markdown 格式。伙伴看到的是分段和换行；HTML 代码按原样显示为文字。
hint.request.importance = 重大事项还需高管审批。
hint.request.classification = 机密和绝密内容只发送给签有有效保密协议（NDA）的联系人；绝密内容还需高管审批。
hint.request.channels = 伙伴门户收件箱始终包含在内。
hint.request.partners = 多个伙伴编码用逗号分隔，例如 SH-D001, BJ-D002。也可以（或改为）选择受众分组。
hint.request.send_at = 留空则审批通过后立即发送。
hint.request.times = 时间均为北京时间（Asia/Shanghai，UTC+8）。
hint.request.policy = 类别为政策变更时必填：生效时间、变更原因和影响。提前不足 14 天通知的需高管审批。
hint.request.comment = 退回或驳回时必须填写意见；通过时可不填。
category.policy = 政策变更
category.product = 产品信息
category.data = 数据收集
category.problem = 问题处理
category.meeting = 会议活动
category.other = 其他
importance.normal = 一般
importance.important = 重要
importance.major = 重大
urgency.normal = 普通
urgency.urgent = 紧急
classification.public = 公开
classification.internal = 内部
classification.confidential = 机密
classification.secret = 绝密
state.draft = 草稿
state.pending_dept_head = 待部门负责人审核
state.pending_channel_review = 待渠道管理部审核
state.pending_executive = 待高管审批
state.approved = 已批准，待发送
state.dispatched = 已发送
state.rejected = 已驳回
state.returned = 已退回修改
state.withdrawn = 已撤回
step.dept_head = 部门负责人
step.channel_review = 渠道管理部
step.executive = 高管
step_status.approved = 已通过
step_status.returned = 已退回
step_status.rejected = 已驳回
step_status.current = 待审核
step_status.waiting = 未开始
decision.approve = 通过
decision.return = 退回修改
decision.reject = 驳回
review.at = 时间
review.step = 环节
review.reviewer = 审核人
review.decision = 结论
review.comment = 意见
receipts.title = 回执看板
receipts.total = 投递数
receipts.read = 已读
receipts.acknowledged = 已确认
receipts.unconfirmed = 未确认
receipts.overdue = 已逾期
receipts.filter_all = 全部
receipts.filter_unconfirmed = 未确认
receipts.export_csv = 导出未确认名单（CSV）
receipts.export_xlsx = 导出未确认名单（Excel）
receipts.partner = 伙伴
receipts.contact = 联系人
receipts.channel = 渠道
receipts.state = 状态
receipts.read_at = 阅读时间
receipts.acked_at = 确认时间
receipts.not_confirmed = 未确认
receipts.all_confirmed = 所有人均已确认。
receipts.none = 暂无投递记录。
receipts.held_back = 未发送（无有效保密协议）
delivery.queued = 待发送
delivery.in_inbox = 已送达收件箱
delivery.sent = 已发送
delivery.delivered = 已送达
delivery.failed = 发送失败
delivery.read = 已读
delivery.acknowledged = 已确认
inbox.title = 收件箱
inbox.unread = 条未读
inbox.to_confirm = 条待确认
inbox.to_confirm_short = 待确认
inbox.open = 打开收件箱
inbox.none = 暂无消息。
inbox.new = 新
inbox.confirmed = 已确认
inbox.confirmed_at = 已确认收到
inbox.late = 逾期确认
inbox.overdue = 已逾期
inbox.please_confirm = 请确认
inbox.due = 截止
inbox.confirm = 确认收到
inbox.ack_needed = 请确认您已收到并阅读本消息。
inbox.correction = 更正
inbox.corrected = 已更正
inbox.corrected_notice = 本消息已发出更正。
inbox.open_correction = 查看更正
inbox.corrects_notice = 本消息是对之前一条消息的更正。
inbox.open_original = 查看原消息
inbox.read_recorded = 打开消息即记录为已读。
action.request.create = 创建沟通申请
action.request.update = 修改沟通申请
action.request.submit = 提交沟通申请
action.request.withdraw = 撤回沟通申请
action.request.review = 审核沟通申请
action.message.dispatch = 发送消息
action.message.read = 阅读消息
action.message.ack = 确认收到
inbox.reply_title = 对本通知有疑问？
inbox.reply_hint = 您的问题将转给公司负责人处理。
inbox.reply_send = 发送问题
inbox.reply_sent = 问题已发送给负责人，答复后会通知您。
nav.threads = 伙伴提问
threads.title = 伙伴提问
threads.mine = 分配给我
threads.all = 全部
threads.none = 暂无提问。
thread.subject = 主题
thread.state = 状态
thread.assignee = 负责人
thread.first_answer = 首次答复用时
thread.state.open = 待答复
thread.state.answered = 已答复
thread.state.closed = 已关闭
thread.partner = 伙伴
thread.answer = 您的答复
thread.send = 发送答复
thread.close = 关闭问题

ack.confidential = 此消息为保密内容，请登录合作伙伴门户阅读并确认。
ack.login = 登录阅读
ack.thanks = 谢谢，您的回执已记录。
ack.portal_hint = 对此消息有疑问？
ack.open_portal = 在合作伙伴门户中打开
error.title.410 = 已失效
