"""The tamper-evident audit log: appending to the hash chain, verifying it, the head hash to publish.

Each ``AuditEvent`` row carries ``seq`` (1, 2, 3… without gaps), ``prev_hash`` (the previous row's ``hash``; 64 zeros
for the first row) and ``hash``: the SHA-256 of the canonical serialisation of the row (``canonical``): a JSON object
with sorted keys and no spaces, UTF-8, holding the format version, ``seq``, ``prev_hash``, the time in UTC with
microseconds (``2026-01-31T01:02:03.000004Z``) and every content column. Changing a row breaks its hash; inserting or
deleting a row breaks ``seq`` or the links; deleting the newest rows leaves the chain head (``AuditChainHead``)
pointing past the end. Someone who can rewrite the whole table *and* the head can rebuild a consistent chain: publish
the head hash from time to time (``tinhso audit anchor``) and check it later (``tinhso audit verify --anchor``).

The canonical form is part of the stored data: it never changes for rows already written (``FORMAT`` would be raised
and both forms kept).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connections, transaction
from django.db.models import signals as models_signals
from django.utils import timezone

from .models import AUDIT_GENESIS_HASH, AuditChainHead, AuditEvent

FORMAT = 1
GENESIS = AUDIT_GENESIS_HASH
#: The columns covered by the hash besides ``seq`` and ``prev_hash`` (``id`` is not: it is the database's own).
CONTENT_FIELDS = ("at", "actor_id", "actor_label", "agency_id", "action", "object_type", "object_id", "summary",
                  "data", "ip", "user_agent")
CHUNK = 2000
#: How many recent rows the verifier remembers to tell an inserted row from a broken link.
WINDOW = 1000
MAX_PROBLEMS = 1000


# --- canonical form ---------------------------------------------------------------------------------------------

def _plain_numbers(value):
    """Integral floats as integers: PostgreSQL's ``jsonb`` gives ``1e20`` back as ``100000000000000000000``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(v) for v in value]
    return value


