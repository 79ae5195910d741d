"""Keeping the scoreboard's facts and aggregates up to date, and the scoring rules.

The change feed is the one-stop shop's immutable event log (``DossierEvent``, increasing ids): every change that
matters to the scoreboard is an event (``onestop.services.note_event`` for the other apps). ``refresh`` reads the
events above the watermark, recomputes the fact of each dossier they name, and adds the difference between the new
fact and the stored one to every aggregate row the dossier belongs to. Ids can commit out of order (a transaction
that took id 100 may commit after the one that took 101): the ids missing below the watermark are remembered and
looked at again on the next refreshes until they appear or are old enough to have been rolled back. Recomputing a
fact is idempotent (a dossier whose fact did not change adds nothing), and refreshes never overlap (the feed's row is
locked), so a dossier processed twice is harmless.

``rebuild`` recomputes everything from the dossiers (after a rule change in ``facts.py``, or to reconcile);
``build_aggregates`` derives the aggregates from the facts in SQL (also used by the benchmark's bulk load).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.errors import DomainError
from tinhso.core.models import Role, User
from tinhso.core.services import record
from tinhso.onestop.models import Dossier, DossierEvent

from . import facts as facts_module
from . import sources
from .indicators import BY_ID
from .models import COUNTERS, Aggregate, DossierFact, FeedState, IndicatorRule
from .queries import RULES_CACHE_KEY

log = logging.getLogger(__name__)

#: Dossiers recomputed per batch.
BATCH = 500
#: A skipped event id older than this belonged to a transaction that rolled back.
GAP_TTL = timedelta(minutes=10)
#: At most this many skipped ids are remembered (the newest).
MAX_GAPS = 2000
#: Petitions changed this long before the last check are looked at again.
FEEDBACK_OVERLAP = timedelta(minutes=2)
KEY_FIELDS = ("cube", "grain", "start", "agency_id", "commune_id", "procedure_id")
FACT_FIELDS = [f.name for f in DossierFact._meta.concrete_fields if f.name != "dossier_id"]


@dataclass
class RefreshResult:
    events: int = 0
    dossiers: int = 0
    changed: int = 0
    last_event_id: int = 0
    pending: int = 0  # skipped ids still awaited

    def as_dict(self) -> dict:
        return {"events": self.events, "dossiers": self.dossiers, "changed": self.changed,
                "last_event_id": self.last_event_id, "pending_gaps": self.pending}


def _state() -> FeedState:
    """The feed's row, locked until the transaction ends (created on first use)."""
    state = FeedState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        try:
            with transaction.atomic():
                FeedState.objects.create(pk=1)
        except IntegrityError:  # created by a concurrent first refresh
            pass
        state = FeedState.objects.select_for_update().get(pk=1)
    return state


def latest_event_id() -> int:
    return DossierEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def backlog() -> int:
    """Events not yet applied (an upper bound: ids, not rows); ``-1`` when only skipped ids are awaited."""
    latest = Subquery(DossierEvent.objects.order_by("-id").values("id")[:1])
    state = FeedState.objects.filter(pk=1).values("last_event_id", "gaps").annotate(latest=latest).first()
    last = state["last_event_id"] if state else 0
    newest = state["latest"] if state else latest_event_id()
    if not newest:
        return -1 if state and state["gaps"] else 0
    if last == 0:  # never refreshed: ids need not start at 1
        last = (DossierEvent.objects.order_by("id").values_list("id", flat=True).first() or 1) - 1
    waiting = newest - last
    return waiting if waiting > 0 else (-1 if state and state["gaps"] else 0)


def is_stale() -> bool:
    return backlog() != 0


# --- aggregate deltas ---------------------------------------------------------------------------------------------

def aggregate_keys(fact: dict) -> list[tuple]:
    """Every aggregate row a fact belongs to: four cubes, two grains."""
    day = fact["received_day"]
    month = day.replace(day=1)
    agency, commune, procedure = fact["agency_id"], fact["commune_id"], fact["procedure_id"]
    keys = []
    for grain, start in ((Aggregate.Grain.DAY, day), (Aggregate.Grain.MONTH, month)):
        keys += [
            (Aggregate.Cube.PROVINCE, grain, start, 0, 0, 0),
            (Aggregate.Cube.AGENCY, grain, start, agency, 0, procedure),
            (Aggregate.Cube.COMMUNE, grain, start, 0, commune, procedure),
            (Aggregate.Cube.PROCEDURE, grain, start, 0, 0, procedure),
        ]
    return keys


