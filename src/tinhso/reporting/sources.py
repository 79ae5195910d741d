"""The one adapter to the data of another app that the scoreboard does not read from the one-stop shop's rows:
ratings and petitions (phản ánh, kiến nghị — PAKN) of the ``feedback`` app, read through its ``queries.py`` only.

When the ``feedback`` app is absent (or does not offer what an indicator needs) the adapter says so (``None`` or
``False``) and the indicator shows "không có dữ liệu": nothing is invented.
"""

from datetime import datetime
from importlib import import_module


def _feedback_queries():
    try:
        return import_module("tinhso.feedback.queries")
    except ImportError:
        return None


def _has(*names: str):
    queries = _feedback_queries()
    if queries is None or not all(hasattr(queries, name) for name in names):
        return None
    return queries


def ratings_available() -> bool:
    """Whether the platform records the applicants' ratings of dossiers and the petitions about them."""
    return _has("rating_values", "dossiers_with_complaint") is not None


def petitions_available() -> bool:
    return _has("petitions") is not None


def dossier_feedback(dossier_ids) -> dict[int, tuple[bool, bool, bool]]:
    """``{dossier id: (rated, rated_ok, disliked)}`` for the dossiers with a rating or a complaint.

    ``rated_ok``: the rating is not "không hài lòng"; ``disliked``: a "không hài lòng" rating or a petition about the
    dossier (indicator 5.4).
    """
    queries = _has("rating_values", "dossiers_with_complaint")
    if queries is None:
        return {}
    ids = list(dossier_ids)
    values = queries.rating_values(ids)
    complained = queries.dossiers_with_complaint(ids)
    return {int(pk): (pk in values, pk in values and values[pk] != "dissatisfied", pk in complained)
            for pk in set(values) | set(complained)}


def dossiers_with_feedback_since(moment: datetime) -> set[int]:
    """Dossiers whose petitions changed since ``moment`` (ratings arrive through the dossier's event log)."""
    queries = _has("petitions")
    if queries is None:
        return set()
    return {row.dossier_id for row in queries.petitions(changed_since=moment) if row.dossier_id}


def petition_counts(start: datetime, end: datetime, reference: datetime, *, agency_ids=None,
                    procedure_code: str | None = None) -> dict | None:
    """Counts of the petitions received in [start, end) for indicators 5.1–5.3, or ``None`` without petitions.

    Keys: ``total`` (received), ``about_procedure`` / ``about_staff`` (5.1), ``competent`` / ``on_time`` (5.2:
    petitions handled — not refused at reception — and those with no deadline missed at ``reference``), ``first`` /
    ``satisfied`` (5.3: petitions received for the first time in the period — a repeated complaint counts with its
    first — and those not disliked, not late, not complained about again).
    """
    queries = _has("petitions")
    if queries is None:
        return None
    rows = queries.petitions(received_from=start, received_until=end, agency_ids=agency_ids)
    if procedure_code is not None:
        rows = [r for r in rows if r.procedure_code == procedure_code]
    competent = [r for r in rows if r.within_competence]
    first = [r for r in rows if r.first_received_at >= start]
    return {
        "total": len(rows),
        "about_procedure": sum(1 for r in rows if r.classification == "tthc"),
        "about_staff": sum(1 for r in rows if r.classification == "staff"),
        "competent": len(competent),
        "on_time": sum(1 for r in competent if r.on_time(reference)),
        "first": len(first),
        "satisfied": sum(1 for r in first if r.satisfied(reference)),
    }
