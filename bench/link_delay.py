"""Added latency on one namespace's link without sch_netem: packets that an iptables NFQUEUE rule hands to
this process are let go `--delay-ms` (± `--jitter-ms`) later, in the order they came, as netem's delay
does. Run it inside the namespace (`ip netns exec NS python link_delay.py --queue 0 --delay-ms 200`);
the rule that feeds it should carry `--queue-bypass`, so that traffic flows again when it is gone.

It prints `delaying queue Q by D ms` once bound, and on SIGTERM lets every held packet go first.
"""

from __future__ import annotations

import argparse
import collections
import random
import select
import signal
import socket
import sys
import time

from netfilterqueue import NetfilterQueue


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queue", type=int, default=0)
    p.add_argument("--delay-ms", type=float, required=True)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    held: collections.deque = collections.deque()  # (release at, packet), release times never decrease
    last = 0.0

    def hold(packet) -> None:
        nonlocal last
        d = args.delay_ms + rng.uniform(-args.jitter_ms, args.jitter_ms)
        last = max(last, time.monotonic() + max(0.0, d) / 1000)  # no reordering: TCP would pay for it
        held.append((last, packet))

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    queue = NetfilterQueue()
    queue.bind(args.queue, hold, max_len=8192)
    sock = socket.fromfd(queue.get_fd(), socket.AF_UNIX, socket.SOCK_STREAM)
    print(f"delaying queue {args.queue} by {args.delay_ms:g} ms (± {args.jitter_ms:g} ms)", flush=True)
    try:
        while not stopping:
            timeout = max(0.0, held[0][0] - time.monotonic()) if held else 0.5
            with_data, _, _ = select.select([sock], [], [], timeout)
            if with_data:
                queue.run(block=False)
            now = time.monotonic()
            while held and held[0][0] <= now:
                held.popleft()[1].accept()
    except InterruptedError:
        pass
    finally:
        while held:
            held.popleft()[1].accept()
        sock.close()
        queue.unbind()
    return 0


if __name__ == "__main__":
    sys.exit(main())
