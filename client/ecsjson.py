"""ECS JSON of API messages: every list field printed, empty ones as [], as ECS responses have them."""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message


def _is_well_known(desc: Descriptor) -> bool:
    # Timestamps, wrappers, Struct ...: protobuf gives them their own JSON form, not an object of fields.
    return desc.full_name.startswith("google.protobuf.")


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def to_dict(msg: Message) -> dict[str, Any]:
    """protobuf's JSON mapping of msg, with every empty list field present as [] as in ECS responses."""
    return _keep_lists(msg, json_format.MessageToDict(msg))


def to_json(msg: Message, indent: int | None = 2) -> str:
    """to_dict as JSON text (indent=None: one line, for JSON lines)."""
    return json.dumps(to_dict(msg), indent=indent, ensure_ascii=False)


def _keep_lists(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    desc = msg.DESCRIPTOR
    if _is_well_known(desc):
        return data
    out: dict[str, Any] = {}
    # Field-number order is the order protobuf's own output uses (ListFields), so present
    # fields keep their places and the added lists fall where they belong.
    for f in sorted(desc.fields, key=lambda f: f.number):
        name = f.json_name
        nested = f.message_type is not None and not _is_well_known(f.message_type)
        if _is_map(f):
            # Empty maps stay out, as ECS leaves out empty dockerLabels or options; the API's maps
            # all hold scalars, so there is nothing inside to fill in.
            if name in data:
                out[name] = data[name]
        elif f.is_repeated:
            items = data.get(name, [])
            if nested:
                items = [_keep_lists(m, d) for m, d in zip(getattr(msg, f.name), items, strict=True)]
            out[name] = items
        elif name in data:
            out[name] = _keep_lists(getattr(msg, f.name), data[name]) if nested else data[name]
    return out
