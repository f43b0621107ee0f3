"""aws-cli style paging of List calls: every page by default, --max-items with a NextToken to resume."""

from __future__ import annotations

import click
import pytest

from shoal.cli.paging import DESCRIBE_SERVICES, describe_batched, echo_listing, in_batches, paginate
from shoal.core.errors import InvalidArgument
from shoal.v1 import api_pb2, ecs_pb2

ARNS = [f"arn:{n:05d}" for n in range(2345)]


def list_tasks(req: api_pb2.ListTasksRequest) -> api_pb2.ListTasksResponse:
    """The server's offset paging, as manager/api/ecs.py does it."""
    start = int(req.next_token or 0)
    size = req.max_results or 100
    nxt = str(start + size) if start + size < len(ARNS) else ""
    return api_pb2.ListTasksResponse(task_arns=ARNS[start : start + size], next_token=nxt)


def test_without_options_every_page_is_read() -> None:
    resp = paginate(list_tasks, api_pb2.ListTasksRequest(), "task_arns")
    assert list(resp.task_arns) == ARNS and resp.next_token == ""


@pytest.mark.parametrize(
    ("max_items", "page_size"), [(1, None), (10, 3), (1000, 1000), (1500, 700), (2344, 1)]
)
def test_max_items_stops_and_the_token_resumes_exactly_there(max_items: int, page_size: int | None) -> None:
    seen: list[str] = []
    token = None
    while True:
        resp = paginate(
            list_tasks,
            api_pb2.ListTasksRequest(),
            "task_arns",
            max_items=max_items,
            page_size=page_size,
            starting_token=token,
        )
        assert len(resp.task_arns) <= max_items
        seen.extend(resp.task_arns)
        token = resp.next_token
        if not token:
            break
    assert seen == ARNS


def test_a_token_that_is_not_ours_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        paginate(list_tasks, api_pb2.ListTasksRequest(), "task_arns", starting_token="garbage!")


def test_describe_arguments_are_cut_to_the_per_call_limit() -> None:
    assert [len(b) for b in in_batches(ARNS[:250], 100)] == [100, 100, 50]


def test_messages_page_too() -> None:
    """ListAttributes pages Attribute messages, not strings."""
    attrs = [ecs_pb2.Attribute(name="rack", value=str(n)) for n in range(7)]

    def list_attributes(req: api_pb2.ListAttributesRequest) -> api_pb2.ListAttributesResponse:
        start = int(req.next_token or 0)
        nxt = str(start + req.max_results) if start + req.max_results < len(attrs) else ""
        return api_pb2.ListAttributesResponse(
            attributes=attrs[start : start + req.max_results], next_token=nxt
        )

    first = paginate(list_attributes, api_pb2.ListAttributesRequest(), "attributes", max_items=4, page_size=3)
    rest = paginate(
        list_attributes, api_pb2.ListAttributesRequest(), "attributes", starting_token=first.next_token
    )
    assert [a.value for a in (*first.attributes, *rest.attributes)] == [str(n) for n in range(7)]
    assert rest.next_token == ""


def test_describe_calls_are_cut_to_the_limit_and_merged_in_order() -> None:
    calls: list[list[str]] = []

    def describe(batch: list[str]) -> api_pb2.DescribeServicesResponse:
        calls.append(batch)
        return api_pb2.DescribeServicesResponse(
            services=[ecs_pb2.Service(service_name=n) for n in batch if not n.startswith("gone")],
            failures=[ecs_pb2.Failure(arn=n, reason="MISSING") for n in batch if n.startswith("gone")],
        )

    names = [f"s{n}" for n in range(23)] + ["gone-1"]
    resp = describe_batched(describe, names, DESCRIBE_SERVICES)
    assert [len(b) for b in calls] == [10, 10, 4]
    assert [s.service_name for s in resp.services] == names[:-1]
    assert [f.arn for f in resp.failures] == ["gone-1"]
    calls.clear()
    describe_batched(describe, [], DESCRIBE_SERVICES)  # still one call: the API says what is missing
    assert calls == [[]]


def test_a_listing_prints_one_line_each_and_the_token_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    echo_listing(ARNS[:3], "tok")
    out = capsys.readouterr()
    assert out.out.splitlines() == ARNS[:3] and out.err == "NextToken: tok\n"
    echo_listing([], "")
    assert capsys.readouterr() == ("", "")


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    found: dict[tuple[str, ...], click.Command] = {}
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            found.update(_commands(cmd, (*path, name)))
        else:
            found[(*path, name)] = cmd
    return found


# Lists whose API call has no paging (the manager returns them whole): nothing to page through.
UNPAGED_APIS = {("token", "list"), ("secret", "list")}


def test_every_list_command_takes_the_paging_options() -> None:
    from shoal.cli.main import cli

    lists = {
        path: cmd
        for path, cmd in _commands(cli).items()
        if path[-1] in ("list", "families") and path not in UNPAGED_APIS
    }
    assert len(lists) >= 7, sorted(lists)
    for path, cmd in lists.items():
        options = {o for p in cmd.params for o in getattr(p, "opts", [])}
        assert {"--max-items", "--page-size", "--starting-token"} <= options, path
