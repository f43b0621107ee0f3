"""ECS tag limits, the same for every resource that takes tags."""

from __future__ import annotations

from collections.abc import Sequence

from shoal.core.errors import InvalidArgument
from shoal.v1 import ecs_pb2

MAX_TAGS = 50
MAX_KEY_CHARS = 128
MAX_VALUE_CHARS = 256


def check_tags(tags: Sequence[ecs_pb2.Tag], field: str = "tags") -> None:
    """At most 50 tags, keys of 1-128 and values of at most 256 printable characters, keys unique."""
    if len(tags) > MAX_TAGS:
        raise InvalidArgument(field, f"at most {MAX_TAGS} tags, got {len(tags)}")
    seen: set[str] = set()
    for i, tag in enumerate(tags):
        if not tag.key or len(tag.key) > MAX_KEY_CHARS or not tag.key.isprintable():
            raise InvalidArgument(f"{field}[{i}].key", f"must be 1-{MAX_KEY_CHARS} printable characters")
        if len(tag.value) > MAX_VALUE_CHARS or not tag.value.isprintable():
            raise InvalidArgument(
                f"{field}[{i}].value", f"must be at most {MAX_VALUE_CHARS} printable characters"
            )
        if tag.key in seen:
            raise InvalidArgument(f"{field}[{i}].key", "is given twice")
        seen.add(tag.key)
