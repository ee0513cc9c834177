"""Message catalogs (Babel .po files) for the screens: Simplified Chinese by default, English on request.

Message ids are English. ``meeting/locale/zh_Hans/LC_MESSAGES/*.po`` hold the Chinese; every .po
file there is one screen's domain and they are merged. English needs no catalog: the id is the text.
A message with a context (``msgctxt``) is an enum label of ``meeting/labels.py`` (labels.po: the
context is the enum kind); those are kept apart from the screens' messages (``contextual``), so
"Yes" the vote choice and "Yes" the button never collide.
The .po files are read at start-up (no compile step). Templates use ``_()``; the screens' JS gets
the same catalog as JSON and uses ``t()``.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
_BABEL_LOCALE = {"zh": "zh_Hans", "en": "en"}


def pick_lang(query: str | None, cookie: str | None, accept: str | None) -> str:
    """?lang= first, then the cookie, then Chinese (the default even for an English browser:
    the room speaks Chinese; English is on request)."""
    for value in (query, cookie):
        if value in LANGS:
            return value
    return DEFAULT_LANG


def _messages(lang: str) -> Iterator[Message]:
    """The translated messages of every catalog of a language (none for English)."""
    folder = LOCALE_DIR / _BABEL_LOCALE[lang] / "LC_MESSAGES"
    if not folder.is_dir():
        return
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh, locale=_BABEL_LOCALE[lang]):
                if message.id and message.string and not message.fuzzy:
                    yield message


@cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> text for a language (English: empty, the id is the text)."""
    return {str(m.id): str(m.string) for m in _messages(lang) if not m.context}


@cache
def contextual(lang: str) -> dict[tuple[str, str], str]:
    """(context, msgid) -> text for the messages with a context (the enum labels)."""
    return {(str(m.context), str(m.id)): str(m.string) for m in _messages(lang) if m.context}


@cache
def translations(lang: str) -> Translations:
    merged = Catalog(locale=_BABEL_LOCALE[lang])
    for msgid, text in catalog(lang).items():
        merged.add(msgid, text)
    buf = io.BytesIO()
    write_mo(buf, merged)
    buf.seek(0)
    return Translations(fp=buf)
