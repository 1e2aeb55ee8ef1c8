"""Differential harness: run the same small app on Flask (the oracle) and on Kolba.

An app is written once as ``def some_app(fw): ...``; ``fw`` is a :class:`Framework`
namespace that hands out ``App`` (``Flask`` or ``Kolba``), ``request``, ``jsonify``,
``redirect``, ``url_for``, ``abort``, ``make_response``, ``Response``, ``exceptions``
(``werkzeug.exceptions`` / ``kolba.exceptions``) and a few more, so the app code is the
same text on both sides.

A request is a :class:`Req`. :func:`compare` sends it through both apps' test clients
and asserts that the two *snapshots* agree. What a snapshot holds is decided by the
oracle's response (see :func:`snapshot`):

* ``status_code``, always (the ``status`` line has a test of its own);
* every header Flask sends (``Date`` aside) must come from Kolba with the same values;
  ``Location``, ``Allow``, ``Set-Cookie`` and ``Vary`` are compared even when only Kolba
  sends them. Extra headers Kolba adds on its own are tolerated. ``Allow`` and ``Vary``
  are compared as sets. ``Location`` is compared exactly when Flask's is relative (the
  app wrote it); when Flask's is absolute (the router made it) only path, query and
  fragment are compared and Kolba may answer relative or absolute on ``localhost``.
  ``Content-Length`` is compared only together with the body;
* the body, byte for byte, for 2xx and 304 answers, and for any answer when the case
  says ``body=True`` (a body the *app* wrote, e.g. an error handler's text). Error pages
  and redirect pages the framework writes on its own are not compared: Kolba words them
  itself. JSON bodies are also compared parsed, so a failure says whether only the
  formatting differs.

``KOLBA_DIFF_SELFTEST=1`` makes the "kolba" side Flask as well: every case must then
pass, which proves the harness compares what it claims to compare.
"""

from __future__ import annotations

import dataclasses
import email.utils
import importlib
import json as _json
import os
import re
import typing as t
import urllib.parse

import pytest

SELFTEST = os.environ.get("KOLBA_DIFF_SELFTEST", "") not in ("", "0")


class Framework:
    """The names an app needs, looked up lazily: a missing one fails only its tests."""

    def __init__(self, name: str, names: dict[str, tuple[str, str]]) -> None:
        self.name = name
        self._names = names

    def __getattr__(self, attr: str) -> t.Any:
        try:
            module_name, obj_name = self._names[attr]
        except KeyError:
            raise AttributeError(attr) from None
        module = importlib.import_module(module_name)
        value = module if obj_name == "" else getattr(module, obj_name)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"<Framework {self.name}>"


_COMMON = (
    "request",
    "jsonify",
    "redirect",
    "url_for",
    "abort",
    "make_response",
    "Response",
    "g",
    "session",
    "stream_with_context",
    "Blueprint",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
    "flash",
    "get_flashed_messages",
)


def _flask_framework(name: str = "flask") -> Framework:
    names = {n: ("flask", n) for n in _COMMON}
    names["App"] = ("flask", "Flask")
    names["exceptions"] = ("werkzeug.exceptions", "")
    names["routing"] = ("werkzeug.routing", "")
    names["BaseConverter"] = ("werkzeug.routing", "BaseConverter")
    names["BuildError"] = ("werkzeug.routing", "BuildError")
    names["views"] = ("flask.views", "")
    names["get_template_attribute"] = ("flask", "get_template_attribute")
    names["sessions"] = ("flask.sessions", "")
    return Framework(name, names)


def _kolba_framework() -> Framework:
    names = {n: ("kolba", n) for n in _COMMON}
    names["App"] = ("kolba", "Kolba")
    names["exceptions"] = ("kolba.exceptions", "")
    names["routing"] = ("kolba.routing", "")
    names["BaseConverter"] = ("kolba.routing", "BaseConverter")
    names["BuildError"] = ("kolba.routing", "BuildError")
    names["views"] = ("kolba.views", "")
    names["get_template_attribute"] = ("kolba.helpers", "get_template_attribute")
    names["sessions"] = ("kolba.sessions", "")
    return Framework("kolba", names)


def _load_kolba() -> tuple[Framework | None, str]:
    if SELFTEST:
        return _flask_framework("flask-as-kolba"), ""
    try:
        from kolba import Kolba  # noqa: F401
    except ImportError as exc:  # the core is not there yet
        return None, f"kolba not importable: {type(exc).__name__}: {exc}"
    return _kolba_framework(), ""


FLASK = _flask_framework()
KOLBA, KOLBA_SKIP_REASON = _load_kolba()


def skip_without_kolba() -> None:
    """Called at the top of every test module here: skip the whole module (like
    ``pytest.importorskip``) while ``from kolba import Kolba`` fails; once it imports,
    nothing is skipped."""
    if KOLBA is None:
        pytest.skip(KOLBA_SKIP_REASON, allow_module_level=True)


# ---------------------------------------------------------------------------
# cases

_UNSET: t.Any = object()


