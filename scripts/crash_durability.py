"""Crash durability: concurrent submissions and document issuing against the production server (granian, several
workers) on PostgreSQL; the server is killed with SIGKILL in the middle, restarted, and the clients retry what got no
answer (same Idempotency-Key; issuing again). Then every request that was answered with success must be present and
intact (files with the SHA-256 sent), no submission may exist twice, and the document numbers must be 1…N with no
duplicate and no gap.

    scripts/with-postgres .venv/bin/python scripts/crash_durability.py [--seconds 8] [--documents 30] [--threads 6]

Prints one JSON line; exit status 0 when nothing was lost, 1 otherwise. Needs PostgreSQL (``DATABASE_URL``): it
creates and drops its own database on that server.
"""

import argparse
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.httpclient import PASSWORD, Session, multipart  # noqa: E402

BIN = Path(sys.executable).parent
CITIZENS = 4

SETUP = r'''
import json, sys
from django.core.management import call_command
from tinhso.core import services as core
from tinhso.core.models import Agency, Role, User
from tinhso.documents import services as documents
from tinhso.documents.models import DocumentType
from django.core.files.uploadedfile import SimpleUploadedFile
call_command("demo")
stp = Agency.objects.get(code="000.00.03.H37")
clerk = User.objects.create_user(username="vanthu.stp", password="{password}", full_name="Hoàng Thị Vân", kind="staff")
core.grant_role(None, clerk, stp, Role.CLERK, "Văn thư")
for i in range({citizens}):
    core.register_applicant(kind="citizen", username=f"congdan{{i}}", password="{password}",
                            full_name=f"Công dân {{i}}", identity_number=f"0201950{{i:05d}}")
people = {{u.username: u for u in User.objects.all()}}
qd = DocumentType.objects.filter(abbreviation="QĐ").first()
ids = []
for i in range({documents}):
    pdf = SimpleUploadedFile("du-thao.pdf", {pdf!r}, content_type="application/pdf")
    draft = documents.create_draft(people["chuyenvien.stp"], stp, qd, f"Quyết định thử độ bền {{i}}", pdf)
    documents.submit_for_approval(people["chuyenvien.stp"], draft)
    documents.approve(people["truongphong.stp"], draft)
    ids.append(documents.sign(people["giamdoc.stp"], draft).pk)
from tinhso.catalog.models import Procedure
orders = sorted(Procedure.objects.get(code="1.001193").current.components.filter(mandatory=True)
                .values_list("order", flat=True))
print("SETUP " + json.dumps({{"documents": ids, "orders": orders}}))
'''

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
       b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
       b"startxref\n164\n%%EOF\n")


def unique_pdf(tag: str) -> bytes:
    """A valid PDF whose bytes are unique to ``tag`` (a comment after the header), so its SHA-256 identifies it."""
    return PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + tag.encode() + b"\n", 1)


