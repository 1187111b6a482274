# Liaison 介面文字 — 繁體中文（台灣）。
# 每行一則：`key = 文字`。不支援預留位置與多行。鍵值需與 en 一致。

# 框架
app.name = Liaison 通路溝通
app.footer = 與通路夥伴的正式溝通皆透過 Liaison 進行並留存紀錄。
nav.console = 管理後台
nav.portal = 夥伴入口網站
nav.my_company = 我的公司
nav.partners = 通路夥伴
nav.segments = 受眾分群
nav.import = 匯入
nav.users = 使用者
nav.audit = 稽核紀錄
nav.logout = 登出
list.next = 下一頁

# 登入
login.title = 登入
login.intro = Liaison 是企業與經銷商、代理商、電商平台及實體門市等通路夥伴溝通協作的平台。
login.email = 電子郵件
login.password = 密碼
login.submit = 登入
login.demo = 示範帳號
login.failed = 電子郵件或密碼錯誤。
login.rate_limited = 嘗試次數過多，請稍候幾分鐘再試。

# 表單
form.save = 儲存
form.cancel = 取消
form.fix_errors = 請修正標示的欄位後再儲存。

# 夥伴清單
partners.title = 通路夥伴
partners.new = 新增夥伴
partners.export_csv = 匯出 CSV
partners.export_xlsx = 匯出 Excel
partners.search = 搜尋代碼、名稱、區域或標籤
partners.all_kinds = 所有類型
partners.all_regions = 所有區域
partners.all_tiers = 所有等級
partners.all_statuses = 所有狀態
partners.all_segments = 所有分群
partners.sort = 排序方式
partners.filter = 篩選
partners.clear = 清除
partners.none = 沒有符合條件的通路夥伴。

# 排序
sort.code = 依代碼
sort.name = 依名稱
sort.created = 最早建立
sort.-created = 最新建立

# 夥伴欄位
partner.code = 代碼
partner.name = 名稱
partner.kind = 類型
partner.region = 區域
partner.tier = 等級
partner.status = 狀態
partner.owner = 負責人
partner.timezone = 時區
hint.timezone = 例如 Asia/Taipei
partner.working_days = 工作日
hint.working_days = 1-5 代表週一至週五
partner.working_hours = 營業時間
hint.working_hours = 例如 09:00-18:00
partner.working = 營業時間
partner.tags = 標籤
hint.tags = 以逗號分隔
partner.notes = 備註
partner.contacts = 聯絡人
partner.edit = 編輯夥伴
partner.history = 異動紀錄

# 夥伴類型
kind.distributor = 經銷商
kind.agent = 代理商
kind.ecommerce = 電商平台
kind.store = 實體門市
kind.other = 其他

# 合作狀態
status.prospect = 潛在
status.active = 合作中
status.suspended = 已暫停
status.terminated = 已終止

# 聯絡人
contact.name = 姓名
contact.title = 職稱
contact.email = 電子郵件
contact.phone = 電話
contact.im_webhook = 群組機器人 Webhook 網址
contact.preferred_channels = 偏好管道
hint.preferred_channels = 以逗號分隔，例如 email, wecom, phone
contact.channels = 偏好管道
contact.lang = 語言
contact.add = 新增聯絡人
contact.save = 新增聯絡人
contact.edit = 編輯聯絡人
contact.delete = 刪除聯絡人
contact.delete_confirm = 確定要刪除這位聯絡人嗎？刪除後無法復原。
contact.none = 尚無聯絡人。

# 溝通管道
channel.portal = 夥伴入口網站
channel.email = 電子郵件
channel.wecom = 企業微信
channel.dingtalk = 釘釘
channel.feishu = 飛書
channel.slack = Slack
channel.webhook = Webhook
channel.phone = 電話

# 異動紀錄
history.none = 尚無異動紀錄。
history.system = 系統

# 稽核動作
action.partner.create = 新增夥伴
action.partner.update = 更新夥伴資料
action.partner.import_create = 匯入新增夥伴
action.partner.import_update = 匯入更新夥伴
action.contact.create = 新增聯絡人
action.contact.update = 更新聯絡人
action.contact.delete = 刪除聯絡人
action.contact.import_create = 匯入新增聯絡人
action.contact.import_update = 匯入更新聯絡人
action.segment.create = 新增分群
action.segment.update = 更新分群
action.segment.delete = 刪除分群
action.user.create = 新增使用者
action.department.create = 新增部門
action.department.set_head = 指派部門主管
action.auth.login = 登入
action.auth.logout = 登出
action.export = 匯出資料
action.demo.load = 載入示範資料
action.demo.generate = 產生示範資料

