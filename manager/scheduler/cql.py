"""ECS cluster query language (memberOf expressions): tokenizer, parser, AST and evaluator.

``parse(text)`` turns an expression into an immutable tree once; ``tree.evaluate(instance, task_groups)``
then decides, with plain lookups, whether one container instance satisfies it. Literals (versions, dates,
integers, regular expressions) are converted at parse time, so a malformed expression fails at the API with
a :class:`CQLSyntaxError` naming the 1-based column of the offending token.

Grammar (precedence ``not`` > ``and`` > ``or``)::

    expression := and_expr (("or" | "||") and_expr)*
    and_expr   := unary (("and" | "&&") unary)*
    unary      := ("not" | "!") unary | "(" expression ")" | condition
    condition  := subject operator [argument]

Values are single/double quoted strings (a backslash escapes the quote character only) or bare words: any
run of characters other than blanks, ``()[],'"``, ``&&`` and ``||`` that does not start with one of
``=!<>&|``. A bare regular expression after ``=~``/``!~`` may also contain balanced ``(...)`` and character
classes ``[...]``; a regex with blanks must be quoted.
"""

from __future__ import annotations

import operator as _operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType

from shoal.manager.scheduler.model import ContainerInstanceView

__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "SUBJECTS",
    "TASK_DEPENDENT_SUBJECTS",
    "And",
    "CQLSyntaxError",
    "Condition",
    "Expression",
    "Not",
    "Or",
    "parse",
]

MAX_EXPRESSION_LENGTH = 2000
MAX_NESTING = 100

SUBJECTS = (
    "attribute:<name>",
    "agentConnected",
    "agentVersion",
    "ec2InstanceId",
    "registeredAt",
    "runningTasksCount",
    "task:group",
)
# Subjects whose truth changes as tasks are placed; an expression without them depends only on static
# instance properties and can be evaluated once per instance and cached.
TASK_DEPENDENT_SUBJECTS = frozenset({"task:group", "runningTasksCount"})

_SUBJECT_HINT = "; expected " + ", ".join(SUBJECTS[:-1]) + " or " + SUBJECTS[-1]

_EMPTY_GROUPS: Mapping[str, int] = MappingProxyType({})

# Operator spelling -> canonical symbol. Word aliases are matched case-insensitively.
_WORD_OPERATORS = {
    "equals": "==",
    "not_equals": "!=",
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
    "exists": "exists",
    "not_exists": "!exists",
    "!exists": "!exists",
    "in": "in",
    "not_in": "!in",
    "!in": "!in",
    "matches": "=~",
    "not_matches": "!~",
}
_SYMBOL_OPERATORS = ("==", "!=", ">=", "<=", "=~", "!~", ">", "<")

_EQ = frozenset({"==", "!="})
_CMP = frozenset({"<", "<=", ">", ">="})
_IN = frozenset({"in", "!in"})
_RE = frozenset({"=~", "!~"})
_EXISTS = frozenset({"exists", "!exists"})
_ALL = _EQ | _CMP | _IN | _RE | _EXISTS

_SUPPORTED: dict[str, frozenset[str]] = {
    "attribute": _ALL,
    "agentConnected": _EQ,
    "agentVersion": _EQ | _CMP | _IN | _RE,
    "ec2InstanceId": _EQ | _IN | _RE,
    "registeredAt": _EQ | _CMP,
    "runningTasksCount": _EQ | _CMP | _IN,
    "task:group": _EQ | _IN | _RE,
}

_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "==": _operator.eq,
    "!=": _operator.ne,
    "<": _operator.lt,
    "<=": _operator.le,
    ">": _operator.gt,
    ">=": _operator.ge,
}

_SUBJECT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/.:")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9\-_/.]+")
_VALUE_STOP = frozenset("()[],'\"")
_BAD_VALUE_START = frozenset("=!<>&|")
_OPERATOR_CHARS = frozenset("=!<>~&|")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_VERSION_LITERAL = re.compile(r"[vV]?(\d+(?:\.\d+)*)")
_VERSION_PREFIX = re.compile(r"\s*[vV]?(\d+(?:\.\d+)*)")
_DATE_LITERAL = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_BARE_RENDER = re.compile(r"[A-Za-z0-9._\-:/*@]+")