class Database:
    """A database of its own on the PostgreSQL server of ``DATABASE_URL``."""

    def __init__(self, url: str):
        import psycopg

        self.psycopg = psycopg
        parts = urlsplit(url)
        self.admin_url = url
        self.name = f"tinhso_crash_{secrets.token_hex(4)}"
        self.url = urlunsplit(parts._replace(path="/" + self.name))

    def __enter__(self):
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Server:
    def __init__(self, env: dict, port: int, workers: int):
        self.env, self.port, self.workers, self.proc = env, port, workers, None

    def start(self):
        self.proc = subprocess.Popen(
            [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers), "--no-ws", "--log-level", "error", "tinhso.wsgi:application"],
            env=self.env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/units?limit=1")
                if conn.getresponse().status < 500:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="load before the kill")
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print(json.dumps({"check": "crash_durability", "skipped": "needs PostgreSQL (DATABASE_URL)"}))
        return 0

    tmp = tempfile.mkdtemp(prefix="tinhso-crash-")
    try:
        with Database(url) as db:
            env = dict(os.environ, DATABASE_URL=db.url, DJANGO_SETTINGS_MODULE="bench.settings", TINHSO_VAR_DIR=tmp,
                       TINHSO_LOOKUP_RATE="100000/m",
                       PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            subprocess.run([str(BIN / "tinhso"), "migrate", "--no-input", "-v0"], env=env, check=True, cwd=REPO)
            code = SETUP.format(password=PASSWORD, citizens=CITIZENS, documents=args.documents, pdf=PDF)
            out = subprocess.run([str(BIN / "tinhso"), "shell", "-c", code], env=env, check=True, cwd=REPO,
                                 capture_output=True, text=True).stdout
            setup = json.loads(out.split("SETUP ", 1)[1])
            server = Server(env, port=_free_port(), workers=args.workers)
            server.start()
            try:
                report = drive(server, setup, args)
            finally:
                server.stop()
            report.update(verify(env, setup, report.pop("_expect")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))
    ok = not (report["lost"] or report["duplicates"] or report["number_problems"] or report["unanswered_after_retry"])
    return 0 if ok else 1


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive(server: Server, setup: dict, args) -> dict:
    port, orders = server.port, setup["orders"]
    sessions = [Session(port, f"congdan{i}") for i in range(CITIZENS)]
    clerk = Session(port, "vanthu.stp")
    lock = threading.Lock()
    submissions: dict[str, dict] = {}  # key → {"user", "files": {field: sha}, "answer": id or None}
    issues: dict[int, int | None] = dict.fromkeys(setup["documents"])
    stop = threading.Event()

    def submit(session: Session, user: int, key: str):
        files = {f"item_{n}": (f"giay-to-{n}.pdf", unique_pdf(f"{key}-{n}")) for n in orders}
        with lock:
            entry = submissions.setdefault(key, {"user": user, "answer": None,
                                                 "files": {f: hashlib.sha256(d).hexdigest()
                                                           for f, (_, d) in files.items()}})
        body, ctype = multipart({"procedure_code": "1.001193", "receiving_agency": "000.01.31.H37"}, files)
        try:
            status, data = session.request("POST", "/api/me/dossiers", body,
                                           {"Content-Type": ctype, "Idempotency-Key": key})
        except OSError:
            return
        if status in (200, 201):
            with lock:
                entry["answer"] = json.loads(data)["id"]

    def submitter(index: int):
        user = index % CITIZENS
        n = 0
        while not stop.is_set():
            n += 1
            submit(sessions[user], user, f"k{index}-{n}-{secrets.token_hex(3)}")

    def issue(document_id: int):
        try:
            status, data = clerk.request("POST", f"/api/documents/{document_id}/issue", b"{}",
                                         {"Content-Type": "application/json"})
        except OSError:
            return
        body = json.loads(data) if data.startswith(b"{") else {}
        if status == 200 and body.get("number"):
            with lock:
                issues[document_id] = body["number"]

    def issuer():
        for document_id in list(issues):
            if stop.is_set():
                return
            issue(document_id)

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(args.threads)]
    threads.append(threading.Thread(target=issuer))
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    server.kill()  # SIGKILL in the middle of requests
    stop.set()
    for t in threads:
        t.join(timeout=60)
    answered_before = sum(1 for s in submissions.values() if s["answer"])
    issued_before = sum(1 for v in issues.values() if v)
    server.start()
    # Sessions live in the database: the same cookies work after the restart.
    # The clients retry what got no answer: the same key for submissions; issuing again for documents.
    retried = [k for k, s in submissions.items() if not s["answer"]]
    for key in retried:
        submit(sessions[submissions[key]["user"]], submissions[key]["user"], key)
    for document_id, number in list(issues.items()):
        if not number:
            issue(document_id)
    # And a few answered requests are sent again, as a client that lost the answer would.
    for key in [k for k, s in submissions.items() if s["answer"]][:5]:
        before = submissions[key]["answer"]
        submit(sessions[submissions[key]["user"]], submissions[key]["user"], key)
        if submissions[key]["answer"] != before:
            submissions[key]["answer_changed"] = True
    return {"check": "crash_durability", "submissions_sent": len(submissions),
            "unanswered_after_retry": sum(1 for s in submissions.values() if not s["answer"]),
            "answered_before_kill": answered_before, "retried_after_restart": len(retried),
            "documents": len(issues), "issued_before_kill": issued_before,
            "_expect": {"submissions": submissions, "issues": {str(k): v for k, v in issues.items()}}}


VERIFY = r'''
import hashlib, json, sys
from tinhso.onestop.models import Dossier
from tinhso.documents.models import Document
from django.core.files.storage import default_storage
expect = json.load(open(sys.argv[-1]))
lost, duplicates, broken = [], 0, []
for key, entry in expect["submissions"].items():
    rows = list(Dossier.objects.filter(client_key=key))
    duplicates += max(0, len(rows) - 1)
    if entry["answer"] is None:
        continue
    if not rows or rows[0].pk != entry["answer"] or rows[0].is_draft or entry.get("answer_changed"):
        lost.append(key); continue
    got = {}
    for a in rows[0].attachments.select_related("item"):
        with default_storage.open(a.file.name, "rb") as f:
            data = f.read()
        if hashlib.sha256(data).hexdigest() != a.sha256:
            broken.append(key)
        got[f"item_{a.item.order}"] = a.sha256
    if got != entry["files"]:
        lost.append(key)
numbers = sorted(Document.objects.filter(pk__in=[int(k) for k in expect["issues"]], number__isnull=False)
                 .values_list("number", flat=True))
problems = []
if numbers != list(range(1, len(numbers) + 1)):
    problems.append(f"numbers {numbers}")
for pk, number in expect["issues"].items():
    if number is not None and Document.objects.get(pk=int(pk)).number != number:
        problems.append(f"document {pk} answered {number}, stored {Document.objects.get(pk=int(pk)).number}")
if len(numbers) != len(expect["issues"]):
    problems.append(f"{len(expect['issues']) - len(numbers)} documents not issued after the retries")
print("VERIFY " + json.dumps({"answered_success": sum(1 for e in expect["submissions"].values() if e["answer"]),
      "lost": len(lost) + len(broken), "lost_keys": (lost + broken)[:10], "duplicates": duplicates,
      "documents_numbered": len(numbers), "number_problems": len(problems), "problems": problems[:5]}))
'''


def verify(env: dict, setup: dict, expect: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(expect, f)
    try:
        out = subprocess.run([str(BIN / "python"), "-c", "import django; django.setup(); exec(open(0).read())",
                              f.name], input=VERIFY, env=env, check=True, cwd=REPO, capture_output=True,
                             text=True).stdout
    finally:
        os.unlink(f.name)
    return json.loads(out.split("VERIFY ", 1)[1])


if __name__ == "__main__":
    sys.exit(main())
