"""Backup and restore of the platform: the database, every stored file, and a manifest to check both against.

A backup is a directory (or one uncompressed ``.tar`` holding the same tree)::

    manifest.json                 what is inside, with counts and SHA-256 checksums (written last)
    database/tinhso.pgdump        PostgreSQL: ``pg_dump --format=custom`` (compressed, restored with pg_restore)
    database/tinhso.sqlite3       SQLite: a copy made with SQLite's online backup API
    media/…                       every file under MEDIA_ROOT, same paths

The database is dumped natively, not with ``dumpdata``: a province's database (millions of rows) dumps and restores
in minutes instead of hours, with sequences, indexes, constraints and the audit triggers exactly as they were. The
price: a backup restores into the same kind of database (PostgreSQL → PostgreSQL of the same or a newer major version,
SQLite → SQLite); moving between kinds is a migration done with ``dumpdata``/``loaddata``, not a restore.

On PostgreSQL the row counts, the audit head and the stored-file references in the manifest are read in the very
snapshot ``pg_dump`` dumps (``pg_export_snapshot``), so they match the dump exactly even while the platform runs. Files
are copied after the database, so every file the dump references is there (uploads are written before their rows
commit, and are never changed afterwards); files uploaded during the backup may be there too, harmlessly.

Not in a backup: the signing keys (the SoftHSM2 token or hardware HSM — back it up by its own procedure), the
settings and secrets of the server (environment), the collected static files (rebuilt by ``collectstatic``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import django
from django.conf import settings
from django.db import connections, models, transaction

import tinhso

from . import audit
from .models import StoredFileFields

FORMAT = "tinhso-backup"
VERSION = 1
MANIFEST = "manifest.json"
DB_FILES = {"postgresql": ("database/tinhso.pgdump", "pg_dump-custom"),
            "sqlite": ("database/tinhso.sqlite3", "sqlite3")}
MEDIA_PREFIX = "media/"
CHUNK = 1 << 20
NOT_INCLUDED = [
    "Khóa ký số: token SoftHSM2/HSM (TINHSO['SIGNING']['DIR']/tokens) — sao lưu theo quy trình riêng của token.",
    "Cấu hình và bí mật của máy chủ (biến môi trường: DJANGO_SECRET_KEY, DATABASE_URL, mã PIN…).",
    "Tệp tĩnh đã thu gom (STATIC_ROOT) — tạo lại bằng “tinhso collectstatic”.",
]

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in Vietnamese."""


def _noop(_: str) -> None:
    pass


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- files ------------------------------------------------------------------------------------------------------