_Test = Callable[[ContainerInstanceView, Mapping[str, int]], bool]


class CQLSyntaxError(ValueError):
    """A malformed expression; ``message`` ends with (or contains) "at column N", N 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


# --------------------------------------------------------------------------------------------------- AST


class Expression:
    """Root of every parsed expression."""

    __slots__ = ()

    def evaluate(
        self, instance: ContainerInstanceView, task_groups: Mapping[str, int] = _EMPTY_GROUPS
    ) -> bool:
        """True when ``instance`` satisfies the expression.

        ``task_groups`` maps a task group to the number of not-yet-STOPPED tasks of it on this instance.
        """
        raise NotImplementedError

    def subjects(self) -> frozenset[str]:
        """Subjects used, e.g. ``{"attribute:ecs.availability-zone", "task:group"}``."""
        raise NotImplementedError

    def depends_on_tasks(self) -> bool:
        """True when the result can change as tasks are placed (task:group, runningTasksCount)."""
        return not self.subjects().isdisjoint(TASK_DEPENDENT_SUBJECTS)


@dataclass(frozen=True, slots=True)
class Condition(Expression):
    """``subject operator [argument]``; ``operator`` is canonical (``==``, ``!in``, ``exists``…)."""

    subject: str  # "attribute:<name>" or a fixed subject name
    operator: str
    argument: str | tuple[str, ...] | None  # literal text as written (unquoted); a tuple for in/!in
    column: int = field(default=0, compare=False)
    _test: _Test = field(default=lambda instance, groups: False, compare=False, repr=False)

    def evaluate(
        self, instance: ContainerInstanceView, task_groups: Mapping[str, int] = _EMPTY_GROUPS
    ) -> bool:
        return self._test(instance, task_groups)

    def subjects(self) -> frozenset[str]:
        return frozenset((self.subject,))

    def __str__(self) -> str:
        if self.argument is None:
            return f"{self.subject} {self.operator}"
        if isinstance(self.argument, tuple):
            return f"{self.subject} {self.operator} [{', '.join(map(_render, self.argument))}]"
        return f"{self.subject} {self.operator} {_render(self.argument)}"


@dataclass(frozen=True, slots=True)
class Not(Expression):
    operand: Expression

    def evaluate(
        self, instance: ContainerInstanceView, task_groups: Mapping[str, int] = _EMPTY_GROUPS
    ) -> bool:
        return not self.operand.evaluate(instance, task_groups)

    def subjects(self) -> frozenset[str]:
        return self.operand.subjects()

    def __str__(self) -> str:
        return f"not ({self.operand})"


@dataclass(frozen=True, slots=True)
class And(Expression):
    operands: tuple[Expression, ...]

    def evaluate(
        self, instance: ContainerInstanceView, task_groups: Mapping[str, int] = _EMPTY_GROUPS
    ) -> bool:
        for operand in self.operands:  # noqa: SIM110 (a plain loop is faster than all() on a genexpr)
            if not operand.evaluate(instance, task_groups):
                return False
        return True

    def subjects(self) -> frozenset[str]:
        return frozenset().union(*(operand.subjects() for operand in self.operands))

    def __str__(self) -> str:
        return " and ".join(f"({o})" if isinstance(o, Or | And) else str(o) for o in self.operands)


@dataclass(frozen=True, slots=True)
class Or(Expression):
    operands: tuple[Expression, ...]

    def evaluate(
        self, instance: ContainerInstanceView, task_groups: Mapping[str, int] = _EMPTY_GROUPS
    ) -> bool:
        for operand in self.operands:  # noqa: SIM110 (a plain loop is faster than any() on a genexpr)
            if operand.evaluate(instance, task_groups):
                return True
        return False

    def subjects(self) -> frozenset[str]:
        return frozenset().union(*(operand.subjects() for operand in self.operands))

    def __str__(self) -> str:
        return " or ".join(f"({o})" if isinstance(o, Or) else str(o) for o in self.operands)


def _render(value: str) -> str:
    if _BARE_RENDER.fullmatch(value):
        return value
    return "'" + value.replace("'", "\\'") + "'"


# ------------------------------------------------------------------------------------------ literals


def _as_number(text: str) -> float | None:
    return float(text) if _NUMBER.fullmatch(text) else None


def _normalise_version(digits: str) -> tuple[int, ...]:
    parts = [int(p) for p in digits.split(".")]
    while parts and parts[-1] == 0:  # 1.14 == 1.14.0; plain tuple order then equals zero-padded order
        parts.pop()
    return tuple(parts)


@lru_cache(maxsize=4096)
def _instance_version(text: str) -> tuple[int, ...] | None:
    """Leading dotted number of an agent's version ("1.20.0-rc1" -> (1, 20)); None when there is none."""
    match = _VERSION_PREFIX.match(text)
    return _normalise_version(match.group(1)) if match else None


