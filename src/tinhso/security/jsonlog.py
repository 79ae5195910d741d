"""Security events as JSON lines for a SIEM: the formatter, a file handler and the LOGGING entries.

Pure Python (no Django import): settings modules call ``logging_config``. One event is one line, UTF-8, e.g.::

    {"ts": "2026-03-02T02:15:04.120Z", "event": "login.failed", "outcome": "failure", "user_id": null,
     "username": "nva", "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 …", "path": "/dang-nhap/",
     "data": {"reason": "bad_credentials"}, "id": 42, "host": "app-1", "app": "tinhso"}
"""

import json
import logging
import os
import socket
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler
from pathlib import Path

LOGGER_NAME = "tinhso.security"
_HOST = socket.gethostname()


class JsonLinesFormatter(logging.Formatter):
    """``record.security_event`` (a dict) as one JSON object; other records as ``{"ts", "level", "message"}``."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        payload = {"ts": ts}
        event = getattr(record, "security_event", None)
        if isinstance(event, dict):
            payload.update(event)
        else:
            payload.update(level=record.levelname, message=record.getMessage())
        payload.update(host=_HOST, app="tinhso")
        return json.dumps(payload, ensure_ascii=False, default=str, separators=(",", ":"))


class JsonLinesFileHandler(WatchedFileHandler):
    """Appends to a file, creating its folder on first write; reopens it after logrotate moved it."""

    def __init__(self, filename: str, encoding: str = "utf-8"):
        super().__init__(filename, mode="a", encoding=encoding, delay=True)

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def handler_config(target: str) -> dict:
    """The LOGGING handler for ``target``: ``-`` or ``stdout`` → standard output, ``none`` → dropped, else a path."""
    base = {"formatter": "security_json", "level": "INFO"}
    if target in ("-", "stdout"):
        return {**base, "class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    if target.lower() in ("none", "off", ""):
        return {**base, "class": "logging.NullHandler"}
    return {**base, "class": "tinhso.security.jsonlog.JsonLinesFileHandler", "filename": os.fspath(target)}


def logging_config(logging_dict: dict, target: str) -> dict:
    """``logging_dict`` (a settings LOGGING) with the ``tinhso.security`` logger writing JSON lines to ``target``."""
    config = {**logging_dict}
    config["formatters"] = {**config.get("formatters", {}),
                            "security_json": {"()": "tinhso.security.jsonlog.JsonLinesFormatter"}}
    config["handlers"] = {**config.get("handlers", {}), "security_jsonl": handler_config(target)}
    config["loggers"] = {**config.get("loggers", {}),
                         LOGGER_NAME: {"handlers": ["security_jsonl"], "level": "INFO", "propagate": False}}
    return config
