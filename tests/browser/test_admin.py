"""Setting up a meeting from a browser, no command line: the admin key once to set up the
community and its admin, then staff accounts; the form; the links."""
import httpx
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, shot
from tests.server.harness import ADMIN_KEY

PASSWORD = "browser-password-1"


def community(server, login: str = "wang") -> str:
    """The operator's API makes a community and its first admin (what /admin/setup does in a browser)."""
    r = httpx.post(f"{server.url}/api/communities", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                   json={"name": "幸福社区", "admin": {"login": login, "name": "王主任", "password": PASSWORD}})
    assert r.status_code == 201, r.text
    return r.json()["community"]["id"]


def log_in(page, by, login: str = "wang", password: str = PASSWORD) -> None:
    by("admin-login-name").fill(login)
    by("admin-password").fill(password)
    by("admin-login").click()

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
        page.get_by_role("link", name="首次使用：用管理密钥创建社区").click()
        by("admin-key").fill("wrong")
        by("setup-community").fill("幸福社区")
        by("setup-login").fill("wang")
        by("setup-name").fill("王主任")
        by("setup-password").fill(PASSWORD)
        by("setup-create").click()
        expect(by("admin-error")).to_have_text("管理密钥不正确")
        expect(by("setup-community")).to_have_value("幸福社区")  # nothing typed is lost but the secrets
        by("admin-key").fill(ADMIN_KEY)
        by("setup-password").fill(PASSWORD)
        by("setup-create").click()
        expect(by("admin-notice")).to_contain_text("幸福社区")
        expect(by("admin-login-name")).to_have_value("wang")
        log_in(page, by, password="wrong password")
        expect(by("admin-error")).to_have_text("用户名或密码不正确")
        log_in(page, by)
        expect(by("admin-new")).to_be_visible()
        expect(by("admin-me")).to_have_text("幸福社区 · 王主任 · 社区管理员")

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


def test_a_community_admin_adds_a_supervisor_who_only_reads(browser, server):
    community(server)
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    by = page.get_by_test_id
    try:
        page.goto(f"{server.url}/admin")
        log_in(page, by)
        by("new-title").fill("监督员能看的会")
        by("new-roster").fill(ROSTER)
        by("new-create").click()
        expect(by("admin-meeting")).to_be_visible()
        by("admin-staff-link").click()
        by("staff-new-login").fill("lin")
        by("staff-new-name").fill("林监督")
        by("staff-new-role").select_option("supervisor")
        by("staff-new-password").fill("short")
        by("staff-new-password").evaluate("e => e.removeAttribute('minlength')")  # the server checks too
        by("staff-new-create").click()
        expect(by("admin-error")).to_have_text("密码至少需要 10 个字符")
        expect(by("staff-new-login")).to_have_value("lin")
        by("staff-new-password").fill("lin-password-1")
        by("staff-new-create").click()
        expect(by("staff-lin")).to_contain_text("监督员")
        shot(page, "admin-staff-accounts")
        # an API token that acts as the supervisor: shown once, reads the community's meetings, revoked
        by("token-staff").select_option(label="林监督 (lin, 监督员)")
        by("token-label").fill("监督报表")
        by("token-create").click()
        token = by("token-new").input_value()
        assert token.startswith("yst_")
        expect(by("token-list")).to_contain_text("监督报表")
        shot(page, "admin-api-tokens")
        api = {"Authorization": f"Bearer {token}"}
        listed = httpx.get(f"{server.url}/api/meetings", headers=api)
        assert listed.status_code == 200 and "监督员能看的会" in [m["title"] for m in listed.json()["meetings"]]
        page.goto(f"{server.url}/admin/staff")
        expect(by("token-new")).to_have_count(0)  # not shown again
        expect(by("token-list")).to_contain_text("set-up")  # the first admin's, from the set-up
        page.locator("tr", has_text="监督报表").get_by_role("button", name="撤销").click()
        expect(by("token-list")).not_to_contain_text("监督报表")
        assert httpx.get(f"{server.url}/api/meetings", headers=api).status_code == 401
        by("admin-logout").click()
        log_in(page, by, "lin", "lin-password-1")
        expect(by("admin-meetings")).to_contain_text("监督员能看的会")
        expect(by("admin-new")).to_have_count(0)
        expect(by("admin-staff-link")).to_have_count(0)
        page.get_by_role("link", name="链接").first.click()
        expect(by("admin-meeting")).to_be_visible()
        expect(by("admin-link-moderator")).to_have_count(0)
    finally:
        ctx.close()


def test_the_admin_pages_need_an_account(server):
    assert 'data-testid="admin-password"' in httpx.get(f"{server.url}/admin").text
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
        community(server)
        page.goto(f"{server.url}/admin")
        log_in(page, by)
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