def add_delta(deltas: dict, old: dict | None, new: dict | None) -> None:
    """Accumulate ``new − old`` into ``deltas`` (aggregate key → list of counter differences)."""
    width = len(COUNTERS)
    for fact, sign in ((old, -1), (new, 1)):
        if fact is None:
            continue
        values = facts_module.counters(fact)
        for key in aggregate_keys(fact):
            row = deltas.get(key)
            if row is None:
                row = deltas[key] = [0] * width
            for i, value in enumerate(values):
                if value:
                    row[i] += sign * value


def apply_deltas(deltas: dict) -> int:
    """Add the differences to the aggregate rows (insert the missing ones): one upsert statement, many rows."""
    rows = [(int(key[0]), str(key[1]), key[2], key[3], key[4], key[5], *values)
            for key, values in deltas.items() if any(values)]
    if not rows:
        return 0
    q = connection.ops.quote_name
    table = q(Aggregate._meta.db_table)
    columns = [*KEY_FIELDS, *COUNTERS]
    placeholders = ", ".join(["%s"] * len(columns))
    updates = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in COUNTERS)
    sql = (f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) VALUES ({placeholders}) "
           f"ON CONFLICT ({', '.join(q(c) for c in KEY_FIELDS)}) DO UPDATE SET {updates}")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    return len(rows)


def _fact_dict(fact: DossierFact) -> dict:
    return {name: getattr(fact, name) for name in FACT_FIELDS}


def _same(old: dict | None, new: dict | None) -> bool:
    if old is None or new is None:
        return old is new
    return all(old[name] == new[name] for name in FACT_FIELDS)


def recompute(dossier_ids, agencies: facts_module.AgencyIndex | None = None) -> tuple[int, int]:
    """Recompute the facts of these dossiers and apply the differences. Returns (dossiers, changed facts).

    Must run inside the refresh lock (``refresh``, ``rebuild``): two concurrent calls would apply a delta twice.
    """
    ids = sorted(set(dossier_ids))
    agencies = agencies or facts_module.AgencyIndex()
    changed = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        old = {f.dossier_id: _fact_dict(f) for f in DossierFact.objects.filter(dossier_id__in=chunk)}
        new = facts_module.compute(chunk, agencies)
        deltas: dict = {}
        upserts, removed = [], []
        for pk in chunk:
            before, after = old.get(pk), new.get(pk)
            if _same(before, after):
                continue
            changed += 1
            add_delta(deltas, before, after)
            if after is None:
                removed.append(pk)
            else:
                upserts.append(DossierFact(dossier_id=pk, **after))
        if removed:
            DossierFact.objects.filter(dossier_id__in=removed).delete()
        if upserts:
            DossierFact.objects.bulk_create(upserts, update_conflicts=True, unique_fields=["dossier_id"],
                                            update_fields=FACT_FIELDS)
        apply_deltas(deltas)
    return len(ids), changed


# --- the change feed ----------------------------------------------------------------------------------------------

@transaction.atomic
def refresh(*, max_events: int | None = None, now: datetime | None = None) -> RefreshResult:
    """Apply the events above the watermark (at most ``max_events`` ids of them) and the late ones."""
    now = now or timezone.now()
    state = _state()
    latest = latest_event_id()
    # Never refreshed: start just below the first event (ids need not start at 1), with nothing to wait for.
    base = state.last_event_id or (DossierEvent.objects.order_by("id").values_list("id", flat=True).first() or 1) - 1
    upper = latest if max_events is None else min(latest, base + max_events)
    rows = list(DossierEvent.objects.filter(id__gt=base, id__lte=upper).order_by("id")
                .values_list("id", "dossier_id"))
    gaps = {int(pk): seen for pk, seen in state.gaps}
    late = list(DossierEvent.objects.filter(id__in=list(gaps)).values_list("id", "dossier_id")) if gaps else []
    for pk, _dossier in late:
        gaps.pop(pk, None)
    # Ids missing in (watermark, upper]: not committed yet, or rolled back; looked at again next time.
    expected = base + 1
    stamp = now.isoformat()
    for pk in [pk for pk, _dossier in rows] + [upper + 1]:
        for missing in range(max(expected, pk - MAX_GAPS), pk):
            gaps[missing] = stamp
        expected = max(expected, pk + 1)
    gaps = {pk: seen for pk, seen in gaps.items() if now - datetime.fromisoformat(seen) < GAP_TTL}
    if len(gaps) > MAX_GAPS:
        gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
    result = RefreshResult(events=len(rows) + len(late))
    dossier_ids = {d for _pk, d in rows} | {d for _pk, d in late}
    # Petitions about dossiers change outside the dossiers' event log: look at those changed since the last check
    # (a little before it, for transactions that committed late; recomputing is harmless).
    if state.feedback_checked_at is not None:
        dossier_ids |= sources.dossiers_with_feedback_since(state.feedback_checked_at - FEEDBACK_OVERLAP)
    if dossier_ids:
        result.dossiers, result.changed = recompute(dossier_ids)
    state.last_event_id = max(upper, base)
    state.gaps = [[pk, seen] for pk, seen in sorted(gaps.items())]
    state.refreshed_at = state.feedback_checked_at = now
    state.save(update_fields=["last_event_id", "gaps", "refreshed_at", "feedback_checked_at"])
    result.last_event_id, result.pending = state.last_event_id, len(gaps)
    return result


