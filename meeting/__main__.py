"""Command line: export a meeting's record or log, and verify an exported log.

    python -m meeting export MEETING --format docx|pdf|md|html|json [--out FILE] [--db URL]
    python -m meeting verify LOG.json [--checkpoint "QR TEXT"] [--key=PUBLIC_KEY] [--final-hash HASH]

(write --key=KEY with "=": a base64url key may begin with "-")

``export`` reads the database named by --db, else YISHI_DATABASE_URL / YISHI_DATA as server.py
does (meeting.settings.Settings). Without --out the file is written to the current folder under
its suggested name; ``--out -`` writes to standard output.

The exports are signed with the server's key (YISHI_DATA/record-signing.key, generated on first
use; meeting/signing.py): the record carries the checkpoint of the log it was made from.

``verify`` checks the hash chain of an exported JSON log and names the first damage: edited,
removed, inserted, reordered, truncated. Then every checkpoint the file carries, and the one given
with --checkpoint (the text of the record's QR code): the log must contain it as one of its
prefixes (later events, such as filing, are listed) and its signature must hold under the trusted
key (--key; else the server's own key when YISHI_DATA holds it; else, with --checkpoint, the key
printed on the record). Exit code 0 when intact and verified, 1 when not (or a file cannot be
read), 2 when the chain is intact but no trusted key was available to check the signatures.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _export(args) -> int:
    from .record.export import export
    from .settings import Settings
    from .signing import load_or_create
    from .store import Store

    settings = Settings.from_env()
    url = args.db or settings.database_url
    signer = load_or_create(settings.signing_key_path)
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
    out = export(rows, args.meeting, args.format, as_of=int(time.time() * 1000), signer=signer,
                 key_url=f"{settings.base_url}/record-key")
    if args.out == "-":
        sys.stdout.buffer.write(out.data)
        sys.stdout.buffer.flush()
    else:
        path = Path(args.out or out.filename)
        path.write_bytes(out.data)
        print(str(path), file=sys.stderr)
    return 0


def _trusted_key(args) -> tuple[bytes | None, str]:
    """The key signatures must be made with: --key, else the server's own (YISHI_DATA), else none."""
    from .signing import default_key_path, load, public_key_from

    if args.key:
        return public_key_from(args.key), "given with --key"
    path = default_key_path()
    if path.exists():
        return load(path).public_key, f"the server's key in {path}"
    return None, ""


def _verify(args) -> int:
    """Exit 0: the chain is intact and every checkpoint holds; 1: damage found or a checkpoint
    fails (or the file cannot be read); 2: intact, but the signatures could not be checked
    against a trusted key (say which with --key)."""
    from .chain import check_prefix, diagnose
    from .record.export import load_log
    from .signing import Checkpoint, fingerprint

    try:
        raw = sys.stdin.buffer.read() if args.log == "-" else Path(args.log).read_bytes()
        meeting_id, rows, claimed = load_log(raw)
        doc = json.loads(raw)
        inline = [Checkpoint.from_dict(c) for c in doc.get("checkpoints") or []]
        printed = Checkpoint.parse(args.checkpoint) if args.checkpoint else None
        trusted, trusted_from = _trusted_key(args)
    except (OSError, ValueError) as exc:
        print(f"NOT VERIFIED: cannot read the log, the checkpoint or the key: {exc}")
        return 1
    finding = diagnose(meeting_id, rows, final_hash=args.final_hash)
    if not finding.intact:
        where = f"position {finding.position + 1}" if finding.position is not None else "the end"
        print(f"NOT INTACT ({finding.kind}) at {where}: meeting {meeting_id}: {finding.message}")
        return 1
    if claimed is not None and claimed != finding.final_hash:
        print(f"NOT INTACT (truncated): the file says the final hash is {claimed} but its last event's is "
              f"{finding.final_hash}: events were removed from the end or the file was edited")
        return 1
    if printed is not None and trusted is None:
        # the printed record is the trust anchor: its key is printed on it beside the ink signatures
        trusted, trusted_from = unb64_key(printed.key), "printed on the record (compare it with GET /record-key)"
    checks = [("the printed checkpoint", printed)] if printed is not None else []
    checks += [(f"checkpoint {i} in the file", c) for i, c in enumerate(inline, start=1)]
    details = [f"chain: {finding.message}"]
    for label, cp in checks:
        prefix = check_prefix(meeting_id, rows, cp.meeting, cp.count, cp.hash)
        if not prefix.ok:
            print(f"NOT INTACT ({prefix.kind}): {label} (events 1–{cp.count}): {prefix.message}")
            return 1
        ok, why = cp.signature_holds(trusted)
        if not ok:
            print(f"NOT VERIFIED (signature): {label}: {why}")
            return 1
        details.append(f"{label}: events 1–{cp.count} match; {why}; {prefix.message}")
    if trusted is not None:
        details.append(f"trusted key {fingerprint(trusted)}: {trusted_from}")
    if checks and trusted is None:
        print(f"SIGNATURES NOT CHECKED: meeting {meeting_id}: the chain is intact, but no trusted key was given: pass "
              f"--key with the key printed on the record or served at /record-key (anyone can sign with a key of "
              f"their own)")
        print("\n".join(details))
        return 2
    print(f"INTACT: meeting {meeting_id}: {finding.message}" + (f"; {len(checks)} signed checkpoint(s) hold" if checks
                                                                 else ""))
    print("\n".join(details))
    return 0


def unb64_key(text: str) -> bytes:
    from .signing import unb64

    return unb64(text)


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
    ver.add_argument("--final-hash", help="the final hash printed on the record (catches events cut off the end)")
    ver.add_argument("--checkpoint", help="the checkpoint text from the record's QR code: the log must contain it "
                                          "as one of its prefixes, and its signature must hold")
    ver.add_argument("--key", help="the server's public key (base64url, as printed on the record and served at "
                                   "/record-key, or a PEM file); default: the key in YISHI_DATA when present")
    args = parser.parse_args(argv)
    return _export(args) if args.command == "export" else _verify(args)


if __name__ == "__main__":
    sys.exit(main())
