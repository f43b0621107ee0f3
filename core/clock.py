"""Wall-clock time that does not step: every timestamp Shoal writes, and every comparison with one.

An NTP step (or `date -s`) moves a machine's wall clock at once. A process that compares a stamp
written before the step with the time after it sees minutes pass in an instant (a disconnect grace
over, stopped tasks past their retention, a drain cut short) or sees time stand still (launches
held back by a back-off that never ends). This clock follows the boot-time clock (monotonic, and
counting a suspended VM's sleep, so a resume is no step) between readings and closes any gap to the
wall clock at a tenth of the time that passes, as NTP slews a small offset: a 10-minute step is
taken in over 100 minutes, during which durations run 10% fast or slow instead of jumping. A gap of
more than STEP_ADOPT_SECONDS is taken at once: that is a clock set for the first time, not a step.

The class is pure (readings in, time out); the module functions read the process's clocks.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import UTC, datetime

SLEW = 0.1  # at most this many seconds of a step are taken in per second that passes
STEP_ADOPT_SECONDS = 3600.0


class SteadyClock:
    """Seconds since the epoch that follow `monotonic` and converge to `wall` at SLEW."""

    def __init__(self, slew: float = SLEW, adopt_beyond: float = STEP_ADOPT_SECONDS) -> None:
        self.slew = slew
        self.adopt_beyond = adopt_beyond
        self._offset: float | None = None  # steady time - monotonic time
        self._last = 0.0  # the monotonic reading of the previous call

    def read(self, wall: float, monotonic: float) -> float:
        """The steady time for one pair of readings (taken together); calls must come in time order."""
        target = wall - monotonic
        if self._offset is None or abs(target - self._offset) > self.adopt_beyond:
            self._offset = target
        else:
            budget = max(0.0, monotonic - self._last) * self.slew
            self._offset += max(-budget, min(budget, target - self._offset))
        self._last = monotonic
        return monotonic + self._offset


_clock = SteadyClock()
_lock = threading.Lock()
_MONOTONIC = getattr(_time, "CLOCK_BOOTTIME", _time.CLOCK_MONOTONIC)


def time() -> float:
    """Seconds since the epoch, as time.time() but without steps."""
    with _lock:
        return _clock.read(_time.time(), _time.clock_gettime(_MONOTONIC))


def now() -> datetime:
    """The current time in UTC, as datetime.now(UTC) but without steps."""
    return datetime.fromtimestamp(time(), UTC)
