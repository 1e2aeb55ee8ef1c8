"""Class-based views over HTTP: View, MethodView, as_view options."""

from __future__ import annotations

import typing as t

import pytest

from kolba import Blueprint, Kolba, request, url_for
from kolba.testing import KolbaClient
from kolba.typing import ResponseReturnValue
from kolba.views import MethodView, View


def test_view_dispatches_with_url_values(app: Kolba, client: KolbaClient) -> None:
    class Hello(View):
        def dispatch_request(self, name: str) -> str:  # type: ignore[override]
            return f"Hello, {name}!"

    app.add_url_rule("/hello/<name>", view_func=Hello.as_view("hello"))
    assert client.get("/hello/ada").text == "Hello, ada!"
    assert client.post("/hello/ada").status_code == 405


def test_as_view_sets_the_function_attributes() -> None:
    class Greeting(View):
        """Say hello."""

        methods = ["GET", "POST"]
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return "hi"

    view = Greeting.as_view("greet")
    assert view.__name__ == "greet"
    assert view.__doc__ == "Say hello."
    assert view.__module__ == __name__
    assert view.view_class is Greeting  # type: ignore[union-attr]
    assert view.methods == ["GET", "POST"]  # type: ignore[union-attr]
    assert view.provide_automatic_options is False  # type: ignore[union-attr]


def test_view_methods_and_endpoint_name(app: Kolba, client: KolbaClient) -> None:
    class Echo(View):
        methods = ["POST", "PUT"]

        def dispatch_request(self) -> str:
            return f"{request.method} {request.endpoint} {url_for('echo')}"

    app.add_url_rule("/echo", view_func=Echo.as_view("echo"))
    assert client.post("/echo").text == "POST echo /echo"
    assert client.put("/echo").text == "PUT echo /echo"
    rv = client.get("/echo")
    assert rv.status_code == 405
    assert rv.headers["Allow"] == "OPTIONS, POST, PUT"


def test_class_arguments_reach_the_constructor(app: Kolba, client: KolbaClient) -> None:
    class Template(View):
        def __init__(self, greeting: str, *, punctuation: str = ".") -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        def dispatch_request(self) -> str:
            return self.greeting + self.punctuation

    app.add_url_rule("/a", view_func=Template.as_view("a", "Hi", punctuation="!"))
    app.add_url_rule("/b", view_func=Template.as_view("b", "Bye"))
    assert client.get("/a").text == "Hi!"
    assert client.get("/b").text == "Bye."


@pytest.mark.parametrize(("init_every_request", "instances"), [(True, 3), (False, 1)])
def test_init_every_request_controls_instances(
    app: Kolba, client: KolbaClient, init_every_request: bool, instances: int
) -> None:
    seen: set[int] = set()

    class Counter(View):
        def __init__(self) -> None:
            self.calls = 0

        def dispatch_request(self) -> str:
            seen.add(id(self))
            self.calls += 1
            return str(self.calls)

    Counter.init_every_request = init_every_request
    view = Counter.as_view("counter")
    app.add_url_rule("/", view_func=view)
    bodies = [client.get("/").text for _ in range(3)]
    assert len(seen) == instances
    assert bodies == (["1", "1", "1"] if init_every_request else ["1", "2", "3"])


def test_decorators_wrap_the_view_in_order(app: Kolba, client: KolbaClient) -> None:
    def tag(label: str) -> t.Callable[[t.Any], t.Any]:
        def decorator(f: t.Any) -> t.Any:
            def wrapped(**kwargs: t.Any) -> str:
                return f"{label}({f(**kwargs)})"

            return wrapped

        return decorator

    class Wrapped(View):
        decorators = [tag("inner"), tag("outer")]

        def dispatch_request(self) -> str:
            return "view"

    view = Wrapped.as_view("wrapped")
    assert view.__name__ == "wrapped"
    app.add_url_rule("/", view_func=view)
    assert client.get("/").text == "outer(inner(view))"


def test_decorators_see_the_view_name(app: Kolba) -> None:
    names: list[str] = []

    def record_name(f: t.Any) -> t.Any:
        names.append(f.__name__)
        return f

    class Named(View):
        decorators = [record_name]

        def dispatch_request(self) -> str:
            return ""

    Named.as_view("the_name")
    assert names == ["the_name"]


def test_provide_automatic_options_false_gives_405(
    app: Kolba, client: KolbaClient
) -> None:
    class NoOptions(View):
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return "x"

    class WithOptions(View):
        def dispatch_request(self) -> str:
            return "x"

    app.add_url_rule("/no", view_func=NoOptions.as_view("no"))
    app.add_url_rule("/yes", view_func=WithOptions.as_view("yes"))
    assert client.options("/no").status_code == 405
    rv = client.options("/yes")
    assert rv.status_code == 200
    assert rv.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_view_without_dispatch_request_fails_clearly(app: Kolba) -> None:
    class Empty(View):
        pass

    app.add_url_rule("/", view_func=Empty.as_view("empty"))
    with pytest.raises(NotImplementedError, match="must define dispatch_request"):
        app.test_client().get("/")


