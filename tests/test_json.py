from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import flask
import flask.json
import pytest
from markupsafe import Markup

import kolba.json
from kolba.json.provider import DefaultJSONProvider, JSONProvider


class FakeResponse:
    def __init__(self, body: str, mimetype: str | None = None) -> None:
        self.body = body
        self.mimetype = mimetype


class FakeApp:
    response_class = FakeResponse

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.json = DefaultJSONProvider(self)


@dataclasses.dataclass
class Point:
    x: int
    y: int
    tags: list[str] = dataclasses.field(default_factory=list)


class HTMLThing:
    def __html__(self) -> str:
        return "<b>hi</b>"

    def __repr__(self) -> str:  # a stable test id for pytest-xdist
        return "HTMLThing()"


class Unknown:
    pass


EXTRA_TYPES: list[Any] = [
    datetime.date(2020, 1, 2),
    datetime.datetime(2020, 1, 2, 3, 4, 5),
    datetime.datetime(2020, 1, 2, 3, 4, 5, 999, tzinfo=datetime.UTC),
    datetime.datetime(
        2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    ),
    datetime.datetime(
        1999, 12, 31, 23, 30, tzinfo=datetime.timezone(-datetime.timedelta(hours=5))
    ),
    decimal.Decimal("12.50"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    Point(1, 2, ["a"]),
    Markup("<i>x</i>"),
    HTMLThing(),
    {"nested": [datetime.date(2000, 2, 29), decimal.Decimal("1e3")]},
]


@pytest.fixture
def app() -> FakeApp:
    return FakeApp()


@pytest.fixture
def flask_app() -> flask.Flask:
    return flask.Flask(__name__)


@pytest.fixture
def app_context(monkeypatch: pytest.MonkeyPatch) -> Iterator[ContextVar[Any]]:
    # Stand-in for kolba.globals._cv_app, so delegation can be tested before
    # (and independently of) the real application context.
    var: ContextVar[Any] = ContextVar("test_app_ctx")
    monkeypatch.setattr(kolba.json, "_cv_app", var)
    yield var


class _Ctx:
    def __init__(self, app: Any) -> None:
        self.app = app


# -- DefaultJSONProvider.default --------------------------------------------


@pytest.mark.parametrize("value", EXTRA_TYPES, ids=repr)
def test_dumps_extra_types_match_flask(
    app: FakeApp, flask_app: flask.Flask, value: Any
) -> None:
    assert app.json.dumps(value) == flask_app.json.dumps(value)


@pytest.mark.parametrize("value", EXTRA_TYPES[:-1], ids=repr)
def test_default_matches_flask(value: Any) -> None:
    assert DefaultJSONProvider.default(value) == flask.json.provider._default(value)


def test_datetime_as_http_date(app: FakeApp) -> None:
    aware = datetime.datetime(
        2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    assert app.json.dumps(aware) == '"Thu, 02 Jan 2020 01:04:05 GMT"'
    assert app.json.dumps(datetime.date(2020, 1, 2)) == (
        '"Thu, 02 Jan 2020 00:00:00 GMT"'
    )


def test_dataclass_uses_asdict(app: FakeApp) -> None:
    assert app.json.loads(app.json.dumps(Point(1, 2))) == {"tags": [], "x": 1, "y": 2}


def test_unserializable_raises_type_error(app: FakeApp) -> None:
    with pytest.raises(TypeError, match="Object of type Unknown is not JSON"):
        app.json.dumps({"a": Unknown()})


def test_dataclass_class_is_not_serialized(app: FakeApp) -> None:
    with pytest.raises(TypeError, match="type is not JSON serializable"):
        app.json.dumps(Point)


# -- options ----------------------------------------------------------------


def test_sort_keys_default_and_override(app: FakeApp) -> None:
    data = {"b": 1, "a": 2}
    assert app.json.dumps(data) == '{"a": 2, "b": 1}'
    app.json.sort_keys = False
    assert app.json.dumps(data) == '{"b": 1, "a": 2}'
    assert app.json.response(data).body == '{"b":1,"a":2}\n'


def test_ensure_ascii_default_and_override(app: FakeApp) -> None:
    assert app.json.dumps("\u00e9\u263a") == '"\\u00e9\\u263a"'
    app.json.ensure_ascii = False
    assert app.json.dumps("\u00e9\u263a") == '"\u00e9\u263a"'


def test_dumps_kwargs_override_attributes(app: FakeApp) -> None:
    assert app.json.dumps({"b": 1, "a": 2}, sort_keys=False, indent=1) == (
        '{\n "b": 1,\n "a": 2\n}'
    )


def test_default_overridable_on_subclass() -> None:
    class Provider(DefaultJSONProvider):
        @staticmethod
        def default(o: Any) -> Any:
            if isinstance(o, set):
                return sorted(o)
            return DefaultJSONProvider.default(o)

    app = FakeApp()
    provider = Provider(app)
    assert provider.dumps({3, 1}) == "[1, 3]"
    assert provider.dumps(decimal.Decimal("1")) == '"1"'


def test_loads_and_load(app: FakeApp) -> None:
    assert app.json.loads(b'{"a": [1]}') == {"a": [1]}
    assert app.json.load(io.StringIO("[true]")) == [True]


def test_dump_writes_text(app: FakeApp) -> None:
    buffer = io.StringIO()
    app.json.dump({"b": 1, "a": 2}, buffer)
    assert buffer.getvalue() == '{"a": 2, "b": 1}'


# -- response ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),
        ((1,), {}),
        ((1, 2), {}),
        (({"b": [1, 2], "a": None},), {}),
        ((), {"b": 1, "a": "\u00e9"}),
        ((datetime.date(2020, 1, 2), Point(1, 2)), {}),
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_response_body_matches_flask(
    flask_app: flask.Flask, args: tuple[Any, ...], kwargs: dict[str, Any], debug: bool
) -> None:
    app = FakeApp(debug=debug)
    flask_app.debug = debug
    ours = app.json.response(*args, **kwargs)
    theirs = flask_app.json.response(*args, **kwargs)
    assert isinstance(theirs, flask.Response)
    assert ours.body.encode() == theirs.get_data()
    assert ours.mimetype == theirs.mimetype == "application/json"


def test_response_compact_setting_wins_over_debug() -> None:
    app = FakeApp(debug=True)
    app.json.compact = True
    assert app.json.response([1]).body == "[1]\n"
    app.debug = False
    app.json.compact = False
    assert app.json.response([1]).body == "[\n  1\n]\n"


def test_response_custom_mimetype(app: FakeApp) -> None:
    app.json.mimetype = "application/vnd.api+json"
    assert app.json.response().mimetype == "application/vnd.api+json"


def test_response_rejects_args_and_kwargs(app: FakeApp) -> None:
    with pytest.raises(TypeError, match="either positional or keyword"):
        app.json.response(1, a=2)


def test_response_uses_overridden_dumps() -> None:
    class Provider(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return f"custom:{kwargs}"

    app = FakeApp()
    provider = Provider(app)
    assert provider.response(1).body == "custom:{'separators': (',', ':')}\n"


def test_base_provider_requires_dumps_and_loads(app: FakeApp) -> None:
    provider = JSONProvider(app)
    with pytest.raises(NotImplementedError, match="must implement dumps"):
        provider.dumps(1)
    with pytest.raises(NotImplementedError, match="must implement loads"):
        provider.loads("1")


def test_base_provider_builds_on_dumps_and_loads(app: FakeApp) -> None:
    class Provider(JSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return repr(obj)

        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return ("loaded", s)

    provider = Provider(app)
    buffer = io.StringIO()
    provider.dump([1], buffer)
    assert buffer.getvalue() == "[1]"
    assert provider.load(io.StringIO("x")) == ("loaded", "x")
    response = provider.response(a=1)
    assert (response.body, response.mimetype) == ("{'a': 1}", "application/json")


def test_provider_does_not_keep_app_alive() -> None:
    import gc
    import weakref

    app = FakeApp()
    ref = weakref.ref(app)
    del app
    gc.collect()
    assert ref() is None


# -- module functions -------------------------------------------------------


@pytest.mark.parametrize("value", [*EXTRA_TYPES, {"b": 1, "a": 2}], ids=repr)
def test_module_dumps_without_app_matches_flask(
    app_context: ContextVar[Any], value: Any
) -> None:
    assert kolba.json.dumps(value) == flask.json.dumps(value)
    assert kolba.json.dumps(value, indent=2) == flask.json.dumps(value, indent=2)


def test_module_functions_without_app(app_context: ContextVar[Any]) -> None:
    buffer = io.StringIO()
    kolba.json.dump({"d": datetime.date(2020, 1, 2)}, buffer)
    assert buffer.getvalue() == '{"d": "Thu, 02 Jan 2020 00:00:00 GMT"}'
    assert kolba.json.loads('{"a": 1}') == {"a": 1}
    assert kolba.json.load(io.StringIO("[1]")) == [1]


def test_jsonify_without_app_explains(app_context: ContextVar[Any]) -> None:
    with pytest.raises(RuntimeError, match="outside an application context"):
        kolba.json.jsonify(1)


def test_module_functions_delegate_to_current_app(
    app_context: ContextVar[Any],
) -> None:
    app = FakeApp()
    app.json.sort_keys = False
    token = app_context.set(_Ctx(app))
    try:
        assert kolba.json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
        buffer = io.StringIO()
        kolba.json.dump({"b": 1, "a": 2}, buffer)
        assert buffer.getvalue() == '{"b": 1, "a": 2}'
        assert kolba.json.loads("[1]") == [1]
        assert kolba.json.load(io.StringIO("[2]")) == [2]
        response = kolba.json.jsonify(b=1, a=2)
        assert response.body == '{"b":1,"a":2}\n'
    finally:
        app_context.reset(token)


def test_module_functions_use_real_globals_outside_context() -> None:
    pytest.importorskip("kolba.globals")
    assert kolba.json.dumps({"b": 1, "a": 2}) == '{"b": 1, "a": 2}'