def _copy_hashing(source: BinaryIO, target: BinaryIO | None = None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return size, digest.hexdigest()


def file_digest(path: Path) -> tuple[int, str]:
    with open(path, "rb") as handle:
        return _copy_hashing(handle)


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under ``root`` as (path relative to it with ``/``, absolute path), in a stable order."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


class _HashingReader:
    """A file object for ``tarfile.addfile`` that hashes what it hands over."""

    def __init__(self, handle: BinaryIO):
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.handle.read(n)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


# --- backup containers ------------------------------------------------------------------------------------------

class _DirWriter:
    def __init__(self, dest: Path):
        self.dest, self.partial = dest, dest.with_name(dest.name + ".partial")
        if self.partial.exists():
            shutil.rmtree(self.partial)
        self.partial.mkdir(parents=True)

    def scratch(self) -> Path:
        return self.partial

    def add(self, arcname: str, path: Path, *, move: bool = False) -> tuple[int, str]:
        target = self.partial / arcname
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            if path != target:
                os.replace(path, target)
            return file_digest(target)
        with open(path, "rb") as source, open(target, "wb") as out:
            result = _copy_hashing(source, out)
        shutil.copystat(path, target)
        return result

    def finish(self, manifest: bytes) -> None:
        (self.partial / MANIFEST).write_bytes(manifest)
        os.replace(self.partial, self.dest)

    def abort(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)


class _TarWriter:
    def __init__(self, dest: Path):
        self.dest, self.partial = dest, dest.with_name(dest.name + ".partial")
        self.tmp = tempfile.TemporaryDirectory(prefix="tinhso-backup-")
        self.tar = tarfile.open(self.partial, "w", format=tarfile.PAX_FORMAT)

    def scratch(self) -> Path:
        return Path(self.tmp.name)

    def add(self, arcname: str, path: Path, *, move: bool = False) -> tuple[int, str]:
        with open(path, "rb") as handle:
            info = self.tar.gettarinfo(arcname=arcname, fileobj=handle)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            reader = _HashingReader(handle)
            self.tar.addfile(info, reader)
        if move:
            path.unlink()
        return reader.size, reader.digest.hexdigest()

    def finish(self, manifest: bytes) -> None:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime = len(manifest), int(time.time())
        self.tar.addfile(info, io.BytesIO(manifest))
        self.tar.close()
        self.tmp.cleanup()
        os.replace(self.partial, self.dest)

    def abort(self) -> None:
        self.tar.close()
        self.tmp.cleanup()
        self.partial.unlink(missing_ok=True)


class _DirReader:
    def __init__(self, root: Path):
        self.root = root

    def manifest(self) -> dict:
        path = self.root / MANIFEST
        if not path.is_file():
            raise BackupError(f"{self.root}: không có {MANIFEST} — không phải bản sao lưu, hoặc sao lưu chưa xong.")
        return json.loads(path.read_text("utf-8"))

    def members(self) -> Iterator[tuple[str, BinaryIO]]:
        for name, path in media_files(self.root):
            if name != MANIFEST:
                with open(path, "rb") as handle:
                    yield name, handle

    @contextmanager
    def local_path(self, arcname: str) -> Iterator[Path]:
        yield self.root / arcname


class _TarReader:
    def __init__(self, path: Path):
        self.path = path

    def manifest(self) -> dict:
        try:
            with tarfile.open(self.path, "r:") as tar:
                handle = tar.extractfile(MANIFEST)
                return json.loads(handle.read().decode("utf-8"))
        except (KeyError, tarfile.TarError) as exc:
            raise BackupError(f"{self.path}: không đọc được {MANIFEST} trong tệp tar ({exc}).") from exc

    def members(self) -> Iterator[tuple[str, BinaryIO]]:
        with tarfile.open(self.path, "r:") as tar:
            for member in tar:
                if member.isfile() and member.name != MANIFEST:
                    yield member.name, tar.extractfile(member)

    @contextmanager
    def local_path(self, arcname: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="tinhso-restore-") as tmp, tarfile.open(self.path, "r:") as tar:
            target = Path(tmp) / PurePosixPath(arcname).name
            with tar.extractfile(arcname) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            yield target


def _reader(src: Path):
    if src.is_dir():
        return _DirReader(src)
    if src.is_file() and tarfile.is_tarfile(src):
        return _TarReader(src)
    raise BackupError(f"{src}: không có thư mục hay tệp .tar sao lưu ở đây.")


# --- database helpers -------------------------------------------------------------------------------------------

def _pg_bin(name: str) -> str:
    """``pg_dump``/``pg_restore``: from ``TINHSO_PG_BINDIR``, the PATH, or the newest /usr/lib/postgresql/*/bin."""
    bindir = os.environ.get("TINHSO_PG_BINDIR")
    if bindir:
        return str(Path(bindir) / name)
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if candidates:
        return str(candidates[-1])
    raise BackupError(f"Không tìm thấy {name} (Debian: apt-get install postgresql-client); "
                      "hoặc đặt TINHSO_PG_BINDIR.")


def _pg_env(settings_dict: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"),
                     ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    for key, var in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT"),
                     ("sslkey", "PGSSLKEY")):
        if settings_dict.get("OPTIONS", {}).get(key):
            env[var] = str(settings_dict["OPTIONS"][key])
    return env


def _run(args: list[str], env: dict) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} thất bại (mã {done.returncode}): {done.stderr.strip()[-2000:]}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _sqlite_tables(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [row[0] for row in cursor.fetchall()]


def _audit_head(cursor, tables: list[str]) -> dict:
    if "core_auditchainhead" not in tables:
        return {"seq": 0, "hash": audit.GENESIS}
    cursor.execute("SELECT seq, hash FROM core_auditchainhead WHERE id = 1")
    row = cursor.fetchone()
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": audit.GENESIS}


def stored_file_models() -> list[tuple[type[models.Model], models.FileField]]:
    """Every concrete model with ``StoredFileFields`` (name, size, SHA-256 of its file) and its file field."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        if issubclass(model, StoredFileFields) and not model._meta.proxy:
            field = next((f for f in model._meta.concrete_fields if isinstance(f, models.FileField)), None)
            if field is not None:
                found.append((model, field))
    return found


def _stored_file_refs(cursor, tables: list[str]) -> Iterator[tuple[str, object, str, str]]:
    """(model label, pk, file path, recorded SHA-256) of every stored-file row, read with plain SQL."""
    for model, field in stored_file_models():
        meta = model._meta
        if meta.db_table not in tables:
            continue
        sha = meta.get_field("sha256").column
        cursor.execute(f"SELECT {_quote(meta.pk.column)}, {_quote(field.column)}, {_quote(sha)} "
                       f"FROM {_quote(meta.db_table)} ORDER BY 1")
        for pk, name, digest in cursor.fetchall():
            if name:
                yield meta.label_lower, pk, name, digest


def _stored_file_problems(refs, files: dict[str, str]) -> tuple[int, list[dict]]:
    """Rows whose file is absent from ``files`` (path → SHA-256) or whose content differs from the recorded hash."""
    rows, problems = 0, []
    for label, pk, name, digest in refs:
        rows += 1
        actual = files.get(name)
        if actual is None:
            problems.append({"model": label, "pk": pk, "path": name, "reason": "missing"})
        elif digest and actual != digest:
            problems.append({"model": label, "pk": pk, "path": name, "reason": "checksum"})
    return rows, problems


# --- backup -----------------------------------------------------------------------------------------------------

def create(dest: Path, *, using: str = "default", media_root: Path | None = None,
           progress: Progress = _noop) -> dict:
    """Write a backup to ``dest`` (a new directory, or a ``.tar`` file when the name ends so); return the manifest."""
    dest = Path(dest)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    if dest.exists():
        raise BackupError(f"{dest} đã có: chọn một đường dẫn mới cho bản sao lưu.")
    connection = connections[using]
    if connection.vendor not in DB_FILES:
        raise BackupError(f"Chưa hỗ trợ sao lưu cơ sở dữ liệu {connection.vendor}.")
    if connection.in_atomic_block:
        raise BackupError("Sao lưu phải chạy ngoài giao dịch (pg_dump chỉ thấy dữ liệu đã commit).")
    started = time.monotonic()
    writer = _TarWriter(dest) if dest.suffix == ".tar" else _DirWriter(dest)
    try:
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": _now(),
            "platform_version": tinhso.__version__,
            "django_version": django.get_version(),
        }
        progress("Sao lưu cơ sở dữ liệu…")
        if connection.vendor == "postgresql":
            db = _dump_postgresql(connection, writer)
        else:
            db = _dump_sqlite(connection, writer)
        manifest["database"] = db["file"]
        manifest["tables"] = db["tables"]
        manifest["rows"] = sum(db["tables"].values())
        manifest["audit_head"] = db["audit_head"]
        progress("Sao lưu tệp đã lưu trữ…")
        files, total = [], 0
        for name, path in media_files(media_root):
            try:
                size, digest = writer.add(MEDIA_PREFIX + name, path)
            except FileNotFoundError:  # removed while the backup ran
                continue
            files.append({"path": MEDIA_PREFIX + name, "size": size, "sha256": digest})
            total += size
            if len(files) % 1000 == 0:
                progress(f"… {len(files)} tệp")
        manifest["files"] = files
        manifest["files_bytes"] = total
        by_path = {f["path"][len(MEDIA_PREFIX):]: f["sha256"] for f in files}
        rows, problems = _stored_file_problems(db["refs"], by_path)
        manifest["stored_files"] = {"rows": rows, "problems_at_backup": problems}
        manifest["not_included"] = NOT_INCLUDED
        manifest["seconds"] = round(time.monotonic() - started, 2)
        body = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
        writer.finish(body)
    except BaseException:
        writer.abort()
        raise
    manifest["manifest_sha256"] = hashlib.sha256(body).hexdigest()
    return manifest


def _dump_postgresql(connection, writer) -> dict:
    """pg_dump in the snapshot where the counts, the audit head and the file references are read."""
    arcname, kind = DB_FILES["postgresql"]
    target = writer.scratch() / PurePosixPath(arcname).name
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            tables = connection.introspection.table_names(cursor)
            counts = _table_counts(cursor, tables)
            head = _audit_head(cursor, tables)
            refs = list(_stored_file_refs(cursor, tables))
            _run([_pg_bin("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password",
                  f"--file={target}"], _pg_env(connection.settings_dict))
    size, digest = writer.add(arcname, target, move=True)
    version = connection.pg_version
    return {
        "file": {"vendor": "postgresql", "server_version": f"{version // 10000}.{version % 10000}",
                 "path": arcname, "format": kind, "size": size, "sha256": digest},
        "tables": counts, "audit_head": head, "refs": refs,
    }


def _sqlite_name(connection) -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu/khôi phục được.")
    return Path(name)


def _dump_sqlite(connection, writer) -> dict:
    """SQLite's online backup (one step: a consistent copy); counts and references read from the copy."""
    arcname, kind = DB_FILES["sqlite"]
    target = writer.scratch() / PurePosixPath(arcname).name
    source = sqlite3.connect(_sqlite_name(connection))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        cursor = copy.cursor()
        tables = _sqlite_tables(cursor)
        counts = _table_counts(cursor, tables)
        head = _audit_head(cursor, tables)
        refs = list(_stored_file_refs(cursor, tables))
    finally:
        copy.close()
        source.close()
    size, digest = writer.add(arcname, target, move=True)
    return {
        "file": {"vendor": "sqlite", "server_version": sqlite3.sqlite_version, "path": arcname, "format": kind,
                 "size": size, "sha256": digest},
        "tables": counts, "audit_head": head, "refs": refs,
    }


# --- checking a backup ------------------------------------------------------------------------------------------

def _expected_files(manifest: dict) -> dict[str, dict]:
    expected = {f["path"]: f for f in manifest.get("files", [])}
    database = manifest.get("database") or {}
    if database.get("path"):
        expected[database["path"]] = database
    return expected


def _check_manifest(manifest: dict) -> None:
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"Tệp {MANIFEST} không phải của bản sao lưu Tỉnh Số phiên bản {VERSION}.")


