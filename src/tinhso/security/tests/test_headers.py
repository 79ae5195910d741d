"""Security headers on every kind of answer, and the production cookie / HSTS settings."""

import json
import os
import re
import secrets
import subprocess
import sys

import pytest

from tinhso.security.middleware import content_security_policy

from .conftest import security_settings

pytestmark = pytest.mark.django_db
EXPECTED_CSP = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "frame-ancestors": "'none'", "form-action": "'self'", "base-uri": "'self'", "object-src": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = [p.strip().split(" ", 1) for p in header.split(";") if p.strip()]
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


@pytest.mark.parametrize("path", ["/", "/dang-nhap/", "/co-quan/", "/api/agencies", "/api/docs", "/khong-co-trang/"])
def test_every_answer_carries_the_policy_and_the_other_headers(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    policy = directives(response["Content-Security-Policy"])
    for name, value in EXPECTED_CSP.items():
        assert policy[name] == value, name
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_report_only_mode_sends_the_other_header(client, settings):
    security_settings(settings, CSP_REPORT_ONLY=True)
    response = client.get("/")
    assert "Content-Security-Policy" not in response
    assert directives(response["Content-Security-Policy-Report-Only"])["script-src"] == "'self'"


def test_api_docs_use_local_files_and_no_inline_script(client):
    body = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', body)
    assert sources and all(src.startswith("/static/") for src in sources), sources  # nothing fetched from elsewhere
    scripts = [chunk.split(">", 1)[0] for chunk in body.split("<script")[1:]]
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts


def _web_templates() -> dict[str, str]:
    """Our templates served as web pages: all but the printable documents rendered to PDF by WeasyPrint (a full
    ``<html>`` document other than base.html, or a template extending one)."""
    import re
    from pathlib import Path

    import tinhso

    texts = {}
    for path in Path(tinhso.__file__).parent.glob("**/templates/**/*.html"):
        name = path.as_posix().split("/templates/", 1)[1]
        texts[name] = path.read_text(encoding="utf-8")
    documents = {n for n, t in texts.items() if "<html" in t.lower() and n != "base.html"}
    extends = {n: m.group(1) for n, t in texts.items() if (m := re.search(r"{%\s*extends\s+[\"']([^\"']+)", t))}
    changed = True
    while changed:
        more = {n for n, parent in extends.items() if parent in documents} - documents
        documents |= more
        changed = bool(more)
    return {n: t for n, t in texts.items() if n not in documents}


def test_pages_have_no_inline_script_or_style():
    """What the policy would block: inline scripts, handlers and style attributes in our templates (browser tests in
    test_browser.py check the rendered pages)."""
    pages = _web_templates()
    assert "base.html" in pages and "core/login.html" in pages and "onestop/forms/01_receipt.html" not in pages
    offenders = []
    for name, text in pages.items():
        for needle in ("<script>", " onclick=", " onchange=", " onsubmit=", " onload=", " style=", "<style",
                       "javascript:", "hx-on"):
            if needle in text:
                offenders.append(f"{name}: {needle.strip()}")
    assert offenders == []


def test_policy_is_built_from_settings(settings):
    security_settings(settings, CSP={"default-src": ["'self'"], "img-src": ["'self'", "https://tiles.example"]})
    assert content_security_policy() == "default-src 'self'; img-src 'self' https://tiles.example"


def _prod(tmp_path, code: str, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "TINHSO_"))}
    environ.update(DJANGO_SETTINGS_MODULE="tinhso.settings.prod", DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
                   DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3", DJANGO_ALLOWED_HOSTS="dichvucong.langson.gov.vn",
                   **env)
    script = "import json, django; django.setup(); from django.conf import settings as s; " + code
    result = subprocess.run([sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_cookies_hsts_and_two_factor(tmp_path):
    values = _prod(tmp_path, "print(json.dumps({k: getattr(s, k) for k in ("
                   "'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', "
                   "'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY', 'CSRF_COOKIE_SAMESITE', 'SECURE_HSTS_SECONDS', "
                   "'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT', 'SECURITY_LOG')} | "
                   "{'TOTP': s.TINHSO['SECURITY']['TOTP_ENABLED'], "
                   "'handler': s.LOGGING['handlers']['security_jsonl']}))")
    assert values["SESSION_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["CSRF_COOKIE_SECURE"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] == 31536000 and values["SECURE_HSTS_PRELOAD"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["TOTP"] is True  # on in production unless TINHSO_TOTP=0
    assert values["SECURITY_LOG"] == "-" and values["handler"]["stream"] == "ext://sys.stdout"


def test_production_preload_and_log_path_are_configurable(tmp_path):
    values = _prod(tmp_path, "print(json.dumps({'preload': s.SECURE_HSTS_PRELOAD, "
                   "'silenced': getattr(s, 'SILENCED_SYSTEM_CHECKS', []), "
                   "'handler': s.LOGGING['handlers']['security_jsonl']}))",
                   DJANGO_HSTS_PRELOAD="1", TINHSO_SECURITY_LOG=str(tmp_path / "siem" / "security.jsonl"))
    assert values["preload"] is True and values["silenced"] == []
    assert values["handler"]["filename"] == str(tmp_path / "siem" / "security.jsonl")
