"""Small helpers shared by the Python suites."""

from __future__ import annotations

import os
import socket
import time
from typing import Callable, TypeVar

T = TypeVar("T")


class WaitTimeout(AssertionError):
    pass


def wait_for(condition: Callable[[], T], timeout: float = 5.0, interval: float = 0.01,
             message: str | None = None) -> T:
    """Poll `condition` until it returns a truthy value; return that value.

    Exceptions raised by the condition count as "not yet" (the last one is reported on timeout).
    Raises WaitTimeout (an AssertionError) after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    last_val = None
    while True:
        try:
            last_val = condition()
            if last_val:
                return last_val
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last_exc = e
        if time.monotonic() >= deadline:
            msg = message or getattr(condition, "__name__", "condition")
            detail = f"; last exception: {last_exc!r}" if last_exc else f"; last value: {last_val!r}"
            raise WaitTimeout(f"timed out after {timeout}s waiting for {msg}{detail}")
        time.sleep(interval)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and release)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_is_open(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    # state is the field after the ")" that closes the comm field
    state = stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3]
    return state not in (b"Z", b"X")


def listening_ports(pid: int) -> set[int]:
    """TCP ports on which process `pid` has a listening socket (Linux /proc based)."""
    inodes = set()
    try:
        import os
        fd_dir = f"/proc/{pid}/fd"
        for fd in os.listdir(fd_dir):
            try:
                link = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if len(parts) > 9 and parts[3] == "0A" and parts[9] in inodes:
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    return ports


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc/<pid>/task/*/children)."""
    import os
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                try:
                    with open(f"/proc/{p}/task/{tid}/children") as f:
                        todo.extend(int(x) for x in f.read().split())
                except OSError:
                    pass
        except OSError:
            pass
    return out


def random_seeds(default: list[int]) -> list[int]:
    """Seeds for the randomized differential tests: `default`, or $EMBER_RANDOM_SEEDS for a longer
    soak ("1-200", "7", "3,9,12-15")."""
    spec = os.environ.get("EMBER_RANDOM_SEEDS")
    if not spec:
        return default
    seeds: list[int] = []
    for part in filter(None, spec.replace(" ", "").split(",")):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds
