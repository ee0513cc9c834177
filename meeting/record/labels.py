"""Every piece of Chinese text of the official record (《城乡社区协商活动记录表》), in one place.

The record is an official Chinese document, so its labels are literal Chinese here and nowhere
else in ``meeting/record``. The renderers (docx, pdf/html, markdown) only lay these out. The texts
of the engine's enum values (categories, channels, choices, outcome classes...) are not here but in
the one catalog every screen shares (``meeting/labels.py``, in Chinese: ``enums("zh")``); the names
below are views of it.
"""
from __future__ import annotations

from ..labels import enums

ENUMS = enums("zh")

TITLE = "城乡社区协商活动记录表"
SUBTITLE_SOURCE = "（依据温州市《城乡社区协商操作规程》表B.3、金华市《城乡社区议事协商记录表》附件2）"
DRAFT_MARK = "（会议尚未结束，本表为草稿）"

# ---- header fields ----
F_TOPIC = "协商议题"
F_DESCRIPTION = "议题说明"
F_ITEMS = "协商事项"
F_TIME = "协商时间"
F_SCHEDULED = "计划时间"
F_PLACE = "协商地点"
F_FORM = "协商方式"  # 附件2 的用语（表B.3：协商形式）
F_TRACK = "议事类型"
F_MODERATOR = "主持人"
F_RECORDER = "记录人"
F_SUPERVISORS = "监督员"
F_PARTICIPANTS = "协商主体"
F_MEETING_ID = "会议编号"
F_PREVIOUS = "前次协商"
F_RULES = "议事规则"

FORMS = ENUMS["form"]
TRACKS = ENUMS["track"]

TIME_RANGE = "{start} 至 {end}"
TIME_UNTIL_NOW = "{start} 起（尚未结束）"
NOT_STARTED = "（无签到记录）"
BLANK = "—"
NONE = "无"

# ---- people ----
CATEGORIES = ENUMS["category"]
CATEGORY_ORDER = ("proposer", "stakeholder", "expert", "department", "supervisor", "guide", "observer")
CHANNELS = ENUMS["channel"]
PRESENT = "出席"
ABSENT = "缺席"
LEFT_AT = "{time} 离场"
VOTES_YES = "有"
VOTES_NO = "无"
CATEGORY_SUMMARY = "{category}：应到 {registered} 人，实到 {present} 人"
ATTENDANCE_ALL = "出席情况：协商主体应到 {registered} 人，实到 {present} 人。"
ATTENDANCE_VOTERS = ("有表决权的利益相关方应到 {registered} 人，实到 {present} 人，"
                     "{verdict}应到人数的 {num}/{den}（{needed} 人）。")
ATTENDANCE_MET = "达到"
ATTENDANCE_NOT_MET = "未达到"

ROSTER_HEAD = ("序号", "姓名", "身份", "表决权", "出席情况", "签到方式", "签到时间")

# ---- rules of procedure ----
RULES_SUMMARY = ("每人每次发言不超过 {limit}，每人每项发言不超过 {cap} 次；"
                 "议事规则通过比例：{adoption}；事项表决通过比例：{substantive}；{ballot}")
BALLOTS = ENUMS["ballot"]
RULES_NOT_ADOPTED = "议事规则未获通过"

# ---- the process ----
SECTION_PROCESS = "协商过程"
PROCESS_HEAD = ("序号", "时间", "环节", "人员", "身份", "立场", "时长", "超时", "内容")
STEP_RULES_PRESENTED = "公布议事规则（草案）"
STEP_RULES_AMENDED = "修改议事规则（草案）"
STEP_RULES_VOTE = "议事规则表决"
STEP_OPENED = "宣布协商正式开始"
STEP_ITEM = "第{n}项开始协商"
STEP_EXPLANATION = "议题说明"
STEP_DEBATE = "发言"
STEP_EXPERT = "专家论证/解答"
STEP_NOTE = "记录人备注"
STEP_ORDER = "制止"
STEP_ITEM_VOTE = "第{n}项表决"
STEP_VOTE_ABANDONED = "表决中止"
STEP_OUTCOME = "第{n}项协商结果"
STEP_ESCALATED = "上升为重大决策事项"
STEP_SIGNED_OUT = "离场"
STEP_ENDED = "会议结束"
SPEECH_KINDS = ENUMS["speech_kind"]
STANCES = ENUMS["stance"]
YES = "是"
NO = "否"
NO_SUMMARY = "（记录人未填写摘要）"
SPEAKING_NOW = "正在发言"
DEPARTURE = "未按推荐顺序给予发言权（推荐：{recommended}；理由：{reason}）"
PAUSED = "计时暂停共 {duration}"
ENDED_BY = ENUMS["end_reason"]
NOTE_KINDS = ENUMS["note_kind"]
ORDER_REASONS = ENUMS["order_reason"]
ORDER_TEXT = "制止理由：{reason}"
VOTE_REF = "见表决情况第 {n} 次：{result}"
ABANDONED_TEXT = "表决因议题上升为重大决策事项而中止"
DURATION = "{m}分{s:02d}秒"
SECTION_DEPARTURES = "未按推荐顺序给予发言权的情况"
SECTION_ORDERS = "制止情况"
SECTION_NOTES = "专家意见与记录人备注"

# ---- votes ----
SECTION_VOTES = "协商表决"
CHOICES = ENUMS["choice"]
VOTES_HEAD = ("次序", "表决事项", "表决方式", "表决基数", "登记人数", "表决人数", CHOICES["yes"], CHOICES["no"],
              CHOICES["abstain"], CHOICES["not_voting"], "通过条件", "结果")
