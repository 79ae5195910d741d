"""The reporting API router."""

from ninja import Router

router = Router(tags=["reporting"])
