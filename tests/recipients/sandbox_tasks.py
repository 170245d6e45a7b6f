"""Tasks for the sandbox tests, run in its child processes (imported there by name)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

Send = Callable[[bytes, bytes], None]


def echo(arguments: bytes, send: Send) -> None:
    send(b"X", arguments)


def abort(arguments: object, send: Send) -> None:
    os.abort()  # what a native parser does on std::bad_alloc


def allocate(arguments: int, send: Send) -> None:
    hoard = []
    for _ in range(arguments):
        hoard.append(bytearray(100 * 1024 * 1024))
    send(b"X", b"%d" % len(hoard))


def sleep(arguments: float, send: Send) -> None:
    send(b"X", str(os.getpid()).encode())
    time.sleep(arguments)


def spin(arguments: object, send: Send) -> None:
    while True:
        pass