def _utc(at: datetime) -> str:
    if timezone.is_naive(at):
        at = timezone.make_aware(at, UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical_text(row: dict) -> str:
    content = {name: row[name] for name in CONTENT_FIELDS}
    content["at"] = _utc(row["at"])
    content["data"] = _plain_numbers(row["data"])
    content.update(v=FORMAT, seq=row["seq"], prev_hash=row["prev_hash"])
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical(row: dict) -> bytes:
    """The bytes hashed for one row; ``row`` maps ``seq``, ``prev_hash`` and ``CONTENT_FIELDS`` to their values."""
    return _canonical_text(row).encode("utf-8")


#: ``prev_hash`` and ``seq`` are neighbours among the sorted keys; with these stand-ins their place can be cut out.
_LINK_MARK = '"prev_hash":"\\u0000","seq":"\\u0001"'


def canonical_around_link(row: dict) -> tuple[str, str, str] | None:
    """``(a, b, c)`` with ``canonical(row) == (a + prev_hash + b + str(seq) + c).encode()``, for a row whose link is
    not known yet (PostgreSQL computes the hash in the statement that reads the head); None if it cannot be cut."""
    parts = _canonical_text({**row, "prev_hash": "\x00", "seq": "\x01"}).split(_LINK_MARK)
    if len(parts) != 2:
        return None
    return parts[0] + '"prev_hash":"', '","seq":', parts[1]


def row_hash(row: dict) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def normalise_data(data) -> dict:
    """``data`` as the database gives it back (tuples become lists, keys strings), so the hash is stable."""
    return json.loads(json.dumps(data or {}, allow_nan=False))


# --- appending --------------------------------------------------------------------------------------------------

_HEAD = AuditChainHead._meta.db_table


def _locked_head(using: str) -> tuple[int, str]:
    """(seq, hash) of the chain head, its row locked until the transaction ends (plain SQL: this runs per append)."""
    connection = connections[using]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {_HEAD} WHERE id = 1{lock}")
        row = cursor.fetchone()
        if row is not None:
            return row
        # A fresh or flushed database: start the head at the newest row (none: the genesis). ON CONFLICT DO NOTHING
        # lets two first appends race; the loser then waits on the winner's row lock.
        last = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        start = AuditChainHead(pk=1, seq=last[0] if last else 0, hash=last[1] if last else GENESIS)
        AuditChainHead.objects.using(using).bulk_create([start], ignore_conflicts=True)
        cursor.execute(f"SELECT seq, hash FROM {_HEAD} WHERE id = 1{lock}")
        return cursor.fetchone()


def append(event: AuditEvent, *, using: str = "default") -> AuditEvent:
    """Chain and insert a new ``AuditEvent`` in the caller's transaction (or a transaction of its own).

    The head row stays locked until that transaction ends: concurrent appends wait, so ``seq`` follows commit order
    and a rolled-back append leaves no gap. On SQLite the database write lock does the same. Callers that lock other
    rows should do so before recording, as the services do, so that two transactions never wait on each other.
    """
    event.data = normalise_data(event.data)
    if event.at is None:
        event.at = timezone.now()
    if connections[using].vendor == "postgresql" and _append_postgresql(event, using):
        return event
    with transaction.atomic(using=using, savepoint=False):
        seq, prev_hash = _locked_head(using)
        event.seq, event.prev_hash = seq + 1, prev_hash
        event.hash = row_hash({"seq": event.seq, "prev_hash": event.prev_hash,
                               **{name: getattr(event, name) for name in CONTENT_FIELDS}})
        event.save(using=using, force_insert=True)
        with connections[using].cursor() as cursor:
            cursor.execute(f"UPDATE {_HEAD} SET seq = %s, hash = %s WHERE id = 1", [event.seq, event.hash])
    return event


_COLUMNS = [AuditEvent._meta.get_field(name).column for name in CONTENT_FIELDS]
_CASTS = {"at": "::timestamptz", "actor_id": "::bigint", "agency_id": "::bigint", "data": "::jsonb"}
_APPEND_SQL = f"""
WITH head AS (
    SELECT seq + 1 AS seq, hash AS prev_hash FROM {_HEAD} WHERE id = 1 FOR UPDATE
), added AS (
    INSERT INTO {AuditEvent._meta.db_table} (seq, prev_hash, hash, {", ".join(_COLUMNS)})
    SELECT seq, prev_hash, encode(sha256(convert_to(%s || prev_hash || %s || seq::text || %s, 'UTF8')), 'hex'),
           {", ".join("%s" + _CASTS.get(name, "") for name in CONTENT_FIELDS)}
    FROM head
    RETURNING id, seq, prev_hash, hash
)
UPDATE {_HEAD} SET seq = added.seq, hash = added.hash FROM added WHERE {_HEAD}.id = 1
RETURNING added.id, added.seq, added.prev_hash, added.hash
"""


def _append_postgresql(event: AuditEvent, using: str) -> bool:
    """Lock the head, insert the row with its hash and move the head in ONE statement: the head stays locked from
    there to the commit, so the part of concurrent transactions that runs one at a time is as short as it can be.
    False (nothing written) when the head row does not exist yet or the row cannot be cut around its link."""
    row = {name: getattr(event, name) for name in CONTENT_FIELDS}
    parts = canonical_around_link({**row, "seq": 0, "prev_hash": ""})
    if parts is None:
        return False
    values = [json.dumps(v, ensure_ascii=False) if name == "data" else v for name, v in row.items()]
    models_signals.pre_save.send(sender=AuditEvent, instance=event, raw=False, using=using, update_fields=None)
    with transaction.atomic(using=using, savepoint=False), connections[using].cursor() as cursor:
        cursor.execute(_APPEND_SQL, [*parts, *values])
        added = cursor.fetchone()
        if added is None:
            return False
        event.pk, event.seq, event.prev_hash, event.hash = added
        if row_hash({**row, "seq": event.seq, "prev_hash": event.prev_hash}) != event.hash:
            raise RuntimeError("audit: the hash computed by PostgreSQL differs from the canonical form")
    event._state.adding, event._state.db = False, using
    models_signals.post_save.send(sender=AuditEvent, instance=event, created=True, raw=False, using=using,
                                  update_fields=None)
    return True


def head(using: str = "default") -> dict:
    """The newest link: ``{"seq", "hash", "at"}`` (``seq`` 0 and the genesis hash for an empty log)."""
    row = AuditChainHead.objects.using(using).filter(pk=1).values("seq", "hash").first()
    if row is None:
        last = AuditEvent.objects.using(using).order_by("-seq").values("seq", "hash").first()
        row = last or {"seq": 0, "hash": GENESIS}
    at = AuditEvent.objects.using(using).filter(seq=row["seq"]).values_list("at", flat=True).first()
    return {"seq": row["seq"], "hash": row["hash"], "at": _utc(at) if at else None}


# --- verifying --------------------------------------------------------------------------------------------------

_FIELDS = ("id", "seq", "prev_hash", "hash", *CONTENT_FIELDS)


@dataclass
class Problem:
    """One break in the chain. ``kind``: ``modified``, ``inserted``, ``deleted``, ``broken_link``, ``anchor``."""

    kind: str
    message: str
    seq: int | None = None
    id: int | None = None
    action: str = ""
    detail: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "seq": self.seq, "id": self.id, "action": self.action, "message": self.message}
        out.update(self.detail)
        return out


