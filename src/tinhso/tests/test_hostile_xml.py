"""XML attacks on the edXML endpoint ``POST /lien-thong/goi-tin/``, each sent by an authenticated peer (a valid HMAC
signature, so the parser is reached): external entities, entity expansion, external DTDs, XInclude, deep nesting,
element floods, huge and numerous attachments, encoding tricks. Each is refused with a 4xx and a stable code, nothing
is stored (no inbox row, no document, no queued answer), and no answer carries local file contents.
"""

import re

import pytest

from tinhso.documents.models import Document
from tinhso.exchange import edxml
from tinhso.exchange.models import InboxMessage, OutboxMessage
from tinhso.exchange.tests.factories import (
    SECRET,
    SECRET_ENV,
    document_message,
    lang_son_peer,
    local_province,
    post,
    signed,
)


@pytest.fixture
def endpoint(db, settings, tmp_path, monkeypatch):
    import importlib

    from django.apps import apps

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setenv(SECRET_ENV, SECRET)
    importlib.import_module("tinhso.documents.migrations.0002_document_types").seed(apps, None)
    local_province()
    lang_son_peer()


def _valid() -> bytes:
    return edxml.build(document_message())


def _with_doctype(doctype: str, subject_replacement: str | None = None) -> bytes:
    body = _valid().decode("utf-8")
    head, rest = body.split("?>", 1)
    if subject_replacement is not None:
        rest = re.sub(r"(<edXML:Subject>)[^<]*", lambda m: m.group(1) + subject_replacement, rest, count=1)
    return (head + "?>" + doctype + rest).encode("utf-8")


def _replaced(pattern: bytes, replacement: bytes) -> bytes:
    body, count = re.subn(pattern, replacement, _valid(), count=1)
    assert count == 1, f"the attack was not applied: {pattern!r} not found"
    return body


def _nested(depth: int) -> bytes:
    body = _valid().decode("utf-8")
    return body.replace("<edXML:Subject>", "<edXML:Subject>" + "<a>" * depth + "x" + "</a>" * depth, 1).encode()


def _flood(count: int) -> bytes:
    body = _valid().decode("utf-8")
    return body.replace("</edXML:MessageHeader>", "<b/>" * count + "</edXML:MessageHeader>", 1).encode()


def _attachments(count: int, size: int) -> bytes:
    data = b"%PDF-1.4\n" + b"0" * size
    message = document_message(attachments=tuple(
        edxml.Attachment(name=f"tep-{i}.pdf", content_type="application/pdf", content_id=f"tep-{i}", data=data)
        for i in range(count)))
    return edxml.build_document(message, limits=edxml.Limits(max_message_bytes=10**10, max_attachment_bytes=10**10,
                                                               max_attachments=10**6))


BILLION_LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10)) + "]>")

ATTACKS = {
    "external entity (file)": lambda: _with_doctype(
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
    "external entity (network)": lambda: _with_doctype(
        '<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>', "&xxe;"),
    "parameter entity": lambda: _with_doctype(
        '<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'),
    "external DTD": lambda: _with_doctype('<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">'),
    "billion laughs": lambda: _with_doctype(BILLION_LAUGHS, "&lol9;"),
    "quadratic blowup": lambda: _with_doctype(
        '<!DOCTYPE x [<!ENTITY a "' + "A" * 50_000 + '">]>', "&a;" * 2_000),
    "xinclude": lambda: _replaced(rb"<edXML:Subject>", b'<edXML:Subject><xi:include xmlns:xi="http://www.w3.org/2001/'
                                                        b'XInclude" href="file:///etc/passwd" parse="text"/>'),
    "deep nesting": lambda: _nested(50_000),
    "element flood": lambda: _flood(200_000),
    "too many attachments": lambda: _attachments(60, 10),
    "huge attachment": lambda: _attachments(1, 33 * 1024 * 1024),
    "utf-7 declared": lambda: _replaced(rb'encoding="(UTF|utf)-8"', b'encoding="UTF-7"').replace(
        b"<edXML:Subject>", b"<edXML:Subject>+ADw-!ENTITY+AD4-", 1),
    "attachment not base64": lambda: _replaced(rb"(<edXML:ContentTransferEncoded[^>]*>)[A-Za-z0-9+/=]{20}",
                                               rb"\1!!!!not-base64!!!!!!"),
    "two roots": lambda: _valid() + b"<x/>",
    "truncated": lambda: _valid()[: len(_valid()) // 2],
}


def test_xml_attacks_are_refused_and_nothing_is_stored(client, endpoint):
    tried, failures = 0, []
    for name, make in ATTACKS.items():
        body = make()
        before = (InboxMessage.objects.count(), Document.objects.count(), OutboxMessage.objects.count())
        response = post(client, body, signed(body))
        tried += 1
        text = response.content.decode("utf-8", "replace")
        after = (InboxMessage.objects.count(), Document.objects.count(), OutboxMessage.objects.count())
        if not 400 <= response.status_code < 500:
            failures.append(f"{name}: HTTP {response.status_code} {text[:200]}")
        elif not response.json().get("code"):
            failures.append(f"{name}: no stable error code in {text[:200]}")
        if after != before:
            failures.append(f"{name}: something was stored {before} → {after}")
        if "root:" in text or "/bin/" in text:
            failures.append(f"{name}: the answer shows local file contents")
    print(f"hostile xml: {tried} attacks on the edXML endpoint, {len(failures)} failures")
    assert not failures, "\n".join(failures)


def test_the_valid_package_is_accepted(client, endpoint):
    """The control: the same request, unaltered, registers the document."""
    body = _valid()
    response = post(client, body, signed(body))
    assert response.status_code in (200, 201, 202), response.content[:300]
    assert Document.objects.count() == 1
