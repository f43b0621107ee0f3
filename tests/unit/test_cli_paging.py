"""aws-cli style paging of List calls: every page by default, --max-items with a NextToken to resume."""

from __future__ import annotations

import pytest

from shoal.cli.paging import in_batches, paginate
from shoal.core.errors import InvalidArgument
from shoal.v1 import api_pb2

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
