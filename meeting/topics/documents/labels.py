"""Every piece of Chinese text of the topic's documents (000 §6: the five records of a topic).

The documents are official Chinese documents, so their labels are literal Chinese here and nowhere
else in ``meeting/topics/documents``; the renderers only lay them out. Enum texts shared with the
screens (roster categories, forms, tracks, outcome classes) come from ``meeting/labels.py``.
"""
from __future__ import annotations

from ...labels import enums

ENUMS = enums("zh")
CATEGORIES = ENUMS["category"]
FORMS = ENUMS["form"]
TRACKS = ENUMS["track"]

BLANK = "——"
YES, NO = "是", "否"
FILL_IN = "（待填写）"

# ---- the five records (000 §6) ---------------------------------------------------------------
INTAKE_TITLE = "协商议题建议和审核表"
INTAKE_SOURCE = "（依据温州市《城乡社区协商操作规程》5(1)③、5(2)及表B.1）"
PLAN_TITLE = "议事方案确定记录"
PLAN_SOURCE = "（依据温州市《城乡社区协商操作规程》5(3)、5(5)）"
NOTICE_TITLE = "协商事宜公告"
NOTICE_SOURCE = "（依据温州市《城乡社区协商操作规程》5(4)及图B.2）"
RECORD_TITLE = "城乡社区协商活动记录表"
REPORT_TITLE = "协商结果落实情况报告"
REPORT_SOURCE = "（依据温州市《城乡社区协商操作规程》5(8)④）"
KINDS = {  # document kind -> (number in 000 §6, title); the archive and the downloads use these
    "intake": (1, INTAKE_TITLE),
    "plan": (2, PLAN_TITLE),
    "notice": (3, NOTICE_TITLE),
    "record": (4, RECORD_TITLE),
    "report": (5, REPORT_TITLE),
}
NOT_YET = "（本阶段尚未完成，本表为草稿）"
PUBLIC_COPY = "（公示件：已隐去联系方式）"

# ---- intake and review ----
F_COMMUNITY = "社区（村）"
F_NUMBER = "议题编号"
F_SUBMITTED = "提出时间"
F_CHANNEL = "提出方式"
F_CATEGORY = "议题类别（表1）"
F_TITLE = "议题名称"
F_DESCRIPTION = "议题内容"
F_PROPOSER = "提出人（主体）"
F_BUILDING = "楼栋/单位"
F_CONTACT = "联系方式"
F_PHOTOS = "附件照片"
F_ENTERED_BY = "登记人"
SECTION_REVIEW = "审核意见"
F_REVIEWED = "审核时间"
F_REVIEWER = "审核人（会议）"
F_CRITERIA = "审核要点"
CRITERIA = (
    ("in_catalogue", "事项性质：属于《城乡社区协商事项目录》中的事项"),
    ("affects_most", "涉及范围：影响本社区（村）绝大部分居（村）民"),
    ("feasible", "可行性：具备合理性、可操作性"),
)
MATTER = "　　目录事项：{matter}"
F_DECISION = "审核结果"
DECISIONS = {"approved": "通过，列入协商", "rejected": "不予协商", "pending": "待审核"}
F_REJECT = "不予协商理由"
FIVE_NOT = {  # 004 四(二) 五不议 (meeting/topics/decide.py FIVE_NO)
    "five_no_law": "涉及党的政策、国家相关法律法规有明文规定的事项",
    "five_no_superior": "上级党委、政府有明确要求的事项",
    "five_no_voted": "经村（居）民（代表）会议表决通过的事项",
    "five_no_unfair": "明显不公平、有悖于本地长远规划与公序良俗的事项",
    "five_no_private": "属于个体矛盾、双方纠纷的事项",
    "other": "其他理由",
}
F_TRACK = "议事类型"
F_CONVENER = "协商召集人"
F_RECORDER = "协商记录人"
F_GUIDE = "协商指导人"
F_TOLD = "告知提出人"
TOLD = "{time} 已在议题页面告知"
CHANNELS = {"qr": "居民扫码/链接提交", "online": "居民线上提交", "phone": "电话（工作人员登记）",
            "in_person": "来访（工作人员登记）", "staff": "工作人员登记（电话或来访）",
            "reconsult": "再次协商（由上一轮转入）"}
F_PREVIOUS = "前次协商"
PREVIOUS = "议题 {number}（会议 {meeting}）"
TOPIC_CATEGORIES = {  # 000 表1 (meeting/topics/decide.py CATEGORIES)
    "resident": "社区（村）与居（村）民之间的协商事项",
    "building": "楼宇（小区、村民小组、自然村）的协商事项",
    "organisation": "社区（村）与其他组织之间的协商事项",
    "government": "社区（村）与政府部门之间的协商事项",
    "internal": "社区（村）内部之间的协商事项",
}