def _instance_time(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------------------ parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.pos = 0
        self.depth = 0

    # -- helpers
    def error(self, message: str, pos: int, suffix: str = "") -> CQLSyntaxError:
        column = pos + 1
        return CQLSyntaxError(f"{message} at column {column}{suffix}", column)

    def skip_ws(self) -> None:
        text, pos, n = self.text, self.pos, self.n
        while pos < n and text[pos].isspace():
            pos += 1
        self.pos = pos

    def display(self, pos: int) -> str:
        text, n = self.text, self.n
        ch = text[pos]
        if ch in "()[],":
            return ch
        end = pos
        if ch in _OPERATOR_CHARS:
            while end < n and text[end] in _OPERATOR_CHARS:
                end += 1
        else:
            while end < n and not text[end].isspace() and text[end] not in "()[],":
                end += 1
        token = text[pos:end]
        return token if len(token) <= 40 else token[:40] + "…"

    def unexpected(self, pos: int) -> CQLSyntaxError:
        if pos >= self.n:
            return self.error("unexpected end of expression", pos)
        return self.error(f"unexpected token '{self.display(pos)}'", pos)

    def word_at(self, pos: int) -> int:
        """End of the run of subject characters starting at ``pos``."""
        text, n = self.text, self.n
        while pos < n and text[pos] in _SUBJECT_CHARS:
            pos += 1
        return pos

    def keyword(self, word: str, symbol: str = "") -> bool:
        """Consume ``word`` (case-insensitive, whole word) or ``symbol`` if next."""
        self.skip_ws()
        text, pos = self.text, self.pos
        if symbol and text.startswith(symbol, pos):
            self.pos = pos + len(symbol)
            return True
        end = pos + len(word)
        if text[pos:end].lower() == word and (end >= self.n or text[end] not in _SUBJECT_CHARS):
            self.pos = end
            return True
        return False

    # -- grammar
    def parse(self) -> Expression:
        expression = self.parse_or()
        self.skip_ws()
        if self.pos < self.n:
            raise self.unexpected(self.pos)
        return expression

    def parse_or(self) -> Expression:
        operands = [self.parse_and()]
        while self.keyword("or", "||"):
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def parse_and(self) -> Expression:
        operands = [self.parse_unary()]
        while self.keyword("and", "&&"):
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def parse_unary(self) -> Expression:
        self.skip_ws()
        text, pos = self.text, self.pos
        if pos >= self.n:
            raise self.unexpected(pos)
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"expression nested deeper than {MAX_NESTING} levels", pos)
        try:
            if text[pos] == "!" and not text.startswith(("!=", "!~"), pos):
                self.pos = pos + 1
                return Not(self.parse_unary())
            if self.keyword("not"):
                return Not(self.parse_unary())
            if text[pos] == "(":
                self.pos = pos + 1
                inner = self.parse_or()
                self.skip_ws()
                if self.pos >= self.n:
                    raise self.error("missing ')' for '('", pos)
                if text[self.pos] != ")":
                    raise self.unexpected(self.pos)
                self.pos += 1
                return inner
            return self.parse_condition()
        finally:
            self.depth -= 1

    def parse_condition(self) -> Condition:
        text, start = self.text, self.pos
        end = self.word_at(start)
        if end == start:
            raise self.unexpected(start)
        word = text[start:end]
        if word.startswith("attribute:"):
            name = word[len("attribute:") :]
            if not name:
                raise self.error("expected an attribute name after 'attribute:'", end)
            if not _ATTRIBUTE_NAME.fullmatch(name):
                raise self.error(f"invalid attribute name '{name}'", start + len("attribute:"))
            kind = "attribute"
        elif word in _SUPPORTED and word != "attribute":
            kind = word
        else:
            raise self.error(f"unknown subject '{word}'", start, _SUBJECT_HINT)
        self.pos = end
        op, op_text, op_pos = self.parse_operator(word)
        if op not in _SUPPORTED[kind]:
            raise self.error(f"operator '{op_text}' is not supported for {kind}", op_pos)

        if op in _EXISTS:
            argument: str | tuple[str, ...] | None = None
            test = _build_test(kind, word, op, None, self)
        elif op in _IN:
            items = self.parse_list(op_text)
            argument = tuple(value for value, _ in items)
            test = _build_test(kind, word, op, items, self)
        else:
            value, value_pos = self.parse_value(op_text, regex=op in _RE)
            argument = value
            test = _build_test(kind, word, op, (value, value_pos), self)
        return Condition(word, op, argument, start + 1, test)

    def parse_operator(self, subject: str) -> tuple[str, str, int]:
        self.skip_ws()
        text, pos, n = self.text, self.pos, self.n
        if pos >= n:
            raise self.error(f"expected an operator after '{subject}'", pos)
        ch = text[pos]
        if ch.isalpha() or (ch == "!" and pos + 1 < n and text[pos + 1].isalpha()):
            end = pos + 1
            while end < n and (text[end].isalnum() or text[end] == "_"):
                end += 1
            raw = text[pos:end]
            op = _WORD_OPERATORS.get(raw.lower())
            if op is None:
                raise self.error(f"unknown operator '{raw}'", pos)
            self.pos = end
            return op, raw, pos
        for symbol in _SYMBOL_OPERATORS:
            if text.startswith(symbol, pos):
                self.pos = pos + len(symbol)
                return symbol, symbol, pos
        if ch in _OPERATOR_CHARS:
            raise self.error(f"unknown operator '{self.display(pos)}'", pos)
        raise self.error(f"expected an operator after '{subject}'", pos)

    def parse_value(self, after: str, *, regex: bool = False, in_list: bool = False) -> tuple[str, int]:
        """A quoted or bare value; returns (value, 0-based position)."""
        self.skip_ws()
        text, pos, n = self.text, self.pos, self.n
        if pos >= n:
            raise self.error(f"expected a value after '{after}'", pos)
        ch = text[pos]
        if ch in "'\"":
            return self.parse_quoted(), pos
        end = self.scan_regex(pos) if regex else self.scan_bare(pos)
        if end == pos or ch in _BAD_VALUE_START:
            raise self.error(f"expected a value after '{after}'", pos)
        self.pos = end
        return text[pos:end], pos

    def scan_bare(self, pos: int) -> int:
        text, n = self.text, self.n
        while pos < n:
            ch = text[pos]
            if ch.isspace() or ch in _VALUE_STOP or text.startswith(("&&", "||"), pos):
                break
            pos += 1
        return pos

    def scan_regex(self, pos: int) -> int:
        """A bare regex: stops at a blank, at ``)`` closing nothing, or at ``&&``/``||`` outside groups."""
        text, n = self.text, self.n
        depth = 0
        while pos < n:
            ch = text[pos]
            if ch.isspace():
                break
            if ch == "\\":
                pos += 2
                continue
            if ch == "[":  # character class: scan to its closing ']' ('[]…]' and '[^]…]' hold a literal ])
                pos += 1
                if pos < n and text[pos] == "^":
                    pos += 1
                if pos < n and text[pos] == "]":
                    pos += 1
                while pos < n and text[pos] != "]" and not text[pos].isspace():
                    pos += 2 if text[pos] == "\\" else 1
                if pos < n and text[pos] == "]":
                    pos += 1
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and text.startswith(("&&", "||"), pos):
                break
            pos += 1
        return min(pos, n)

    def parse_quoted(self) -> str:
        text, start, n = self.text, self.pos, self.n
        quote = text[start]
        chars: list[str] = []
        i = start + 1
        while i < n:
            ch = text[i]
            if ch == "\\" and i + 1 < n and text[i + 1] == quote:
                chars.append(quote)
                i += 2
                continue
            if ch == quote:
                self.pos = i + 1
                return "".join(chars)
            chars.append(ch)
            i += 1
        raise self.error("unterminated string", start)

    def parse_list(self, after: str) -> list[tuple[str, int]]:
        self.skip_ws()
        text, open_pos = self.text, self.pos
        if open_pos >= self.n or text[open_pos] != "[":
            raise self.error(f"expected a list '[...]' after '{after}'", open_pos)
        self.pos = open_pos + 1
        items: list[tuple[str, int]] = []
        previous = "["
        while True:
            items.append(self.parse_value(previous))
            self.skip_ws()
            if self.pos >= self.n:
                raise self.error("missing ']' for '['", open_pos)
            ch = text[self.pos]
            self.pos += 1
            if ch == "]":
                return items
            if ch != ",":
                raise self.unexpected(self.pos - 1)
            previous = ","


