"""`shoal task exec`: a command in a running container (ECS Exec), with a TTY when the terminal is one."""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Iterator

import click

from shoal.cli._common import common, ctx_of
from shoal.cli.output import fail
from shoal.v1 import streams_pb2


def _size() -> tuple[int, int]:
    cols, rows = shutil.get_terminal_size((0, 0))
    return rows, cols


@contextlib.contextmanager
def _raw_terminal(enabled: bool) -> Iterator[None]:
    """The local terminal in raw mode (keys go to the remote TTY as typed), restored afterwards."""
    if not enabled:
        yield
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@click.command("exec")
@click.argument("task_ref", metavar="TASK", required=False)
@click.argument("command_args", metavar="[--] COMMAND...", nargs=-1)
@click.option("--task", "task_opt", default=None, help="task id or ARN (or give it as the argument)")
@click.option("--container", default="", help="the container (required when the task has several)")
@click.option("--interactive", "-i", is_flag=True, help="attach stdin (and a TTY when it is a terminal)")
@click.option(
    "--command", "command_str", default=None, help='the command as one string (aws-cli: --command "sh")'
)
@common
def task_exec(
    task_ref: str | None,
    command_args: tuple[str, ...],
    task_opt: str | None,
    container: str,
    interactive: bool,
    command_str: str | None,
    endpoint: str | None,
    cluster: str | None,
    output: str | None,
) -> None:
    """Run COMMAND in the task's container, as `aws ecs execute-command` does; exits with its exit code.

    The task (or its service) must have been started with --enable-execute-command.
    """
    c = ctx_of(endpoint, cluster, output)
    task = task_opt or task_ref
    command = list(command_args)
    if task_opt and task_ref:
        command = [task_ref, *command]  # `--task T -- sh`: the first positional is the command
    if command_str:
        command = shlex.split(command_str) + command
    if not task:
        fail("name the task: shoal task exec TASK -- COMMAND... (see 'shoal task exec --help')", 2)
    if not command:
        fail("name the command: shoal task exec TASK -- COMMAND... (see 'shoal task exec --help')", 2)
    tty = interactive and sys.stdin.isatty() and sys.stdout.isatty()
    rows, cols = _size() if tty else (0, 0)
    inputs: queue.Queue[streams_pb2.ExecuteCommandRequest | None] = queue.Queue()
    inputs.put(
        streams_pb2.ExecuteCommandRequest(
            start=streams_pb2.ExecuteCommandStart(
                cluster=c.cluster,
                task=task,
                container=container,
                command=command,
                interactive=interactive,
                tty=tty,
                rows=rows,
                cols=cols,
            )
        )
    )
    done = threading.Event()

    def requests() -> Iterator[streams_pb2.ExecuteCommandRequest]:
        while True:
            r = inputs.get()
            if r is None:
                return
            yield r

    def read_stdin() -> None:
        fd = sys.stdin.fileno()
        while not done.is_set():
            try:
                data = os.read(fd, 32 * 1024)
            except OSError:
                data = b""
            if not data:
                inputs.put(streams_pb2.ExecuteCommandRequest(stdin_closed=True))
                return
            inputs.put(streams_pb2.ExecuteCommandRequest(stdin=data))

    if tty:

        def resized(_signum, _frame) -> None:
            r, k = _size()
            inputs.put(streams_pb2.ExecuteCommandRequest(resize=streams_pb2.TerminalSize(rows=r, cols=k)))

        signal.signal(signal.SIGWINCH, resized)
    exit_code = 1
    with _raw_terminal(tty):
        started = False
        try:
            for resp in c.client.execute_command(requests()):
                body = resp.WhichOneof("body")
                if body == "session_id" and not started:
                    started = True
                    if interactive:
                        threading.Thread(target=read_stdin, daemon=True, name="stdin").start()
                elif body == "stdout":
                    sys.stdout.buffer.write(resp.stdout)
                    sys.stdout.flush()
                elif body == "stderr":
                    sys.stderr.buffer.write(resp.stderr)
                    sys.stderr.flush()
                elif body == "exit_code":
                    exit_code = resp.exit_code
        finally:
            done.set()
            inputs.put(None)
    sys.exit(exit_code if 0 <= exit_code <= 255 else 1)
