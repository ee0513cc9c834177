"""Issue 9, point 10, through the API: a roster file (.xlsx through openpyxl, or CSV) read into a
new meeting's roster, with a per-row report of what is wrong; Chinese category names and the
English keys both accepted. (The /admin upload: tests/browser/test_admin.py.)"""
from __future__ import annotations

import io

import httpx
import openpyxl

from meeting.rules.config import roster_rows


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


GOOD = [["姓名", "身份", "有手机", "手机号", "线上"],
        ["张建国", "议题提出人", "是", 13800000001, "否"],
        ["刘秀英", "利益相关方", "是", "138-0000-0002", ""],
        ["赵桂兰", "居民代表", "否", None, None],
        ["孙立军", "stakeholder", "yes", None, "是"],
        [None, None, None, None, None],
        ["郑工程师", "专家", None, None, None],
        ["林监督", "supervisor", None, None, None]]


def test_an_excel_roster_becomes_a_meeting(shared_server):
    r = httpx.post(f"{shared_server.url}/api/roster?filename=名单.xlsx", content=workbook(GOOD),
                   headers=shared_server.auth())
    assert r.status_code == 200, r.text
    people = r.json()["roster"]
    assert [(p["name"], p["category"], p["has_phone"], p["remote"], p["phone"]) for p in people] == [
        ("张建国", "proposer", True, False, "13800000001"), ("刘秀英", "stakeholder", True, False, "138-0000-0002"),
        ("赵桂兰", "stakeholder", False, False, None), ("孙立军", "stakeholder", True, True, None),
        ("郑工程师", "expert", True, False, None), ("林监督", "supervisor", True, False, None)]
    made = httpx.post(f"{shared_server.url}/api/meetings", json={"title": "上传名单", "roster": people},
                      headers=shared_server.auth())
    assert made.status_code == 201, made.text
    assert sum(1 for link in made.json()["links"] if link["person"]) == 6


def test_a_bad_csv_gets_a_report_row_by_row(shared_server):
    csv = ("name,category,has_phone,phone,remote\n张三,proposer,yes,,\n李四,路人甲,,,\n,利益相关方,,,\n"
           "王五,专家,也许,,\n赵六,stakeholder,,电话号码,\n").encode("gb18030")
    r = httpx.post(f"{shared_server.url}/api/roster?filename=r.csv", content=csv, headers=shared_server.auth())
    assert r.status_code == 400
    problems = r.json()["problems"]
    assert [(p["code"], p["details"]["row"]) for p in problems] == [
        ("roster_bad_category", 3), ("roster_no_name", 4), ("roster_bad_flag", 5), ("roster_bad_phone", 6)]
    assert problems[0]["message_zh"] == "名单第 3 行：“路人甲”不是身份类别"
    assert httpx.post(f"{shared_server.url}/api/roster", content=b"x").status_code == 401


def test_files_that_are_not_rosters_are_refused_with_a_reason(shared_server):
    for body in (b"PK\x03\x04not a zip", b"\xff\xfe\x00\x00garbage\x00", b"", b"name\n"):
        r = httpx.post(f"{shared_server.url}/api/roster?filename=x.xlsx", content=body, headers=shared_server.auth())
        assert r.status_code == 400 and r.json()["problems"][0]["code"] == "roster_bad_file", (body, r.text)


def test_without_headings_the_columns_are_in_the_documented_order():
    people, problems = roster_rows([["张三", "提出人", "否", "13800000001", "是"], ["李四"]])
    assert not problems
    assert people[0] == {"id": "p1", "name": "张三", "category": "proposer", "votes": True, "has_phone": False,
                         "remote": True, "phone": "13800000001"}
    assert people[1]["category"] == "stakeholder" and people[1]["has_phone"] is True
