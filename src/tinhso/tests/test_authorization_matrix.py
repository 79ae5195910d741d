"""Authorization matrix: every API operation (from the OpenAPI schema) and every page (from the URL configuration),
called as anonymous, citizen A, citizen B, staff of agency X and staff of agency Y, with the objects of each side.

Nobody lists the endpoints: a new one is covered automatically, and the test fails if it has a path parameter this
file does not know how to fill (add it to ``PARAMS``). For every call: no server error; the response does not contain
the marker of any object the caller may not see; no object the caller may not see was changed (its columns and the
rows pointing to it from any app). Each call runs in a savepoint rolled back afterwards, so the world stays the same.
"""

import itertools
import json
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tinhso.api import api

from . import world as world_module
from .world import PASSWORD

#: Routes not exercised, with the reason.
SKIPPED_ROUTES = {
    "api/openapi.json": "the schema itself (public by design)",
    "api/docs": "the schema viewer (public by design)",
    "dang-xuat/": "logging out changes only the caller's own session",
    "i18n/setlang/": "changes only the caller's own language cookie",
}
SKIPPED_PREFIXES = ("quan-tri/",)  # Django's admin: superusers only, enforced by Django itself (tested there)

#: How to fill each path parameter: name → function(world) → [(side, value)]. Side "public" for shared data.
ACTIONS = ["accept", "refuse", "request_supplement", "assign", "forward", "send_back", "decide", "return_result",
           "withdraw", "stop", "request_payment", "confirm_payment", "attach_result", "consult", "apology"]
#: The documents API's actions (``/api/documents/{document_id}/actions/{action}``) not already above.
DOCUMENT_ACTIONS = ["confirm_registration", "return_to_sender", "forward_to_specialist", "answer", "close",
                    "submit_for_approval", "approve", "sign", "issue", "deliver"]


def _objects(*names, attr="pk"):
    def values(w):
        return [(w.objects[n].side, getattr(w.objects[n].obj, attr)) for n in names if n in w.objects]
    return values


def _items(w):
    return [(side, item.pk) for side in "ab" for item in w.objects[f"dossier_{side}"].obj.items.all()[:1]]


def _public(*values):
    return lambda w: [("public", v) for v in values]


#: Keys: (app, parameter) or (app, parameter, a part of the route) for a parameter whose meaning depends on the route;
#: the most specific key wins.
PARAMS = {
    # API
    ("api", "document_id", "/api/me/store/"): _objects("store_a", "store_b"),
    ("api", "item_id"): _items,
    ("api", "provider"): _public("sandbox"),
    ("api", "petition_id"): _objects("petition_a", "petition_b"),
    ("api", "code", "/api/feedback/"): _objects("petition_a", "petition_b", attr="code"),
    ("api", "action", "/api/feedback/"): _public("refuse", "supplement", "classify", "assign", "answer", "publish"),
    ("api", "indicator"): _public("2.1", "5.4", "unknown"),
    ("api", "dossier_id"): _objects("dossier_a", "dossier_b", "draft_a"),
    ("api", "code"): lambda w: [("public", "1.001193"), *_objects("dossier_a", "dossier_b", attr="code")(w)],
    ("api", "action"): lambda w: [("public", a) for a in ACTIONS + DOCUMENT_ACTIONS],
    ("api", "document_id"): _objects("document_x", "document_y"),
    # pages of the one-stop-shop
    ("onestop", "pk"): _objects("dossier_a", "dossier_b", "draft_a"),
    ("onestop", "attachment_pk"): _objects("attachment_a", "attachment_b"),
    ("onestop", "item_pk"): _items,
    ("onestop", "action"): lambda w: [("public", a.replace("_", "-")) for a in ACTIONS[:6]],
    ("onestop", "slug"): lambda w: [("public", s) for s in ("01", "02", "06")],
    ("onestop", "procedure_code"): lambda w: [("public", "1.001193")],
    ("onestop", "document_pk"): _objects("store_a", "store_b"),
    # payments, feedback, the scoreboard, the exchange
    ("payments", "pk"): _objects("dossier_a", "dossier_b"),
    ("payments", "provider"): _public("sandbox"),
    ("payments", "order_ref"): _objects("payment_a", "payment_b", attr="order_ref"),
    ("feedback", "code"): _objects("petition_a", "petition_b", attr="code"),
    ("feedback", "pk", "ho-so/"): _objects("dossier_a", "dossier_b"),
    ("feedback", "pk", "can-bo/"): _objects("petition_a", "petition_b"),
    ("feedback", "action"): _public("tu-choi", "phan-loai", "chuyen-xu-ly", "tra-loi", "cong-khai"),
    ("reporting", "indicator"): _public("2.1", "5.4", "unknown"),
    ("exchange", "pk"): _objects("document_x", "document_y"),
    # pages of the documents office
    ("documents", "pk"): _objects("document_x", "document_y"),
    ("documents", "file_pk"): _objects("document_file_x", "document_file_y"),
    ("documents", "action"): lambda w: [("public", a) for a in ("assign", "close", "forward", "answer")],
    # public reference pages
    ("catalog", "code"): lambda w: [("public", "1.001193")],
    ("signing", "name"): lambda w: [("public", "demo-ca")],
}
#: Query parameters the matrix fills when an operation declares them: name → function(world) → [(side, value)].
QUERY = {
    "khoa": _objects("dossier_a", "dossier_b", attr="lookup_secret"),
}


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _app_of(pattern: URLPattern) -> str:
    module = getattr(pattern.callback, "__module__", "")
    if module.startswith("ninja") or module == "functools":
        return "api"
    return module.split(".")[1] if module.startswith("tinhso.") else module


