"""Writing a flow's recipients into PostgreSQL: one binary COPY, each chunk one block built
by pyarrow kernels, and the two foreign keys checked once for the whole load.

Where a million-row import spent its time on the server (bench/RESULTS-import.md): a third
in the foreign keys, whose triggers run one query per row and key (two million for two
keys), over two fifths in the indexes (the codici fiscali's, in random order, half of it),
a fifth in the rows themselves, of which parsing the CSV was 40%. So:

- The rows go in COPY's binary format: each value its length and bytes, numbers and
  moments as the server stores them, nothing to parse or escape. The blocks are built a
  column at a time by pyarrow and numpy, never a Python call per row.
- Every row of a flow carries the same two keys, the flow's and its service's, set by this
  code, not by the file. PostgreSQL's check of a key is a `SELECT ... FOR KEY SHARE` of the
  row it points to; here that lock is taken once per key before the load, and the per-row
  triggers are skipped for the COPY alone (`session_replication_role = replica`, then back).
  The guarantee is the same: both rows exist and stay until the transaction ends. This is
  done only when the role may set that parameter (a superuser, or from PostgreSQL 15
  `GRANT SET ON PARAMETER session_replication_role`) and when replica mode would skip no
  other trigger or rule of an insert into `notifications`: a trigger added later keeps its
  per-row run (unless it is `ENABLE ALWAYS`, which runs in both modes), as does an import by
  a role without the grant.
- No index is dropped or deferred: `notifications` is shared with the flows being sent, and
  each index serves a query (storage/models.py); their cost was measured, not avoided.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import Cursor

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # flags and header extension: none
_TRAILER = b"\xff\xff"
_BINARY = pa.large_binary()
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # PostgreSQL's, for timestamps
_EPOCH_US = int((_EPOCH - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
_INSERT = 1 << 2  # pg_trigger.tgtype: fires on INSERT


def copy_recipients(
    cursor: Cursor[tuple[object, ...]],
    columns: tuple[str, ...],
    head: tuple[object, ...],
    file_columns: tuple[str, ...],
    tail: tuple[object, ...],
    keys: tuple[int, int],
    chunks: Iterator[pa.Table],
) -> int:
    """COPY of `columns`: `head`, each chunk's `file_columns`, `tail`; `keys` are the flow's
    and the service's ids, the only foreign keys the rows carry (in `head`)."""
    once = _keys_checked_once(cursor, *keys)
    if once:
        cursor.execute("SELECT current_setting('session_replication_role')")
        (previous,) = cursor.fetchone() or ("origin",)
        cursor.execute("SET LOCAL session_replication_role = replica")
    prefix = struct.pack("!h", len(columns)) + b"".join(_field(v) for v in head)
    suffix = b"".join(_field(v) for v in tail)
    total = 0
    statement = f"COPY notifications ({', '.join(columns)}) FROM STDIN WITH (FORMAT binary)"
    with cursor.copy(statement) as copy:
        copy.write(_SIGNATURE)
        for chunk in chunks:
            copy.write(binary_block(chunk, file_columns, prefix, suffix))
            total += chunk.num_rows
        copy.write(_TRAILER)
    if once:
        # Back for the rest of the transaction (the flow's update, the audit entry). After a
        # failure the transaction is lost anyway, and its end undoes the SET LOCAL.
        cursor.execute("SELECT set_config('session_replication_role', %s, true)", (previous,))
    return total


def _keys_checked_once(cursor: Cursor[tuple[object, ...]], flow_id: int, service_id: int) -> bool:
    """True when the per-row checks may be skipped: the role may, nothing but the two keys'
    checks would be skipped, and both rows are there, locked as each check would lock them.
    False leaves every check to PostgreSQL."""
    info = cursor.connection.info
    if info.server_version >= 150_000:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
    else:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    allowed = cursor.fetchone()
    if not allowed or not allowed[0]:
        return False
    # Replica mode skips what is enabled 'O' (the default) and runs what is enabled 'R':
    # neither may exist on notifications for INSERT but the two keys' checks. 'A' (ENABLE
    # ALWAYS) runs in both modes, 'D' in neither: those change nothing.
    cursor.execute(
        """
        SELECT
          (SELECT count(*) FROM pg_trigger t LEFT JOIN pg_constraint c ON c.oid = t.tgconstraint
            WHERE t.tgrelid = 'notifications'::regclass AND t.tgtype & %s <> 0
              AND t.tgenabled IN ('O', 'R')
              AND NOT coalesce(t.tgisinternal AND t.tgenabled = 'O' AND c.contype = 'f'
                  AND c.confrelid IN ('flows'::regclass, 'services'::regclass), false))
          + (SELECT count(*) FROM pg_rewrite
              WHERE ev_class = 'notifications'::regclass AND ev_enabled IN ('O', 'R'))
        """,
        (_INSERT,),
    )
    others = cursor.fetchone()
    if others is None or others[0] != 0:
        return False
    cursor.execute("SELECT 1 FROM flows WHERE id = %s FOR KEY SHARE", (flow_id,))
    flow = cursor.fetchone()
    cursor.execute("SELECT 1 FROM services WHERE id = %s FOR KEY SHARE", (service_id,))
    service = cursor.fetchone()
    return flow is not None and service is not None


