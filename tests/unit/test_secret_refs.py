"""valueFrom as ECS task definitions write it: names, Secrets Manager ARNs (suffixes), SSM parameters."""

from __future__ import annotations

import pytest

from shoal.core.errors import InvalidArgument
from shoal.core.secret_refs import SecretRef, parse_value_from

SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("db-password", SecretRef("db-password")),
        ("/prod/db/password", SecretRef("/prod/db/password")),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/prod/db", SecretRef("prod/db")),
        ("arn:aws:ssm:eu-west-1:1:parameter/plain", SecretRef("plain")),
        (SM + "app-AbC123", SecretRef("app-AbC123", arn_suffixed=True)),
        (SM + "app-AbC123:password::", SecretRef("app-AbC123", "password", arn_suffixed=True)),
        (SM + "app:password:AWSPREVIOUS:", SecretRef("app", "password", "AWSPREVIOUS", arn_suffixed=True)),
        (SM + "app::AWSCURRENT:v1", SecretRef("app", "", "AWSCURRENT", "v1", arn_suffixed=True)),
    ],
)
def test_value_from_forms(text: str, ref: SecretRef) -> None:
    assert parse_value_from(text) == ref


def test_secrets_manager_random_suffix_is_tried_both_ways() -> None:
    assert parse_value_from(SM + "app-AbC123").candidates() == ["app-AbC123", "app"]
    assert parse_value_from(SM + "app").candidates() == ["app"]
    assert parse_value_from("plain-AbC123").candidates() == ["plain-AbC123"]  # a plain name is exact


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is required"),
        ("arn:aws:s3:::bucket/key", "is not a Secrets Manager or SSM parameter ARN"),
        (SM + "app:k:LATEST:", "version stage must be AWSCURRENT or AWSPREVIOUS"),
        (SM + "a:b:c:d:e", "too many"),
        ("has space", "is not a secret name"),
        ("x" * 600, "is not a secret name"),
    ],
)
def test_bad_value_from_names_the_field(text: str, words: str) -> None:
    with pytest.raises(InvalidArgument) as exc:
        parse_value_from(text, "containerDefinitions[0].secrets[0].valueFrom")
    assert exc.value.field == "containerDefinitions[0].secrets[0].valueFrom"
    assert words in exc.value.message
