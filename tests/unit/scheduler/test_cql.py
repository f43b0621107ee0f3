"""Cluster query language: parsing, evaluation and error positions."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from shoal.manager.scheduler.cql import (
    MAX_EXPRESSION_LENGTH,
    And,
    Condition,
    CQLSyntaxError,
    Not,
    Or,
    parse,
)
from shoal.manager.scheduler.model import ContainerInstanceView


def make_instance(
    attributes: Mapping[str, str] | None = None,
    *,
    instance_id: str = "i-0001",
    agent_connected: bool = True,
    agent_version: str = "1.20.0",
    registered_at: datetime | None = datetime(2018, 6, 18, 22, 28, 28, tzinfo=UTC),
    running_tasks_count: int = 0,
) -> ContainerInstanceView:
    return ContainerInstanceView(
        instance_id=instance_id,
        status="ACTIVE",
        agent_connected=agent_connected,
        attributes=dict(attributes or {}),
        registered_cpu=2048,
        registered_memory=4096,
        remaining_cpu=2048,
        remaining_memory=4096,
        agent_version=agent_version,
        registered_at=registered_at,
        running_tasks_count=running_tasks_count,
    )


def holds(expression: str, instance: ContainerInstanceView, groups: Mapping[str, int] | None = None) -> bool:
    return parse(expression).evaluate(instance, groups or {})


# ------------------------------------------------------------------------------------- documented examples

# (expression, instance kwargs + groups that make it true, ... that make it false)
DOCUMENTED: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "attribute:ecs.instance-type == t2.small",
        {"attributes": {"ecs.instance-type": "t2.small"}},
        {"attributes": {"ecs.instance-type": "t2.medium"}},
    ),
    (
        "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
        {"attributes": {"ecs.availability-zone": "us-east-1b"}},
        {"attributes": {"ecs.availability-zone": "us-east-1c"}},
    ),
    (
        "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
        {"attributes": {"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1a"}},
        {"attributes": {"ecs.instance-type": "g2.2xlarge", "ecs.availability-zone": "us-east-1d"}},
    ),
    (
        "task:group == service:production",
        {"groups": {"service:production": 2}},
        {"groups": {"service:staging": 1, "service:production": 0}},
    ),
    (
        "not(task:group == database)",
        {"groups": {"web": 3}},
        {"groups": {"database": 1}},
    ),
    (
        "runningTasksCount == 1",
        {"running_tasks_count": 1},
        {"running_tasks_count": 2},
    ),
    (
        "agentVersion < 1.14.5",
        {"agent_version": "1.9.0"},
        {"agent_version": "1.20.0"},
    ),
    (
        "registeredAt < 2018-02-13",
        {"registered_at": datetime(2018, 2, 12, 23, 59, 59, tzinfo=UTC)},
        {"registered_at": datetime(2018, 2, 13, 0, 0, 0, tzinfo=UTC)},
    ),
    (
        "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
        {"instance_id": "i-wxyx7890"},
        {"instance_id": "i-abcd12345"},
    ),
    (
        "(attribute:stack == prod or attribute:stack == staging) and agentConnected == true",
        {"attributes": {"stack": "staging"}, "agent_connected": True},
        {"attributes": {"stack": "staging"}, "agent_connected": False},
    ),
]


@pytest.mark.parametrize(("expression", "true_case", "false_case"), DOCUMENTED)
def test_documented_examples(expression: str, true_case: dict[str, Any], false_case: dict[str, Any]) -> None:
    tree = parse(expression)
    for case, expected in ((true_case, True), (false_case, False)):
        kwargs = dict(case)
        groups = kwargs.pop("groups", {})
        assert tree.evaluate(make_instance(**kwargs), groups) is expected, (case, expected)


def test_documented_conjunction_false_on_each_side() -> None:
    tree = parse("attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d")
    wrong_type = {"ecs.instance-type": "t2.small", "ecs.availability-zone": "us-east-1a"}
    no_zone = {"ecs.instance-type": "g2.2xlarge"}
    assert tree.evaluate(make_instance(wrong_type), {}) is False
    assert tree.evaluate(make_instance(no_zone), {}) is False  # != needs the attribute to exist


def test_documented_stack_example_other_stack() -> None:
    tree = parse("(attribute:stack == prod or attribute:stack == staging) and agentConnected == true")
    assert tree.evaluate(make_instance({"stack": "prod"}), {}) is True
    assert tree.evaluate(make_instance({"stack": "dev"}), {}) is False
    assert tree.evaluate(make_instance({}), {}) is False


# ------------------------------------------------------------------------------------- attribute operators

ATTRS = {"type": "t2.small", "zone": "us-east-1a", "cpus": "8", "name": "beta", "empty": ""}

# (expression, expected) against ATTRS; "missing" is never present.
ATTRIBUTE_CASES: list[tuple[str, bool]] = [
    # ==
    ("attribute:type == t2.small", True),
    ("attribute:type == t2.medium", False),
    ("attribute:type equals t2.small", True),
    ("attribute:type EQUALS t2.small", True),
    ("attribute:type == 'T2.small'", False),  # values are case-sensitive
    ("attribute:missing == t2.small", False),
    ("attribute:empty == ''", True),
    ('attribute:empty == ""', True),
    # !=
    ("attribute:type != t2.medium", True),
    ("attribute:type != t2.small", False),
    ("attribute:type not_equals t2.medium", True),
    ("attribute:type Not_Equals t2.small", False),
    ("attribute:missing != t2.small", False),
    # > >= < <= : numeric when both sides are numbers
    ("attribute:cpus > 10", False),  # 8 > 10 numerically; as strings "8" > "10" would be true
    ("attribute:cpus < 10", True),
    ("attribute:cpus >= 8", True),
    ("attribute:cpus >= 8.0", True),
    ("attribute:cpus <= 7.5", False),
    ("attribute:cpus greater_than 4", True),
    ("attribute:cpus greater_than_equal 9", False),
    ("attribute:cpus less_than 9", True),
    ("attribute:cpus LESS_THAN_EQUAL 8", True),
    ("attribute:missing < 10", False),
    ("attribute:missing >= 0", False),
    # string comparison when either side is not a number
    ("attribute:name > alpha", True),
    ("attribute:name < gamma", True),
    ("attribute:name >= beta", True),
    ("attribute:name < alpha", False),
    ("attribute:cpus > abc", False),  # "8" < "abc" as strings
    # exists / !exists
    ("attribute:type exists", True),
    ("attribute:empty exists", True),
    ("attribute:missing exists", False),
    ("attribute:type !exists", False),
    ("attribute:missing !exists", True),
    ("attribute:missing not_exists", True),
    ("attribute:type EXISTS", True),
    ("attribute:type Not_Exists", False),
    # in / !in, bare and quoted lists
    ("attribute:zone in [us-east-1a, us-east-1b]", True),
    ("attribute:zone in ['us-east-1b', 'us-east-1c']", False),
    ('attribute:zone in ["us-east-1a"]', True),
    ("attribute:zone in [us-east-1b,'us-east-1a']", True),
    ("attribute:zone in[ us-east-1a ]", True),
    ("attribute:zone IN [us-east-1a]", True),
    ("attribute:missing in [us-east-1a]", False),
    ("attribute:zone !in [us-east-1b, us-east-1c]", True),
    ("attribute:zone !in [us-east-1a, us-east-1c]", False),
    ("attribute:zone not_in [us-east-1b]", True),
    ("attribute:zone NOT_IN ['us-east-1a']", False),
    ("attribute:missing !in [us-east-1a]", False),  # the attribute must exist
    ("attribute:empty in ['', x]", True),
    # =~ / !~ (whole-value match)
    ("attribute:type =~ t2.*", True),
    ("attribute:type =~ t2", False),
    ("attribute:type =~ .*small", True),
    ("attribute:type matches 't2\\.(small|medium)'", True),
    ("attribute:type MATCHES (m5|c5).*", False),
    ("attribute:type =~ [a-z][0-9].small", True),
    ("attribute:missing =~ .*", False),
    ("attribute:type !~ m5.*", True),
    ("attribute:type !~ t2.*", False),
    ("attribute:type not_matches '.*large'", True),
    ("attribute:missing !~ t2.*", False),  # the attribute must exist
]


@pytest.mark.parametrize(("expression", "expected"), ATTRIBUTE_CASES)
def test_attribute_operators(expression: str, expected: bool) -> None:
    assert holds(expression, make_instance(ATTRS)) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("g2.2xlarge", True), ("g2.", True), ("xg2.large", False), ("g3.large", False), ("G2.large", False)],
)
def test_regex_must_match_whole_value(value: str, expected: bool) -> None:
    instance = make_instance({"ecs.instance-type": value})
    assert holds("attribute:ecs.instance-type =~ g2.*", instance) is expected


@pytest.mark.parametrize(
    "name", ["ecs.instance-type", "ecs.availability-zone", "a", "my_attr/with.dots-and-dashes", "A1"]
)
def test_attribute_name_characters(name: str) -> None:
    tree = parse(f"attribute:{name} == v")
    assert tree.subjects() == frozenset({f"attribute:{name}"})
    assert tree.evaluate(make_instance({name: "v"}), {}) is True


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("attribute:a == service:production", "service:production", True),
        ("attribute:a == 2018-06-18T22:28:28Z", "2018-06-18T22:28:28Z", True),
        ("attribute:a == /var/lib", "/var/lib", True),
        ("attribute:a == *", "*", True),
        ("attribute:a == 'two words'", "two words", True),
        ('attribute:a == "it\'s"', "it's", True),
        ("attribute:a == 'it\\'s'", "it's", True),
        ("attribute:a == 'a,b'", "a,b", True),
        ("attribute:a == '(x)'", "(x)", True),
        ("attribute:a == 'and'", "and", True),
        ("attribute:a in ['x y', \"z\"]", "x y", True),
    ],
)
def test_value_forms(expression: str, value: str, expected: bool) -> None:
    assert holds(expression, make_instance({"a": value})) is expected


# ------------------------------------------------------------------------------------- other subjects

# (expression, instance kwargs, expected)
SUBJECT_CASES: list[tuple[str, dict[str, Any], bool]] = [
    # agentConnected
    ("agentConnected == true", {"agent_connected": True}, True),
    ("agentConnected == true", {"agent_connected": False}, False),
    ("agentConnected == false", {"agent_connected": False}, True),
    ("agentConnected == TRUE", {"agent_connected": True}, True),
    ("agentConnected != true", {"agent_connected": False}, True),
    ("agentConnected equals false", {"agent_connected": True}, False),
    # agentVersion: dotted numeric order, not string order
    ("agentVersion < 1.20.0", {"agent_version": "1.14.5"}, True),
    ("agentVersion > 1.9", {"agent_version": "1.14.5"}, True),
    ("agentVersion >= 1.14.5", {"agent_version": "1.14.5"}, True),
    ("agentVersion <= 1.14.4", {"agent_version": "1.14.5"}, False),
    ("agentVersion == 1.14", {"agent_version": "1.14.0"}, True),
    ("agentVersion != 1.14.0", {"agent_version": "1.14"}, False),
    ("agentVersion == v2.0.1", {"agent_version": "2.0.1"}, True),
    ("agentVersion > 1.2.3", {"agent_version": "1.2.3-rc1"}, False),
    ("agentVersion in [1.14.5, 1.20.0]", {"agent_version": "1.20"}, True),
    ("agentVersion !in [1.14.5]", {"agent_version": "1.20.0"}, True),
    ("agentVersion =~ 1\\.2.*", {"agent_version": "1.20.0"}, True),
    ("agentVersion !~ 1\\.2.*", {"agent_version": "1.20.0"}, False),
    ("agentVersion < 9.9", {"agent_version": "unknown"}, False),
    ("agentVersion != 9.9", {"agent_version": "unknown"}, False),
    # ec2InstanceId
    ("ec2InstanceId == i-0001", {"instance_id": "i-0001"}, True),
    ("ec2InstanceId != i-0001", {"instance_id": "i-0001"}, False),
    ("ec2InstanceId in [i-0002, i-0001]", {"instance_id": "i-0001"}, True),
    ("ec2InstanceId not_in [i-0002]", {"instance_id": "i-0001"}, True),
    ("ec2InstanceId =~ i-00.*", {"instance_id": "i-0001"}, True),
    ("ec2InstanceId =~ 00.*", {"instance_id": "i-0001"}, False),
    # registeredAt: dates and datetimes, naive = UTC
    ("registeredAt > 2018-06-18", {"registered_at": datetime(2018, 6, 18, 0, 0, 1, tzinfo=UTC)}, True),
    ("registeredAt < 2018-06-18T22:28:28Z", {"registered_at": datetime(2018, 6, 18, 22, 28, 27)}, True),
    ("registeredAt == 2018-06-18T22:28:28Z", {"registered_at": datetime(2018, 6, 18, 22, 28, 28)}, True),
    ("registeredAt != 2018-06-18T22:28:28Z", {"registered_at": datetime(2018, 6, 18, 22, 28, 28)}, False),
    ("registeredAt >= 2018-06-18T22:28:28Z", {"registered_at": datetime(2018, 6, 18, 22, 28, 27)}, False),
    (
        "registeredAt <= 2018-06-18T22:28:28Z",
        {"registered_at": datetime(2018, 6, 19, 0, 28, 28, tzinfo=timezone(timedelta(hours=2)))},
        True,
    ),
    ("registeredAt == 2018-06-18T22:28:28+02:00", {"registered_at": datetime(2018, 6, 18, 20, 28, 28)}, True),
    ("registeredAt greater_than 2018-01-01", {"registered_at": None}, False),
    ("registeredAt != 2018-01-01", {"registered_at": None}, False),
    # runningTasksCount: integers
    ("runningTasksCount == 0", {"running_tasks_count": 0}, True),
    ("runningTasksCount != 0", {"running_tasks_count": 0}, False),
    ("runningTasksCount > 9", {"running_tasks_count": 10}, True),
    ("runningTasksCount >= 10", {"running_tasks_count": 10}, True),
    ("runningTasksCount < 2", {"running_tasks_count": 10}, False),
    ("runningTasksCount <= 2", {"running_tasks_count": 2}, True),
    ("runningTasksCount in [1, 2, 3]", {"running_tasks_count": 3}, True),
    ("runningTasksCount !in [1, 2, 3]", {"running_tasks_count": 3}, False),
]


@pytest.mark.parametrize(("expression", "kwargs", "expected"), SUBJECT_CASES)
def test_subjects(expression: str, kwargs: dict[str, Any], expected: bool) -> None:
    assert holds(expression, make_instance(**kwargs)) is expected


# (expression, task groups on the instance, expected)
TASK_GROUP_CASES: list[tuple[str, dict[str, int], bool]] = [
    ("task:group == service:web", {"service:web": 1}, True),
    ("task:group == service:web", {"service:web": 0}, False),
    ("task:group == service:web", {}, False),
    ("task:group != service:web", {}, True),
    ("task:group != service:web", {"service:web": 2}, False),
    ("not(task:group == service:web)", {"service:db": 1}, True),
    ("not(task:group == service:web)", {"service:web": 1}, False),
    ("task:group in [service:web, service:db]", {"service:db": 1}, True),
    ("task:group in ['service:web', 'service:db']", {"family:x": 1}, False),
    ("task:group !in [service:web, service:db]", {"family:x": 1}, True),
    ("task:group !in [service:web, service:db]", {"service:web": 1}, False),
    ("task:group =~ service:.*", {"service:api": 1}, True),
    ("task:group =~ service:.*", {"service:api": 0, "family:api": 1}, False),
    ("task:group !~ service:.*", {"family:api": 1}, True),
]


@pytest.mark.parametrize(("expression", "groups", "expected"), TASK_GROUP_CASES)
def test_task_group(expression: str, groups: dict[str, int], expected: bool) -> None:
    assert holds(expression, make_instance(), groups) is expected


def test_evaluate_without_task_groups_defaults_to_none_running() -> None:
    assert parse("not(task:group == db)").evaluate(make_instance()) is True


# ------------------------------------------------------------------------------------- compound expressions


def truth(value: bool) -> str:
    return f"attribute:{'t' if value else 'f'} exists"


BOOLEANS = list(itertools.product([False, True], repeat=3))
INSTANCE_TF = make_instance({"t": "1"})


@pytest.mark.parametrize(
    ("template", "oracle"),
    [
        ("{a} or {b} and {c}", lambda a, b, c: a or (b and c)),
        ("{a} and {b} or {c}", lambda a, b, c: (a and b) or c),
        ("({a} or {b}) and {c}", lambda a, b, c: (a or b) and c),
        ("{a} || {b} && {c}", lambda a, b, c: a or (b and c)),
        ("{a} OR {b} AND {c}", lambda a, b, c: a or (b and c)),
        ("not {a} and {b}", lambda a, b, c: (not a) and b),
        ("not ({a} and {b}) or {c}", lambda a, b, c: (not (a and b)) or c),
        ("!{a} && !{b} || {c}", lambda a, b, c: (not a and not b) or c),
        ("NOT not {a} or {b}", lambda a, b, c: a or b),
        ("not({a})and not({b})and({c})", lambda a, b, c: not a and not b and c),
        ("((({a}) or (({b}))) and ({c}))", lambda a, b, c: (a or b) and c),
        ("{a} and ({b} or ({c} and not {a}))", lambda a, b, c: a and (b or (c and not a))),
        ("! ({a} || {b}) || ! {c}", lambda a, b, c: not (a or b) or not c),
    ],
)
def test_precedence_and_grouping(template: str, oracle: Any) -> None:
    for a, b, c in BOOLEANS:
        expression = template.format(a=truth(a), b=truth(b), c=truth(c))
        assert holds(expression, INSTANCE_TF) is bool(oracle(a, b, c)), expression


def test_tree_shape_follows_precedence() -> None:
    tree = parse("attribute:a exists or attribute:b exists and not attribute:c exists")
    assert isinstance(tree, Or)
    left, right = tree.operands
    assert left == Condition("attribute:a", "exists", None)
    assert isinstance(right, And)
    assert right.operands[0] == Condition("attribute:b", "exists", None)
    assert right.operands[1] == Not(Condition("attribute:c", "exists", None))


def test_flat_chains_and_canonical_operators() -> None:
    tree = parse("attribute:a equals x && attribute:b not_in [y, 'z'] and attribute:c MATCHES w.*")
    assert tree == And(
        (
            Condition("attribute:a", "==", "x"),
            Condition("attribute:b", "!in", ("y", "z")),
            Condition("attribute:c", "=~", "w.*"),
        )
    )


def test_bare_regex_with_groups_and_classes() -> None:
    tree = parse("not(attribute:t =~ (t2|m5)\\.[a-z]+) and attribute:z == a")
    assert tree == And(
        (Not(Condition("attribute:t", "=~", "(t2|m5)\\.[a-z]+")), Condition("attribute:z", "==", "a"))
    )
    assert tree.evaluate(make_instance({"t": "c5.large", "z": "a"}), {}) is True
    assert tree.evaluate(make_instance({"t": "m5.large", "z": "a"}), {}) is False


def test_operators_without_blanks() -> None:
    tree = parse("attribute:a==x&&(attribute:b!=y||runningTasksCount>=2)")
    assert tree.evaluate(make_instance({"a": "x", "b": "y"}, running_tasks_count=2), {}) is True
    assert tree.evaluate(make_instance({"a": "x", "b": "y"}, running_tasks_count=1), {}) is False


@pytest.mark.parametrize(
    ("expression", "subjects", "depends_on_tasks"),
    [
        ("attribute:ecs.availability-zone == a", {"attribute:ecs.availability-zone"}, False),
        (
            "attribute:ecs.availability-zone == a and not(task:group == x)",
            {"attribute:ecs.availability-zone", "task:group"},
            True,
        ),
        ("runningTasksCount < 3 or agentConnected == true", {"runningTasksCount", "agentConnected"}, True),
        (
            "agentVersion > 1 and (ec2InstanceId == i-1 or registeredAt < 2020-01-01)",
            {"agentVersion", "ec2InstanceId", "registeredAt"},
            False,
        ),
    ],
)
def test_subjects_reported(expression: str, subjects: set[str], depends_on_tasks: bool) -> None:
    tree = parse(expression)
    assert tree.subjects() == frozenset(subjects)
    assert tree.depends_on_tasks() is depends_on_tasks


@pytest.mark.parametrize("expression", [example for example, _, _ in DOCUMENTED])
def test_str_round_trips(expression: str) -> None:
    tree = parse(expression)
    assert parse(str(tree)) == tree


def test_parsed_trees_are_hashable_values() -> None:
    assert parse("attribute:a == b") == parse("attribute:a   equals   'b'")
    assert len({parse("attribute:a == b"), parse("attribute:a equals b")}) == 1


def test_maximum_length_is_accepted() -> None:
    padding = " " * (MAX_EXPRESSION_LENGTH - len("attribute:a exists"))
    assert parse("attribute:a exists" + padding).evaluate(make_instance({"a": ""}), {}) is True


def test_evaluates_ten_thousand_instances() -> None:
    tree = parse("attribute:zone in [a, b] and attribute:type =~ t2.* and not(task:group == db)")
    instances = [make_instance({"zone": "ab"[i % 2], "type": f"t{i % 3}.x"}) for i in range(10_000)]
    assert sum(tree.evaluate(instance, {}) for instance in instances) == 3333


# ------------------------------------------------------------------------------------- malformed expressions

SUBJECT_HINT = (
    "; expected attribute:<name>, agentConnected, agentVersion, ec2InstanceId, registeredAt, "
    "runningTasksCount or task:group"
)
DATE_HINT = "; expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ"

# (expression, exact message, column)
ERRORS: list[tuple[str, str, int]] = [
    ("", "empty expression at column 1", 1),
    ("   ", "empty expression at column 1", 1),
    (
        "attribute:a exists" + " " * MAX_EXPRESSION_LENGTH,
        "expression is longer than 2000 characters at column 2001",
        2001,
    ),
    ("attribute:a == b and ]", "unexpected token ']' at column 22", 22),
    ("attribute:a == b c", "unexpected token 'c' at column 18", 18),
    ("attribute:a == b)", "unexpected token ')' at column 17", 17),
    ("attribute:a == b andx attribute:c exists", "unexpected token 'andx' at column 18", 18),
    ("attribute:a == b & attribute:c exists", "unexpected token '&' at column 18", 18),
    ("attribute:a exists == b", "unexpected token '==' at column 20", 20),
    ("attribute:a == b and", "unexpected end of expression at column 21", 21),
    ("not", "unexpected end of expression at column 4", 4),
    ("attribute:a == b or ()", "unexpected token ')' at column 22", 22),
    ("!= b", "unexpected token '!=' at column 1", 1),
    ("(attribute:a == b", "missing ')' for '(' at column 1", 1),
    ("attribute:a == b and ((attribute:c exists)", "missing ')' for '(' at column 22", 22),
    ("(attribute:a == b ]", "unexpected token ']' at column 19", 19),
    ("attribute:a == 'abc", "unterminated string at column 16", 16),
    ('attribute:a in ["x", "y]', "unterminated string at column 22", 22),
    ("attribute:a ==", "expected a value after '==' at column 15", 15),
    ("attribute:a equals )", "expected a value after 'equals' at column 20", 20),
    ("attribute:a == [x]", "expected a value after '==' at column 16", 16),
    ("attribute:a =~", "expected a value after '=~' at column 15", 15),
    ("attribute:a in [", "expected a value after '[' at column 17", 17),
    ("attribute:a in []", "expected a value after '[' at column 17", 17),
    ("attribute:a in [x,]", "expected a value after ',' at column 19", 19),
    ("attribute:a in [x", "missing ']' for '[' at column 16", 16),
    ("attribute:a in [x y]", "unexpected token 'y' at column 19", 19),
    ("attribute:a in x", "expected a list '[...]' after 'in' at column 16", 16),
    ("attribute:a !in", "expected a list '[...]' after '!in' at column 16", 16),
    ("foo == b", "unknown subject 'foo' at column 1" + SUBJECT_HINT, 1),
    ("attribute:a == b or task:name == x", "unknown subject 'task:name' at column 21" + SUBJECT_HINT, 21),
    ("agentconnected == true", "unknown subject 'agentconnected' at column 1" + SUBJECT_HINT, 1),
    ("attribute == b", "unknown subject 'attribute' at column 1" + SUBJECT_HINT, 1),
    ("attribute: == b", "expected an attribute name after 'attribute:' at column 11", 11),
    ("attribute:a:b == c", "invalid attribute name 'a:b' at column 11", 11),
    ("attribute:a", "expected an operator after 'attribute:a' at column 12", 12),
    ("attribute:a )", "expected an operator after 'attribute:a' at column 13", 13),
    ("attribute:a foo b", "unknown operator 'foo' at column 13", 13),
    ("attribute:a = b", "unknown operator '=' at column 13", 13),
    ("attribute:a !has b", "unknown operator '!has' at column 13", 13),
    ("attribute:a existsx", "unknown operator 'existsx' at column 13", 13),
    ("ec2InstanceId > i-1", "operator '>' is not supported for ec2InstanceId at column 15", 15),
    ("agentConnected exists", "operator 'exists' is not supported for agentConnected at column 16", 16),
    ("task:group < x", "operator '<' is not supported for task:group at column 12", 12),
    ("registeredAt in [2018-01-01]", "operator 'in' is not supported for registeredAt at column 14", 14),
    (
        "attribute:a =~ (x",
        "invalid regular expression '(x': missing ), unterminated subpattern at column 16",
        16,
    ),
    (
        "attribute:a == b and attribute:c !~ '*x'",
        "invalid regular expression '*x': nothing to repeat at column 37",
        37,
    ),
    (
        "agentVersion < 1.x",
        "invalid version '1.x' for agentVersion at column 16; expected a dotted version such as 1.14.5",
        16,
    ),
    (
        "agentVersion in [1.2, latest]",
        "invalid version 'latest' for agentVersion at column 23; expected a dotted version such as 1.14.5",
        23,
    ),
    (
        "registeredAt < 2018-13-01",
        "invalid date '2018-13-01' for registeredAt at column 16" + DATE_HINT,
        16,
    ),
    (
        "registeredAt < yesterday",
        "invalid date 'yesterday' for registeredAt at column 16" + DATE_HINT,
        16,
    ),
    (
        "agentConnected == yes",
        "invalid boolean 'yes' for agentConnected at column 19; expected true or false",
        19,
    ),
    ("runningTasksCount > 1.5", "invalid integer '1.5' for runningTasksCount at column 21", 21),
    (
        "(" * 101 + "attribute:a exists" + ")" * 101,
        "expression nested deeper than 100 levels at column 101",
        101,
    ),
    ("not " * 101 + "attribute:a exists", "expression nested deeper than 100 levels at column 401", 401),
]


@pytest.mark.parametrize(("expression", "message", "column"), ERRORS)
def test_malformed_expressions(expression: str, message: str, column: int) -> None:
    with pytest.raises(CQLSyntaxError) as caught:
        parse(expression)
    assert caught.value.message == message
    assert str(caught.value) == message
    assert caught.value.column == column
    assert isinstance(caught.value, ValueError)


def test_nesting_at_the_limit_is_accepted() -> None:
    tree = parse("(" * 99 + "attribute:a exists" + ")" * 99)
    assert tree == Condition("attribute:a", "exists", None)