# 匯入
import.title = 匯入夥伴與聯絡人
import.intro = 請上傳 CSV（UTF-8 或 GBK 編碼）或 XLSX 檔案。系統依代碼比對：既有夥伴將更新資料，新代碼則新增。只要有任何一列資料有誤，就不會寫入任何資料。
import.what = 匯入項目
import.file = 檔案（CSV 或 XLSX）
import.dry_run = 僅檢查，不寫入
import.submit = 開始匯入
import.checked = 檢查通過，列數
import.done = 匯入完成
import.created = 新增
import.updated = 更新
import.failed = 未匯入任何資料，請修正下列問題後再試一次。
import.row = 列號
import.field = 欄位
import.problem = 問題
import.columns = 欄位說明
import.columns_hint = 欄位順序不拘，也接受簡體中文標題，例如 编码、名称、类型、区域、等级。

# 受眾分群
segments.title = 受眾分群
segments.intro = 分群是儲存起來的夥伴篩選條件，成員會隨夥伴資料異動自動更新。
segments.new = 新增分群
segments.delete = 刪除
segments.delete_confirm = 確定要刪除這個分群嗎？分群中的通路夥伴不受影響。
segments.none = 尚無分群。
segment.name = 名稱
segment.description = 說明
segment.filter = 篩選條件
segment.members = 夥伴數

# 使用者與角色
users.title = 使用者
users.departments = 部門
users.head = 主管
users.new = 新增使用者
user.name = 姓名
user.email = 電子郵件
user.password = 初始密碼（至少 10 個字元）
user.roles = 角色
user.department = 部門
user.partner = 所屬夥伴
role.admin = 系統管理員
role.channel_manager = 通路經理
role.dept_head = 部門主管
role.executive = 高階主管
role.staff = 一般員工
role.partner_user = 夥伴使用者

# 稽核紀錄
audit.title = 稽核紀錄
audit.intact = 雜湊鏈驗證通過，未發現竄改
audit.broken = 雜湊鏈驗證失敗，斷點紀錄
audit.at = 時間
audit.actor = 操作人員
audit.action = 動作
audit.detail = 詳細資料
audit.hash = 雜湊值
audit.partner = 檢視夥伴

# 夥伴入口網站
portal.welcome = 以下是我們登錄的貴公司資料，如有異動請告知您的通路經理。
portal.manager = 您的通路經理
portal.soon = 我們發送的訊息、待確認事項與問題都會顯示在這裡。

# 錯誤頁面
error.home = 回到首頁
error.title.400 = 請求有誤
error.title.401 = 請先登入
error.title.403 = 沒有存取權限
error.title.404 = 找不到頁面
error.title.409 = 資料衝突
error.title.413 = 檔案過大
error.title.422 = 輸入內容有誤
error.title.429 = 請求過於頻繁
error.title.500 = 伺服器錯誤
audit.verify = 驗證雜湊鏈

