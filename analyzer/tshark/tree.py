"""Reading tshark's JSON packet tree (`tshark -T json -x --no-duplicate-keys`): pure helpers.

Every field is a string (numbers in decimal or 0x-hex, byte fields as colon-separated hex);
a field that occurs twice in one node is a list; with `-x` each field `f` has a sibling
`f_raw` = [hex, offset, length, bitmask, type] (a list of those when repeated); for a field
with a bitmask that hex is the masked value, not the frame's octets (read those from the
layer's own `<proto>_raw`). Fields sit under grouping nodes (`wlan.fixed.all`, `..._tree`), so
lookups search a subtree in document order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Node = dict[str, Any]


class Flat(dict[str, list[Any]]):
    """A subtree indexed once: every field name to its values in document order (subtrees
    kept as values too), so each lookup is one dictionary access. The `_raw` companions are
    left out (most of the volume): read those from the tree."""


def flat(node: object) -> Flat:
    if isinstance(node, Flat):
        return node
    out = Flat()
    _flatten(node, out)
    return out


def _flatten(node: object, out: Flat) -> None:
    if isinstance(node, list):
        for item in node:
            _flatten(item, out)
        return
    if not isinstance(node, dict):
        return
    for k, v in node.items():
        if k.endswith("_raw"):
            continue
        items = v if isinstance(v, list) else (v,)
        out.setdefault(k, []).extend(items)
        for item in items:
            if isinstance(item, dict):
                _flatten(item, out)


def values(node: object, key: str) -> Iterator[Any]:
    """Every value of field `key` in the subtree, in document order (lists flattened)."""
    if isinstance(node, Flat):
        yield from node.get(key, ())
    elif isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                if isinstance(v, list) and not key.endswith("_raw"):
                    yield from v
                elif key.endswith("_raw") and v and isinstance(v[0], list):
                    yield from v
                else:
                    yield v
            elif isinstance(v, dict | list) and not k.endswith("_raw"):
                yield from values(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from values(item, key)


def first(node: object, key: str) -> Any | None:
    """The first value of field `key` in the subtree, or None."""
    if isinstance(node, Flat):
        found = node.get(key)
        return found[0] if found else None
    return next(values(node, key), None)


def num(node: object, key: str) -> int | None:
    """An integer field (decimal or 0x-hex), or None when absent or not a number."""
    value = first(node, key)
    return to_int(value)


def to_int(value: object) -> int | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return int(value, 0) if value[:2] in ("0x", "0X") else int(value)
    except ValueError:
        return None


def to_bytes(value: object) -> bytes | None:
    """A byte field as tshark prints it (`aa:bb:cc`, or plain hex), or None."""
    if not isinstance(value, str):
        return None
    try:
        return bytes.fromhex(value.replace(":", ""))
    except ValueError:
        return None


def blob(node: object, key: str) -> bytes | None:
    return to_bytes(first(node, key))


def raw(node: object, key: str) -> bytes | None:
    """The bytes a field was dissected from (`-x`), or None."""
    value = first(node, key + "_raw")
    if isinstance(value, list) and value and isinstance(value[0], str):
        return to_bytes(value[0])
    return None


def as_list(value: object) -> list[Any]:
    """A node that is a list when repeated and a single value otherwise, as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def raw_list(value: object) -> list[Any]:
    """`f_raw` values as a list of [hex, offset, length, ...] entries."""
    if not isinstance(value, list) or not value:
        return []
    return value if isinstance(value[0], list) else [value]


def byte_at(node: object, offset: int) -> int | None:
    """The octet at frame offset `offset`, from any field dissected there (`-x`)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k.endswith("_raw"):
                for r in raw_list(v):
                    if len(r) > 1 and r[1] == offset and isinstance(r[0], str) and r[0]:
                        return int(r[0][:2], 16)
            elif isinstance(v, dict | list):
                found = byte_at(v, offset)
                if found is not None:
                    return found
    elif isinstance(node, list):
        for item in node:
            found = byte_at(item, offset)
            if found is not None:
                return found
    return None


def offset_of(node: object, key: str) -> int | None:
    """The frame offset field `key` was dissected at (`-x`)."""
    value = first(node, key + "_raw")
    if isinstance(value, list) and len(value) > 1 and isinstance(value[1], int):
        return value[1]
    return None


def printable(text: str) -> str:
    """`text` with anything but printable ASCII as `\\xNN` / `\\uNNNN` escapes (tshark's
    messages may quote what came off the air)."""
    return "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode() for c in text)


def layer_raw(layers: Node, name: str) -> bytes | None:
    """The octets a whole protocol layer was dissected from (`-x`: `<name>_raw`)."""
    value = layers.get(name + "_raw")
    if isinstance(value, list) and value and isinstance(value[0], str):
        return to_bytes(value[0])
    return None