# ------------------------------------------------------------------------------------------ evaluators


def _convert(kind: str, value: str, pos: int, parser: _Parser) -> object:
    """Typed literal for a non-regex operand of ``kind``."""
    if kind == "agentConnected":
        lowered = value.lower()
        if lowered not in ("true", "false"):
            raise parser.error(
                f"invalid boolean '{value}' for agentConnected", pos, "; expected true or false"
            )
        return lowered == "true"
    if kind == "agentVersion":
        match = _VERSION_LITERAL.fullmatch(value)
        if not match:
            raise parser.error(
                f"invalid version '{value}' for agentVersion",
                pos,
                "; expected a dotted version such as 1.14.5",
            )
        return _normalise_version(match.group(1))
    if kind == "registeredAt":
        parsed = None
        if _DATE_LITERAL.fullmatch(value):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            raise parser.error(
                f"invalid date '{value}' for registeredAt",
                pos,
                "; expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ",
            )
        return _instance_time(parsed)
    if kind == "runningTasksCount":
        if not _INTEGER.fullmatch(value):
            raise parser.error(f"invalid integer '{value}' for runningTasksCount", pos)
        return int(value)
    return value


def _build_test(
    kind: str,
    subject: str,
    op: str,
    argument: tuple[str, int] | list[tuple[str, int]] | None,
    parser: _Parser,
) -> _Test:
    if op in _RE:
        assert isinstance(argument, tuple)
        value, pos = argument
        try:
            regex = re.compile(value)
        except re.error as exc:
            raise parser.error(f"invalid regular expression '{value}': {exc.msg}", pos) from None
        return _regex_test(kind, subject, op == "!~", regex)
    if op in _IN:
        assert isinstance(argument, list)
        values = frozenset(_convert(kind, value, pos, parser) for value, pos in argument)
        return _in_test(kind, subject, op == "!in", values)
    if op in _EXISTS:
        name = subject[len("attribute:") :]
        if op == "exists":
            return lambda instance, groups: name in instance.attributes
        return lambda instance, groups: name not in instance.attributes
    assert isinstance(argument, tuple)
    value, pos = argument
    return _compare_test(kind, subject, op, _convert(kind, value, pos, parser))