#: A task queued for a large backlog is not queued again for this long.
QUEUE_COOLDOWN_SECONDS = 60


def refresh_if_stale(*, max_events: int = 2000) -> bool:
    """Before serving a page: catch up at once when a few events arrived. When many did, apply the oldest
    ``max_events`` of them now (every page view moves the figures forward, even without a task worker) and queue
    the rest for the background task.

    Returns whether the figures are up to date. A refresh already running elsewhere is not waited for: the page
    shows the figures as they were a moment ago.
    """
    waiting = backlog()
    if waiting == 0:
        return True
    if waiting > max_events and cache.add("reporting:refresh-queued", True, QUEUE_COOLDOWN_SECONDS):
        from . import tasks

        transaction.on_commit(tasks.refresh_scoreboard.enqueue)
    try:
        with transaction.atomic():
            if connection.features.has_select_for_update_skip_locked and FeedState.objects.filter(pk=1).exists():
                if not FeedState.objects.select_for_update(skip_locked=True).filter(pk=1).exists():
                    return False  # another refresh holds the feed
            refresh(max_events=max_events)
    except OperationalError:  # SQLite: the database is busy with another writer
        log.warning("scoreboard refresh skipped: database busy")
        return False
    return waiting <= max_events


# --- rebuild ------------------------------------------------------------------------------------------------------

def _month_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def build_aggregates() -> int:
    """Replace every aggregate row by the sums over the facts, in SQL: the day rows of the four cubes in one pass
    over the facts (grouping sets on PostgreSQL, one statement per cube elsewhere), then the month rows from the
    day rows."""
    q = connection.ops.quote_name
    agg, fact = q(Aggregate._meta.db_table), q(DossierFact._meta.db_table)
    day = q("received_day")
    sums = ", ".join(
        f"SUM({q(c)})" if c == "duration_min" else f"SUM(CASE WHEN {q(c)} THEN 1 ELSE 0 END)" for c in COUNTERS
    )
    columns = ", ".join(q(c) for c in (*KEY_FIELDS, *COUNTERS))
    a, c, p = q("agency_id"), q("commune_id"), q("procedure_id")
    day_grain = Aggregate.Grain.DAY
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {agg}")
        if connection.vendor == "postgresql":
            # GROUPING(a, c, p): a bit set for each dimension summed over — 7 province, 2 agency × procedure,
            # 4 commune × procedure, 6 procedure.
            cube = (f"CASE GROUPING({a}, {c}, {p}) WHEN 7 THEN {int(Aggregate.Cube.PROVINCE)} "
                    f"WHEN 2 THEN {int(Aggregate.Cube.AGENCY)} WHEN 4 THEN {int(Aggregate.Cube.COMMUNE)} "
                    f"ELSE {int(Aggregate.Cube.PROCEDURE)} END")
            cursor.execute(
                f"INSERT INTO {agg} ({columns}) SELECT {cube}, '{day_grain}', {day}, "
                f"CASE WHEN GROUPING({a}) = 0 THEN {a} ELSE 0 END, CASE WHEN GROUPING({c}) = 0 THEN {c} ELSE 0 END, "
                f"CASE WHEN GROUPING({p}) = 0 THEN {p} ELSE 0 END, {sums} FROM {fact} "
                f"GROUP BY GROUPING SETS (({day}), ({day}, {a}, {p}), ({day}, {c}, {p}), ({day}, {p}))"
            )
        else:
            cubes = {Aggregate.Cube.PROVINCE: ("0", "0", "0"), Aggregate.Cube.AGENCY: (a, "0", p),
                     Aggregate.Cube.COMMUNE: ("0", c, p), Aggregate.Cube.PROCEDURE: ("0", "0", p)}
            for number, dims in cubes.items():
                group = ", ".join([day, *(d for d in dims if d != "0")])
                cursor.execute(f"INSERT INTO {agg} ({columns}) SELECT {int(number)}, '{day_grain}', {day}, "
                               f"{', '.join(dims)}, {sums} FROM {fact} GROUP BY {group}")
        month = _month_sql(q("start"))
        cursor.execute(
            f"INSERT INTO {agg} ({columns}) SELECT {q('cube')}, '{Aggregate.Grain.MONTH}', {month}, {a}, {c}, {p}, "
            + ", ".join(f"SUM({q(name)})" for name in COUNTERS)
            + f" FROM {agg} WHERE {q('grain')} = '{day_grain}' GROUP BY {q('cube')}, {month}, {a}, {c}, {p}"
        )
        cursor.execute(f"SELECT COUNT(*) FROM {agg}")
        return cursor.fetchone()[0]


