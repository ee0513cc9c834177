"""The JSON python-socketio puts on the wire (docs/protocol.md, "Encoding").

Kept apart from the server so that a lean client (meeting/client.py, the benchmark's clients)
can use it without importing the server."""
from __future__ import annotations

import json
import re

_SURROGATE = re.compile("[\ud800-\udfff]")


class WireJson:
    """The ``json`` module given to python-socketio (and so to Engine.IO): ``dumps`` writes
    non-ASCII characters as they are (UTF-8 on the wire), ``loads`` is the standard one.

    A lone surrogate cannot be encoded as UTF-8: the WebSocket send of such a text would fail
    and the message would never arrive. The engine refuses to store one (``live.storable``),
    but a reply may echo what a client sent (an unknown event name, a bad field), so a text
    that holds one is written with ASCII escapes instead (valid JSON; the client reads the same
    string), never raised."""

    @staticmethod
    def dumps(obj, *args, **kwargs) -> str:
        kwargs.setdefault("ensure_ascii", False)
        text = json.dumps(obj, *args, **kwargs)
        if not kwargs["ensure_ascii"] and not text.isascii() and _SURROGATE.search(text):
            kwargs["ensure_ascii"] = True
            text = json.dumps(obj, *args, **kwargs)
        return text

    loads = staticmethod(json.loads)
