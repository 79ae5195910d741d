"""Two platforms, two servers, two databases: Lạng Sơn (A) and Cao Bằng (B) each run ``tinhso run`` on 127.0.0.1 with
its own SQLite database, agencies, staff and peer configuration, and exchange documents over the signed HTTP
endpoint. Steps on each side run in that platform's own process (``tests/instance.py``); delivery is the real
``deliver`` of the outbox over HTTP. Skipped with the reason when no port can be bound on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tinhso.exchange.models import ENDPOINT_PATH

SECRET_ENV = "TINHSO_PEER_SECRET"
NOTHING = {"sent": 0, "failed": 0, "dead": 0}


def free_port() -> int:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    except OSError as exc:
        pytest.skip(f"cannot bind a TCP port on 127.0.0.1 to run two platforms: {exc}")


class Platform:
    def __init__(self, name: str, root: Path, port: int, secret: str):
        self.name, self.root, self.port = name, root, port
        self.url = f"http://127.0.0.1:{port}"
        root.mkdir(parents=True)
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tinhso.settings.dev", "TINHSO_VAR_DIR": str(root),
                    "DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}", SECRET_ENV: secret,
                    "TINHSO_SITE_URL": self.url, "PYTHONUNBUFFERED": "1", "TINHSO_LOG_LEVEL": "WARNING"}
        self.server: subprocess.Popen | None = None
        self.log = root / "server.log"

    def command(self, *args: str) -> str:
        done = subprocess.run([sys.executable, *args], env=self.env, capture_output=True, text=True, timeout=180,
                              cwd=self.root)
        assert done.returncode == 0, f"{self.name}: {' '.join(args)}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def step(self, *args: str) -> dict:
        out = self.command("-m", "tinhso.exchange.tests.instance", *[str(a) for a in args])
        return json.loads(out.strip().splitlines()[-1])

    def start(self) -> None:
        handle = self.log.open("ab")
        self.server = subprocess.Popen([sys.executable, "-m", "tinhso", "run", f"127.0.0.1:{self.port}",
                                        "--noreload"], env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                       cwd=self.root)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                pytest.fail(f"{self.name} did not start:\n{self.log.read_text(errors='replace')}")
            try:
                urllib.request.urlopen(self.url + ENDPOINT_PATH, timeout=2)
            except urllib.error.HTTPError as exc:
                if exc.code == 405:  # the endpoint answers: only POST
                    return
            except OSError:
                pass
            time.sleep(0.3)
        pytest.fail(f"{self.name} did not answer within 90 s:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                self.server.kill()


def post(platform: Platform, body: bytes, *, key: str, secret: str) -> tuple[int, dict]:
    """A request to ``platform``'s endpoint signed as the peer ``key`` (the protocol, written out here on purpose
    rather than with the services' helper)."""
    import hashlib
    import hmac

    stamp, nonce = str(int(time.time())), secrets.token_urlsafe(18)
    text = f"POST\n{ENDPOINT_PATH}\n{stamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()
    headers = {"Content-Type": "application/xml", "X-Exchange-Key": key, "X-Exchange-Timestamp": stamp,
               "X-Exchange-Nonce": nonce,
               "X-Exchange-Signature": hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()}
    request = urllib.request.Request(platform.url + ENDPOINT_PATH, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def platforms(tmp_path):
    secret = secrets.token_hex(24)
    a = Platform("Lạng Sơn (A)", tmp_path / "a", free_port(), secret)
    b = Platform("Cao Bằng (B)", tmp_path / "b", free_port(), secret)
    a.command("-m", "tinhso", "migrate", "-v", "0")
    for suffix in ("", "-wal", "-shm"):  # the same empty schema for B (the process has closed the database)
        source = a.root / f"db.sqlite3{suffix}"
        if source.exists():
            shutil.copyfile(source, b.root / source.name)
    a.step("seed", "A", b.url)
    b.step("seed", "B", a.url)
    yield a, b, secret
    for platform in (a, b):
        platform.stop()


def test_two_platforms_exchange_a_document_its_statuses_an_update_and_a_recall(platforms):
    a, b, secret = platforms
    a.start()

    # A issues a document to Sở Xây dựng Cao Bằng while B is down: the delivery fails and waits (backoff)
    first, report, outbox = a.step("send", "Kế hoạch kiểm tra liên ngành công trình giáp ranh", "+", "deliver", "+",
                                   "outbox")
    assert report == {"sent": 0, "failed": 1, "dead": 0}
    [row] = outbox["rows"]
    assert (row["state"], row["attempts"], row["error"]) == ("failed", 1, "network_error")
    b.start()
    not_due, _updated, report = a.step("deliver", "+", "due-now", "+", "deliver")
    assert not_due == NOTHING  # the retry waits for its backoff time
    assert report == {"sent": 1, "failed": 0, "dead": 0}

    # B registered it as incoming ("chờ vào sổ") and answers 01 (đã đến)
    incoming, report = b.step("incoming", "+", "deliver")
    [doc] = incoming["rows"]
    assert doc["status"] == "to_register" and doc["notation"] == first["notation"]
    assert doc["subject"] == "Kế hoạch kiểm tra liên ngành công trình giáp ranh"
    assert doc["sender_code"] == "000.00.03.H37" and doc["files"] == ["ke-hoach.pdf"]
    assert doc["edxml_id"] == first["document_id"] and doc["events"] == ["received_exchange"]
    assert report == {"sent": 1, "failed": 0, "dead": 0}
    assert a.step("statuses", first["document"])["codes"] == ["01"]

    # B's clerk, director, head of division and specialist act; A sees each status
    *_acts, report = b.step("act", "confirm", doc["pk"], "+", "act", "assign", doc["pk"], "+", "act", "forward",
                            doc["pk"], "+", "act", "close", doc["pk"], "+", "deliver")
    assert report == {"sent": 4, "failed": 0, "dead": 0}
    reported, package = a.step("statuses", first["document"], "+", "body", first["outbox"])
    assert reported["codes"] == ["01", "03", "04", "05", "06"]
    assert reported["reporters"] == ["000.00.07.H11"]

    # the same package delivered again (signed anew) is answered "duplicate" and registered once
    package = base64.b64decode(package["body"])
    status, answer = post(b, package, key="langson", secret=secret)
    assert (status, answer["code"]) == (200, "duplicate")

    # refused: a forged signature, a package that is not well-formed, an agency B does not have
    status, answer = post(b, package, key="langson", secret="mot-khoa-gia-mao-0123456789abcdef-0123")
    assert (status, answer["code"]) == (401, "bad_signature")
    status, answer = post(b, b"1212" + package, key="langson", secret=secret)
    assert (status, answer["code"]) == (400, "xml_malformed")
    status, answer = post(b, package.replace(b"000.00.07.H11", b"000.00.09.H11"), key="langson", secret=secret)
    assert (status, answer["code"]) == (422, "unknown_agency")

    # a second document: A updates it (new due date), then recalls it
    second, report = a.step("send", "Thông báo lịch họp giao ban liên tỉnh", "+", "deliver")
    assert report["sent"] == 1
    incoming, report = b.step("incoming", "+", "deliver")
    assert len(incoming["rows"]) == 2  # the duplicate and the refused packages registered nothing
    assert report["sent"] == 1  # 01
    _queued, report = a.step("update", second["document"], "Gia hạn thời gian thực hiện", "2026-12-31", "+",
                             "deliver")
    assert report["sent"] == 1
    incoming, report = b.step("incoming", "+", "deliver")
    doc2 = incoming["rows"][1]
    assert doc2["due_date"] == "2026-12-31" and doc2["state"] == "updated"
    assert doc2["events"] == ["received_exchange", "updated_exchange"]
    assert report["sent"] == 1  # 15
    _queued, report = a.step("recall", second["document"], "Phát hành nhầm nơi nhận", "+", "deliver")
    assert report["sent"] == 1
    incoming, report, outbox_b = b.step("incoming", "+", "deliver", "+", "outbox")
    doc2 = incoming["rows"][1]
    assert doc2["status"] == "returned" and doc2["state"] == "recalled"
    assert doc2["events"][-1] == "recalled_exchange"
    assert report["sent"] == 1  # 15
    answers, outbox_a = a.step("statuses", second["document"], "+", "outbox")
    assert answers["codes"] == ["01", "15", "15"]
    assert "Phát hành nhầm nơi nhận" in answers["descriptions"][-1]

    # nothing lost, nothing stuck: every message on both sides was delivered
    assert [r["state"] for r in outbox_a["rows"]] == ["sent"] * 4  # 2 documents, the update, the recall
    assert [r["state"] for r in outbox_b["rows"]] == ["sent"] * 8  # 01 03 04 05 06, then 01 15 15
