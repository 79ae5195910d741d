"""Upload checks (placeholder: replaced by the content-sniffing implementation)."""

import hashlib
from dataclasses import dataclass


@dataclass
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def check_upload(upload, *, existing_count: int = 0) -> CheckedFile:
    content = upload.read()
    return CheckedFile(upload.name, "application/octet-stream", len(content), hashlib.sha256(content).hexdigest(),
                       content)
