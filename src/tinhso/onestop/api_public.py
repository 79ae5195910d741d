"""Public dossier lookup and the applicant's own dossiers (JSON)."""

from ninja import Router

router = Router(tags=["Hồ sơ — công dân, tra cứu"])