# ---- plan ----
F_SETTLED = "方案确定时间"
F_TIME = "协商时间"
F_PLACE = "协商地点"
F_FORM = "协商形式"
F_MODERATOR = "主持人"
F_SUPERVISORS = "监督员"
F_ITEMS = "协商事项"
F_PARTICIPANTS = "参与协商人员"
PARTICIPANTS_HEAD = ("序号", "姓名", "类别", "楼栋/单位")
F_RULES = "议事规则（草案）"
F_MEETING = "会议编号"
F_DEADLINES = "时限执行情况"
DEADLINE_KINDS = {
    "announce": "发布公告（协商前）",
    "settle": "确定协商事宜（审核通过后 10 个工作日内）",
    "consult": "开展协商（审核通过后 15 个工作日内）",
    "file": "记录表备案（当日或次日）",
    "communicate": "传达协商结果（两日内）",
    "implement": "简单事项办结（30 个工作日内）",
    "task": "任务：{title}",
}
DEADLINE_STATUS = {
    "on_time": "{done} 完成，按时",
    "late": "{done} 完成，逾期 {days} 天",
    "due": "尚未完成，剩余 {days} 天",
    "overdue": "尚未完成，已逾期 {days} 天",
}
DEADLINE_LINE = "{kind}：应于 {due} 前；{status}"
DEADLINE_UNKNOWN = "（{years} 年的节假日安排未知，按周一至周五为工作日计算，请人工核对）"

# ---- notice ----
NOTICE_OPENING = "为做好本次城乡社区协商工作，现将协商事宜公告如下："
NOTICE_CLOSING = "欢迎居（村）民关注并参与。对协商事宜有意见或建议的，请在协商活动前向居（村）民委员会反映。"
NOTICE_QR = "扫描二维码查看公告网页"
NOTICE_ATTACHMENT = "附件：协商议题建议和审核表"
NOTICE_ISSUER = "{community}居（村）民委员会"
F_CONVENER_MODERATOR = "召集人（主持人）"
F_PUBLISHED = "发布时间"
F_ANNOUNCE_CHANNELS = "公告方式"
ANNOUNCE_CHANNELS = {"board": "公告栏", "wechat": "微信群", "online": "网站/公众号", "broadcast": "广播"}  # 000 表3
NOT_PUBLISHED = "（尚未发布）"

# ---- implementation report ----
F_OUTCOME = "协商结果"
F_RESULTS_PUBLISHED = "结果公示"
RESULTS_PUBLISHED = "{time} 发布，公示期至 {until}"
RESULTS_FINAL = "{time} 公示期满，结果确定"
F_COMMENTS = "公示期意见"
COMMENTS_NONE = "公示期内未收到意见"
COMMENT_LINE = "{time} {name}：{text}"
COMMENT_HIDDEN_LINE = "{time} 该条意见已由工作人员隐藏（理由：{reason}）"
COMMENTS_COUNT = "共收到意见 {total} 条，其中 {hidden} 条已由工作人员隐藏（原文留存于议题事件日志）"
F_IMPLEMENTER = "落实主体"
IMPLEMENTERS = {
    "community": "社区（村）党组织、居（村）民委员会组织实施",
    "other": "其他利益相关方落实（社区协调督促）",
    "reported_up": "受委托事项，向乡镇（街道）或有关部门报告",
}
F_TASKS = "落实任务"
TASKS_HEAD = ("序号", "任务", "责任人", "完成时限", "进展", "完成时间")
TASK_OPEN = "进行中"
F_REPORTS = "落实进度报告（居务监督委员会）"
REPORTS_HEAD = ("报告时间", "报告人", "进度", "问题", "影响", "筹资", "筹劳")
F_DONE = "办结"
F_ESCALATED = "上升为重大决策事项"
ESCALATED = "已移交“五议两公开”民主决策程序"
F_RECONSULT = "再次协商"
RECONSULT = "已另立议题 {number} 再次协商"
F_SIGN = "签字"
SIGN_LINES = ("居务监督委员会（签字）：____________　　日期：____________",
              "居（村）民委员会（盖章）：____________　　日期：____________")
PLAN_SIGN = ("协商召集人（签字）：____________　　日期：____________",)
INTAKE_SIGN = ("两委联席会议（签字）：____________　　日期：____________",)

# ---- archive ----
ARCHIVE_README = "议题档案"
MANIFEST_NOTE = "每个文件的 SHA-256 摘要；在本目录中用 sha256sum -c manifest.sha256 核对。"
MISSING_RECORD = "会议尚未结束或尚未创建，《城乡社区协商活动记录表》暂缺"
MISSING_NOT_YET = "议题尚未进行到该环节，《{title}》暂缺"