@dataclass
class Report:
    rows: int = 0
    head: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    anchors_checked: int = 0
    anchors_seen: set[int] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head": self.head,
            "anchors_checked": self.anchors_checked,
            "problem_count": self.problem_count,
            "first_problem": self.problems[0].to_json() if self.problems else None,
            "problems": [p.to_json() for p in self.problems],
        }


def _rows(using: str, after: tuple[int, int] | None) -> Iterator[dict]:
    rows = AuditEvent.objects.using(using).order_by("seq", "id").values(*_FIELDS)
    if after is not None:
        rows = rows.filter(seq__gte=after[0]).exclude(seq=after[0], id__lte=after[1])
    return rows.iterator(chunk_size=CHUNK)


def _ref(row: dict) -> str:
    return f"id {row['id']}, số thứ tự {row['seq']}, “{row['action']}”"


def parse_anchor(text: str) -> tuple[int, str]:
    """``SEQ:HASH`` (as printed by ``tinhso audit anchor``) → ``(seq, hash)``; ``ValueError`` when malformed."""
    seq, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not seq.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"Neo không đúng dạng SỐ_THỨ_TỰ:MÃ_BĂM (64 ký tự hex): {text!r}")
    return int(seq), digest


def verify(*, using: str = "default", anchors: Iterable[tuple[int, str]] = ()) -> Report:
    """Walk the whole chain in ``seq`` order (streamed) and report every break, the first one first.

    - ``modified``: a row's content no longer matches its hash (named by id, seq and action);
    - ``deleted``: numbers missing from ``seq`` (named with the rows on either side), or missing after the newest row
      (the head points further);
    - ``inserted``: a row whose ``prev_hash`` names an earlier row than the one before it (the rows between were
      slipped in), a repeated ``seq``, or rows beyond the head;
    - ``broken_link``: a row not chained to the row before it, for no reason above (that row was rewritten with a
      new hash, or rows were deleted and the rest renumbered);
    - ``anchor``: a published anchor ``(seq, hash)`` that the log no longer matches.
    """
    report = Report()
    anchor_map = dict(anchors)
    connection = connections[using]
    # PostgreSQL: one snapshot for the rows and the head, and a server-side cursor that streams without WITH HOLD.
    # SQLite: no transaction (it would block writers); rows appended during the walk are picked up below.
    # Inside a caller's transaction: that transaction's view.
    own_snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(using=using) if own_snapshot else nullcontext():
        if own_snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        prev: dict | None = None
        recent: OrderedDict[str, dict] = OrderedDict()  # hash → row (id, seq, action), the last WINDOW rows
        cursor_at: tuple[int, int] | None = None
        for _ in range(100):  # each pass takes the rows appended since the previous one (SQLite)
            walked = 0
            for row in _rows(using, cursor_at):
                walked += 1
                _check_row(report, row, prev, recent, anchor_map)
                prev = {k: row[k] for k in ("id", "seq", "hash", "action")}
                recent[row["hash"]] = prev
                if len(recent) > WINDOW:
                    recent.popitem(last=False)
                cursor_at = (row["seq"], row["id"])
            report.rows += walked
            head_row = AuditChainHead.objects.using(using).filter(pk=1).values("seq", "hash").first()
            if head_row is None or prev is None or head_row["seq"] <= prev["seq"] or walked == 0:
                break
        _check_head(report, head_row, prev)
    for seq in sorted(set(anchor_map) - report.anchors_seen):
        report.add(Problem("anchor", f"Neo số thứ tự {seq} không còn trong nhật ký (bản ghi đã bị xóa).", seq=seq))
    report.head = dict(head_row) if head_row is not None else {"seq": 0, "hash": GENESIS}
    return report


