"""Class-based views: View.as_view, MethodView dispatch, HEAD/OPTIONS/405, decorators,
init_every_request."""

from __future__ import annotations

import functools

import pytest
from kolba_diffkit import (
    FLASK,
    KOLBA,
    Req,
    cases,
    compare,
    compare_steps,
    make_app,
    outcome,
    skip_without_kolba,
)

skip_without_kolba()


def views_app(fw):
    app = fw.App(__name__)
    app.testing = True
    request, jsonify = fw.request, fw.jsonify
    View, MethodView = fw.views.View, fw.views.MethodView

    class Greeting(View):
        """A plain view with constructor arguments."""

        def __init__(self, greeting, punctuation="!"):
            self.greeting = greeting
            self.punctuation = punctuation

        def dispatch_request(self, name="world"):
            return f"{self.greeting}, {name}{self.punctuation} ({request.method})"

    app.add_url_rule("/hello", view_func=Greeting.as_view("hello", "Hello"))
    app.add_url_rule(
        "/hi/<name>", view_func=Greeting.as_view("hi", "Hi", punctuation="?")
    )

    class Posting(View):
        methods = ["GET", "POST"]

        def dispatch_request(self):
            return jsonify(method=request.method, form=request.form.to_dict())

    app.add_url_rule("/posting", view_func=Posting.as_view("posting"))

    class Tuple(View):
        def dispatch_request(self):
            return "created", 201, {"X-View": "tuple"}

    app.add_url_rule("/tuple", view_func=Tuple.as_view("tuple"))

    class NoOptions(View):
        provide_automatic_options = False
        methods = ["GET"]

        def dispatch_request(self):
            return "no options"

    app.add_url_rule("/no-options", view_func=NoOptions.as_view("no_options"))

    # -- MethodView ----------------------------------------------------------------
    class Items(MethodView):
        def get(self, item_id=None):
            if item_id is None:
                return jsonify(items=[1, 2, 3])
            return jsonify(item=item_id)

        def post(self):
            return jsonify(created=request.get_json(silent=True)), 201

        def delete(self, item_id):
            return "", 204

    items = Items.as_view("items")
    app.add_url_rule("/items", view_func=items, methods=["GET", "POST"])
    app.add_url_rule("/items/<int:item_id>", view_func=items, methods=["GET", "DELETE"])

    class ReadOnly(MethodView):
        def get(self):
            return "read only", 200, {"X-Custom": "1"}

    app.add_url_rule("/readonly", view_func=ReadOnly.as_view("readonly"))

    class WithHead(MethodView):
        def get(self):
            return "get body"

        def head(self):
            return "", 200, {"X-Head": "own head"}

    app.add_url_rule("/with-head", view_func=WithHead.as_view("with_head"))

    class Base(MethodView):
        def get(self):
            return f"base get {type(self).__name__}"

    class Child(Base):
        def put(self):
            return f"child put {request.get_data(as_text=True)}"

    app.add_url_rule("/child", view_func=Child.as_view("child"))

    class Mixin:
        def patch(self):
            return "patched by mixin"

    class Mixed(Mixin, MethodView):
        def get(self):
            return "mixed"

    app.add_url_rule("/mixed", view_func=Mixed.as_view("mixed"))

    class Explicit(MethodView):
        methods = ["GET"]  # post exists but is not routed

        def get(self):
            return "explicit get"

        def post(self):
            return "never"

    app.add_url_rule("/explicit", view_func=Explicit.as_view("explicit"))

    class OnlyPost(MethodView):
        def post(self):
            return "only post"

    app.add_url_rule("/only-post", view_func=OnlyPost.as_view("only_post"))

    # -- decorators --------------------------------------------------------------
    def add_header(name, value):
        def decorator(f):
            @functools.wraps(f)
            def wrapper(*args, **kwargs):
                response = app.make_response(f(*args, **kwargs))
                response.headers.add("X-Decorated", f"{name}={value}")
                return response

            return wrapper

        return decorator

    def require_token(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            if request.headers.get("X-Token") != "secret":
                fw.abort(401)
            return f(*args, **kwargs)

        return wrapper

    class Decorated(MethodView):
        # applied in order: the first is innermost
        decorators = [add_header("inner", "1"), add_header("outer", "2")]

        def get(self):
            return "decorated"

    app.add_url_rule("/decorated", view_func=Decorated.as_view("decorated"))

    class Protected(View):
        decorators = [require_token]

        def dispatch_request(self):
            return "protected"

    app.add_url_rule("/protected", view_func=Protected.as_view("protected"))

    # -- init_every_request --------------------------------------------------------
    class PerRequest(View):
        def __init__(self):
            self.count = 0

        def dispatch_request(self):
            self.count += 1
            return str(self.count)

    class Shared(PerRequest):
        init_every_request = False

    app.add_url_rule("/per-request", view_func=PerRequest.as_view("per_request"))
    app.add_url_rule("/shared", view_func=Shared.as_view("shared"))

    # -- as_view on a blueprint, and route-decorated view_class introspection -------
    bp = fw.Blueprint("bp", __name__, url_prefix="/bp")
    bp.add_url_rule("/items", view_func=Items.as_view("items"))
    app.register_blueprint(bp)

    @app.route("/introspect")
    def introspect():
        func = app.view_functions["hello"]
        return jsonify(
            name=func.__name__,
            doc=func.__doc__,
            view_class=func.view_class.__name__,
            methods=sorted(func.methods or []),
            items_methods=sorted(app.view_functions["items"].methods),
            child_methods=sorted(Child.methods),
            mixed_methods=sorted(Mixed.methods),
            module=func.__module__ == __name__,
            url=fw.url_for("bp.items"),
        )

    return app


CASES = [
    Req("/hello"),
    Req("/hello", method="POST"),
    Req("/hello", method="HEAD"),
    Req("/hello", method="OPTIONS"),
    Req("/hi/ann"),
    Req("/posting", method="POST", data={"a": "1"}),
    Req("/posting"),
    Req("/posting", method="PUT"),
    Req("/posting", method="OPTIONS"),
    Req("/tuple"),
    Req("/no-options"),
    Req("/no-options", method="OPTIONS"),
    Req("/items"),
    Req("/items", method="POST", json={"name": "x"}),
    Req("/items", method="HEAD"),
    Req("/items", method="OPTIONS"),
    Req("/items", method="DELETE"),
    Req("/items", method="PUT"),
    Req("/items/5"),
    Req("/items/5", method="DELETE"),
    Req("/items/5", method="POST"),
    Req("/items/5", method="OPTIONS"),
    Req("/readonly"),
    Req("/readonly", method="HEAD"),
    Req("/readonly", method="POST"),
    Req("/readonly", method="OPTIONS"),
    Req("/with-head", method="HEAD"),
    Req("/with-head"),
    Req("/child"),
    Req("/child", method="PUT", data="payload"),
    Req("/child", method="OPTIONS"),
    Req("/child", method="DELETE"),
    Req("/mixed", method="PATCH"),
    Req("/mixed", method="OPTIONS"),
    Req("/explicit"),
    Req("/explicit", method="POST"),
    Req("/only-post", method="POST"),
    Req("/only-post"),
    Req("/only-post", method="HEAD"),
    Req("/only-post", method="OPTIONS"),
    Req("/decorated"),
    Req("/decorated", method="HEAD"),
    Req("/protected"),
    Req("/protected", headers=(("X-Token", "secret"),), id="protected ok"),
    Req("/protected", headers=(("X-Token", "wrong"),), id="protected wrong"),
    Req("/bp/items"),
    Req("/bp/items", method="POST", json=[1]),
    Req("/introspect"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(views_app, CASES))
def test_views(app_factory, req):
    compare(app_factory, req)


@pytest.mark.parametrize("path", ["/per-request", "/shared"])
def test_init_every_request(path):
    """A new instance per request by default; one shared instance when
    ``init_every_request = False`` (its state then survives between requests)."""
    compare_steps(views_app, [Req(path), Req(path), Req(path)])


def test_as_view_name_and_setup_errors():
    def fn(fw):
        View = fw.views.View

        class NoDispatch(View):
            pass

        app = fw.App(__name__)
        app.testing = True
        app.add_url_rule("/x", view_func=NoDispatch.as_view("x"))
        return app.test_client().get("/x").status_code

    got = [outcome(lambda: fn(fw)) for fw in (FLASK, KOLBA)]  # noqa: B023
    assert got[1][:2] == got[0][:2]
    assert got[0][:2] == ("raises", "NotImplementedError")


def test_method_view_methods_attribute():
    def fn(fw):
        MethodView = fw.views.MethodView

        class A(MethodView):
            def get(self):
                return ""

            def post(self):
                return ""

        class B(A):
            def delete(self):
                return ""

        class C(MethodView):
            pass

        return (
            sorted(A.methods),
            sorted(B.methods),
            C.methods,
            fw.views.View.methods,
            fw.views.View.provide_automatic_options,
            fw.views.View.init_every_request,
            fw.views.View.decorators,
        )

    got = [outcome(lambda: fn(fw)) for fw in (FLASK, KOLBA)]  # noqa: B023
    assert got[1] == got[0]


def test_shared_instance_is_the_same_object():
    def fn(fw):
        app = make_app(views_app, fw)
        client = app.test_client()
        return [client.get("/shared").get_data(as_text=True) for _ in range(4)]

    got = [outcome(lambda: fn(fw)) for fw in (FLASK, KOLBA)]  # noqa: B023
    assert got[1] == got[0] == ["1", "2", "3", "4"]