def page_routes():
    """(route, app, parameter names) of every page and API URL."""
    for route, pattern in _walk(get_resolver().url_patterns):
        if route in SKIPPED_ROUTES or route.startswith(SKIPPED_PREFIXES):
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        yield route, _app_of(pattern), names


def fill(route: str, values: dict) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def _example(schema: dict, components: dict, depth: int = 0):
    """A minimal instance of a JSON schema: what a well-behaved client would send, so checks behind validation run."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components, depth)
    for combo in ("allOf", "anyOf", "oneOf"):
        if combo in schema:
            return _example(schema[combo][0], components, depth)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type", "object")
    if kind == "object":
        if depth > 3:
            return {}
        props = schema.get("properties", {})
        return {k: _example(v, components, depth + 1) for k, v in props.items() if k in schema.get("required", [])}
    return {"string": "1", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind)


def api_operations():
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            path_names = [p["name"] for p in params if p["in"] == "path"]
            query_names = [p["name"] for p in params if p["in"] == "query" and p["name"] in QUERY]
            body = None
            if "requestBody" in op:
                content = op["requestBody"]["content"]
                media = "application/json" if "application/json" in content else next(iter(content))
                body = (media, _example(content[media].get("schema", {}), components))
            yield method.upper(), path, path_names, query_names, body


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TINHSO = {**settings.TINHSO, "LOOKUP_RATE": "100000/m"}
    return world_module.build()


def _clients(world):
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in world.users.items():
        client = Client(raise_request_exception=False)
        assert client.login(username=user.username, password=PASSWORD), role
        clients[role] = client
    return clients


def _provider(app: str, route: str, name: str):
    specific = [k for k in PARAMS if len(k) == 3 and k[0] == app and k[1] == name and k[2] in route]
    if specific:
        return PARAMS[max(specific, key=lambda k: len(k[2]))]
    return PARAMS.get((app, name))


def _combinations(world, key_app, names, route=""):
    """Every combination of the sides' values for the parameters (an own dossier with another's attachment too)."""
    options = []
    for name in names:
        provider = _provider(key_app, route, name)
        if provider is None:
            return None
        options.append([(name, side, value) for side, value in provider(world)])
    return itertools.product(*options) if options else [()]


def _check(world, actor, label, response, failures):
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode("utf-8", "replace")
    if response.status_code >= 500:
        failures.append(f"{actor} {label}: HTTP {response.status_code}")
    for name, marker in world.markers_hidden_from(actor):
        if marker in body and marker not in label:  # a form may echo what the caller typed
            failures.append(f"{actor} {label}: response shows {name} ({marker})")


def _call(world, clients, actor, label, send, failures):
    before = world.snapshot(actor)
    with transaction.atomic():
        response = send(clients[actor])
        after = world.snapshot(actor)
        transaction.set_rollback(True)
    _check(world, actor, label, response, failures)
    for name in before:
        if before[name] != after[name]:
            failures.append(f"{actor} {label}: changed {name}, which it may not touch")
    return response


def test_no_caller_reads_or_changes_what_is_not_theirs(world):
    clients = _clients(world)
    failures, unknown, cases = [], set(), 0
    operations = 0

    for method, path, path_names, query_names, body in api_operations():
        combos = _combinations(world, "api", path_names, path)
        if combos is None:
            unknown.update(f"api {path}: {n}" for n in path_names if _provider("api", path, n) is None)
            continue
        operations += 1
        query_options = [[(n, side, v) for side, v in QUERY[n](world)] for n in query_names]
        for combo in combos:
            for query in itertools.product(*query_options) if query_options else [()]:
                filled = {n: v for n, _, v in combo}
                url = re.sub(r"{(\w+)}", lambda m, filled=filled: str(filled[m.group(1)]), path)
                params = {n: v for n, _, v in query}
                label = f"{method} {url} {params or ''}"
                for actor in clients:
                    def send(client, method=method, url=url, params=params, body=body):
                        if method == "GET":
                            return client.get(url, params)
                        if body is None:
                            return client.generic(method, url)
                        media, payload = body
                        target = url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
                        if media.startswith("multipart/") and method == "POST":  # the client encodes the parts
                            return client.post(target, {k: v for k, v in (payload or {}).items()
                                                        if not isinstance(v, (dict, list))})
                        data = json.dumps(payload) if media == "application/json" else payload
                        return client.generic(method, target, data, content_type=media)
                    _call(world, clients, actor, label, send, failures)
                    cases += 1

    pages = 0
    for route, app, names in page_routes():
        if app == "api":
            continue
        combos = _combinations(world, app, names, route)
        if combos is None:
            unknown.update(f"{app} /{route}: {n}" for n in names if _provider(app, route, n) is None)
            continue
        pages += 1
        for combo in combos:
            url = "/" + fill(route, {n: v for n, _, v in combo})
            for actor in clients:
                for method in ("GET", "POST"):
                    def send(client, method=method, url=url):
                        return client.get(url) if method == "GET" else client.post(url, {})
                    _call(world, clients, actor, f"{method} {url}", send, failures)
                    cases += 1

    print(f"authorization matrix: {operations} API operations, {pages} pages, {len(clients)} callers, "
          f"{cases} cases, {len(failures)} failures")
    assert not unknown, "path parameters the matrix cannot fill (add them to PARAMS): " + "; ".join(sorted(unknown))
    assert not failures, f"{len(failures)} of {cases} cases failed:\n" + "\n".join(failures[:60])
    assert cases > 500


def test_the_markers_are_seen_by_those_entitled(world):
    """The oracle works: the owner and the agency's staff do see the markers that others must not see."""
    clients = _clients(world)
    dossier_a = world.objects["dossier_a"]
    own = clients["citizen_a"].get(f"/api/me/dossiers/{dossier_a.obj.pk}").content.decode()
    assert all(marker in own for marker in dossier_a.markers[1:])  # delivery address, lookup secret, file name
    assert clients["citizen_b"].get(f"/api/me/dossiers/{dossier_a.obj.pk}").status_code == 404
    assert dossier_a.markers[0] in clients["staff_x"].get(f"/can-bo/ho-so/{dossier_a.obj.pk}/").content.decode()
    document_x = world.objects["document_x"]
    assert document_x.markers[0] in clients["staff_x"].get(f"/van-ban/{document_x.obj.pk}/").content.decode()
    # and the snapshot sees a change made by the owner
    before = world_module.snapshot(world.objects["draft_a"].obj)
    from tinhso.onestop import services

    services.discard_draft(world.users["citizen_a"], world.objects["draft_a"].obj)
    assert world_module.snapshot(world.objects["draft_a"].obj) != before
