"""bench/sidebyside.py still runs (a benchmark is not a test: no figure is checked here, only that
the measurement itself works end to end on a tiny meeting — every phone connects, every vote is
acked and counted once, every delivery arrives — so a change that breaks it is seen before
someone needs the numbers)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_side_by_side_benchmark_runs_on_ten_phones(tmp_path):
    out = tmp_path / "report.json"
    subprocess.run([sys.executable, str(ROOT / "bench" / "sidebyside.py"), "--phones", "10", "--runs", "1",
                    "--changes", "3", "--procs", "1", "--no-restore", "--no-reconnect", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    report = json.loads(out.read_text())
    (ours,), (bare,) = report["results"]["10 phones"]["ours"], report["results"]["10 phones"]["bare"]
    for run in (ours, bare):
        assert run["connected"] == "10/10"
        assert run["vote_acks_ok"] == 10 and run["vote_lost"] == 0
        assert run["deliveries"] == "30/30"
        assert run["close_result_phones"] == "10/10"
    assert ours["vote_counted"] == 10 and ours["vote_doubled"] == 0
    assert bare["delta_bytes"] > 0.8 * ours["delta_bytes"]  # the bare stack sent a delta of our size
