"""The agent session's last write (its disconnect) outlives a cancelled stream without asyncio noise."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from shoal.core.errors import Unavailable
from shoal.manager.api.agent import _finish


def test_a_disconnect_that_fails_after_its_stream_was_cancelled_is_not_reported_unretrieved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    ran: list[str] = []

    async def disconnect() -> None:
        await asyncio.sleep(0.05)  # etcd slow to answer
        ran.append("to the end")
        raise Unavailable("etcd did not answer in time")

    async def main() -> None:
        stream = asyncio.create_task(_finish(disconnect()))
        await asyncio.sleep(0)
        stream.cancel()  # the stream is torn down while the disconnect waits for etcd
        with pytest.raises(asyncio.CancelledError):
            await stream
        await asyncio.sleep(0.1)
        gc.collect()  # what reports a finished task whose exception nobody retrieved
        await asyncio.sleep(0)

    asyncio.run(main())
    assert ran == ["to the end"]  # shielded: the disconnect was not cut short
    assert [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()] == []