def check(src: Path, *, progress: Progress = _noop) -> dict:
    """Check every file of a backup against its manifest (size and SHA-256); nothing is written."""
    reader = _reader(Path(src))
    manifest = reader.manifest()
    _check_manifest(manifest)
    problems = _check_members(reader, manifest, progress)
    return {
        "ok": not problems,
        "backup": str(src),
        "created_at": manifest.get("created_at"),
        "database": (manifest.get("database") or {}).get("vendor"),
        "files_checked": len(_expected_files(manifest)),
        "problems": problems,
    }


def _check_members(reader, manifest: dict, progress: Progress) -> list[dict]:
    expected, seen, problems = _expected_files(manifest), set(), []
    for count, (name, handle) in enumerate(reader.members(), 1):
        entry = expected.get(name)
        if entry is None:
            problems.append({"path": name, "reason": "unlisted",
                             "message": f"{name}: tệp không có trong {MANIFEST}."})
            continue
        seen.add(name)
        size, digest = _copy_hashing(handle)
        if size != entry["size"] or digest != entry["sha256"]:
            problems.append({"path": name, "reason": "checksum", "expected_sha256": entry["sha256"],
                             "sha256": digest, "expected_size": entry["size"], "size": size,
                             "message": f"{name}: nội dung đã thay đổi (SHA-256 hoặc dung lượng không khớp)."})
        if count % 1000 == 0:
            progress(f"… đã kiểm tra {count} tệp")
    for name in sorted(set(expected) - seen):
        problems.append({"path": name, "reason": "missing", "message": f"{name}: tệp bị thiếu trong bản sao lưu."})
    return problems


