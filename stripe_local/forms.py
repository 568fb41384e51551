"""Stripe's request encoding: form fields with brackets for nesting, ``line_items[0][price]=…``,
``metadata[org_id]=…``, ``expand[]=…``. Decoded into plain dicts and lists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

_PART = re.compile(r"\[([^\]]*)\]")


def _put(container: dict, keys: list[str], value: str) -> None:
    node: Any = container
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        nxt: Any = None if last else ([] if keys[i + 1] == "" or keys[i + 1].isdigit() else {})
        if isinstance(node, list):
            index = len(node) if key == "" else int(key)
            while len(node) <= index:
                node.append(None)
            if last:
                node[index] = value
            else:
                if node[index] is None:
                    node[index] = nxt
                node = node[index]
        else:
            if last:
                node[key] = value
            else:
                node = node.setdefault(key, nxt)


def decode(body: str) -> dict[str, Any]:
    """``a[b][0][c]=1&d[]=x`` → ``{"a": {"b": [{"c": "1"}]}, "d": ["x"]}``. Values stay strings."""
    out: dict[str, Any] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        head = name.split("[", 1)[0]
        _put(out, [head, *_PART.findall(name[len(head) :])], value)
    return out


def truthy(value: Any) -> bool:
    return str(value).lower() in {"true", "1", "yes"}