def test_async_dispatch_request(app: Kolba, client: KolbaClient) -> None:
    class AsyncView(View):
        async def dispatch_request(self) -> str:  # type: ignore[override]
            return "async"

    app.add_url_rule("/", view_func=AsyncView.as_view("a"))
    assert client.get("/").text == "async"


# -- MethodView ---------------------------------------------------------------------


class ItemAPI(MethodView):
    def get(self, item_id: int | None = None) -> str:
        return "list" if item_id is None else f"item {item_id}"

    def post(self) -> tuple[str, int]:
        return f"created {request.get_data(as_text=True)}", 201

    def delete(self, item_id: int) -> tuple[str, int]:
        return "", 204


def test_method_view_methods_come_from_its_handlers() -> None:
    assert ItemAPI.methods == {"GET", "POST", "DELETE"}


def test_method_view_dispatches_by_method(app: Kolba, client: KolbaClient) -> None:
    view = ItemAPI.as_view("items")
    app.add_url_rule("/items/", view_func=view, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:item_id>", view_func=view, methods=["GET", "DELETE"])
    assert client.get("/items/").text == "list"
    rv = client.post("/items/", data="pen")
    assert (rv.status_code, rv.text) == (201, "created pen")
    assert client.get("/items/3").text == "item 3"
    assert client.delete("/items/3").status_code == 204
    assert client.put("/items/3").status_code == 405


def test_method_view_missing_method_is_405_with_allow(
    app: Kolba, client: KolbaClient
) -> None:
    app.add_url_rule("/items/", view_func=ItemAPI.as_view("items"))
    rv = client.patch("/items/")
    assert rv.status_code == 405
    assert rv.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, POST"


def test_declared_method_without_handler_is_405_not_500(
    app: Kolba, client: KolbaClient
) -> None:
    class Partial(MethodView):
        methods = ["GET", "PUT"]

        def get(self) -> str:
            return "got"

    app.add_url_rule("/", view_func=Partial.as_view("partial"))
    assert client.get("/").text == "got"
    rv = client.put("/")
    assert rv.status_code == 405
    assert rv.headers["Allow"] == "GET, HEAD"


def test_head_falls_back_to_get(app: Kolba, client: KolbaClient) -> None:
    calls: list[str] = []

    class Page(MethodView):
        def get(self) -> str:
            calls.append(request.method)
            return "body"

    app.add_url_rule("/", view_func=Page.as_view("page"))
    rv = client.head("/")
    assert rv.status_code == 200
    assert rv.data == b""
    assert rv.headers["Content-Length"] == "4"
    assert calls == ["HEAD"]


def test_explicit_head_handler_wins(app: Kolba, client: KolbaClient) -> None:
    class Page(MethodView):
        def get(self) -> str:
            return "body"

        def head(self) -> tuple[str, dict[str, str]]:
            return "", {"X-Head": "own"}

    app.add_url_rule("/", view_func=Page.as_view("page"))
    assert client.head("/").headers["X-Head"] == "own"


def test_inherited_handlers_count_as_methods(app: Kolba, client: KolbaClient) -> None:
    class Readable(MethodView):
        def get(self) -> str:
            return f"read by {type(self).__name__}"

    class Writable(Readable):
        def post(self) -> str:
            return "written"

    class Mixin:
        def delete(self) -> str:
            return "deleted"

    class Full(Mixin, Writable):
        pass

    assert Readable.methods == {"GET"}
    assert Writable.methods == {"GET", "POST"}
    assert Full.methods == {"GET", "POST", "DELETE"}
    app.add_url_rule("/", view_func=Full.as_view("full"))
    assert client.get("/").text == "read by Full"
    assert client.post("/").text == "written"
    assert client.delete("/").text == "deleted"


def test_explicit_methods_attribute_is_kept() -> None:
    class Limited(MethodView):
        methods = ["GET"]

        def get(self) -> str:
            return ""

        def post(self) -> str:
            return ""

    assert Limited.methods == ["GET"]


def test_async_method_handlers(app: Kolba, client: KolbaClient) -> None:
    class AsyncAPI(MethodView):
        async def get(self) -> str:
            return "async get"

        async def post(self) -> str:
            return "async post"

    app.add_url_rule("/", view_func=AsyncAPI.as_view("api"))
    assert client.get("/").text == "async get"
    assert client.post("/").text == "async post"


def test_method_view_in_a_blueprint(app: Kolba, client: KolbaClient) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")

    class Users(MethodView):
        def get(self) -> ResponseReturnValue:
            return {"endpoint": request.endpoint, "url": url_for(".users")}

    bp.add_url_rule("/users", view_func=Users.as_view("users"))
    app.register_blueprint(bp)
    assert client.get("/api/users").json == {
        "endpoint": "api.users",
        "url": "/api/users",
    }


def test_view_class_can_be_replaced_on_the_function(
    app: Kolba, client: KolbaClient
) -> None:
    class Original(View):
        def dispatch_request(self) -> str:
            return "original"

    class Replacement(Original):
        def dispatch_request(self) -> str:
            return "replacement"

    view = Original.as_view("v")
    view.view_class = Replacement  # type: ignore[union-attr]
    app.add_url_rule("/", view_func=view)
    assert client.get("/").text == "replacement"
