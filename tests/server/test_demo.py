"""The README's first command ends in `server.py --demo`: it creates the demo meeting once, prints
a join link for every role and person, and each link opens that person's screen; the demo
community owns the meeting, and its admin's user name and password are printed to log in to /admin."""
import os
import re
import subprocess
import sys
import time

import httpx

from tests.server.harness import ROOT, free_port


def start_demo(data_dir, port):
    env = {**os.environ, "YISHI_DATA": str(data_dir), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "--demo", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines, deadline = [], time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("admin key"):  # printed at start-up, just before the server listens
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    return proc, lines
                except httpx.ConnectError:
                    time.sleep(0.05)
            break
    proc.kill()
    proc.wait(10)
    proc.stdout.close()
    raise AssertionError("".join(lines))


def demo_login(url: str, lines: list[str]) -> httpx.Response:
    """Log in to /admin with the printed user name and password; the answer to the login."""
    found = re.search(r"as (\S+) with the password (\S+)", "".join(lines))
    assert found, "".join(lines)
    client = httpx.Client(base_url=url, timeout=10)
    page = client.get("/admin").text
    csrf = re.findall(r'name="csrf" value="([^"]+)"', page)[0]
    r = client.post("/admin/login", data={"login": found.group(1), "password": found.group(2), "csrf": csrf})
    if r.status_code == 303:
        r = client.get("/admin")
    client.close()
    return r


def stop(proc):
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


def test_the_demo_prints_every_join_link_and_they_open_the_screens(tmp_path):
    port = free_port()
    proc, lines = start_demo(tmp_path, port)
    try:
        links = [line.split()[-1] for line in lines if "/j/" in line]
        roles = [line.split()[0] for line in lines if "/j/" in line]
        assert roles[:3] == ["moderator", "recorder", "projector"]
        assert roles.count("participant") == 11 and roles.count("supervisor") == 1
        assert any("刘秀英" in line for line in lines)
        for url in (links[0], links[3]):
            page = httpx.get(url, timeout=5)
            assert page.status_code == 200 and "幸福小区3号楼加装电梯" in page.text
        home = demo_login(f"http://127.0.0.1:{port}", lines)  # the demo community's admin sees the meeting
        assert home.status_code == 200 and "幸福社区（演示）" in home.text and "/admin/meetings/demo" in home.text
    finally:
        stop(proc)
    # a second start keeps the same meeting and links, and gives the admin a new password
    proc, again = start_demo(tmp_path, port)
    try:
        assert [line.split()[-1] for line in again if "/j/" in line] == links
        assert demo_login(f"http://127.0.0.1:{port}", lines).status_code == 401  # the first start's password
        assert "/admin/meetings/demo" in demo_login(f"http://127.0.0.1:{port}", again).text
    finally:
        stop(proc)