VOTE_KIND_RULES = ENUMS["vote_kind"]["rules"]
VOTE_KIND_ITEM = "第{n}项：{title}"
VOTE_MODES = ENUMS["vote_mode"]
COUNT_PERCENT = "{count}\n{percent}"
THRESHOLD_INCLUSIVE = "赞成达到表决基数的 {num}/{den} 以上（含本数），至少 {needed} 人"
THRESHOLD_EXCLUSIVE = "赞成超过表决基数的 {num}/{den}，至少 {needed} 人"
PASSED = "通过"
NOT_PASSED = "未通过"
ABANDONED = "中止"
BASE_NOTE = (
    "表决基数为表决开始时已签到、有表决权的利益相关方人数（不含非涉利益相关人员、辖区职能部门及专业技术指导人员）；"
    "登记人数为名单上有表决权的利益相关方人数；表决人数为以手机或举手参加表决（赞成、反对、弃权）的人数。"
    "赞成、反对、弃权、未表决人数的比例均以表决基数为分母，保留一位小数。"
)
HANDS_COUNT = "举手表决（只计人数）：{counts}"
NO_VOTES = "（无表决）"
VOTE_OPEN = "表决进行中"
SECTION_POLL_BOOK = "手机投票名单"
POLL_BOOK_HEAD = "第 {n} 次（{subject}，{ballot}）："
POLL_BOOK_VOTERS = "已投票 {count} 人：{names}"
POLL_BOOK_NAMED = "已投票 {count} 人，{choices}"

# ---- outcomes ----
SECTION_OUTCOMES = "协商结果"
OUTCOME_CLASSES = {k: f"{k}. {name}——{ENUMS['outcome_meaning'][k]}" for k, name in ENUMS["outcome"].items()}
OUTCOME_ITEM = "第{n}项 {title}"
OUTCOME_NONE = "未宣布结果"
D_WHAT = "落实意见"
D_WHO = "落实责任人"
D_BY_WHEN = "完成时限"
D_WHEN = "再次协商时机"
D_TERMS = "再次协商要求"
D_NOTE = "说明"
D_SUPERVISION = "如何监督落实"
FILL_IN = "________________________________"
OUTCOME_DETAIL_LABELS = {
    "what": D_WHAT,
    "who": D_WHO,
    "by_when": D_BY_WHEN,
    "when": D_WHEN,
    "terms": D_TERMS,
    "note": D_NOTE,
    "supervision": D_SUPERVISION,
}
ESCALATION = "主持人认定议题涉及本社区（村）大部分群众利益，上升为重大决策事项（{time}）：{reason}"
DECLARED_AT = "宣布时间"

# ---- signatures ----
SECTION_SIGNATURES = "签字"
SIGN_ROLES = {r: ENUMS["role"][r] for r in ("moderator", "recorder", "supervisor")}
SIGN_ORDER = ("recorder", "moderator", "supervisor")
SIGNED = "{name}（已于 {time} 在系统中签字确认）"
NOT_SIGNED = "{name}（未在系统中签字确认）"
INK = "签字：________________    日期：______年____月____日"

# ---- deadlines ----
SECTION_DEADLINES = "备案与结果传达"
DL_FILED = "报居（村）务监督委员会备案（协商结果确定当日或次日，依据《城乡社区协商操作规程》）"
DL_COMMUNICATED = "向利益相关方传达协商结果（确定后两日内，依据《城乡社区协商操作规程》）"
DL_DUE = "期限：{date}"
DL_DONE = "{time} 完成"
DL_ON_TIME = "按时"
DL_LATE = "逾期 {days} 天"
DL_NOT_YET = "尚未办理"
DL_NOT_YET_OVERDUE = "尚未办理，已逾期"
DL_NOT_ENDED = "会议结束后计算"
DL_HOW = "方式：{how}"
DL_NOTE_RULE = (
    "计日方法：协商结果确定日为会议结束当日；备案期限为次日，传达期限为其后第二日（按自然日计算，开始当日不计入），"
    "期限最后一日为休息日或法定节假日的，顺延至其后第一个工作日（参照《民法典》第二百零一条、第二百零三条；"
    "工作日以国务院办公厅公布的节假日安排为准，含调休上班日）。"
)
DL_NOTE_FALLBACK = "注意：{years}年的法定节假日安排尚未收录，上述期限仅按周六、周日为休息日推算，请人工核对。"
WEEKDAYS = "一二三四五六日"
DATETIME = "{y}年{m}月{d}日 {hm}"  # the one date-time format of the record
DAY = "{y}年{m}月{d}日"
DATE = "{y}年{m}月{d}日（周{w}）"

# ---- integrity ----
SECTION_INTEGRITY = "记录校验"
INT_CHECKPOINT = "校验点：会议编号 {meeting}，事件 {count} 件，最后一件事件的哈希（SHA-256）："
INT_EVENTS = "事件数"
INT_STATUS = "哈希链校验"
INT_OK = "完整"
INT_BROKEN = "异常：{message}"
INT_UNKNOWN = "未校验（无哈希）"
INT_SIGNATURE = "本系统服务器对上述校验点的签名（Ed25519）："
INT_KEY = "服务器公钥：{key}（指纹 {fingerprint}），公布于 {url}"
INT_KEY_URL = "本系统网址 /record-key"
INT_UNSIGNED = "服务器签名：导出本表时生成"
INT_QR = "二维码内容即上述校验点、签名与公钥（校验码文本）。"
INT_HOW = ("核对方法：向本系统索取本次会议的事件日志，核对其第 {count} 件事件的哈希与上述哈希一致、"
           "签名用上述公钥验证有效、公钥与本系统公布的一致；其后记录的备案、传达等事件不影响核对结果。"
           "任何一件事件被修改、删除、插入或调换顺序，该哈希即不一致。")
