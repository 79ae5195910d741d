"""``tinhso backup`` / ``tinhso restore`` end to end, on the database the suite runs on (SQLite, or PostgreSQL in CI):
dossiers with attachments, an incoming document with its file and their audit trail are backed up, restored by the
real command into a new empty database and media folder, and compared table by table, row by row and file by file.
A damaged backup is refused, naming the damaged file."""

import hashlib
import importlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from tinhso.core import audit, backup
from tinhso.core.models import Agency, AuditEvent, User

TINHSO = Path(sys.executable).parent / "tinhso"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj " \
      b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n" \
      b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n" \
      b"startxref\n164\n%%EOF\n"

pytestmark = pytest.mark.django_db(transaction=True)


def _pdf(name: str, marker: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + f"% {marker}\n".encode(), content_type="application/pdf")


def _platform_data() -> None:
    """The demo province, three dossiers with attachments (one accepted), one incoming document with its file."""
    from datetime import timedelta

    from django.utils import timezone

    from tinhso.documents import services as documents
    from tinhso.documents.models import DocumentType
    from tinhso.onestop import services as onestop

    call_command("demo")
    if not DocumentType.objects.exists():  # seeded by a migration; a transactional test's flush empties it
        importlib.import_module("tinhso.documents.migrations.0002_document_types").seed(apps, None)
    citizen, officer = User.objects.get(username="congdan"), User.objects.get(username="tiepnhan.lvt")
    desk = Agency.objects.get(code="000.01.31.H37")
    for n in range(3):
        dossier = onestop.create_dossier(citizen, procedure_code="1.001193", channel_kind="online",
                                         receiving_agency=desk)
        for item in dossier.items.filter(mandatory=True):
            onestop.add_attachment(citizen, dossier, _pdf(f"giay-to-{n}.pdf", f"hồ sơ {n} {item.pk}"), item=item)
        onestop.submit(citizen, dossier)
        if n == 0:
            onestop.accept(officer, dossier)
    fields = documents.IncomingFields(
        subject="Giấy mời họp triển khai chuyển đổi số", sender_name="Ủy ban nhân dân tỉnh Lạng Sơn",
        sender_code="000.00.00.H37", notation="15/GM-UBND", document_type=DocumentType.objects.get(abbreviation="GM"),
        issued_date=timezone.localdate() - timedelta(days=1))
    documents.register_incoming(User.objects.get(username="vanthu"), Agency.objects.get(code="000.00.01.H37"),
                                fields, [_pdf("giay-moi.pdf", "giấy mời")])


# --- a second, empty database on the same server ------------------------------------------------------------------