def _check_row(report: Report, row: dict, prev: dict | None, recent: OrderedDict, anchors: dict) -> None:
    if row_hash(row) != row["hash"]:
        report.add(Problem("modified", f"Bản ghi {_ref(row)} đã bị sửa: nội dung không khớp mã băm.",
                           seq=row["seq"], id=row["id"], action=row["action"]))
    if row["seq"] in anchors:
        report.anchors_checked += 1
        report.anchors_seen.add(row["seq"])
        if anchors[row["seq"]] != row["hash"]:
            report.add(Problem("anchor", f"Bản ghi {_ref(row)} không khớp neo đã công bố: chuỗi đã bị dựng lại.",
                               seq=row["seq"], id=row["id"], action=row["action"],
                               detail={"anchor_hash": anchors[row["seq"]], "hash": row["hash"]}))
    expected_seq = 1 if prev is None else prev["seq"] + 1
    expected_prev = GENESIS if prev is None else prev["hash"]
    if prev is not None and row["seq"] == prev["seq"]:
        report.add(Problem("inserted", f"Bản ghi {_ref(row)} trùng số thứ tự với bản ghi id {prev['id']}: "
                                       "bản ghi được chèn thêm.", seq=row["seq"], id=row["id"], action=row["action"]))
    elif row["seq"] > expected_seq:
        where = (f"giữa bản ghi id {prev['id']} (số {prev['seq']}) và bản ghi {_ref(row)}" if prev is not None
                 else f"trước bản ghi đầu tiên còn lại ({_ref(row)})")
        first, last = expected_seq, row["seq"] - 1
        numbers = f"số {first}" if first == last else f"các số {first}–{last}"
        report.add(Problem("deleted", f"Mất bản ghi {numbers} {where}: bản ghi đã bị xóa.",
                           seq=row["seq"], id=row["id"], action=row["action"],
                           detail={"missing_from": first, "missing_to": last,
                                   "after_id": prev["id"] if prev else None, "before_id": row["id"]}))
    elif row["prev_hash"] != expected_prev:
        earlier = recent.get(row["prev_hash"])
        if earlier is not None:
            slipped = [r for r in recent.values() if r["seq"] > earlier["seq"]]
            names = ", ".join(f"id {r['id']} (số {r['seq']}, “{r['action']}”)" for r in slipped)
            report.add(Problem("inserted", f"Bản ghi {names} được chèn thêm: bản ghi {_ref(row)} vốn nối tiếp "
                                           f"bản ghi id {earlier['id']} (số {earlier['seq']}).",
                               seq=slipped[0]["seq"], id=slipped[0]["id"], action=slipped[0]["action"],
                               detail={"inserted_ids": [r["id"] for r in slipped], "next_id": row["id"]}))
        else:
            before = f"bản ghi id {prev['id']} (số {prev['seq']}, “{prev['action']}”)" if prev else "điểm đầu chuỗi"
            report.add(Problem("broken_link", f"Bản ghi {_ref(row)} không nối tiếp {before}: bản ghi trước đã bị "
                                              "thay thế, hoặc đã có bản ghi bị xóa rồi đánh số lại.",
                               seq=row["seq"], id=row["id"], action=row["action"],
                               detail={"previous_id": prev["id"] if prev else None}))


def _check_head(report: Report, head_row: dict | None, last: dict | None) -> None:
    if head_row is None:
        if last is not None:
            report.add(Problem("deleted", "Mất dòng đầu chuỗi (core_auditchainhead): không kiểm tra được các bản "
                                          "ghi cuối có bị xóa hay không.", seq=last["seq"], id=last["id"]))
        return
    last_seq = last["seq"] if last else 0
    if head_row["seq"] > last_seq:
        first = last_seq + 1
        numbers = f"số {first}" if first == head_row["seq"] else f"các số {first}–{head_row['seq']}"
        report.add(Problem("deleted", f"Mất bản ghi cuối {numbers} (đầu chuỗi ghi số {head_row['seq']}): bản ghi "
                                      "đã bị xóa.", seq=first,
                           detail={"missing_from": first, "missing_to": head_row["seq"],
                                   "after_id": last["id"] if last else None, "before_id": None}))
    elif head_row["seq"] < last_seq:
        report.add(Problem("inserted", f"Có bản ghi sau đầu chuỗi (số {head_row['seq']}), đến số {last_seq}: "
                                       "bản ghi được chèn thêm vào cuối.", seq=head_row["seq"] + 1,
                           detail={"head_seq": head_row["seq"], "last_seq": last_seq}))
    elif last is not None and head_row["hash"] != last["hash"]:
        report.add(Problem("modified", f"Bản ghi cuối (id {last['id']}, số {last_seq}) không khớp mã băm ở đầu "
                                       "chuỗi: bản ghi đã bị thay thế.", seq=last_seq, id=last["id"],
                           action=last["action"]))
