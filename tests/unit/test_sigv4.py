"""SigV4 verification against botocore's own signer: what boto3 and the aws CLI send verifies, no more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from shoal.manager.ecs_http import sigv4

AKID = "AKIAEXAMPLE000000001"
SECRET = "s" * 40
REGIONS = ("local",)


def signed(
    body: bytes = b'{"clusters": ["default"]}',
    *,
    region: str = "local",
    service: str = "ecs",
    url: str = "https://127.0.0.1:7703/",
    secret: str = SECRET,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> sigv4.RawRequest:
    req = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DescribeClusters",
            **(headers or {}),
        },
    )
    SigV4Auth(Credentials(AKID, secret, token), service, region).add_auth(req)
    prepared = req.prepare()
    host = url.split("/")[2]
    wire = [("Host", host), *prepared.headers.items()]
    target = url.split(host, 1)[1] or "/"
    return sigv4.RawRequest("POST", target, wire, body)


def check(req: sigv4.RawRequest, *, secret: str = SECRET, now: datetime | None = None) -> sigv4.Claim:
    claim = sigv4.parse(req, now=now or datetime.now(UTC), regions=REGIONS, service="ecs")
    sigv4.verify(req, claim, secret)
    return claim


def refused(req: sigv4.RawRequest, **kw) -> sigv4.SigV4Error:
    with pytest.raises(sigv4.SigV4Error) as info:
        check(req, **kw)
    return info.value


def test_botocore_signatures_verify() -> None:
    claim = check(signed())
    assert (claim.access_key_id, claim.region, claim.service) == (AKID, "local", "ecs")
    check(signed(b""))
    check(signed(url="https://manager.example:7443/a/./b//c%20d?b=2&a=1&a=0"))
    check(signed(headers={"X-Custom": "  two   spaces  "}))


def test_a_changed_body_target_or_secret_is_refused() -> None:
    req = signed()
    tampered = sigv4.RawRequest(req.method, req.target, req.headers, b'{"clusters": ["prod"]}')
    assert refused(tampered).type == "InvalidSignatureException"
    headers = [
        (k, "AmazonEC2ContainerServiceV20141113.DeleteCluster" if k.lower() == "x-amz-target" else v)
        for k, v in req.headers
    ]
    retargeted = sigv4.RawRequest(req.method, req.target, headers, req.body)
    assert refused(retargeted).type == "InvalidSignatureException"
    assert refused(req, secret="t" * 40).type == "InvalidSignatureException"


def test_scope_and_date() -> None:
    err = refused(signed(region="us-east-1"))
    assert err.type == "InvalidSignatureException" and "region" in err.message
    assert "service" in refused(signed(service="sqs")).message
    err = refused(signed(), now=datetime.now(UTC) + timedelta(minutes=16))
    assert err.type == "InvalidSignatureException" and "expired" in err.message
    check(signed(), now=datetime.now(UTC) + timedelta(minutes=14))


def test_missing_or_malformed_authorization() -> None:
    req = signed()
    bare = [(k, v) for k, v in req.headers if k.lower() != "authorization"]
    unsigned = sigv4.RawRequest("POST", "/", bare, req.body)
    assert refused(unsigned).type == "MissingAuthenticationTokenException"
    junk = [*bare, ("Authorization", "Bearer SHOAL-KEY-x")]
    assert refused(sigv4.RawRequest("POST", "/", junk, req.body)).type == "IncompleteSignatureException"
    assert refused(signed(token="session")).type == "UnrecognizedClientException"
