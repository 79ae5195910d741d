"""Every action written to a dossier's history — by the one-stop shop's services or by another app through
``services.note_event`` — has a Vietnamese label for the staff page and for the applicant's and public history, so
nobody reads a raw code such as ``paid_online``. The actions are found in the source, so a new one is covered."""

import re
from pathlib import Path

from tinhso.onestop import queries_public, views_staff

SRC = Path(__file__).resolve().parents[2]
WRITES = re.compile(r"""(?:\b_event\((?:dossier|locked)|\bnote_event\(dossier), ["']([a-z_]+)["']""")


def recorded_actions() -> set[str]:
    actions = set()
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if path.parent.name == "onestop" or "note_event(dossier" in text:
            actions |= set(WRITES.findall(text))
    return actions


def test_every_recorded_action_has_both_labels():
    actions = recorded_actions()
    assert {"accepted", "returned", "fee_requested", "paid_online", "rated"} <= actions  # the scan finds them
    assert actions - set(views_staff.EVENT_LABELS) == set()
    assert actions - set(queries_public.ACTION_LABELS) == set()
    assert queries_public.action_label("paid_online") == "Đã thanh toán trực tuyến"