# --- restore ----------------------------------------------------------------------------------------------------

def _database_is_empty(connection) -> tuple[bool, list[str]]:
    if connection.vendor == "sqlite":
        path = _sqlite_name(connection)
        if not path.exists() or path.stat().st_size == 0:
            return True, []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    connection.close()
    return not tables, tables


def restore(src: Path, *, using: str = "default", media_root: Path | None = None, force: bool = False,
            progress: Progress = _noop) -> dict:
    """Restore a backup into an empty database and an empty media folder, then check everything against it.

    The backup's files are checked first: a damaged backup is refused before anything is written. The report's
    ``ok`` is false (and the command exits non-zero) when a count, a file or the audit chain does not match.
    """
    src = Path(src)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    reader = _reader(src)
    manifest = reader.manifest()
    _check_manifest(manifest)
    connection = connections[using]
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"Bản sao lưu là của {vendor}, cơ sở dữ liệu đích là {connection.vendor}: chỉ khôi phục "
                          "được vào cùng loại (chuyển loại thì dùng dumpdata/loaddata).")
    report = {"ok": False, "backup": str(src), "created_at": manifest.get("created_at"), "database": vendor,
              "platform_version": manifest.get("platform_version")}

    progress("Kiểm tra bản sao lưu…")
    problems = _check_members(reader, manifest, progress)
    if problems:
        report.update(refused="damaged_backup", problems=problems)
        return report
    empty, tables = _database_is_empty(connection)
    media_present = next(media_files(media_root), None)
    if not force and (not empty or media_present):
        reasons = []
        if not empty:
            reasons.append(f"cơ sở dữ liệu đích đã có {len(tables)} bảng (hãy tạo cơ sở dữ liệu mới, chưa migrate)")
        if media_present:
            reasons.append(f"thư mục tệp {media_root} đã có tệp ({media_present[0]}…)")
        report.update(refused="target_not_empty",
                      message="Không khôi phục: " + "; ".join(reasons) + ". Dùng --force để ghi đè.")
        return report

    progress("Khôi phục cơ sở dữ liệu…")
    with reader.local_path(manifest["database"]["path"]) as dump:
        if vendor == "postgresql":
            _restore_postgresql(connection, dump, clean=not empty)
        else:
            _restore_sqlite(connection, dump)
    progress("Khôi phục tệp…")
    media_root.mkdir(parents=True, exist_ok=True)
    copy_problems = []
    for name, handle in reader.members():
        if not name.startswith(MEDIA_PREFIX):
            continue
        relative = name[len(MEDIA_PREFIX):]
        if not _safe_member(relative):
            copy_problems.append({"path": name, "reason": "unsafe_path",
                                  "message": f"{name}: đường dẫn không an toàn, bỏ qua."})
            continue
        target = media_root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            _copy_hashing(handle, out)
    progress("Đối chiếu sau khôi phục…")
    report.update(_verify_restored(connection, manifest, media_root))
    report["files"]["problems"] = copy_problems + report["files"]["problems"]
    report["ok"] = not (report["tables"]["mismatches"] or report["files"]["problems"]
                        or not report["audit"]["ok"] or report["stored_files"]["problems"])
    return report