@dataclasses.dataclass(frozen=True)
class Req:
    path: str
    method: str = "GET"
    query_string: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    data: t.Any = None
    json: t.Any = _UNSET
    content_type: str | None = None
    follow_redirects: bool = False
    #: compare Location exactly even when Flask's is absolute (the app wrote it so)
    exact_location: bool = False
    #: None: compare the body for 2xx/304 only; True: always; False: never.
    body: bool | None = None
    #: more keyword arguments for ``client.open`` (``base_url``, ``environ_base`` ...)
    extra: tuple[tuple[str, t.Any], ...] = ()
    #: keyword arguments for ``app.test_client`` (``use_cookies=False`` ...)
    client_kw: tuple[tuple[str, t.Any], ...] = ()
    id: str | None = None
    #: a reason string marks the case ``xfail(strict=True)``: Kolba differs on purpose.
    xfail: str | None = None
    #: cookie names whose *value* in Set-Cookie is not compared (a signed session:
    #: Kolba signs in its own format); an empty value (a deletion) still must match.
    mask_cookies: tuple[str, ...] = ()

    def open_kwargs(self) -> dict[str, t.Any]:
        kw: dict[str, t.Any] = {
            "method": self.method,
            "follow_redirects": self.follow_redirects,
        }
        if self.query_string is not None:
            kw["query_string"] = self.query_string
        if self.headers:
            kw["headers"] = list(self.headers)
        if self.data is not None:
            kw["data"] = self.data() if callable(self.data) else self.data
        if self.json is not _UNSET:
            kw["json"] = self.json
        if self.content_type is not None:
            kw["content_type"] = self.content_type
        kw.update(dict(self.extra))
        return kw

    def label(self) -> str:
        if self.id:
            return self.id
        text = f"{self.method} {self.path}"
        if self.query_string is not None:
            text += f"?{self.query_string}"
        if len(text) > 70:
            text = text[:60] + f"...({len(text)} chars)"
        return text


def cases(
    app_factory: t.Callable[[Framework], t.Any], reqs: t.Iterable[Req]
) -> list[t.Any]:
    """``pytest.param`` objects, one per request, named ``app:request``."""
    params = []
    for req in reqs:
        marks = []
        if req.xfail and not SELFTEST:
            marks.append(pytest.mark.xfail(strict=True, reason=req.xfail))
        params.append(
            pytest.param(
                app_factory,
                req,
                id=f"{app_factory.__name__}:{req.label()}",
                marks=marks,
            )
        )
    return params


# ---------------------------------------------------------------------------
# running and comparing


def make_app(app_factory: t.Callable[..., t.Any], fw: Framework, **kw: t.Any) -> t.Any:
    app = app_factory(fw, **kw)
    return app


def run(app: t.Any, req: Req) -> t.Any:
    """The response, or the exception the test client raised."""
    client = app.test_client(**dict(req.client_kw))
    try:
        return client.open(req.path, **req.open_kwargs())
    except Exception as exc:  # noqa: BLE001 - an exception is an outcome to compare
        return exc


_ALWAYS = ("Location", "Allow", "Set-Cookie", "Vary")
_IGNORED = ("Date", "Server")


def _tokens(values: list[str]) -> list[str]:
    return sorted(
        {v.strip().upper() for value in values for v in value.split(",") if v.strip()}
    )


def _location(value: str, absolute_in_oracle: bool) -> str:
    if not absolute_in_oracle:
        return value
    parts = urllib.parse.urlsplit(value)
    host = parts.netloc
    prefix = "" if host in ("", "localhost") else f"//{host}"
    return urllib.parse.urlunsplit(
        ("", "", parts.path, parts.query, parts.fragment)
    ) + (f" (host {prefix})" if prefix else "")


def snapshot(resp: t.Any, oracle: t.Any, req: Req) -> dict[str, t.Any]:
    """What is compared, for one side; the oracle's response decides the policy."""
    if isinstance(resp, BaseException):
        return {"raises": type(resp).__name__}
    if isinstance(oracle, BaseException):
        return {"response": resp.status_code}
    # the reason phrase (``resp.status``) is compared by its own test, not in every case
    snap: dict[str, t.Any] = {"status_code": resp.status_code}
    code = oracle.status_code
    compare_body = (
        req.body if req.body is not None else (200 <= code < 300 or code == 304)
    )
    names = {name.title() for name, _ in oracle.headers} | set(_ALWAYS)
    names -= set(_IGNORED)
    if not compare_body:
        names.discard("Content-Length")
    oracle_location = oracle.headers.get("Location", "")
    absolute = (
        bool(urllib.parse.urlsplit(oracle_location).scheme) and not req.exact_location
    )
    headers: dict[str, t.Any] = {}
    for name in sorted(names):
        values = resp.headers.getlist(name)
        if name in ("Allow", "Vary"):
            headers[name] = _tokens(values)
        elif name == "Location":
            headers[name] = [_location(v, absolute) for v in values]
        elif name == "Set-Cookie" and req.mask_cookies:
            headers[name] = [_mask_cookie(v, req.mask_cookies) for v in values]
        else:
            headers[name] = list(values)
    snap["headers"] = headers
    if compare_body:
        snap["body"] = resp.get_data()
        if oracle.mimetype == "application/json" or (oracle.mimetype or "").endswith(
            "+json"
        ):
            try:
                snap["json"] = _json.loads(resp.get_data())
            except ValueError as exc:
                snap["json"] = f"<not JSON: {exc}>"
    if req.follow_redirects:
        snap["history"] = [r.status_code for r in getattr(resp, "history", ())]
        snap["final_path"] = getattr(getattr(resp, "request", None), "path", None)
    return snap


