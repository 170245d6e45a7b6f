"""Runs the parsing of an untrusted file in a child process with hard limits.

A parser that allocates 550 GB for a 1.6 KB file aborts the whole process; inside the
Streamlit server that is every operator's session. So files are read in a child process:
its address space, CPU time and output are capped with setrlimit, the parent waits for each
of its messages with a timeout and kills it when one is late, and a child that dies takes
nothing with it.

The children come from a small fork server of our own, started once per parent process
(`python -m appio_core.recipient_file.sandbox`): it imports pandas, pyarrow and calamine
once, then forks a child per file, so a file costs a fork, not an interpreter start. It is
single-threaded, so forking it is safe, unlike forking the Streamlit server.
multiprocessing's "forkserver" context was tried first: every child it starts re-runs the
parent's main script (streamlit's, pytest's), which imports all of Streamlit per file.

What comes back from a child is data, never code: frames of JSON and Arrow IPC (wire.py),
not pickles, so that a parser subverted by a crafted file cannot run code in the app.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HEADER = struct.Struct("<cQ")
PID = b"P"
END = b"E"
FAILED = b"F"  # the child caught an error it could name: "memoria" or "errore"
_READY = b"ready\n"


class SandboxFailure(Exception):
    """The child died, ran out of memory or time, or sent something malformed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "memoria", "tempo" or "errore"


@dataclass(frozen=True)
class Limits:
    memory_bytes: int
    cpu_seconds: int
    wall_seconds: float


# Blocks of 8 MB and more (a million-row file's columns, 8-50 MB each, and its checks' arrays)
# get their own mapping, returned to the system when freed. Left to itself glibc raises that
# threshold to the size of the last such block freed (up to 32 MB) and then serves them from
# its heaps, which keep what was freed in them: the child of a million-row import peaked
# 50-100 MB higher, by chance of the order of its threads (bench/RESULTS-import.md).
# Transparent huge pages for those mappings, where the system grants them on request, keep
# the cost of their fresh pages out of the child's CPU time. A 1 MB threshold held less still
# (283-325 MB against 321-342 MB) for a few tenths of a second more of CPU.
_MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=8388608:glibc.malloc.hugetlb=1"


def _tunables(inherited: str) -> str:
    return f"{inherited}:{_MALLOC_TUNABLES}" if inherited else _MALLOC_TUNABLES


# ---- parent side --------------------------------------------------------------------------------


