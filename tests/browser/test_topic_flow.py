"""One topic, the whole way round (issue 12), in Debian's headless Chromium against a real server:
a resident proposes it from a phone through the community's link; staff (logged in) review it,
plan the meeting, approve the plan (which creates the live meeting) and publish the announcement;
the announcement's public page opens on a phone; the live meeting is held quickly over the
protocol (moderator and recorder connections: sign-in by the recorder, show-of-hands votes);
the meeting's record downloads; staff take the outcome from the record; a resident comments on
the public results page from a phone; staff set the implementation, a task and the supervision
report; staff hide a comment with a reason; the archive zip holds the five records in Word and PDF
with a manifest whose hashes hold. The public pages, the records and the archive are reached by the
links the staff topic page gives, not by typed URLs.

Screenshots: test-artifacts/screenshots/topic-*.png."""
from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import zipfile
from datetime import datetime, timedelta

import docx
from playwright.sync_api import Page, expect

from meeting.topics.catalogue import DEFAULT_ENTRIES
from meeting.topics.decide import CHINA
from tests.browser.conftest import LAPTOP, PHONE, SHOTS, first_admin, shot
from tests.server.harness import ADMIN_KEY

PASSWORD = "correct horse battery"
CONTACT = "13912340000"


def submit(page: Page, form_id: str) -> None:
    with page.expect_navigation():
        page.locator(f"#{form_id} button[type=submit]").click()


