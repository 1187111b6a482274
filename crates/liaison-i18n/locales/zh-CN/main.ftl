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
