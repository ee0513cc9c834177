"""Command line: export a meeting's record or log, and verify an exported log.

    python -m meeting export MEETING --format docx|pdf|md|html|json [--out FILE] [--db URL]
    python -m meeting verify LOG.json [--final-hash HASH]

``export`` reads the database named by --db, else YISHI_DATABASE_URL / YISHI_DATA as server.py
does (meeting.settings.Settings). Without --out the file is written to the current folder under
its suggested name; ``--out -`` writes to standard output.

``verify`` checks the hash chain of an exported JSON log and names the first event that was
edited, removed or reordered; --final-hash (the hash printed on the signed record) also catches
events cut off the end. Exit code 0 when intact, 1 when not (or the file cannot be read).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _export(args) -> int:
    from .record.export import export
    from .store import Store

    if args.db:
        url = args.db
    else:
        from .settings import Settings

        url = Settings.from_env().database_url
    store = Store(url)
    try:
        if store.meeting(args.meeting) is None:
            print(f"no meeting {args.meeting!r} in {url}", file=sys.stderr)
            return 2
        rows = store.events(args.meeting)
    finally:
        store.close()
    if not any(r.type == "meeting_ended" for r in rows) and args.format != "json":
        print("warning: the meeting has not ended; the record is a draft", file=sys.stderr)
    out = export(rows, args.meeting, args.format, as_of=int(time.time() * 1000))
    if args.out == "-":
        sys.stdout.buffer.write(out.data)
        sys.stdout.buffer.flush()
    else:
        path = Path(args.out or out.filename)
        path.write_bytes(out.data)
        print(str(path), file=sys.stderr)
    return 0


def _verify(args) -> int:
    from .chain import diagnose
    from .record.export import load_log

    try:
        raw = sys.stdin.buffer.read() if args.log == "-" else Path(args.log).read_bytes()
        meeting_id, rows, claimed = load_log(raw)
    except (OSError, ValueError) as exc:
        print(f"NOT VERIFIED: cannot read the log: {exc}")
        return 1
    finding = diagnose(meeting_id, rows, final_hash=args.final_hash)
    if finding.intact and claimed is not None and claimed != finding.final_hash:
        print(f"NOT INTACT (removed): the file says the final hash is {claimed} but its last event's is "
              f"{finding.final_hash}: events were removed from the end or the file was edited")
        return 1
    if finding.intact:
        print(f"INTACT: meeting {meeting_id}: {finding.message}")
        return 0
    where = f"position {finding.position + 1}" if finding.position is not None else "the end"
    print(f"NOT INTACT ({finding.kind}) at {where}: meeting {meeting_id}: {finding.message}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meeting", description="议事厅: export and verify meeting records")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="export a meeting's record or event log")
    exp.add_argument("meeting", help="the meeting id")
    exp.add_argument("--format", required=True, choices=("docx", "pdf", "md", "html", "json"))
    exp.add_argument("--out", help="output file (default: the suggested name in the current folder; - for stdout)")
    exp.add_argument("--db", help="database URL (default: YISHI_DATABASE_URL, else YISHI_DATA/yishi.db)")
    ver = sub.add_parser("verify", help="check an exported JSON event log")
    ver.add_argument("log", help="the exported log (.json; - for stdin)")
    ver.add_argument("--final-hash", help="the final hash printed on the signed record")
    args = parser.parse_args(argv)
    return _export(args) if args.command == "export" else _verify(args)


if __name__ == "__main__":
    sys.exit(main())
