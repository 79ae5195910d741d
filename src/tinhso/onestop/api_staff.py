"""Staff dossier API."""

from ninja import Router

router = Router(tags=["Hồ sơ — cán bộ"])
