"""The README's first command ends in `server.py --demo`: it creates the demo meeting once, prints
a join link for every role and person, and each link opens that person's screen."""
import os
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
        if line.startswith("admin key"):
            return proc, lines
    proc.kill()
    proc.wait(10)
    proc.stdout.close()
    raise AssertionError("".join(lines))


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
    finally:
        stop(proc)
    # a second start keeps the same meeting and links
    proc, again = start_demo(tmp_path, port)
    try:
        assert [line.split()[-1] for line in again if "/j/" in line] == links
    finally:
        stop(proc)