def _field(value: object) -> bytes:
    """One shared value as a binary COPY field: its length, then its bytes."""
    if value is None:
        return b"\xff\xff\xff\xff"
    if isinstance(value, bool):
        return struct.pack("!ib", 1, value)
    if isinstance(value, int):
        return struct.pack("!ii", 4, value)  # the shared numbers are all `integer`
    if isinstance(value, datetime):
        return struct.pack("!iq", 8, (value - _EPOCH) // timedelta(microseconds=1))
    data = str(value).encode()
    return struct.pack("!i", len(data)) + data


def binary_block(
    chunk: pa.Table, file_columns: tuple[str, ...], prefix: bytes, suffix: bytes
) -> memoryview:
    """A chunk's rows in COPY's binary format: per row `prefix` (the field count and the
    shared values), each file column's field, `suffix`. One join per chunk, no row loop."""
    pieces: list[pa.Array | pa.Scalar] = [pa.scalar(prefix, _BINARY)]
    for name in file_columns:
        pieces.append(_ENCODERS[name](chunk.column(name).combine_chunks()))
    pieces.append(pa.scalar(suffix, _BINARY))
    rows = pc.binary_join_element_wise(*pieces, pa.scalar(b"", _BINARY))
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    # The rows' bytes, back to back, are the block: one buffer, no copy.
    _, offsets, data = rows.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[rows.offset : rows.offset + len(rows) + 1]
    return memoryview(data)[int(bounds[0]) : int(bounds[-1])]


def _text(column: pa.Array) -> pa.Array:
    """Strings as they are (UTF-8), after their length; NULL is the length -1 alone."""
    values = pc.cast(column, _BINARY)
    lengths = pc.fill_null(pc.binary_length(values), -1).to_numpy().astype(">i4")
    return pc.binary_join_element_wise(
        _fixed_binary(lengths, 4), pc.fill_null(values, b""), pa.scalar(b"", _BINARY)
    )


def _number(dtype: str, width: int) -> Callable[[pa.Array], pa.Array]:
    """Fixed-width values, big-endian after their length (`width`)."""

    def encode(column: pa.Array) -> pa.Array:
        packed = np.empty(len(column), dtype=[("length", ">i4"), ("value", dtype)])
        packed["length"] = width
        zero = pa.scalar(False) if pa.types.is_boolean(column.type) else pa.scalar(0, column.type)
        packed["value"] = pc.fill_null(column, zero).to_numpy(zero_copy_only=False)
        fields = _fixed_binary(packed, 4 + width)
        if column.null_count:
            fields = pc.if_else(pc.is_valid(column), fields, pa.scalar(b"\xff" * 4, _BINARY))
        return fields

    return encode


def _moment(column: pa.Array) -> pa.Array:
    """timestamp[us, UTC] as `timestamptz`: microseconds since 2000-01-01."""
    micros = pc.cast(column, pa.int64())
    return _number(">i8", 8)(pc.subtract(micros, pa.scalar(_EPOCH_US, pa.int64())))


def _fixed_binary(values: np.ndarray, width: int) -> pa.Array:
    array = pa.Array.from_buffers(
        pa.binary(width), len(values), [None, pa.py_buffer(values.view(np.uint8))]
    )
    return pc.cast(array, _BINARY)


# Each file column (recipients.SCHEMA) as its PostgreSQL column's type takes it.
_ENCODERS: dict[str, Callable[[pa.Array], pa.Array]] = {
    "row_number": _number(">i4", 4),  # integer
    "fiscal_code": _text,
    "subject": _text,
    "markdown": _text,
    "amount": _number(">i8", 8),  # bigint
    "notice_number": _text,
    "due_date": _text,
    "extra": _text,
    "invalid_after_due_date": _number("i1", 1),  # boolean
    "send_after": _moment,  # timestamptz
}