@transaction.atomic
def rebuild(actor: User | None = None) -> RefreshResult:
    """Recompute every fact from the dossiers and every aggregate from the facts."""
    if actor is not None:
        permissions.require_role(actor, [Role.ADMINISTRATOR])
    state = _state()
    latest = latest_event_id()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {connection.ops.quote_name(DossierFact._meta.db_table)}")
    else:
        DossierFact.objects.all().delete()
    agencies = facts_module.AgencyIndex()
    ids = list(Dossier.objects.filter(received_at__isnull=False, is_draft=False).order_by("id")
               .values_list("id", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        computed = facts_module.compute(chunk, agencies)
        DossierFact.objects.bulk_create([DossierFact(dossier_id=pk, **fact) for pk, fact in computed.items()
                                         if fact is not None])
    build_aggregates()
    now = timezone.now()
    state.last_event_id, state.gaps, state.refreshed_at, state.rebuilt_at = latest, [], now, now
    state.feedback_checked_at = now
    state.save()
    record("reporting.rebuilt", actor=actor, summary=f"Tính lại số liệu chỉ số 766 từ {len(ids)} hồ sơ",
           data={"dossiers": len(ids), "last_event_id": latest})
    return RefreshResult(events=0, dossiers=len(ids), changed=len(ids), last_event_id=latest)


# --- scoring rules ------------------------------------------------------------------------------------------------

def validate_rule(rule: IndicatorRule) -> None:
    """Raise ``DomainError`` when the rule cannot be saved."""
    if rule.indicator not in BY_ID:
        raise DomainError("unknown_indicator", f"Không có chỉ tiêu mã “{rule.indicator}”.", field="indicator")
    if rule.max_points is not None and rule.max_points < 0:
        raise DomainError("invalid_points", "Điểm tối đa không được âm.", field="max_points")
    if rule.threshold_percent is not None and not (Decimal(0) < rule.threshold_percent <= Decimal(100)):
        raise DomainError("invalid_threshold", "Ngưỡng phải lớn hơn 0% và không quá 100%.",
                          field="threshold_percent")
    try:
        rule.full_clean()
    except ValidationError as exc:
        raise DomainError("invalid_rule", " ".join(exc.messages)) from exc


@transaction.atomic
def save_rule(actor: User | None, rule: IndicatorRule) -> IndicatorRule:
    """Add or change a version of an indicator's scoring rule (administrators of the province)."""
    if actor is not None:
        permissions.require_role(actor, [Role.ADMINISTRATOR])
    validate_rule(rule)
    created = rule.pk is None
    rule.save()
    cache.delete(RULES_CACHE_KEY)  # this process at once, and again once committed (a reader may have refilled it)
    transaction.on_commit(lambda: cache.delete(RULES_CACHE_KEY))
    record("reporting.rule_added" if created else "reporting.rule_changed", actor=actor, obj=rule,
           summary=f"Quy tắc chỉ tiêu {rule.indicator} từ {rule.effective_from:%d/%m/%Y}",
           data={"max_points": str(rule.max_points), "threshold_percent": str(rule.threshold_percent),
                 "confirmed": rule.confirmed})
    return rule
