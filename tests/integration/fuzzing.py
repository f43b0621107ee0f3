"""Hostile protobuf requests for property tests: every field type, drawn from what breaks servers.

Strategies are built from message descriptors, so a new field or RPC is fuzzed without a test change.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.request
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from shoal.core import arns

# The CI run stays short; SHOAL_FUZZ_EXAMPLES=2000 makes the longer run for the figures.
EXAMPLES = int(os.environ.get("SHOAL_FUZZ_EXAMPLES", "25"))
MAX_REQUEST_BYTES = 3 * 1024 * 1024  # below gRPC's 4 MiB: larger ones never reach our code

P = "arn:shoal:ecs:local:000000000000:"
NAMES = ["default", "fz", "other", "web", "fz:1"]
HOSTILE = [
    "",
    "²",
    "٣",
    "fz:²",
    "fz:" + "9" * 5000,
    "fz:0",
    "fz:-1",
    "fz\n",
    "a" * 8000,
    "é" * 3000,
    "\x00",
    "busybox\x00evil",
    "400" + "0" * 397,
    "-1",
    "1 vCPU",
    "0.5",
    "1e9",
    "NaN",
    "512\n",
    "attribute:ecs.availability-zone",
    "cpu",
    "memberOf",
    "distinctInstance",
    "spread",
    "binpack",
    "ACTIVE",
    "DRAINING",
    "REPLICA",
    "DAEMON",
    "RUNNING",
    "STOPPED",
    "tcp",
    "bridge",
    "host",
    "CMD",
    "123",
    "5000" + "0" * 4996,
    P + "cluster/fz",
    P + "cluster/other",
    P + "task/other/0123456789abcdef0123456789abcdef",
    P + "task/fz/0123456789abcdef0123456789abcdef",
    P + "task-definition/fz:1",
    P + "task-definition/fz:²",
    P + "service/other/web",
    P + "service/fz/web",
    P + "container-instance/other/i-0123456789abcdef",
    P + "container-instance/fz/i-0123456789abcdef",
    "arn:aws:ecs:us-east-1:123456789012:cluster/fz",
    "i-0123456789abcdef",
    "0123456789abcdef0123456789abcdef",
]
_INT_EDGES = [0, 1, -1, 2, 10, 11, 100, 101, 1000, 1001, 65535, 65536, 2**31 - 1, -(2**31)]

_strings = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(HOSTILE),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="ascii"), max_size=300),
)
_SCALARS: dict[int, st.SearchStrategy[Any]] = {
    FieldDescriptor.TYPE_STRING: _strings,
    FieldDescriptor.TYPE_BYTES: st.binary(max_size=64),
    FieldDescriptor.TYPE_BOOL: st.booleans(),
    FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=True, allow_infinity=True),
    FieldDescriptor.TYPE_FLOAT: st.floats(width=32, allow_nan=True, allow_infinity=True),
    FieldDescriptor.TYPE_INT32: st.one_of(st.sampled_from(_INT_EDGES), st.integers(-(2**31), 2**31 - 1)),
    FieldDescriptor.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: st.one_of(st.sampled_from(_INT_EDGES), st.integers(-(2**63), 2**63 - 1)),
    FieldDescriptor.TYPE_SINT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
}


def _field(f: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        key = _field(f.message_type.fields_by_name["key"], depth + 1)
        value = _field(f.message_type.fields_by_name["value"], depth + 1)
        return st.dictionaries(key, value, max_size=3)
    if f.type == FieldDescriptor.TYPE_MESSAGE:
        one = message_dict(f.message_type, depth + 1)
    elif f.type == FieldDescriptor.TYPE_ENUM:
        one = st.sampled_from([v.number for v in f.enum_type.values])
    else:
        one = _SCALARS[f.type]
    if not f.is_repeated:
        return one
    lists = st.lists(one, max_size=3)
    if depth == 0:  # oversize lists only at the top: nested ones would multiply past gRPC's limit
        lists = st.one_of(lists, st.builds(lambda x: [x] * 101, one), st.builds(lambda x: [x] * 11, one))
    return lists


def message_dict(desc: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Values for some of the fields of a message (deeper messages get fewer fields)."""
    if desc.full_name.startswith("google.protobuf.") or depth > 3:
        return st.just({})
    fields = {f.name: _field(f, depth) for f in desc.fields}
    return st.fixed_dictionaries({}, optional=fields)


def build(cls: type[Message] | Descriptor, data: dict[str, Any]) -> Message:
    """A message from message_dict output."""
    msg = cls() if isinstance(cls, type) else _class_of(cls)()
    for name, value in data.items():
        f = msg.DESCRIPTOR.fields_by_name[name]
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            target = getattr(msg, name)
            vtype = f.message_type.fields_by_name["value"]
            for k, v in value.items():
                if vtype.message_type is not None:
                    target[k].CopyFrom(build(vtype.message_type, v))
                else:
                    target[k] = v
        elif f.type == FieldDescriptor.TYPE_MESSAGE:
            if f.is_repeated:
                getattr(msg, name).extend(build(f.message_type, v) for v in value)
            else:
                getattr(msg, name).CopyFrom(build(f.message_type, value))
        elif f.is_repeated:
            getattr(msg, name).extend(value)
        else:
            setattr(msg, name, value)
    return msg


def _class_of(desc: Descriptor) -> type[Message]:
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(desc)


def etcd_listing(endpoint: str, prefix: str) -> dict[str, int]:
    """key -> mod_revision of every key under prefix, through etcd's JSON gateway."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    body = json.dumps(
        {
            "key": base64.b64encode(prefix.encode()).decode(),
            "range_end": base64.b64encode(end.encode()).decode(),
            "keys_only": True,
        }
    ).encode()
    req = urllib.request.Request(f"http://{endpoint}/v3/kv/range", data=body, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        kvs = json.loads(resp.read()).get("kvs", [])
    return {base64.b64decode(kv["key"]).decode(): int(kv.get("mod_revision", 0)) for kv in kvs}


def valid_cluster_names() -> list[str]:
    return [n for n in NAMES if arns.NAME_RE.fullmatch(n)]