# 溝通閉環：溝通申請、審核、回條（管理後台）；收件匣與確認（夥伴入口網站）
nav.requests = 溝通申請
nav.inbox = 收件匣
requests.title = 通路溝通申請
requests.intro = 每一次對通路夥伴的溝通都從申請開始：經部門主管與通路管理部審核（重大或極機密事項另須高階主管核准）後發送，並全程留存紀錄。
requests.new = 新增申請
requests.tab.mine = 我的申請
requests.tab.to_review = 待我審核
requests.tab.all = 全部申請
requests.none = 目前沒有申請。
request.title = 標題
request.purpose = 溝通目的
request.body = 內文
request.body_source = Markdown 原文
request.category = 類別
request.importance = 重要程度
request.urgency = 緊急程度
request.classification = 機密等級
request.channels = 發送管道
request.audience = 對象
request.partners = 夥伴代碼
request.segments = 受眾分群
request.contacts = 指定聯絡人
request.ack = 回條確認
request.ack_required = 要求收件人確認收到
request.ack_due_at = 確認期限
request.ack_by = 需要確認，期限
request.no_ack = 無需確認
request.send_at = 排程發送
request.policy = 政策異動
request.effective_at = 生效時間
request.change_reason = 異動原因
request.impact = 對夥伴的影響
request.state = 狀態
request.requester = 申請人
request.created = 建立時間
request.submitted = 送出時間
request.updated = 最近更新
request.edit = 修改申請
request.form_intro = 通路溝通申請單。儲存後為草稿，僅本人可見；送出後進入審核流程。
request.save_draft = 儲存草稿
request.save_submit = 儲存並送出
request.submit = 送出審核
request.withdraw = 撤回
request.withdraw_confirm = 確定要撤回此申請嗎？撤回後將不會發送。
request.action_refused = 無法完成此操作：
request.attachments = 附件
request.chain = 審核流程
request.findings = 法遵預檢
request.no_findings = 法遵預檢未發現問題。
request.your_review = 我的審核
request.comment = 審核意見
request.history = 審核紀錄
request.no_reviews = 尚無審核意見。
hint.request.purpose = 說明為什麼要發給夥伴，以及希望對方做什麼。
hint.request.body = Markdown 格式。夥伴看到的是分段與換行；HTML 程式碼會原樣顯示為文字。
hint.request.importance = 重大事項另須高階主管核准。
hint.request.classification = 機密與極機密內容只會發送給簽有有效保密協議（NDA）的聯絡人；極機密內容另須高階主管核准。
hint.request.channels = 一律包含夥伴入口網站收件匣。
hint.request.partners = 多個夥伴代碼以逗號分隔，例如 SH-D001, BJ-D002。也可以（或改為）選擇受眾分群。
hint.request.send_at = 留空則核准後立即發送。
hint.request.times = 時間一律為北京時間（Asia/Shanghai，UTC+8）。
hint.request.policy = 類別為政策異動時必填：生效時間、異動原因與影響。提前不足 14 天通知者須經高階主管核准。
hint.request.comment = 退回或駁回時必須填寫意見；核准時可不填。
category.policy = 政策異動
category.product = 產品資訊
category.data = 資料蒐集
category.problem = 問題處理
category.meeting = 會議活動
category.other = 其他
importance.normal = 一般
importance.important = 重要
importance.major = 重大
urgency.normal = 普通
urgency.urgent = 緊急
classification.public = 公開
classification.internal = 內部
classification.confidential = 機密
classification.secret = 極機密
state.draft = 草稿
state.pending_dept_head = 待部門主管審核
state.pending_channel_review = 待通路管理部審核
state.pending_executive = 待高階主管核准
state.approved = 已核准，待發送
state.dispatched = 已發送
state.rejected = 已駁回
state.returned = 已退回修改
state.withdrawn = 已撤回
step.dept_head = 部門主管
step.channel_review = 通路管理部
step.executive = 高階主管
step_status.approved = 已核准
step_status.returned = 已退回
step_status.rejected = 已駁回
step_status.current = 待審核
step_status.waiting = 尚未開始
decision.approve = 核准
decision.return = 退回修改
decision.reject = 駁回
review.at = 時間
review.step = 關卡
review.reviewer = 審核人
review.decision = 結果
review.comment = 意見
receipts.title = 回條看板
receipts.total = 投遞數
receipts.read = 已讀
receipts.acknowledged = 已確認
receipts.unconfirmed = 未確認
receipts.overdue = 已逾期
receipts.filter_all = 全部
receipts.filter_unconfirmed = 未確認
receipts.export_csv = 匯出未確認名單（CSV）
receipts.export_xlsx = 匯出未確認名單（Excel）
receipts.partner = 夥伴
receipts.contact = 聯絡人
receipts.channel = 管道
receipts.state = 狀態
receipts.read_at = 閱讀時間
receipts.acked_at = 確認時間
receipts.not_confirmed = 未確認
receipts.all_confirmed = 所有人皆已確認。
receipts.none = 目前沒有投遞紀錄。
receipts.held_back = 未發送（無有效保密協議）
delivery.queued = 待發送
delivery.in_inbox = 已送達收件匣
delivery.sent = 已發送
delivery.delivered = 已送達
delivery.failed = 發送失敗
delivery.read = 已讀
delivery.acknowledged = 已確認
inbox.title = 收件匣
inbox.unread = 則未讀
inbox.to_confirm = 則待確認
inbox.to_confirm_short = 待確認
inbox.open = 開啟收件匣
inbox.none = 目前沒有訊息。
inbox.new = 新
inbox.confirmed = 已確認
inbox.confirmed_at = 已確認收到
inbox.late = 逾期確認
inbox.overdue = 已逾期
inbox.please_confirm = 請確認
inbox.due = 期限
inbox.confirm = 確認收到
inbox.ack_needed = 請確認您已收到並閱讀本訊息。
inbox.correction = 更正
inbox.corrected = 已更正
inbox.corrected_notice = 本訊息已發出更正。
inbox.open_correction = 查看更正
inbox.corrects_notice = 本訊息是對先前一則訊息的更正。
inbox.open_original = 查看原訊息
inbox.read_recorded = 開啟訊息即記錄為已讀。
action.request.create = 建立溝通申請
action.request.update = 修改溝通申請
action.request.submit = 送出溝通申請
action.request.withdraw = 撤回溝通申請
action.request.review = 審核溝通申請
action.message.dispatch = 發送訊息
action.message.read = 閱讀訊息
action.message.ack = 確認收到
inbox.reply_title = 對本通知有疑問？
inbox.reply_hint = 您的問題將轉交公司負責人處理。
inbox.reply_send = 送出問題
inbox.reply_sent = 問題已送出，回覆將另行通知您。
nav.threads = 夥伴提問
threads.title = 夥伴提問
threads.mine = 指派給我
threads.all = 全部
threads.none = 目前沒有提問。
thread.subject = 主旨
thread.state = 狀態
thread.assignee = 負責人
thread.first_answer = 首次回覆用時
thread.state.open = 待回覆
thread.state.answered = 已回覆
thread.state.closed = 已結案
thread.partner = 夥伴
thread.answer = 您的回覆
thread.send = 送出回覆
thread.close = 結案

ack.confidential = 此訊息為保密內容，請登入合作夥伴入口網站閱讀並確認。
ack.login = 登入閱讀
ack.thanks = 謝謝，您的回執已記錄。
ack.portal_hint = 對此訊息有疑問？
ack.open_portal = 在合作夥伴入口網站中開啟
error.title.410 = 已失效
