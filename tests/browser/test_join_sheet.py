"""The printable join sheet: every person on a slip with a QR code (inline SVG) and their link,
the staff links apart, links that work, print layout without the top bar, and no sheet for a
participant's token."""
from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, shot
from tests.server.harness import meeting_config, roster

A4 = {"width": 794, "height": 1123}


def test_sheet_lists_everyone_with_qr_and_working_links(server, browser, open_page):
    _mid, tokens = server.create_meeting(meeting_config())
    people = roster()
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        response = page.goto(f"{server.url}/j/{tokens['moderator']}/sheet")
        assert response.status == 200
        by = page.get_by_test_id
        expect(by("sheet-head")).to_contain_text("3号楼加装电梯")
        expect(by("sheet-place")).to_have_text("社区会议室")
        expect(page.locator(".slip:not(.slip-staff)")).to_have_count(len(people))
        for p in people:
            slip = by(f"slip-{p['id']}")
            expect(slip.get_by_test_id(f"slip-name-{p['id']}")).to_have_text(p["name"])
            expect(slip.locator("svg")).to_have_count(1)
            expect(slip.get_by_test_id(f"slip-link-{p['id']}")).to_have_text(f"{server.url}/j/{tokens[p['id']]}")
        expect(by("slip-s1")).to_contain_text("利益相关方")
        expect(by("slip-exp")).to_contain_text("专家")
        # The moderator's sheet carries every staff link on its own page.
        for role in ("moderator", "recorder", "projector"):
            expect(by(f"staff-link-{role}")).to_have_text(f"{server.url}/j/{tokens[role]}")
            expect(by(f"staff-{role}").locator("svg")).to_have_count(1)
        expect(by("print")).to_be_visible()
        shot(page, "join-sheet")

        # Printed: no top bar, no print button; slips on A4 pages.
        page.emulate_media(media="print")
        expect(page.locator(".topbar")).to_be_hidden()
        expect(by("print")).to_be_hidden()
        page.set_viewport_size(A4)
        shot(page, "join-sheet-print")
        page.emulate_media(media="screen")

        # A link from the sheet opens that person's page, which connects.
        href = by("slip-link-s5").get_attribute("href")
        person = ctx.new_page()
        person.goto(href)
        expect(person.locator("#conn")).to_have_attribute("data-state", "online")
        expect(person.locator("body")).to_contain_text("赵桂兰")
    finally:
        ctx.close()

    # The recorder's sheet: every person, and of the staff links only the projector's.
    page = open_page(tokens["recorder"], LAPTOP)
    page.goto(f"{server.url}/j/{tokens['recorder']}/sheet")
    expect(page.locator(".slip:not(.slip-staff)")).to_have_count(len(people))
    expect(page.get_by_test_id("staff-projector")).to_be_visible()
    expect(page.get_by_test_id("staff-moderator")).to_have_count(0)
    expect(page.get_by_test_id("staff-recorder")).to_have_count(0)

    # English on request.
    page.goto(f"{server.url}/j/{tokens['recorder']}/sheet?lang=en")
    expect(page.get_by_test_id("print")).to_have_text("Print")
    expect(page.get_by_test_id("slip-s1")).to_contain_text("Stakeholder")


def test_sheet_is_only_for_the_moderator_and_the_recorder(server):
    _mid, tokens = server.create_meeting(meeting_config())
    for who in ("s1", "sup", "projector"):
        assert httpx.get(f"{server.url}/j/{tokens[who]}/sheet", timeout=10).status_code == 404
    assert httpx.get(f"{server.url}/j/not-a-real-token-at-all/sheet", timeout=10).status_code == 404
    for who in ("moderator", "recorder"):
        assert httpx.get(f"{server.url}/j/{tokens[who]}/sheet", timeout=10).status_code == 200


def test_recorder_desk_links_to_the_sheet(server, open_page):
    _mid, tokens = server.create_meeting(meeting_config())
    page = open_page(tokens["recorder"], LAPTOP)
    link = page.get_by_test_id("sheet-link")
    expect(link).to_have_attribute("href", f"/j/{tokens['recorder']}/sheet")
    with page.context.expect_page() as opened:
        link.click()
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet.get_by_test_id("slip-s6")).to_contain_text("周玉梅")
