"""How task definitions name secrets (`valueFrom`): a Shoal secret's name, or the ECS ARN forms of
Secrets Manager (with its json-key, version-stage and version-id suffixes) and SSM Parameter Store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shoal.core.errors import InvalidArgument, quote

NAME_RE = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_SM = re.compile(r"arn:aws:secretsmanager:[^:]*:[^:]*:secret:(.+)")
_SSM = re.compile(r"arn:aws:ssm:[^:]*:[^:]*:parameter/?(.+)")
# Secrets Manager ARNs end the name with a dash and six random characters.
_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}")


@dataclass(frozen=True)
class SecretRef:
    name: str
    json_key: str = ""
    version_stage: str = ""  # AWSCURRENT | AWSPREVIOUS
    version_id: str = ""
    arn_suffixed: bool = False  # the name may end with Secrets Manager's random suffix

    def candidates(self) -> list[str]:
        """Names to look up, most specific first (with and without an ARN's random suffix)."""
        out = [self.name]
        if self.arn_suffixed and _SUFFIX.fullmatch(self.name[-7:]) and len(self.name) > 7:
            out.append(self.name[:-7])
        return out


def parse_value_from(text: str, field: str = "valueFrom") -> SecretRef:
    if not text:
        raise InvalidArgument(field, "is required (a secret name or ARN)")
    m = _SSM.fullmatch(text)
    if m:
        name = m.group(1).lstrip("/")
        if not NAME_RE.fullmatch(name):
            raise InvalidArgument(field, f"{quote(text)}: the parameter name is not valid")
        return SecretRef(name=name)
    m = _SM.fullmatch(text)
    if m:
        # name[:json-key[:version-stage[:version-id]]]
        parts = m.group(1).split(":")
        if len(parts) > 4:
            raise InvalidArgument(field, f"{quote(text)}: too many ':'-separated parts after secret:")
        parts += [""] * (4 - len(parts))
        name, json_key, stage, version = parts
        if not NAME_RE.fullmatch(name):
            raise InvalidArgument(field, f"{quote(text)}: the secret name is not valid")
        if stage and stage not in ("AWSCURRENT", "AWSPREVIOUS"):
            raise InvalidArgument(field, f"{quote(text)}: version stage must be AWSCURRENT or AWSPREVIOUS")
        return SecretRef(name, json_key, stage, version, arn_suffixed=True)
    if text.startswith("arn:"):
        raise InvalidArgument(field, f"{quote(text)} is not a Secrets Manager or SSM parameter ARN")
    if not NAME_RE.fullmatch(text):
        raise InvalidArgument(field, f"{quote(text)} is not a secret name (letters, digits, / _ + = . @ -)")
    return SecretRef(name=text)
