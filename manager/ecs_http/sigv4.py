"""AWS Signature Version 4 verification over a raw HTTP request: pure, no I/O (the secret is looked up between
`parse` and `verify`, since only the access key id in the request says whose it is)."""

from __future__ import annotations

import hashlib
import hmac
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=15)  # what AWS allows between the request's date and its own clock
_AUTH_RE = re.compile(
    rf"{ALGORITHM}\s+Credential=(?P<credential>[^,\s]+)\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)"
    r"\s*,\s*Signature=(?P<signature>[0-9a-f]{64})\s*"
)
_SPACES = re.compile(r"\s+")


class SigV4Error(Exception):
    """A request that does not authenticate; `type` is the AWS error's __type."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message


@dataclass(frozen=True)
class RawRequest:
    """An HTTP request as it came off the wire: header names in any case, the path with its query."""

    method: str
    target: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name]
        return ",".join(values) if values else None


@dataclass(frozen=True)
class Claim:
    """What a request says about itself before its signature is checked."""

    access_key_id: str
    date: str  # YYYYMMDD of the scope
    region: str
    service: str
    amz_date: str  # YYYYMMDDTHHMMSSZ
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse(req: RawRequest, *, now: datetime, regions: Sequence[str], service: str) -> Claim:
    """The request's claim, refused as AWS refuses it when it is malformed, stale or scoped elsewhere."""
    auth = req.header("authorization")
    if auth is None:
        raise SigV4Error("MissingAuthenticationTokenException", "Missing Authentication Token")
    if req.header("x-amz-security-token") is not None:
        # Shoal issues no session credentials: a token is from somewhere else.
        raise SigV4Error(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    m = _AUTH_RE.fullmatch(auth.strip())
    if m is None:
        raise SigV4Error(
            "IncompleteSignatureException",
            f"Authorization header requires {ALGORITHM} with Credential, SignedHeaders and Signature.",
        )
    parts = m["credential"].split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SigV4Error(
            "IncompleteSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', as "
            "<key>/<date>/<region>/<service>/aws4_request.",
        )
    access_key_id, date, region, svc, _ = parts
    amz_date = req.header("x-amz-date")
    if amz_date is None:
        raise SigV4Error(
            "IncompleteSignatureException", "Authorization header requires an X-Amz-Date header."
        )
    try:
        when = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise SigV4Error("IncompleteSignatureException", "X-Amz-Date must be YYYYMMDDTHHMMSSZ.") from None
    if abs(now - when) > MAX_SKEW:
        early, late = (now - MAX_SKEW).strftime("%Y%m%dT%H%M%SZ"), (now + MAX_SKEW).strftime("%Y%m%dT%H%M%SZ")
        raise SigV4Error(
            "InvalidSignatureException",
            f"Signature expired: {amz_date} is now earlier than {early} or later than {late} "
            "(the request's date must be within 15 minutes of the server's clock).",
        )
    if date != amz_date[:8]:
        raise SigV4Error(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid date: {date!r} is not the request's "
            f"date {amz_date[:8]!r}.",
        )
    if region not in regions:
        raise SigV4Error(
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region: {region!r} is not "
            f"{' or '.join(map(repr, regions))}.",
        )
    if svc != service:
        raise SigV4Error(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: {service!r}, not {svc!r}.",
        )
    signed = tuple(m["signed"].split(";"))
    if "host" not in signed:
        raise SigV4Error("InvalidSignatureException", "'Host' must be a signed header.")
    if list(signed) != sorted(set(signed)):
        raise SigV4Error("InvalidSignatureException", "SignedHeaders must be lowercase, sorted and unique.")
    return Claim(access_key_id, date, region, svc, amz_date, signed, m["signature"])


def canonical_request(req: RawRequest, signed_headers: Sequence[str]) -> str:
    """The canonical request of SigV4 (double URI-encoded path, as for every service but S3)."""
    path, _, query = req.target.partition("?")
    norm = posixpath.normpath(path or "/")
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    if path.endswith("/") and norm != "/":
        norm += "/"
    lines = [req.method.upper(), quote(norm, safe="/~"), _canonical_query(query)]
    for name in signed_headers:
        value = req.header(name)
        if value is None:
            raise SigV4Error("InvalidSignatureException", f"signed header {name!r} is not in the request.")
        lines.append(f"{name}:{_SPACES.sub(' ', value.strip())}")
    lines += ["", ";".join(signed_headers), hashlib.sha256(req.body).hexdigest()]
    return "\n".join(lines)


def _canonical_query(query: str) -> str:
    pairs = []
    for item in query.split("&") if query else []:
        k, _, v = item.partition("=")
        pairs.append((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def signature(secret: str, claim: Claim, canonical: str) -> str:
    to_sign = "\n".join(
        [ALGORITHM, claim.amz_date, claim.scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + secret).encode()
    for part in (claim.date, claim.region, claim.service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def verify(req: RawRequest, claim: Claim, secret: str) -> None:
    """InvalidSignatureException unless the request was signed with `secret` as it claims."""
    expected = signature(secret, claim, canonical_request(req, claim.signed_headers))
    if not hmac.compare_digest(expected, claim.signature):
        raise SigV4Error(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )
