"""Issue 12's screens under axe-core (no serious or critical violation), in Chinese and English, at
360×740 (a phone) and 1366×768 (a laptop): the resident's intake page and private topic page, the
public announcement and results pages (with a comment and a comment hidden by staff, the
implementation and a supervision report), and the staff topic pages (the list, the dashboard, the
calendar, a new topic, and one topic's page when submitted, announced, and being implemented).
Each screen is saved as test-artifacts/screenshots/topic-<screen>-<lang>-<width>.png to be looked at.
The Chinese public pages are also scanned for Latin words (a code or an untranslated message)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import BrowserContext, Page

from meeting.topics.catalogue import DEFAULT_ENTRIES
from meeting.topics.decide import CHINA
from tests.browser.conftest import CJK_SCREEN_TEXT, LAPTOP, PHONE, axe_violations, first_admin, shot
from tests.server.harness import ADMIN_KEY

PASSWORD = "correct horse battery"
SIZES = (("360", PHONE), ("1366", LAPTOP))
# Latin words a Chinese public page may show: the other language's switch, file formats and sizes
# (the photo limits of the intake form); the URL under the QR code is removed before the scan.
ALLOWED_LATIN = {"English", "PDF", "Word", "zip", "JPEG", "PNG", "WebP", "MB"}


def latin(page: Page) -> list[str]:
    """Words in Latin letters on a Chinese screen (the URL printed under a QR code is not a word)."""
    found = []
    for text in page.evaluate(CJK_SCREEN_TEXT):
        for word in re.findall(r"[A-Za-z_]{2,}", re.sub(r"https?://\S+", "", text)):
            if word not in ALLOWED_LATIN:
                found.append(f"{word} in {text[:60]!r}")
    return found


def submit(page: Page, form_id: str) -> None:
    with page.expect_navigation():
        page.locator(f"#{form_id} button[type=submit]").click()


class Screens:
    """Opens each screen in each language and size, saves it, runs axe; collects every problem so
    one run names them all."""

    def __init__(self, server_url: str) -> None:
        self.url = server_url
        self.problems: list[str] = []
        self.count = 0

    def __call__(self, ctx: BrowserContext, path: str, name: str, public: bool = False) -> None:
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        try:
            for lang in ("zh", "en"):
                for width, size in SIZES:
                    page.set_viewport_size(size)
                    sep = "&" if "?" in path else "?"
                    response = page.goto(f"{self.url}{path}{sep}lang={lang}")
                    assert response is not None and response.status == 200, (path, response and response.status)
                    shot(page, f"topic-{name}-{lang}-{width}")
                    self.count += 1
                    where = f"{name} ({lang}, {width} px)"
                    for v in axe_violations(page):
                        self.problems.append(f"{where}: {v}")
                    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                    if overflow > 1:
                        self.problems.append(f"{where}: scrolls sideways by {overflow} px")
                    if public and lang == "zh":
                        for w in latin(page):
                            self.problems.append(f"{where}: Latin {w}")
            page.goto(f"{self.url}{path}{'&' if '?' in path else '?'}lang=zh")  # leave the cookie on Chinese
        finally:
            page.close()

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def test_topic_screens_pass_axe_in_both_languages_on_a_phone_and_a_laptop(browser, server, remotes):
    staff_ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    phone_ctx = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    screens = Screens(server.url)
    try:
        staff = staff_ctx.new_page()
        staff.set_default_timeout(15_000)
        phone = phone_ctx.new_page()
        phone.set_default_timeout(15_000)
        first_admin(staff, server.url, ADMIN_KEY, PASSWORD)
        staff.goto(f"{server.url}/staff/topics")
        intake = staff.locator("#intake-link").get_attribute("href")
        intake_path = re.sub(r"^https?://[^/]+", "", intake)

        # the resident's intake page, then a proposal and the proposer's private page
        screens(phone_ctx, intake_path, "propose", public=True)
        phone.goto(server.url + intake_path)
        form = phone.locator("#propose")
        form.locator("input[name=name]").fill("王阿姨")
        form.locator("input[name=contact]").fill("13912340000")
        form.locator("input[name=building]").fill("3幢")
        form.locator("input[name=category][value=building]").check()
        form.locator("input[name=title]").fill("3幢加装电梯")
        form.locator("textarea[name=description]").fill("3幢老人多，希望加装电梯，费用如何分摊需要大家商量。")
        with phone.expect_navigation():
            form.locator("button[type=submit]").click()
        mine = re.sub(r"\?.*$", "", phone.url.replace(server.url, ""))
        screens(phone_ctx, mine, "mine", public=True)

        # the staff pages around it
        screens(staff_ctx, "/staff/topics", "staff-list")
        screens(staff_ctx, "/staff/topics/new", "staff-new")
        staff.goto(f"{server.url}/staff/topics")
        href = staff.locator("a[href^='/staff/topics/']", has_text="3幢加装电梯").first.get_attribute("href")
        screens(staff_ctx, href, "staff-detail-submitted")

        staff.goto(server.url + href)
        review = staff.locator("#form-review")
        review.locator("select[name=matter]").select_option(DEFAULT_ENTRIES[0])
        for name in ("scope", "feasible"):
            review.locator(f"input[name={name}]").check()
        review.locator("input[name=decision][value=approved]").check()
        review.locator("select[name=track]").select_option("in_depth")
        review.locator("input[name=convener]").fill("李书记")
        review.locator("input[name=recorder]").fill("小张")
        review.locator("input[name=guide]").fill("街道老陈")
        submit(staff, "form-review")
        plan = staff.locator("#form-draft_plan")
        when = (datetime.now(CHINA) + timedelta(days=3)).strftime("%Y-%m-%dT19:00")
        plan.locator("input[name=scheduled_at]").fill(when)
        plan.locator("input[name=place]").fill("社区议事厅")
        plan.locator("input[name=moderator]").fill("李书记")
        plan.locator("input[name=recorder]").fill("小张")
        plan.locator("textarea[name=participants]").fill(
            "王阿姨, 议题提出人, 无手机\n赵师傅, 利益相关方, 无手机\n钱老师, 利益相关方, 无手机\n林监督, 监督员")
        plan.locator("textarea[name=items]").fill("是否加装电梯")
        submit(staff, "form-draft_plan")
        submit(staff, "form-approve_plan")
        submit(staff, "form-announce")
        screens(staff_ctx, href, "staff-detail-announced")
        announcement = staff.locator("#public-links a[data-link=announcement]").get_attribute("href")
        screens(phone_ctx, announcement, "announcement", public=True)

        # the meeting, held quickly over the protocol
        mod = remotes(staff.locator("#meeting-links a[data-role=moderator]").get_attribute("href").split("/j/")[1])
        rec = remotes(staff.locator("#meeting-links a[data-role=recorder]").get_attribute("href").split("/j/")[1])
        for pid in ("p1", "p2", "p3"):
            rec("sign_in", person=pid)
        mod("present_rules")
        mod("open_vote", kind="rules", mode="hands")
        rec("enter_hand_count", choice="yes", count=3)
        rec("enter_hand_count", choice="no", count=0)
        mod("close_vote")
        mod("declare_open")
        mod("begin_item", item=0)
        mod("open_vote", kind="item", mode="hands")
        rec("enter_hand_count", choice="yes", count=2)
        rec("enter_hand_count", choice="no", count=1)
        mod("close_vote")
        mod("declare_outcome", item=0, outcome="a", what="向区住建局申报加装电梯", who="社区居委会",
            by_when="2027-03-31")
        mod("end_meeting")
        staff.goto(server.url + href)
        submit(staff, "form-record_outcome")
        results = staff.locator("#public-links a[data-link=results]").get_attribute("href")
        for text in ("支持，希望尽快施工", "某某收了好处费"):
            phone.goto(server.url + results)
            phone.locator("#c-text").fill(text)
            with phone.expect_navigation():
                phone.get_by_test_id("comment-submit").click()
        staff.reload()
        staff.locator("#comments li[data-comment='2'] details.hide summary").click()
        staff.locator("#form-hide_comment-2 input[name=reason]").fill("未经核实的指控")
        submit(staff, "form-hide_comment-2")
        staff.locator("#form-set_implementation select[name=kind]").select_option("community")
        submit(staff, "form-set_implementation")
        task = staff.locator("#form-add_task")
        task.locator("input[name=title]").fill("委托设计单位出图")
        task.locator("input[name=owner]").fill("李书记")
        task.locator("input[name=due]").fill("2027-01-15")
        submit(staff, "form-add_task")
        report = staff.locator("#form-add_report")
        report.locator("textarea[name=progress]").fill("设计单位已进场测量")
        report.locator("textarea[name=problems]").fill("一楼住户担心采光")
        report.locator("input[name=money]").fill("80000")
        report.locator("input[name=labour]").fill("12")
        submit(staff, "form-add_report")
        screens(staff_ctx, href, "staff-detail-implementing")
        screens(phone_ctx, results, "results", public=True)
        screens(phone_ctx, announcement, "announcement-after", public=True)
        screens(staff_ctx, "/staff/topics/dashboard", "staff-dashboard")
        screens(staff_ctx, "/staff/topics/calendar", "staff-calendar")
        assert screens.count == 12 * 4
        screens.check()
    finally:
        staff_ctx.close()
        phone_ctx.close()
