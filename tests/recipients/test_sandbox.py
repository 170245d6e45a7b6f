"""The sandboxed child that reads recipient files: limits hold, its death harms nothing."""

from __future__ import annotations

import os
import time

import pytest

from appio_core.recipient_file import sandbox
from appio_core.recipient_file.options import FileLimits
from appio_core.recipient_file.validation import FileOptions, validate_file

from .test_recipient_file import MARIO, TEXT

TASKS = "tests.recipients.sandbox_tasks"
LIMITS = sandbox.Limits(memory_bytes=300 * 1024 * 1024, cpu_seconds=5, wall_seconds=10)
UNREADABLE_START = "Il file è troppo grande o complesso da leggere"


def _first(task: str, arguments: object, limits: sandbox.Limits = LIMITS) -> bytes:
    with sandbox.run(f"{TASKS}:{task}", arguments, limits) as channel:
        kind, body = channel.receive()
        assert kind == b"X"
        return body


def test_a_task_runs_in_a_child_and_answers_through_frames() -> None:
    assert _first("echo", b"ciao") == b"ciao"


def test_a_child_that_aborts_is_a_failure_and_the_next_file_is_read_as_usual() -> None:
    with pytest.raises(sandbox.SandboxFailure), sandbox.run(f"{TASKS}:abort", None, LIMITS) as c:
        c.receive()
    assert _first("echo", b"ancora") == b"ancora"


def test_a_child_cannot_take_more_memory_than_its_budget() -> None:
    with pytest.raises(sandbox.SandboxFailure) as failed:
        _first("allocate", 10)  # 1 GB against a 300 MB budget
    assert failed.value.reason == "memoria"
    assert _first("allocate", 1) == b"1"  # 100 MB fits


def test_a_child_that_does_not_answer_in_time_is_killed() -> None:
    limits = sandbox.Limits(memory_bytes=LIMITS.memory_bytes, cpu_seconds=5, wall_seconds=0.5)
    started = time.monotonic()
    with (
        pytest.raises(sandbox.SandboxFailure) as failed,
        sandbox.run(f"{TASKS}:sleep", 30.0, limits) as channel,
    ):
        _, pid = channel.receive()
        channel.receive()
    assert failed.value.reason == "tempo"
    assert time.monotonic() - started < 5
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)


def test_a_child_that_spins_is_stopped_by_its_cpu_limit() -> None:
    limits = sandbox.Limits(memory_bytes=LIMITS.memory_bytes, cpu_seconds=1, wall_seconds=30)
    started = time.monotonic()
    with pytest.raises(sandbox.SandboxFailure), sandbox.run(f"{TASKS}:spin", None, limits) as c:
        c.receive()
    assert time.monotonic() - started < 10


def _big_csv(rows: int) -> bytes:
    return ("cf;nome\n" + f"{MARIO};Mario\n" * rows).encode()


def test_a_file_that_needs_more_memory_than_allowed_gets_an_italian_report() -> None:
    options = FileOptions(
        subject_template="Avviso per {{nome}}",
        text_template=TEXT,
        limits=FileLimits(memory_bytes=16 * 1024 * 1024),
    )
    report = validate_file(_big_csv(400_000), "grande.csv", options)
    [error] = report.file_errors
    assert error.code == "file_non_leggibile"
    assert error.message == (
        f"{UNREADABLE_START} (la lettura ha superato la memoria disponibile): controlla che"
        " contenga solo l'elenco dei destinatari, con i dati a partire dalla cella A1, oppure"
        " salvalo come CSV e caricalo di nuovo."
    )


def test_a_file_that_takes_longer_than_allowed_gets_an_italian_report() -> None:
    options = FileOptions(
        subject_template="Avviso per {{nome}}",
        text_template=TEXT,
        limits=FileLimits(wall_seconds=0.05),
    )
    report = validate_file(_big_csv(400_000), "lento.csv", options)
    [error] = report.file_errors
    assert error.code == "file_non_leggibile"
    assert "(la lettura ha superato il tempo massimo)" in error.message
