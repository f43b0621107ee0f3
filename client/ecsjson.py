"""ECS JSON of API messages: lists always printed (as ECS does), unknown input fields named by ECS path."""

from __future__ import annotations

import difflib
import json
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from shoal.core.errors import InvalidArgument

UNKNOWN_FIELD = "UNKNOWN_FIELD"

_M = TypeVar("_M", bound=Message)


class UnknownFields(InvalidArgument):
    """Every field of one JSON document that its message does not have; `problems` has one per field."""

    def __init__(self, problems: list[InvalidArgument]) -> None:
        super().__init__("", "; ".join(p.message for p in problems), reason=UNKNOWN_FIELD)
        self.field = problems[0].field
        self.problems = problems


def _is_well_known(desc: Descriptor) -> bool:
    # Timestamps, wrappers, Struct ...: protobuf gives them their own JSON form, not an object of fields.
    return desc.full_name.startswith("google.protobuf.")


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# -- output ----------------------------------------------------------------------------------------
def to_dict(msg: Message) -> dict[str, Any]:
    """protobuf's JSON mapping of msg, with every empty list field present as [] as in ECS responses."""
    return _keep_lists(msg, json_format.MessageToDict(msg))


def to_json(msg: Message, indent: int | None = 2) -> str:
    """to_dict as JSON text (indent=None: one line, for JSON lines)."""
    return json.dumps(to_dict(msg), indent=indent, ensure_ascii=False)


_MAP, _LIST, _ONE = 0, 1, 2
# Per message type, its fields as _keep_lists walks them: (JSON name, attribute, shape, nested). Field-
# number order is the order protobuf's own output uses (ListFields), so present fields keep their
# places and the added lists fall where they belong. Worked out once per type: events render every
# task change, and the CLI thousands of rows.
_PLANS: dict[str, list[tuple[str, str, int, bool]] | None] = {}


def _plan(desc: Descriptor) -> list[tuple[str, str, int, bool]] | None:
    if desc.full_name in _PLANS:
        return _PLANS[desc.full_name]
    plan: list[tuple[str, str, int, bool]] | None
    if _is_well_known(desc):
        plan = None
    else:
        plan = []
        for f in sorted(desc.fields, key=lambda f: f.number):
            nested = f.message_type is not None and not _is_well_known(f.message_type)
            shape = _MAP if _is_map(f) else _LIST if f.is_repeated else _ONE
            plan.append((f.json_name, f.name, shape, nested))
    _PLANS[desc.full_name] = plan
    return plan


def _keep_lists(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(msg.DESCRIPTOR)
    if plan is None:
        return data
    out: dict[str, Any] = {}
    for name, attr, shape, nested in plan:
        if shape == _MAP:
            # Empty maps stay out, as ECS leaves out empty dockerLabels or options; the API's maps
            # all hold scalars, so there is nothing inside to fill in.
            if name in data:
                out[name] = data[name]
        elif shape == _LIST:
            items = data.get(name, [])
            if nested and items:
                items = [_keep_lists(m, d) for m, d in zip(getattr(msg, attr), items, strict=True)]
            out[name] = items
        elif name in data:
            out[name] = _keep_lists(getattr(msg, attr), data[name]) if nested else data[name]
    return out


# -- input -----------------------------------------------------------------------------------------
def parse(data: Any, msg: _M, path: str = "") -> _M:
    """Fill msg from ECS JSON; every unknown field raises at once as UnknownFields (ECS paths, under path).

    Other mistakes (a string where a number belongs, ...) raise json_format.ParseError as protobuf words them.
    """
    problems: list[InvalidArgument] = []
    _find_unknown(data, msg.DESCRIPTOR, path, problems)
    if problems:
        raise UnknownFields(problems)
    return json_format.ParseDict(data, msg)


def parse_list(data: list[Any], cls: type[_M], path: str) -> list[_M]:
    """parse for each item of a JSON list (path[0], path[1], ...); unknown fields of all items at once."""
    problems: list[InvalidArgument] = []
    for i, item in enumerate(data):
        _find_unknown(item, cls.DESCRIPTOR, f"{path}[{i}]", problems)
    if problems:
        raise UnknownFields(problems)
    return [json_format.ParseDict(item, cls()) for item in data]


def _find_unknown(data: Any, desc: Descriptor, path: str, problems: list[InvalidArgument]) -> None:
    if not isinstance(data, dict) or _is_well_known(desc):
        return  # a value of the wrong shape is for ParseDict to word
    by_name: dict[str, FieldDescriptor] = {}
    for f in desc.fields:
        by_name[f.name] = f  # protobuf also accepts the proto name (port_mappings)
        by_name[f.json_name] = f
    for key, value in data.items():
        f = by_name.get(key)
        where = _join(path, key)
        if f is None:
            guess = difflib.get_close_matches(key, [f.json_name for f in desc.fields], n=1)
            hint = f' (did you mean "{guess[0]}"?)' if guess else ""
            problems.append(InvalidArgument(where, f'unknown field "{key}"{hint}', reason=UNKNOWN_FIELD))
            continue
        if f.message_type is None:
            continue
        if _is_map(f):
            value_type = f.message_type.fields_by_name["value"].message_type
            if value_type is not None and isinstance(value, dict):
                for k, v in value.items():
                    _find_unknown(v, value_type, _join(where, str(k)), problems)
        elif f.is_repeated:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    _find_unknown(item, f.message_type, f"{where}[{i}]", problems)
        else:
            _find_unknown(value, f.message_type, where, problems)
