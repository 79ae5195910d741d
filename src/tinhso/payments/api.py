"""The payments API router."""

from ninja import Router

router = Router(tags=["payments"])