class _Server:
    """The fork server of this process, started on first use, restarted if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._path = ""

    def start_soon(self) -> None:
        """Starts the server without waiting for it: its imports (pandas, pyarrow, calamine)
        then overlap with the caller's own."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()

    def connect(self) -> socket.socket:
        with self._lock:
            for attempt in range(2):
                if self._process is None or self._process.poll() is not None:
                    self._start()
                self._wait_ready()
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.connect(self._path)
                    return sock
                except OSError:
                    sock.close()
                    if attempt:
                        raise
                    self._stop()
            raise AssertionError("unreachable")

    def _start(self) -> None:
        directory = tempfile.mkdtemp(prefix="appio-sandbox-")  # 0700: ours alone
        self._path = str(Path(directory) / "socket")
        env = {
            **os.environ,
            # pyarrow's default pool (mimalloc) reserves gigabytes of address space up front,
            # which an address-space limit cannot tell from real use; glibc's malloc does not,
            # and two arenas keep its own reservations small.
            "ARROW_DEFAULT_MEMORY_POOL": "system",
            "MALLOC_ARENA_MAX": "2",
            "GLIBC_TUNABLES": _tunables(os.environ.get("GLIBC_TUNABLES", "")),
        }
        self._ready = False
        self._process = subprocess.Popen(
            [sys.executable, "-m", "appio_core.recipient_file.sandbox", self._path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def _wait_ready(self) -> None:
        if self._ready:
            return
        assert self._process is not None and self._process.stdout is not None
        if self._process.stdout.readline() != _READY:
            self._stop()
            raise SandboxFailure("errore")
        self._ready = True

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
            self._ready = False


_SERVER = _Server()
start_soon = _SERVER.start_soon


class Channel:
    """The parent's end: frames from one child, each awaited at most `wall_seconds`."""

    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self._sock = sock
        self._limits = limits
        self._pid = 0
        self.peak_rss_kb = 0

    def receive(self) -> tuple[bytes, bytes]:
        kind, body = self._frame()
        if kind == FAILED:
            raise SandboxFailure(body.decode())
        if kind == END:
            self.peak_rss_kb = int(body.decode() or 0)
        return kind, body

    def _frame(self) -> tuple[bytes, bytes]:
        header = self._read(_HEADER.size)
        kind, length = _HEADER.unpack(header)
        return kind, self._read(length)

    def _read(self, size: int) -> bytes:
        self._sock.settimeout(self._limits.wall_seconds)
        chunks = bytearray()
        while len(chunks) < size:
            try:
                data = self._sock.recv(min(size - len(chunks), 4 * 1024 * 1024))
            except TimeoutError:
                self.kill()
                raise SandboxFailure("tempo") from None
            except OSError:
                raise SandboxFailure("errore") from None
            if not data:
                raise SandboxFailure("memoria")  # killed by its limits, or aborted
            chunks += data
        return bytes(chunks)

    def start(self) -> None:
        kind, body = self._frame()
        if kind != PID:
            raise SandboxFailure("errore")
        self._pid = int(body.decode())

    def kill(self) -> None:
        if self._pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self._pid, signal.SIGKILL)
            self._pid = 0

    def close(self) -> None:
        self.kill()
        self._sock.close()


@contextlib.contextmanager
def run(task: str, arguments: Any, limits: Limits) -> Iterator[Channel]:
    """Starts `task` ("module:function", called as function(arguments, send)) in a child.

    `arguments` are pickled to the child (the parent is trusted; the child's answers are
    not, see wire.py). Leaving the block kills the child if it is still running."""
    sock = _SERVER.connect()
    channel = Channel(sock, limits)
    try:
        request = pickle.dumps((task, arguments, limits), protocol=pickle.HIGHEST_PROTOCOL)
        sock.sendall(struct.pack("<Q", len(request)))
        sock.sendall(request)
        channel.start()
        yield channel
    finally:
        channel.close()


# ---- server and child ---------------------------------------------------------------------------


def _send(sock: socket.socket, kind: bytes, body: bytes | memoryview) -> None:
    sock.sendall(_HEADER.pack(kind, len(body)))
    sock.sendall(body)


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        got = sock.recv(min(size - len(data), 4 * 1024 * 1024))
        if not got:
            raise EOFError
        data += got
    return bytes(data)


def _mapped_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _child(sock: socket.socket) -> None:
    """In the forked child: limits first, then the task; frames out, exit without cleanup."""
    status = 0
    try:
        (size,) = struct.unpack("<Q", _receive_exactly(sock, 8))
        task, arguments, limits = pickle.loads(_receive_exactly(sock, size))
        # What the fork server already mapped (libraries, pandas' and pyarrow's code) is not
        # the file's doing: the budget comes on top of it.
        address_space = _mapped_bytes() + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort must not dump gigabytes
        _send(sock, PID, str(os.getpid()).encode())
        module, name = task.split(":")
        function: Callable[[Any, Callable[[bytes, bytes], None]], None] = getattr(
            __import__(module, fromlist=[name]), name
        )
        function(arguments, lambda kind, body: _send(sock, kind, body))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _send(sock, END, str(peak).encode())
    except BaseException as exc:
        # Never a traceback: it would carry cells of the file (codici fiscali) into logs.
        with contextlib.suppress(OSError):
            _send(sock, FAILED, b"memoria" if _out_of_memory(exc) else b"errore")
        status = 1
    finally:
        with contextlib.suppress(OSError):
            sock.close()
        os._exit(status)


def _out_of_memory(exc: BaseException) -> bool:
    """Under the address-space limit, running out shows as MemoryError (pyarrow's included),
    or as a library's own error: a thread that cannot start, an allocation that failed."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return any(word in text for word in ("memory", "alloc", "thread", "temporarily unavailable"))


def serve(path: str) -> None:
    """The fork server: accept a connection, fork a child for it; exit when the parent's end
    of stdin closes (the parent is gone)."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    # What every child needs, imported once here and shared by copy-on-write.
    import appio_core.recipient_file.processing  # noqa: F401

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(sys.stdin.buffer, selectors.EVENT_READ)
    sys.stdout.buffer.write(_READY)
    sys.stdout.buffer.flush()
    while True:
        for key, _ in selector.select():
            if key.fileobj is not listener:
                if not os.read(sys.stdin.fileno(), 1):
                    listener.close()
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                        os.rmdir(os.path.dirname(path))
                    return
                continue
            conn, _ = listener.accept()
            if os.fork() == 0:
                selector.close()
                listener.close()
                _child(conn)
            conn.close()


if __name__ == "__main__":
    serve(sys.argv[1])
