"""Setting up a meeting from a browser, no command line: the admin key, the form, the links."""
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, shot
from tests.server.harness import ADMIN_KEY

ROSTER = """张建国, 议题提出人
刘秀英, 利益相关方, 13800000001
赵桂兰, 利益相关方, 无手机
孙立军, 利益相关方, 线上
郑工程师, 专家
林监督, 监督员"""


def test_a_community_worker_sets_up_a_meeting_in_the_browser(browser, server):
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    by = page.get_by_test_id
    try:
        page.goto(f"{server.url}/admin")
        by("admin-key").fill("wrong")
        by("admin-login").click()
        expect(by("admin-error")).to_have_text("管理密钥不正确")
        by("admin-key").fill(ADMIN_KEY)
        by("admin-login").click()
        expect(by("admin-new")).to_be_visible()

        by("new-title").fill("3号楼加装电梯")
        by("new-items").fill("是否加装电梯\n费用分摊")
        by("new-roster").fill(ROSTER + "\n何老师, 路人甲")
        by("new-create").click()
        expect(by("admin-error")).to_have_text("名单第 7 行：“路人甲”不是身份或选项")
        expect(by("new-title")).to_have_value("3号楼加装电梯")  # nothing typed is lost
        by("new-roster").fill(ROSTER)
        by("new-create").click()

        expect(by("admin-meeting")).to_contain_text("名单共 6 人。")
        shot(page, "admin-meeting-links")
        by("admin-link-moderator").click()
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(page.get_by_test_id("signin")).to_contain_text("0/4")
        expect(page.get_by_test_id("roster")).to_contain_text("赵桂兰")

        page.goto(f"{server.url}/admin")
        expect(by("admin-meetings")).to_contain_text("3号楼加装电梯")
        shot(page, "admin-home")
    finally:
        ctx.close()


def test_the_admin_pages_need_the_key(server):
    import httpx

    assert 'data-testid="admin-key"' in httpx.get(f"{server.url}/admin").text
    r = httpx.post(f"{server.url}/admin/meetings", data={"title": "x", "roster": "a"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    from meeting.admin import parse_roster

    people = parse_roster("张建国, 议题提出人\n赵桂兰，利益相关方，无手机，不表决\n\n孙立军, online, 138-0000-0003")
    assert [p["category"] for p in people] == ["proposer", "stakeholder", "stakeholder"]
    assert people[1]["has_phone"] is False and people[1]["votes"] is False
    assert people[2]["remote"] is True and people[2]["phone"] == "138-0000-0003"


def test_the_roster_is_uploaded_as_excel_or_csv_with_a_report_per_row(browser, server, tmp_path):
    from tests.attack.test_roster_upload import GOOD, workbook

    good = tmp_path / "名单.xlsx"
    good.write_bytes(workbook(GOOD))
    bad = tmp_path / "名单.csv"
    bad.write_text("姓名,身份,有手机\n张三,议题提出人,是\n李四,路人甲,\n,居民,\n王五,居民,也许\n", encoding="utf-8-sig")
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    by = page.get_by_test_id
    try:
        page.goto(f"{server.url}/admin")
        by("admin-key").fill(ADMIN_KEY)
        by("admin-login").click()
        by("new-title").fill("上传名单的会议")
        by("new-roster-file").set_input_files(str(bad))
        by("new-create").click()
        expect(by("admin-error")).to_have_text("名单文件中有 3 处问题，会议未创建")
        expect(by("roster-report")).to_contain_text("名单第 3 行：“路人甲”不是身份类别")
        expect(by("roster-report")).to_contain_text("名单第 4 行：缺少姓名")
        expect(by("roster-report")).to_contain_text("名单第 5 行：“也许”应填“是”或“否”")
        shot(page, "admin-roster-report")
        expect(by("new-title")).to_have_value("上传名单的会议")  # nothing typed is lost
        by("new-roster-file").set_input_files(str(good))
        by("new-create").click()
        expect(by("admin-meeting")).to_contain_text("名单共 6 人。")
    finally:
        ctx.close()