def test_a_topic_from_a_phone_to_the_archive(browser, server, remotes, tmp_path):
    staff_ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    phone_ctx = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    try:
        staff = staff_ctx.new_page()
        staff.set_default_timeout(15_000)
        phone = phone_ctx.new_page()
        phone.set_default_timeout(15_000)

        # ---- the community and its first admin (the admin key only bootstraps) ----
        first_admin(staff, server.url, ADMIN_KEY, PASSWORD)
        # a community worker finds the topics from /admin (and /admin from the topics)
        with staff.expect_navigation():
            staff.get_by_test_id("admin-topics-link").click()
        assert staff.url.rstrip("/").endswith("/staff/topics")
        assert staff.locator("header nav a[href='/admin']").count() == 1
        intake_link = staff.locator("#intake-link").get_attribute("href")
        assert intake_link and "/propose" in intake_link

        # ---- 1. a resident proposes the topic from a phone ----
        phone.goto(intake_link if intake_link.startswith("http") else server.url + intake_link)
        form = phone.locator("#propose")
        form.locator("input[name=name]").fill("王阿姨")
        form.locator("input[name=contact]").fill(CONTACT)
        form.locator("input[name=building]").fill("3幢")
        form.locator("input[name=category][value=building]").check()
        form.locator("input[name=title]").fill("3幢加装电梯")
        form.locator("textarea[name=description]").fill("3幢老人多，希望加装电梯，费用如何分摊需要大家商量。")
        shot(phone, "topic-1-propose-phone")
        with phone.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "/t/" in phone.url
        assert "3幢加装电梯" in phone.content()

        # ---- 2. review, 3. planning, approval (creates the meeting), 5. announcement ----
        staff.goto(f"{server.url}/staff/topics")
        href = staff.locator("a[href^='/staff/topics/']", has_text="3幢加装电梯").first.get_attribute("href")
        topic_id = href.rstrip("/").split("/")[-1]
        staff.goto(server.url + href)
        review = staff.locator("#form-review")
        review.locator("select[name=matter]").select_option(DEFAULT_ENTRIES[0])  # the community's catalogue
        for name in ("scope", "feasible"):
            review.locator(f"input[name={name}]").check()
        review.locator("input[name=decision][value=approved]").check()
        review.locator("select[name=track]").select_option("in_depth")
        review.locator("input[name=convener]").fill("李书记")
        review.locator("input[name=recorder]").fill("小张")
        review.locator("input[name=guide]").fill("街道老陈")
        submit(staff, "form-review")
        when = (datetime.now(CHINA) + timedelta(days=3)).strftime("%Y-%m-%dT19:00")
        plan = staff.locator("#form-draft_plan")
        plan.locator("input[name=scheduled_at]").fill(when)
        plan.locator("input[name=place]").fill("社区议事厅")
        plan.locator("select[name=form]").select_option("onsite")
        plan.locator("input[name=moderator]").fill("李书记")
        plan.locator("input[name=recorder]").fill("小张")
        plan.locator("textarea[name=participants]").fill(
            "王阿姨, 议题提出人, 无手机\n赵师傅, 利益相关方, 无手机\n钱老师, 利益相关方, 无手机\n林监督, 监督员")
        plan.locator("textarea[name=items]").fill("是否加装电梯")
        submit(staff, "form-draft_plan")
        submit(staff, "form-approve_plan")
        submit(staff, "form-announce")
        assert staff.locator("#status").get_attribute("data-status") == "announced"
        moderator = staff.locator("#meeting-links a[data-role=moderator]").get_attribute("href")
        recorder = staff.locator("#meeting-links a[data-role=recorder]").get_attribute("href")
        shot(staff, "topic-2-staff-announced")

        # the meeting the plan created is the community's: its /admin page (every join link, the
        # join sheet) from the topic page, and the /admin list; the moderator's screen opens with
        # the plan's roster
        with staff.expect_navigation():
            staff.locator("#meeting-links a[data-role=all]").click()
        meeting_id = staff.url.rstrip("/").rsplit("/", 1)[1]
        assert meeting_id == f"{topic_id}r1"
        assert staff.get_by_test_id("admin-link-moderator").get_attribute("href").endswith(moderator)
        assert staff.get_by_test_id("admin-sheet").count() == 1
        staff.goto(f"{server.url}/admin")
        assert "3幢加装电梯" in staff.get_by_test_id("admin-meetings").inner_text()
        screen = staff_ctx.new_page()
        screen.set_default_timeout(15_000)
        screen.goto(server.url + moderator)
        expect(screen.locator("#conn")).to_have_attribute("data-state", "online")
        expect(screen.get_by_test_id("roster")).to_contain_text("赵师傅")
        screen.close()
        staff.goto(server.url + href)

        # ---- the public announcement, on a phone: the link the staff page gives ----
        assert staff.locator("#record-links li[data-kind=record]").get_attribute("data-ready") == "0"
        assert staff.locator("#public-links a[data-link=results]").count() == 0
        announcement = staff.locator("#public-links a[data-link=announcement]").get_attribute("href")
        assert announcement == f"/p/{topic_id}"
        phone.goto(server.url + announcement)
        text = phone.locator("main").inner_text()
        for s in ("3幢加装电梯", "社区议事厅", "李书记", "小张", "赵师傅", "钱老师", "协商议题建议和审核表"):
            assert s in text, s
        assert CONTACT not in phone.content() and "admin:" not in phone.content()
        assert "王主任" in text  # who reviewed, by name (an event records the account id)
        assert phone.locator("[data-testid=pub-qr] svg").count() == 1
        shot(phone, "topic-3-announcement-phone")
        notice = phone.request.get(phone.get_by_test_id("notice-pdf").get_attribute("href"))
        assert notice.ok and notice.body().startswith(b"%PDF")
        (tmp_path / "notice.pdf").write_bytes(notice.body())
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(tmp_path / "notice.pdf"),
                        str(SHOTS / "topic-4-notice-a4")], check=True)

        # ---- the live meeting, held quickly over the protocol ----
        mod = remotes(moderator.rstrip("/").split("/j/")[1])
        rec = remotes(recorder.rstrip("/").split("/j/")[1])
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
        staff.reload()  # the meeting has ended: the staff page now links its record
        record_link = staff.locator("#record-links li[data-kind=record] a[data-fmt=pdf]")
        record = staff.request.get(server.url + record_link.get_attribute("href"))
        assert record.ok and record.body().startswith(b"%PDF")

        # ---- 6. the outcome from the record; the public results page; a resident's comment ----
        staff.goto(server.url + href)
        submit(staff, "form-record_outcome")
        assert staff.locator("#outcome li[data-outcome=a]").count() == 1
        results = staff.locator("#public-links a[data-link=results]").get_attribute("href")
        phone.goto(server.url + results)
        assert "向区住建局申报加装电梯" in phone.locator("[data-testid=pub-outcomes]").inner_text()
        phone.locator("#c-name").fill("3幢居民")
        phone.locator("#c-text").fill("支持，希望尽快施工")
        with phone.expect_navigation():
            phone.get_by_test_id("comment-submit").click()
        assert phone.get_by_test_id("comment-sent").is_visible(), phone.locator("main").inner_text()[-1200:]
        assert "支持，希望尽快施工" in phone.get_by_test_id("pub-comments").inner_text()
        assert "sent" not in phone.url  # POST-redirect-GET: nothing in the address to show it again
        shot(phone, "topic-5-results-phone")
        phone.reload()  # the thank-you was shown once; the reloaded page (fully loaded) has none
        assert phone.get_by_test_id("pub-comments").is_visible()
        assert phone.get_by_test_id("comment-sent").count() == 0

        # ---- implementation: who, a task, the supervision committee's report ----
        staff.goto(server.url + href)
        impl = staff.locator("#form-set_implementation")
        impl.locator("select[name=kind]").select_option("community")
        submit(staff, "form-set_implementation")
        status = staff.locator("#status").get_attribute("data-status")
        assert status == "implementing", staff.locator("main").inner_text()
        task = staff.locator("#form-add_task")
        task.locator("input[name=title]").fill("委托设计单位出图")
        task.locator("input[name=owner]").fill("李书记")
        task.locator("input[name=due]").fill("2027-01-15")
        submit(staff, "form-add_task")
        shot(staff, "topic-6-staff-implementation")
        assert "委托设计单位出图" in staff.locator("#tasks").inner_text()
        report = staff.locator("#form-add_report")
        report.locator("textarea[name=progress]").fill("设计单位已进场测量")
        report.locator("textarea[name=problems]").fill("一楼住户担心采光")
        report.locator("input[name=money]").fill("80000")
        report.locator("input[name=labour]").fill("12")
        submit(staff, "form-add_report")
        assert "设计单位已进场测量" in staff.locator("#reports").inner_text()

        # ---- moderation: staff hide a comment with a reason; the public page says so in its place ----
        phone.locator("#c-text").fill("某某收了好处费")
        with phone.expect_navigation():
            phone.get_by_test_id("comment-submit").click()
        staff.reload()
        staff.locator("#comments li[data-comment='2'] details.hide summary").click()
        hide = staff.locator("#form-hide_comment-2")
        hide.locator("input[name=reason]").fill("未经核实的指控")
        submit(staff, "form-hide_comment-2")
        assert staff.locator("#comments li[data-comment='2']").get_attribute("data-hidden") == "1"
        phone.reload()
        public = phone.get_by_test_id("pub-comments").inner_text()
        assert "某某收了好处费" not in public and "未经核实的指控" in public and "支持，希望尽快施工" in public
        shot(phone, "topic-7-results-moderated-phone")

        # ---- 7. the archive: the link the staff page gives ----
        assert staff.locator("#record-links li[data-ready='0']").count() == 0  # all five records exist
        archive = staff.request.get(server.url + staff.locator("#archive-link").get_attribute("href"))
        assert archive.ok and archive.headers["content-type"] == "application/zip"
        z = zipfile.ZipFile(io.BytesIO(archive.body()))
        folder = z.namelist()[0].split("/")[0] + "/"
        sums = dict(reversed(line.split("  ", 1)) for line in z.read(folder + "manifest.sha256").decode().splitlines())
        for n, title in ((1, "协商议题建议和审核表"), (2, "议事方案确定记录"), (3, "协商事宜公告"),
                         (4, "城乡社区协商活动记录表"), (5, "协商结果落实情况报告")):
            for fmt in ("docx", "pdf"):
                assert f"{n}-{title}.{fmt}" in sums, (n, fmt)
        for name, digest in sums.items():
            assert hashlib.sha256(z.read(folder + name)).hexdigest() == digest, name
        assert json.loads(z.read(folder + "manifest.json"))["missing"] == []
        report_doc = docx.Document(io.BytesIO(z.read(folder + "5-协商结果落实情况报告.docx")))
        words = "\n".join(c.text for t in report_doc.tables for row in t.rows for c in row.cells)
        for s in ("向区住建局申报加装电梯", "委托设计单位出图", "一楼住户担心采光", "80000 元", "支持，希望尽快施工",
                  "共收到意见 2 条，其中 1 条已由工作人员隐藏", "未经核实的指控"):
            assert s in words, s
        assert "某某收了好处费" not in words
        intake = docx.Document(io.BytesIO(z.read(folder + "1-协商议题建议和审核表.docx")))
        assert CONTACT in "\n".join(c.text for t in intake.tables for row in t.rows for c in row.cells)
        notice_doc = docx.Document(io.BytesIO(z.read(folder + "3-协商事宜公告.docx")))
        assert CONTACT not in "\n".join(c.text for t in notice_doc.tables for row in t.rows for c in row.cells)
        assert re.match(r"\d{4}-\d{3}-", folder)
    finally:
        staff_ctx.close()
        phone_ctx.close()