def _restore_postgresql(connection, dump: Path, *, clean: bool) -> None:
    connection.close()
    args = [_pg_bin("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            "--no-password", f"--dbname={connection.settings_dict['NAME']}"]
    if clean:
        args += ["--clean", "--if-exists"]
    env = _pg_env(connection.settings_dict)
    env.pop("PGDATABASE", None)
    _run([*args, str(dump)], env)


def _restore_sqlite(connection, dump: Path) -> None:
    connection.close()
    target = _sqlite_name(connection)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(f"file:{dump}?mode=ro", uri=True), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _verify_restored(connection, manifest: dict, media_root: Path) -> dict:
    """Counts per table, every file's SHA-256 on disk, the audit chain and head, and the stored-file rows."""
    connection.close()
    with connection.cursor() as cursor:
        tables = (_sqlite_tables(cursor) if connection.vendor == "sqlite"
                  else connection.introspection.table_names(cursor))
        counts = _table_counts(cursor, [t for t in manifest["tables"] if t in tables])
        refs = list(_stored_file_refs(cursor, tables))
    mismatches = []
    for table, expected in sorted(manifest["tables"].items()):
        actual = counts.get(table)
        if actual != expected:
            mismatches.append({"table": table, "expected": expected, "actual": actual,
                               "message": f"Bảng {table}: {actual if actual is not None else 'không có'} dòng, "
                                          f"bản sao lưu ghi {expected}."})

    on_disk, file_problems, total = {}, [], 0
    for entry in manifest.get("files", []):
        relative = entry["path"][len(MEDIA_PREFIX):]
        path = media_root / relative
        if not path.is_file():
            file_problems.append({"path": relative, "reason": "missing", "message": f"{relative}: không có sau khôi "
                                                                                    "phục."})
            continue
        size, digest = file_digest(path)
        on_disk[relative] = digest
        total += size
        if digest != entry["sha256"] or size != entry["size"]:
            file_problems.append({"path": relative, "reason": "checksum",
                                  "message": f"{relative}: SHA-256 sau khôi phục khác bản sao lưu."})

    chain = audit.verify(using=connection.alias)
    head_expected = manifest.get("audit_head") or {}
    head_ok = (chain.head.get("seq"), chain.head.get("hash")) == (head_expected.get("seq"), head_expected.get("hash"))

    rows, problems = _stored_file_problems(refs, on_disk)
    known = {(p["model"], str(p["pk"]), p["reason"]) for p in manifest.get("stored_files", {}).get(
        "problems_at_backup", [])}
    new_problems = [p for p in problems if (p["model"], str(p["pk"]), p["reason"]) not in known]
    return {
        "tables": {"count": len(manifest["tables"]), "rows": sum(counts.values()), "mismatches": mismatches,
                   "extra_tables": sorted(set(tables) - set(manifest["tables"]))},
        "files": {"count": len(on_disk), "bytes": total, "problems": file_problems},
        "audit": {"ok": chain.ok and head_ok, "rows": chain.rows, "head": chain.head,
                  "head_matches_backup": head_ok, "problem_count": chain.problem_count,
                  "problems": [p.to_json() for p in chain.problems[:20]]},
        "stored_files": {"rows": rows, "problems": new_problems,
                         "problems_already_at_backup": len(problems) - len(new_problems)},
    }


def summary(manifest: dict) -> dict:
    """What ``tinhso backup`` prints: the manifest without the file list."""
    out = {k: v for k, v in manifest.items() if k not in ("files", "tables")}
    out["ok"] = True
    out["tables"] = len(manifest.get("tables", {}))
    out["files"] = len(manifest.get("files", []))
    return out

