"""The feedback API router."""

from ninja import Router

router = Router(tags=["feedback"])