def _mask_cookie(header: str, names: tuple[str, ...]) -> str:
    """``name=<signed>; ...`` for a non-empty value of a cookie named in ``names``."""
    name, sep, rest = header.partition("=")
    if not sep or name.strip() not in names:
        return header
    value, semi, attrs = rest.partition(";")
    if value.strip() in ("", '""'):
        return header
    return f"{name}=<signed>{semi}{attrs}"


_EXPIRES = re.compile(r"Expires=([^;]+)", re.IGNORECASE)


def _align_expires(flask_cookie: str, kolba_cookie: str) -> str:
    """Cookies set with ``max_age`` carry an Expires computed from the clock: the two
    apps answer a moment apart, so accept Kolba's date within two seconds of Flask's."""
    fm, km = _EXPIRES.search(flask_cookie), _EXPIRES.search(kolba_cookie)
    if not (fm and km):
        return kolba_cookie
    try:
        fdate = email.utils.parsedate_to_datetime(fm.group(1))
        kdate = email.utils.parsedate_to_datetime(km.group(1))
    except (TypeError, ValueError):
        return kolba_cookie
    if abs((fdate - kdate).total_seconds()) <= 2:
        return kolba_cookie[: km.start(1)] + fm.group(1) + kolba_cookie[km.end(1) :]
    return kolba_cookie


def compare(app_factory: t.Callable[..., t.Any], req: Req, **app_kw: t.Any) -> None:
    assert KOLBA is not None
    flask_resp = run(make_app(app_factory, FLASK, **app_kw), req)
    kolba_resp = run(make_app(app_factory, KOLBA, **app_kw), req)
    _assert_same(flask_resp, kolba_resp, req)


def _assert_same(
    flask_resp: t.Any, kolba_resp: t.Any, req: Req, where: str = ""
) -> None:
    expected = snapshot(flask_resp, flask_resp, req)
    actual = snapshot(kolba_resp, flask_resp, req)
    fc = expected.get("headers", {}).get("Set-Cookie")
    kc = actual.get("headers", {}).get("Set-Cookie")
    if fc and kc and len(fc) == len(kc):
        actual["headers"]["Set-Cookie"] = [
            _align_expires(f, k) for f, k in zip(fc, kc, strict=True)
        ]
    if isinstance(kolba_resp, BaseException) and not isinstance(
        flask_resp, BaseException
    ):
        raise AssertionError(
            f"{where}kolba raised, flask answered {expected}"
        ) from kolba_resp
    assert actual == expected, where + _differences(expected, actual)


def _differences(expected: dict[str, t.Any], actual: dict[str, t.Any]) -> str:
    """One line per differing item (headers one by one): the short story of a
    failure, which pytest's own diff truncates."""
    lines = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key), actual.get(key)
        if key == "headers" and isinstance(want, dict) and isinstance(got, dict):
            for name in sorted(set(want) | set(got)):
                if want.get(name) != got.get(name):
                    lines.append(
                        f"{name}: flask {want.get(name)!r}, kolba {got.get(name)!r}"
                    )
        elif want != got:
            lines.append(f"{key}: flask {want!r}, kolba {got!r}")
    return "differs in\n  " + "\n  ".join(lines)


#: a step of :func:`compare_steps` that is not a request: ``step(client)``, run on both
#: sides (set or tamper with a cookie between two requests ...)
Action = t.Callable[[t.Any], None]


def compare_steps(
    app_factory: t.Callable[..., t.Any],
    steps: t.Iterable[Req | Action],
    **app_kw: t.Any,
) -> None:
    """Run ``steps`` in order through one test client per side (cookies carry over from
    one request to the next) and compare every request's answer as :func:`compare`
    does. A callable step is called with each side's client and compared by nothing.
    The first :class:`Req`'s ``client_kw`` make the clients."""
    assert KOLBA is not None
    steps = list(steps)
    client_kw = next((dict(s.client_kw) for s in steps if isinstance(s, Req)), {})
    clients = [
        make_app(app_factory, fw, **app_kw).test_client(**client_kw)
        for fw in (FLASK, KOLBA)
    ]
    for index, step in enumerate(steps):
        if not isinstance(step, Req):
            for client in clients:
                step(client)
            continue
        answers = []
        for client in clients:
            try:
                answers.append(client.open(step.path, **step.open_kwargs()))
            except Exception as exc:  # noqa: BLE001 - an outcome to compare
                answers.append(exc)
        _assert_same(answers[0], answers[1], step, f"step {index} ({step.label()}): ")


def outcome(fn: t.Callable[[], t.Any]) -> t.Any:
    """``fn()``'s value, or ``("raises", type name, is LookupError)``."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return ("raises", type(exc).__name__, isinstance(exc, LookupError))