def _regex_test(kind: str, subject: str, negate: bool, regex: re.Pattern[str]) -> _Test:
    fullmatch = regex.fullmatch
    if kind == "attribute":
        name = subject[len("attribute:") :]

        def attribute_matches(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
            value = instance.attributes.get(name)
            return value is not None and (fullmatch(value) is None) is negate

        return attribute_matches
    if kind == "task:group":

        def group_matches(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
            hit = any(count > 0 and fullmatch(group) is not None for group, count in groups.items())
            return hit is not negate

        return group_matches
    getter = _string_getter(kind)

    def string_matches(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
        return (fullmatch(getter(instance)) is None) is negate

    return string_matches


def _string_getter(kind: str) -> Callable[[ContainerInstanceView], str]:
    if kind == "agentVersion":
        return lambda instance: instance.agent_version
    return lambda instance: instance.instance_id  # ec2InstanceId


def _in_test(kind: str, subject: str, negate: bool, values: frozenset[object]) -> _Test:
    if kind == "attribute":
        name = subject[len("attribute:") :]
        if negate:
            return lambda instance, groups: (
                (value := instance.attributes.get(name)) is not None and value not in values
            )
        return lambda instance, groups: instance.attributes.get(name) in values
    if kind == "task:group":
        wanted = tuple(values)

        def group_in(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
            hit = any(groups.get(group, 0) > 0 for group in wanted)  # type: ignore[call-overload]
            return hit is not negate

        return group_in
    getter = _typed_getter(kind)

    def value_in(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
        value = getter(instance)
        return value is not None and (value in values) is not negate

    return value_in


def _typed_getter(kind: str) -> Callable[[ContainerInstanceView], object]:
    if kind == "agentConnected":
        return lambda instance: instance.agent_connected
    if kind == "agentVersion":
        return lambda instance: _instance_version(instance.agent_version)
    if kind == "registeredAt":
        return lambda instance: (
            None if instance.registered_at is None else _instance_time(instance.registered_at)
        )
    if kind == "runningTasksCount":
        return lambda instance: instance.running_tasks_count
    return lambda instance: instance.instance_id  # ec2InstanceId


def _compare_test(kind: str, subject: str, op: str, literal: object) -> _Test:
    compare = _COMPARE[op]
    if kind == "attribute":
        name = subject[len("attribute:") :]
        assert isinstance(literal, str)
        if op == "==":
            return lambda instance, groups: instance.attributes.get(name) == literal
        if op == "!=":
            return lambda instance, groups: (
                (value := instance.attributes.get(name)) is not None and value != literal
            )
        literal_number = _as_number(literal)

        def attribute_compare(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
            value = instance.attributes.get(name)
            if value is None:
                return False
            if literal_number is not None:
                number = _as_number(value)
                if number is not None:
                    return compare(number, literal_number)
            return compare(value, literal)

        return attribute_compare
    if kind == "task:group":
        negate = op == "!="

        def group_equals(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
            return (groups.get(literal, 0) > 0) is not negate  # type: ignore[call-overload]

        return group_equals
    getter = _typed_getter(kind)

    def typed_compare(instance: ContainerInstanceView, groups: Mapping[str, int]) -> bool:
        value = getter(instance)
        return value is not None and compare(value, literal)

    return typed_compare


# ------------------------------------------------------------------------------------------ entry point


def parse(expression: str) -> Expression:
    """Parse a cluster query language expression; raises :class:`CQLSyntaxError` when malformed."""
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise CQLSyntaxError(
            f"expression is longer than {MAX_EXPRESSION_LENGTH} characters at column "
            f"{MAX_EXPRESSION_LENGTH + 1}",
            MAX_EXPRESSION_LENGTH + 1,
        )
    if not expression.strip():
        raise CQLSyntaxError("empty expression at column 1", 1)
    return _Parser(expression).parse()
