"""The server's signing key and the record's checkpoints (Ed25519, through ``cryptography``).

A **checkpoint** pins a meeting's event log at one point: the meeting id, the number of events
and the hash of the last of them (meeting/chain.py). The server signs it with its own Ed25519 key,
kept in the data folder (``<data>/record-signing.key``, PKCS#8 PEM, mode 600, generated on first
use like ``secret.key``). Its public half is printed on every record and served at ``GET
/record-key``. What is signed, exactly (UTF-8, lines joined by ``\\n``, no trailing newline)::

    yishi-checkpoint/1
    <meeting id>
    <event count, decimal>
    <hash of that event, 64 lowercase hex>

The checkpoint's text form (what the record's QR code holds, and what ``python -m meeting verify
--checkpoint`` reads) is one line::

    yishi-checkpoint/1;m=<meeting id, percent-encoded>;n=<count>;h=<hash>;k=<public key>;s=<signature>

key and signature in base64url without padding (43 and 86 characters). Ed25519 signatures are
deterministic, so the same log and key always give the same checkpoint and the same record.

Without the key nobody can sign a checkpoint, so a log edited and re-chained cannot be made to
match a checkpoint: its hash at the checkpoint's count differs, and a new checkpoint over it
carries no valid signature by the server's key.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = "yishi-checkpoint/1"
KEY_FILE = "record-signing.key"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64url: {text[:20]}") from exc


def fingerprint(public_key: bytes) -> str:
    """The key's fingerprint as people compare it: SHA-256 of the raw key, 16 hex digits in 4 groups."""
    h = hashlib.sha256(public_key).hexdigest()[:16].upper()
    return " ".join(h[i:i + 4] for i in range(0, 16, 4))


class Signer:
    """The server's key pair."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private = private
        self.public_key: bytes = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                                    serialization.PublicFormat.Raw)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_b64(self) -> str:
        return b64(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def public_pem(self) -> str:
        return self._private.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def private_pem(self) -> bytes:
        return self._private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def checkpoint(self, meeting_id: str, count: int, final_hash: str) -> Checkpoint:
        unsigned = Checkpoint(meeting_id, count, final_hash, self.public_b64, "")
        return Checkpoint(meeting_id, count, final_hash, self.public_b64, b64(self.sign(unsigned.message())))


def load_or_create(path: Path) -> Signer:
    """The key kept at ``path``; generated there (mode 600) when the file does not exist."""
    if path.exists():
        return load(path)
    signer = Signer.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(signer.private_pem())
    return signer


def load(path: Path) -> Signer:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return Signer(key)


def default_key_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the server keeps its key (Settings.signing_key_path), without creating the folder."""
    env = os.environ if env is None else env
    return Path(env.get("YISHI_DATA", "yishi-data")).resolve() / KEY_FILE


def public_key_from(text: str) -> bytes:
    """A public key as given by a person: base64url of the 32 raw bytes (as printed on the record and
    served at /record-key), a PEM public key, or a file holding either (or the private key file)."""
    text = text.strip()
    path = Path(text)
    if len(text) < 4096 and "\n" not in text and path.is_file():
        data = path.read_bytes()
        if b"PRIVATE KEY" in data:
            return load(path).public_key
        text = data.decode("ascii", "replace").strip()
    if text.startswith("-----BEGIN PUBLIC KEY"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = unb64(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes (43 characters of base64url)")
    return raw


@dataclass(frozen=True)
class Checkpoint:
    meeting: str
    count: int
    hash: str
    key: str  # the signer's public key, base64url
    signature: str  # base64url

    def message(self) -> bytes:
        """The bytes that are signed."""
        return "\n".join((VERSION, self.meeting, str(self.count), self.hash)).encode("utf-8")

    def text(self) -> str:
        """The one-line form: what the QR code holds."""
        return (f"{VERSION};m={quote(self.meeting, safe='')};n={self.count};h={self.hash};"
                f"k={self.key};s={self.signature}")

    def to_dict(self) -> dict:
        return {"meeting": self.meeting, "count": self.count, "hash": self.hash, "key": self.key,
                "signature": self.signature, "text": self.text()}

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        parts = text.strip().split(";")
        if not parts or parts[0] != VERSION:
            raise ValueError(f"not a checkpoint: it should start with {VERSION}")
        fields = {}
        for part in parts[1:]:
            k, sep, v = part.partition("=")
            if not sep or k in fields:
                raise ValueError(f"not a checkpoint: bad field {part[:20]!r}")
            fields[k] = v
        if set(fields) != {"m", "n", "h", "k", "s"}:
            raise ValueError("not a checkpoint: it needs m, n, h, k and s")
        if not fields["n"].isdigit() or len(fields["h"]) != 64 or any(c not in "0123456789abcdef" for c in fields["h"]):
            raise ValueError("not a checkpoint: n must be a count and h a SHA-256 in hex")
        return cls(unquote(fields["m"]), int(fields["n"]), fields["h"], fields["k"], fields["s"])

    @classmethod
    def from_dict(cls, d: object) -> Checkpoint:
        if not isinstance(d, dict):
            raise ValueError("a checkpoint is an object")
        try:
            return cls(str(d["meeting"]), int(d["count"]), str(d["hash"]), str(d["key"]), str(d["signature"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a checkpoint: {exc}") from exc

    def signature_holds(self, trusted_key: bytes | None = None) -> tuple[bool, str]:
        """Is the signature valid, by ``trusted_key`` (the server's, as published) when given, else
        by the key the checkpoint names (which proves nothing about who signed: say so)?"""
        try:
            named = unb64(self.key)
            sig = unb64(self.signature)
        except ValueError as exc:
            return False, str(exc)
        if trusted_key is not None and named != trusted_key:
            return False, (f"signed with key {fingerprint(named) if len(named) == 32 else '?'}, not the server's "
                           f"key {fingerprint(trusted_key)}")
        if len(named) != 32:
            return False, "the key is not an Ed25519 public key"
        try:
            Ed25519PublicKey.from_public_bytes(named).verify(sig, self.message())
        except InvalidSignature:
            return False, f"the signature does not hold for key {fingerprint(named)}"
        return True, f"signature valid, key {fingerprint(named)}"
