"""Command line: export a meeting's record or log, verify an exported log, and the operator's
recovery of staff accounts.

    python -m meeting export MEETING --format docx|pdf|md|html|json [--out FILE] [--db URL]
    python -m meeting verify LOG.json [--checkpoint "QR TEXT"] [--key=PUBLIC_KEY] [--final-hash HASH]
    python -m meeting accounts list [--db URL]
    python -m meeting accounts reset-password --community C --user LOGIN [--generate] [--activate] [--db URL]
    python -m meeting accounts assign-meeting MEETING --community C [--db URL]

``accounts`` needs local access to the database (the operator's: whoever can read the database
can do more than this); docs/accounts.md. ``reset-password`` reads the new password from the
terminal (twice, not echoed) or one line of standard input, or makes one with --generate and
prints it.

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


def _read_password(generate: bool) -> str | None:
    import getpass
    import secrets

    if generate:
        password = secrets.token_urlsafe(12)
        print(f"new password: {password}")
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("new password (at least 10 characters): ")
    if getpass.getpass("again: ") != first:
        print("the two passwords differ; nothing was changed", file=sys.stderr)
        return None
    return first


def _accounts(args) -> int:
    """The operator's account tools, on the database itself. Exit 0 done, 1 refused (the coded
    refusal is printed in both languages), 2 nothing to act on."""
    from .accounts import ROLE_NAMES, AccountError, Accounts
    from .settings import Settings
    from .store import Store

    settings = Settings.from_env()
    store = Store(args.db or settings.database_url)
    try:
        accounts = Accounts(store.engine, settings.secret, settings.base_url)
        if args.action == "list":
            for c in accounts.communities():
                print(f"{c.id}  {c.name}")
                for s in accounts.staff_of(c.id):
                    state = "" if s.active else "  (deactivated)"
                    print(f"    {s.login:24} {ROLE_NAMES[s.role][1]:16} {s.name}{state}")
            return 0
        community = accounts.find_community(args.community)
        if community is None:
            print(f"no community {args.community!r} (give its id or its exact name; see: accounts list)",
                  file=sys.stderr)
            return 2
        if args.action == "assign-meeting":
            if store.meeting(args.meeting) is None:
                print(f"no meeting {args.meeting!r}", file=sys.stderr)
                return 2
            accounts.assign_meeting(args.meeting, community.id)
            print(f"meeting {args.meeting} now belongs to {community.name} ({community.id})")
            return 0
        password = _read_password(args.generate)
        if password is None:
            return 1
        staff = accounts.reset_password(community.id, args.user, password, activate=args.activate)
    except AccountError as exc:
        print(f"refused [{exc.code}]: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"the password of {staff.login} ({ROLE_NAMES[staff.role][1]}, {community.name}) is set; "
          f"their sessions have ended" + ("" if staff.active else "; the account is deactivated (use --activate)"))
    return 0


def unb64_key(text: str) -> bytes:
    from .signing import unb64

    return unb64(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meeting",
                                     description="议事厅: export and verify meeting records; recover staff accounts")
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
    acc = sub.add_parser("accounts", help="the operator's recovery of staff accounts (local database access)")
    acc_sub = acc.add_subparsers(dest="action", required=True)
    acc_sub.add_parser("list", help="communities and their staff accounts").add_argument("--db", help="database URL")
    reset = acc_sub.add_parser("reset-password", help="set a new password for an account (its admin forgot it)")
    reset.add_argument("--community", required=True, help="the community's id or exact name")
    reset.add_argument("--user", required=True, help="the account's user name")
    reset.add_argument("--generate", action="store_true", help="make a random password and print it")
    reset.add_argument("--activate", action="store_true", help="reactivate the account if it is deactivated")
    reset.add_argument("--db", help="database URL (default: YISHI_DATABASE_URL, else YISHI_DATA/yishi.db)")
    assign = acc_sub.add_parser("assign-meeting",
                                help="give a meeting to a community (one made before accounts existed)")
    assign.add_argument("meeting", help="the meeting id")
    assign.add_argument("--community", required=True, help="the community's id or exact name")
    assign.add_argument("--db", help="database URL (default: YISHI_DATABASE_URL, else YISHI_DATA/yishi.db)")
    args = parser.parse_args(argv)
    if args.command == "accounts":
        return _accounts(args)
    return _export(args) if args.command == "export" else _verify(args)


if __name__ == "__main__":
    sys.exit(main())