class Target:
    """An empty database (and its URL) for ``tinhso restore``: a new file on SQLite, ``CREATE DATABASE`` on
    PostgreSQL (the server of the suite's database, from its settings)."""

    def __init__(self, tmp_path: Path, name: str):
        self.name = name
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            self.db = f"{settings['NAME']}_{name}"
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.db}"')
                cursor.execute(f'CREATE DATABASE "{self.db}"')
            auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings.get("PASSWORD") else "")
            self.url = f"postgres://{auth}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{self.db}"
        else:
            self.db = str(tmp_path / f"{name}.sqlite3")
            self.url = f"sqlite:///{self.db}"
        self.media = tmp_path / f"{name}-media"

    def drop(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')

    def _tinhso(self, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, DATABASE_URL=self.url, TINHSO_MEDIA_ROOT=str(self.media),
                   TINHSO_VAR_DIR=str(self.media.parent / f"{self.name}-var"),
                   DJANGO_SETTINGS_MODULE="tinhso.settings.test")
        return subprocess.run([str(TINHSO), *args], env=env, capture_output=True, text=True, timeout=300)

    def run(self, *args: str) -> str:
        done = self._tinhso(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def restore(self, src: Path, *extra: str) -> tuple[int, dict]:
        done = self._tinhso("restore", str(src), "--quiet", *extra)
        try:
            return done.returncode, json.loads(done.stdout)
        except ValueError:
            pytest.fail(f"tinhso restore (exit {done.returncode}) printed no report:\n{done.stdout}\n{done.stderr}")


@pytest.fixture
def targets(tmp_path):
    made = []

    def make(name: str) -> Target:
        made.append(Target(tmp_path, name))
        return made[-1]

    yield make
    connection.close()
    for target in made:
        target.drop()


# --- reading both databases the same way --------------------------------------------------------------------------

def _raw(url_or_path: str):
    if connection.vendor == "postgresql":
        import psycopg

        return psycopg.connect(url_or_path)
    return sqlite3.connect(url_or_path)


def _source_dsn() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(settings["NAME"])
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings.get("PASSWORD") else "")
    return f"postgres://{auth}@{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def _everything(dsn: str) -> dict[str, list]:
    """Every row of every table, sorted, read with the plain driver."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    db = _raw(dsn)
    try:
        out = {}
        for table in tables:
            cursor = db.cursor()
            cursor.execute(f'SELECT * FROM "{table}"')
            out[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
        return out
    finally:
        db.close()


def _tree(root: Path) -> dict[str, str]:
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in backup.media_files(root)}


# --- the tests ----------------------------------------------------------------------------------------------------

def test_backup_restores_into_an_empty_database_with_everything(tmp_path, settings, targets, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    _platform_data()
    source_rows, source_files = _everything(_source_dsn()), _tree(settings.MEDIA_ROOT)
    head = audit.head()
    assert len(source_files) >= 4 and head["seq"] == AuditEvent.objects.count() > 10

    manifest = backup.create(tmp_path / "backup")
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"]["onestop_dossier"] == 3 and manifest["tables"]["core_auditevent"] == head["seq"]
    assert {f["path"] for f in manifest["files"]} == {f"media/{name}" for name in source_files}
    assert manifest["audit_head"] == {"seq": head["seq"], "hash": head["hash"]}
    assert manifest["stored_files"]["rows"] >= 4 and manifest["stored_files"]["problems_at_backup"] == []
    assert any("SoftHSM2" in line for line in manifest["not_included"])
    capsys.readouterr()
    call_command("backup", "--verify", str(tmp_path / "backup"), "--quiet")
    assert json.loads(capsys.readouterr().out)["ok"] is True

    target = targets("restored")
    code, report = target.restore(tmp_path / "backup")
    assert code == 0, report
    assert report["ok"] and report["tables"]["mismatches"] == [] and report["files"]["problems"] == []
    assert report["files"]["count"] == len(source_files)
    assert report["audit"]["ok"] and report["audit"]["head"] == manifest["audit_head"]
    assert report["stored_files"]["rows"] == manifest["stored_files"]["rows"] and not report["stored_files"]["problems"]

    # compared independently of the command: every row of every table, every file
    assert _everything(target.db if connection.vendor == "sqlite" else target.url) == source_rows
    assert _tree(target.media) == source_files

    # the restored platform goes on: the next audit record continues the chain (PostgreSQL: sequences and the
    # append-only trigger came back too)
    after = target.run("shell", "--no-imports", "-c", "from tinhso.core import audit, services; "
                       "services.record('restore.checked'); r = audit.verify(); print(r.ok, r.rows)")
    assert after.split() == ["True", str(head["seq"] + 1)]
    if connection.vendor == "postgresql":
        db = _raw(target.url)
        triggers = {row[0] for row in db.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
        db.close()
        assert "core_auditevent_append_only" in triggers

    # a second restore onto the now full database is refused
    code, again = target.restore(tmp_path / "backup")
    assert code == 1 and again["refused"] == "target_not_empty" and "--force" in again["message"]

    # the same as one .tar file
    tar_manifest = backup.create(tmp_path / "backup.tar")
    assert tarfile.is_tarfile(tmp_path / "backup.tar") and not (tmp_path / "backup.tar.partial").exists()
    assert tar_manifest["tables"] == manifest["tables"] and tar_manifest["files"] == manifest["files"]
    assert backup.check(tmp_path / "backup.tar")["ok"]
    target = targets("from_tar")
    code, report = target.restore(tmp_path / "backup.tar")
    assert code == 0 and report["ok"], report
    assert _everything(target.db if connection.vendor == "sqlite" else target.url) == source_rows
    assert _tree(target.media) == source_files


def test_a_damaged_backup_is_refused_and_the_file_named(tmp_path, settings, targets, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    _platform_data()
    backup.create(tmp_path / "backup")
    damaged = tmp_path / "damaged"
    shutil.copytree(tmp_path / "backup", damaged)
    victim = sorted(path for path in (damaged / "media").rglob("*") if path.is_file())[0]
    name = victim.relative_to(damaged).as_posix()
    data = bytearray(victim.read_bytes())
    data[20] ^= 0x01
    victim.write_bytes(bytes(data))

    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        call_command("backup", "--verify", str(damaged), "--quiet")
    assert exit_info.value.code == 1
    checked = json.loads(capsys.readouterr().out)
    assert [(p["path"], p["reason"]) for p in checked["problems"]] == [(name, "checksum")]

    target = targets("from_damaged")
    code, report = target.restore(damaged)
    assert code == 1 and report["refused"] == "damaged_backup"
    assert [p["path"] for p in report["problems"]] == [name] and name in report["problems"][0]["message"]
    # nothing was written
    assert not _tree(target.media)
    if connection.vendor == "postgresql":
        db = _raw(target.url)
        tables = db.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
        db.close()
        assert tables == 0
    else:
        assert not Path(target.db).exists() or not sqlite3.connect(target.db).execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()

    # a missing file and an extra one are named too
    victim.unlink()
    (damaged / "media" / "lạ.txt").write_text("không có trong bản kê")
    problems = backup.check(damaged)["problems"]
    assert {(p["path"], p["reason"]) for p in problems} == {("media/lạ.txt", "unlisted"), (name, "missing")}

    # in a .tar: one byte changed inside the database dump, in place in the archive
    manifest = backup.create(tmp_path / "backup.tar")
    with tarfile.open(tmp_path / "backup.tar") as tar:
        member = tar.getmember(manifest["database"]["path"])
    with open(tmp_path / "backup.tar", "r+b") as handle:
        handle.seek(member.offset_data + member.size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    problems = backup.check(tmp_path / "backup.tar")["problems"]
    assert [(p["path"], p["reason"]) for p in problems] == [(manifest["database"]["path"], "checksum")]


def test_backup_refuses_an_existing_destination(tmp_path):
    (tmp_path / "backup").mkdir()
    with pytest.raises(backup.BackupError, match="đã có"):
        backup.create(tmp_path / "backup")
