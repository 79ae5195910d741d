"""Production settings pass ``check --deploy``; they refuse to start without their secrets."""

import os
import secrets
import subprocess
import sys


def _tinhso(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tinhso", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def _prod_env(tmp_path, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="tinhso.settings.prod", DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
               DATABASE_URL=f"sqlite:///{tmp_path}/prod.sqlite3", DJANGO_ALLOWED_HOSTS="dichvucong.langson.gov.vn")
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def test_production_settings_pass_check_deploy(tmp_path):
    result = _tinhso(_prod_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _tinhso(_prod_env(tmp_path, DJANGO_SECRET_KEY=None), "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
