"""schemathesis against the OpenAPI schema: every operation, bounded generated examples (valid and invalid), as an
anonymous caller, a citizen and an officer. The check: never a server error (5xx), whatever the input.

Examples are derandomised (the same cases on every run, so CI is repeatable); ``TINHSO_FUZZ_EXAMPLES`` sets how many
per operation and caller (default 15).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tinhso.api import api
from tinhso.wsgi import application

from .world import PASSWORD

EXAMPLES = int(os.environ.get("TINHSO_FUZZ_EXAMPLES", "15"))
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application
CALLERS = {"anonymous": "", "citizen": "congdan", "officer": "tiepnhan.lvt"}
_sessions: dict[str, str] = {}


@pytest.fixture
def demo_world(db, settings, tmp_path):
    from django.core.management import call_command

    settings.MEDIA_ROOT = tmp_path
    settings.TINHSO = {**settings.TINHSO, "LOOKUP_RATE": "100000/m"}
    call_command("demo")
    # The WSGI application is called directly: keep the test's connection open as Django's test client does.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    _sessions.clear()
    for caller, username in CALLERS.items():
        if username:
            client = Client()
            assert client.login(username=username, password=PASSWORD)
            _sessions[caller] = client.cookies["sessionid"].value
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("caller", list(CALLERS))
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case, caller, demo_world):
    cookies = {"sessionid": _sessions[caller]} if caller in _sessions else None
    case.call_and_validate(cookies=cookies, checks=[not_a_server_error])
