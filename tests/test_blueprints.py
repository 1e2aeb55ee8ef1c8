"""Blueprints over HTTP: prefixes, scoped hooks and handlers, nesting, static, CLI."""

from __future__ import annotations

import os
import typing as t
from datetime import timedelta

import click
import pytest

from kolba import (
    Blueprint,
    Kolba,
    Response,
    abort,
    current_app,
    g,
    render_template,
    render_template_string,
    request,
    url_for,
)
from kolba.blueprints import BlueprintSetupState
from kolba.testing import KolbaClient

FIXTURES = os.path.join(os.path.dirname(__file__), "blueprint_fixtures")


# -- routes and endpoints --------------------------------------------------------------


def test_route_is_served_under_the_url_prefix(app: Kolba, client: KolbaClient) -> None:
    bp = Blueprint("admin", __name__, url_prefix="/admin")

    @bp.route("/users")
    def users() -> str:
        return "users"

    app.register_blueprint(bp)
    assert client.get("/admin/users").text == "users"
    assert client.get("/users").status_code == 404


def test_endpoint_is_prefixed_with_the_blueprint_name(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("admin", __name__)

    @bp.get("/panel")
    def panel() -> str:
        return f"{request.endpoint} {request.blueprint} {request.blueprints}"

    app.register_blueprint(bp)
    assert client.get("/panel").text == "admin.panel admin ['admin']"


def test_request_blueprint_is_none_for_app_routes(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/")
    def index() -> str:
        return f"{request.blueprint} {request.blueprints}"

    assert client.get("/").text == "None []"


def test_url_prefix_and_rule_are_joined_with_one_slash(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/api/")

    @bp.route("/items")
    def items() -> str:
        return url_for(".items")

    @bp.route("")
    def root() -> str:
        return url_for(".root")

    app.register_blueprint(bp)
    assert client.get("/api/items").text == "/api/items"
    assert client.get("/api/").text == "/api/"


def test_url_for_relative_and_absolute_endpoints(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/item/<int:item_id>")
    def item(item_id: int) -> str:
        return " ".join(
            [
                url_for(".item", item_id=item_id + 1),
                url_for("shop.item", item_id=2),
                url_for("index"),
                url_for(".index_in_shop"),
            ]
        )

    @bp.route("/")
    def index_in_shop() -> str:
        return ""

    @app.route("/")
    def index() -> str:
        return url_for(".index")

    app.register_blueprint(bp)
    assert client.get("/shop/item/1").text == "/shop/item/2 /shop/item/2 / /shop/"
    assert client.get("/").text == "/"


def test_url_defaults_of_the_blueprint_reach_its_views(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/books", url_defaults={"kind": "book"})

    @bp.route("/")
    def listing(kind: str) -> str:
        return f"{kind} {url_for('.listing')}"

    app.register_blueprint(bp)
    assert client.get("/books/").text == "book /books/"


def test_route_defaults_merge_with_blueprint_url_defaults(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__, url_defaults={"a": "bp", "b": "bp"})

    @bp.route("/", defaults={"b": "route"})
    def index(a: str, b: str) -> str:
        return f"{a} {b}"

    app.register_blueprint(bp, url_defaults={"a": "register"})
    assert client.get("/").text == "register route"


def test_endpoint_decorator_keeps_the_given_endpoint(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.endpoint("bp.handler")
    def handler() -> str:
        return "by endpoint"

    app.register_blueprint(bp)
    app.add_url_rule("/h", "bp.handler")
    assert client.get("/h").text == "by endpoint"


def test_view_functions_and_endpoints_reach_the_app(app: Kolba) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.route("/a", endpoint="alpha")
    def a() -> str:
        return "a"

    app.register_blueprint(bp)
    assert app.view_functions["bp.alpha"] is a
    assert {r.rule for r in app.url_map.iter_rules("bp.alpha")} == {"/bp/a"}


# -- register_blueprint options --------------------------------------------------------


def test_url_prefix_given_at_registration_wins(app: Kolba, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/own")

    @bp.route("/x")
    def x() -> str:
        return "x"

    app.register_blueprint(bp, url_prefix="/given")
    assert client.get("/given/x").text == "x"
    assert client.get("/own/x").status_code == 404


def test_same_blueprint_registered_twice_under_two_names(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("files", __name__)
    once: list[str] = []
    every: list[str] = []
    bp.record_once(lambda state: once.append(state.name))
    bp.record(lambda state: every.append(state.name))

    @bp.route("/")
    def index() -> str:
        return f"{request.blueprint} {url_for('.index')}"

    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, url_prefix="/b", name="files_b")
    assert client.get("/a/").text == "files /a/"
    assert client.get("/b/").text == "files_b /b/"
    assert once == ["files"]
    assert every == ["files", "files_b"]
    assert list(app.blueprints) == ["files", "files_b"]


def test_registering_the_same_name_twice_raises(app: Kolba) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(ValueError, match="'bp' is already registered for this"):
        app.register_blueprint(bp)
    with pytest.raises(ValueError, match="for a different blueprint.*name="):
        app.register_blueprint(Blueprint("bp", __name__))


def test_hooks_of_a_blueprint_registered_twice_run_for_both_names(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.before_request
    def mark() -> None:
        g.mark = request.blueprint

    @bp.route("/")
    def index() -> str:
        return str(g.mark)

    app.register_blueprint(bp, url_prefix="/one")
    app.register_blueprint(bp, url_prefix="/two", name="two")
    assert client.get("/one/").text == "bp"
    assert client.get("/two/").text == "two"


def test_iter_blueprints_in_registration_order(app: Kolba) -> None:
    first = Blueprint("first", __name__)
    second = Blueprint("second", __name__)
    app.register_blueprint(second)
    app.register_blueprint(first)
    assert list(app.iter_blueprints()) == [second, first]
    assert app.blueprints == {"second": second, "first": first}


def test_record_gets_the_options_and_a_custom_setup_state(
    app: Kolba, client: KolbaClient
) -> None:
    class State(BlueprintSetupState):
        pass

    class MyBlueprint(Blueprint):
        def make_setup_state(
            self,
            app: Kolba,
            options: dict[str, t.Any],
            first_registration: bool = False,
        ) -> BlueprintSetupState:
            return State(self, app, options, first_registration)

    seen: list[tuple[str, t.Any, bool]] = []
    bp = MyBlueprint("bp", __name__)
    bp.record(
        lambda state: seen.append(
            (
                type(state).__name__,
                state.options.get("flavor"),
                state.first_registration,
            )
        )
    )
    bp.record(lambda state: state.add_url_rule("/added", view_func=lambda: "added"))
    app.register_blueprint(bp, flavor="mint")
    assert seen == [("State", "mint", True)]
    assert client.get("/added").text == "added"
    assert "bp.<lambda>" in app.view_functions


# -- hooks scoped to the blueprint -----------------------------------------------------


@pytest.fixture
def two_blueprints(app: Kolba) -> list[str]:
    """Blueprints 'a' and 'b' and an app route, each logging its hooks."""
    log: list[str] = []
    a = Blueprint("a", __name__, url_prefix="/a")
    b = Blueprint("b", __name__, url_prefix="/b")
    for bp in (a, b):
        name = bp.name

        @bp.before_request
        def before(name: str = name) -> None:
            log.append(f"before {name}")

        @bp.after_request
        def after(response: Response, name: str = name) -> Response:
            log.append(f"after {name}")
            return response

        @bp.teardown_request
        def teardown(exc: BaseException | None, name: str = name) -> None:
            log.append(f"teardown {name}")

        @bp.route("/")
        def index(name: str = name) -> str:
            return name

    @app.route("/")
    def app_index() -> str:
        return "app"

    app.register_blueprint(a)
    app.register_blueprint(b)
    return log


def test_blueprint_hooks_run_only_for_its_views(
    client: KolbaClient, two_blueprints: list[str]
) -> None:
    assert client.get("/a/").text == "a"
    assert two_blueprints == ["before a", "after a", "teardown a"]
    two_blueprints.clear()
    assert client.get("/").text == "app"
    assert two_blueprints == []


def test_blueprint_hooks_do_not_run_for_unmatched_urls_under_its_prefix(
    client: KolbaClient, two_blueprints: list[str]
) -> None:
    assert client.get("/a/missing").status_code == 404
    assert two_blueprints == []


def test_before_request_of_a_blueprint_can_short_circuit(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("locked", __name__, url_prefix="/locked")

    @bp.before_request
    def deny() -> tuple[str, int]:
        return "denied", 403

    @bp.route("/")
    def index() -> str:
        return "secret"

    @app.route("/open")
    def open_view() -> str:
        return "open"

    app.register_blueprint(bp)
    rv = client.get("/locked/")
    assert (rv.status_code, rv.text) == (403, "denied")
    assert client.get("/open").text == "open"


def test_app_variants_of_hooks_run_for_every_request(
    app: Kolba, client: KolbaClient
) -> None:
    log: list[str] = []
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.before_app_request
    def before() -> None:
        log.append("before")

    @bp.after_app_request
    def after(response: Response) -> Response:
        log.append("after")
        return response

    @bp.teardown_app_request
    def teardown(exc: BaseException | None) -> None:
        log.append("teardown")

    @app.route("/")
    def index() -> str:
        return "app"

    app.register_blueprint(bp)
    app.register_blueprint(bp, name="again", url_prefix="/again")
    assert client.get("/").text == "app"
    # record_once: a second registration on the same app adds nothing.
    assert log == ["before", "after", "teardown"]


def test_app_url_processors_apply_to_app_routes(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__)

    @bp.app_url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        if values is not None:
            g.tenant = values.pop("tenant", None)

    @bp.app_url_defaults
    def push(endpoint: str, values: dict[str, t.Any]) -> None:
        if "tenant" in g:
            values.setdefault("tenant", g.tenant)

    @app.route("/<tenant>/home")
    def home() -> str:
        return f"{g.tenant} {url_for('home')}"

    app.register_blueprint(bp)
    assert client.get("/acme/home").text == "acme /acme/home"


def test_async_hooks_and_views_in_a_blueprint(app: Kolba, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__)

    @bp.before_request
    async def before() -> None:
        g.value = "from async hook"

    @bp.route("/")
    async def index() -> str:
        return str(g.value)

    app.register_blueprint(bp)
    assert client.get("/").text == "from async hook"


def test_context_processors_are_scoped(app: Kolba, client: KolbaClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    other = Blueprint("other", __name__, url_prefix="/other")

    @bp.context_processor
    def bp_values() -> dict[str, t.Any]:
        return {"scope": "bp"}

    @bp.app_context_processor
    def everywhere() -> dict[str, t.Any]:
        return {"everywhere": True}

    def show() -> str:
        context: dict[str, t.Any] = {}
        current_app.update_template_context(context)
        return f"{context.get('scope')} {context.get('everywhere')}"

    bp.add_url_rule("/", "show", show)
    other.add_url_rule("/", "show", show)
    app.add_url_rule("/", "show", show)
    app.register_blueprint(bp)
    app.register_blueprint(other)
    assert client.get("/bp/").text == "bp True"
    assert client.get("/other/").text == "None True"
    assert client.get("/").text == "None True"


# -- error handlers --------------------------------------------------------------------


def test_blueprint_404_handler_only_for_errors_in_its_views(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    other = Blueprint("other", __name__, url_prefix="/other")

    @bp.errorhandler(404)
    def bp_missing(exc: Exception) -> tuple[str, int]:
        return "bp 404", 404

    @app.errorhandler(404)
    def app_missing(exc: Exception) -> tuple[str, int]:
        return "app 404", 404

    @bp.route("/item")
    def item() -> str:
        abort(404)

    @other.route("/item")
    def other_item() -> str:
        abort(404)

    app.register_blueprint(bp)
    app.register_blueprint(other)
    assert client.get("/bp/item").text == "bp 404"
    assert client.get("/other/item").text == "app 404"
    # An unmatched URL belongs to no blueprint, even under its prefix.
    assert client.get("/bp/nothing-here").text == "app 404"


def test_blueprint_exception_handler_is_scoped(app: Kolba, client: KolbaClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    bp = Blueprint("bp", __name__)

    class Oops(Exception):
        pass

    @bp.errorhandler(Oops)
    def handle(exc: Oops) -> tuple[str, int]:
        return "handled by bp", 418

    @bp.route("/bp")
    def in_bp() -> str:
        raise Oops

    @app.route("/app")
    def in_app() -> str:
        raise Oops

    app.register_blueprint(bp)
    rv = client.get("/bp")
    assert (rv.status_code, rv.text) == (418, "handled by bp")
    assert client.get("/app").status_code == 500


def test_app_errorhandler_from_a_blueprint_handles_app_errors(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("errors", __name__)

    @bp.app_errorhandler(404)
    def missing(exc: Exception) -> tuple[str, int]:
        return "site-wide 404", 404

    app.register_blueprint(bp)
    assert client.get("/anything").text == "site-wide 404"


def test_blueprint_handler_beats_app_handler_for_its_views(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("bp", __name__)

    @app.errorhandler(ValueError)
    def app_handler(exc: Exception) -> str:
        return "app"

    @bp.errorhandler(ValueError)
    def bp_handler(exc: Exception) -> str:
        return "bp"

    @bp.route("/")
    def index() -> str:
        raise ValueError

    app.register_blueprint(bp)
    assert client.get("/").text == "bp"


# -- URL processors: the i18n pattern --------------------------------------------------


def test_lang_code_prefix_with_url_defaults_and_preprocessor(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint("frontend", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_language_code(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang_code" in values or "lang_code" not in g:
            return
        if current_app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = g.lang_code

    @bp.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        assert values is not None
        g.lang_code = values.pop("lang_code")

    @bp.route("/")
    def index() -> str:
        return f"{g.lang_code} {url_for('.about')} {url_for('.about', lang_code='fr')}"

    @bp.route("/about")
    def about() -> str:
        return f"about in {g.lang_code}"

    @app.route("/plain")
    def plain() -> str:
        return f"{'lang_code' in g}"

    app.register_blueprint(bp)
    assert client.get("/de/").text == "de /de/about /fr/about"
    assert client.get("/en/about").text == "about in en"
    assert client.get("/plain").text == "False"


# -- nesting ---------------------------------------------------------------------------


@pytest.fixture
def nested(app: Kolba) -> list[str]:
    """app > parent (/parent) > child (/child), each logging its hooks."""
    log: list[str] = []
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    scopes: list[tuple[str, Kolba | Blueprint]] = [
        ("app", app),
        ("parent", parent),
        ("child", child),
    ]
    for name, scope in scopes:

        @scope.before_request
        def before(name: str = name) -> None:
            log.append(f"before {name}")

        @scope.after_request
        def after(response: Response, name: str = name) -> Response:
            log.append(f"after {name}")
            return response

        @scope.teardown_request
        def teardown(exc: BaseException | None, name: str = name) -> None:
            log.append(f"teardown {name}")

    @child.route("/leaf")
    def leaf() -> str:
        return " ".join(
            [
                str(request.endpoint),
                str(request.blueprint),
                ",".join(request.blueprints),
                url_for(".leaf"),
                url_for("parent.child.leaf"),
            ]
        )

    @parent.route("/")
    def parent_index() -> str:
        return "parent"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return log


def test_nested_blueprint_name_and_prefix_chain(
    client: KolbaClient, nested: list[str]
) -> None:
    assert client.get("/parent/child/leaf").text == (
        "parent.child.leaf parent.child parent.child,parent "
        "/parent/child/leaf /parent/child/leaf"
    )


def test_nested_hooks_order_parent_to_child_then_back(
    client: KolbaClient, nested: list[str]
) -> None:
    client.get("/parent/child/leaf")
    assert nested == [
        "before app",
        "before parent",
        "before child",
        "after child",
        "after parent",
        "after app",
        "teardown child",
        "teardown parent",
        "teardown app",
    ]


def test_child_hooks_do_not_run_for_parent_views(
    client: KolbaClient, nested: list[str]
) -> None:
    assert client.get("/parent/").text == "parent"
    assert "before child" not in nested
    assert "before parent" in nested


def test_parent_error_handler_covers_child_views(
    app: Kolba, client: KolbaClient
) -> None:
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)

    @parent.errorhandler(403)
    def forbidden(exc: Exception) -> tuple[str, int]:
        return "parent handled", 403

    @child.route("/")
    def index() -> str:
        abort(403)

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/").text == "parent handled"


def test_nested_url_defaults_run_outermost_first(
    app: Kolba, client: KolbaClient
) -> None:
    order: list[str] = []
    parent = Blueprint("parent", __name__)
    child = Blueprint("child", __name__)

    @app.url_defaults
    def app_defaults(endpoint: str, values: dict[str, t.Any]) -> None:
        order.append("app")

    @parent.url_defaults
    def parent_defaults(endpoint: str, values: dict[str, t.Any]) -> None:
        order.append("parent")

    @child.url_defaults
    def child_defaults(endpoint: str, values: dict[str, t.Any]) -> None:
        order.append("child")

    @child.route("/")
    def index() -> str:
        return url_for(".index")

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert client.get("/").text == "/"
    assert order == ["app", "parent", "child"]


def test_nested_blueprint_registered_under_two_parents(
    app: Kolba, client: KolbaClient
) -> None:
    shared = Blueprint("shared", __name__)

    @shared.route("/s")
    def s() -> str:
        return str(request.blueprint)

    one = Blueprint("one", __name__, url_prefix="/one")
    two = Blueprint("two", __name__, url_prefix="/two")
    one.register_blueprint(shared)
    two.register_blueprint(shared)
    app.register_blueprint(one)
    app.register_blueprint(two)
    assert client.get("/one/s").text == "one.shared"
    assert client.get("/two/s").text == "two.shared"


def test_nested_url_prefix_override_and_missing_prefixes(
    app: Kolba, client: KolbaClient
) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__)
    grandchild = Blueprint("grandchild", __name__, url_prefix="/g")

    @child.route("/c")
    def c() -> str:
        return "child"

    @grandchild.route("/x")
    def x() -> str:
        return "grandchild"

    child.register_blueprint(grandchild, url_prefix="/gg")
    parent.register_blueprint(child)
    app.register_blueprint(parent, url_prefix="/over")
    assert client.get("/over/c").text == "child"
    assert client.get("/over/gg/x").text == "grandchild"
    assert client.get("/p/c").status_code == 404


def test_register_blueprint_on_itself_raises() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="on itself"):
        bp.register_blueprint(bp)


# -- subdomains ------------------------------------------------------------------------


@pytest.fixture
def sub_app() -> Kolba:
    app = Kolba("sub_app", root_path=FIXTURES, subdomain_matching=True)
    app.config.update(TESTING=True, SERVER_NAME="example.test")
    return app


def test_blueprint_subdomain_routes_match_only_that_subdomain(
    sub_app: Kolba,
) -> None:
    bp = Blueprint("api", __name__, subdomain="api")

    @bp.route("/")
    def index() -> str:
        return f"api {url_for('.index')} {url_for('home')}"

    @sub_app.route("/")
    def home() -> str:
        return "home"

    sub_app.register_blueprint(bp)
    client = sub_app.test_client()
    assert client.get("/", base_url="http://api.example.test").text == (
        "api / http://example.test/"
    )
    assert client.get("/", base_url="http://example.test").text == "home"
    assert client.get("/", base_url="http://www.example.test").status_code == 404
    assert client.get("/", base_url="http://evil.test").status_code == 404
    rv = client.options("/", base_url="http://api.example.test")
    assert rv.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_nested_subdomains_chain_and_registration_overrides(sub_app: Kolba) -> None:
    outer = Blueprint("outer", __name__, subdomain="v1")
    inner = Blueprint("inner", __name__, subdomain="api")
    plain = Blueprint("plain", __name__)

    @inner.route("/")
    def index() -> str:
        return url_for(".index", _external=True)

    @plain.route("/p")
    def p() -> str:
        return "plain"

    outer.register_blueprint(inner)
    sub_app.register_blueprint(outer)
    sub_app.register_blueprint(plain, subdomain="static")
    client = sub_app.test_client()
    assert client.get("/", base_url="http://api.v1.example.test").text == (
        "http://api.v1.example.test/"
    )
    assert client.get("/p", base_url="http://static.example.test").text == "plain"
    assert client.get("/p", base_url="http://example.test").status_code == 404


# -- static files ----------------------------------------------------------------------


def test_static_folder_served_under_the_url_prefix(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint(
        "admin",
        __name__,
        static_folder="static",
        url_prefix="/admin",
        root_path=FIXTURES,
    )

    @bp.route("/")
    def index() -> str:
        return url_for(".static", filename="css/site.css")

    app.register_blueprint(bp)
    rv = client.get("/admin/static/css/site.css")
    assert rv.status_code == 200
    assert rv.data == b"body { color: teal; }\n"
    assert rv.mimetype == "text/css"
    rv.close()
    assert client.get("/admin/").text == "/admin/static/css/site.css"
    assert "admin.static" in app.view_functions


def test_static_url_path_without_a_prefix(app: Kolba, client: KolbaClient) -> None:
    bp = Blueprint(
        "assets",
        __name__,
        static_folder="static",
        static_url_path="/assets",
        root_path=FIXTURES,
    )
    app.register_blueprint(bp)
    with client.get("/assets/css/site.css") as rv:
        assert rv.status_code == 200
    with app.test_request_context():
        assert url_for("assets.static", filename="a.js") == "/assets/a.js"


def test_static_folder_without_prefix_is_shadowed_by_the_app(
    app: Kolba, client: KolbaClient
) -> None:
    # Flask's documented behaviour: the app's /static route is added first.
    bp = Blueprint("bp", __name__, static_folder="static", root_path=FIXTURES)
    app.register_blueprint(bp)
    assert client.get("/static/css/site.css").status_code == 404


def test_static_route_refuses_paths_outside_the_folder(
    app: Kolba, client: KolbaClient
) -> None:
    bp = Blueprint(
        "bp", __name__, static_folder="static", url_prefix="/bp", root_path=FIXTURES
    )
    app.register_blueprint(bp)
    for path in (
        "/bp/static/../resource.txt",
        "/bp/static/%2e%2e/resource.txt",
        "/bp/static/..%2fresource.txt",
        "/bp/static//etc/passwd",
        "/bp/static/css/../../resource.txt",
        "/bp/static/missing.css",
    ):
        rv = client.get(path, follow_redirects=True)
        assert rv.status_code == 404, path
        assert b"teal" not in rv.data and b"resource" not in rv.data


def test_blueprint_without_static_folder_has_no_static_route(app: Kolba) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    app.register_blueprint(bp)
    assert "bp.static" not in app.view_functions
    with pytest.raises(RuntimeError, match="no static folder"):
        bp.send_static_file("x.css")


def test_blueprint_max_age_override_and_app_config(
    app: Kolba, client: KolbaClient
) -> None:
    class LongCache(Blueprint):
        def get_send_file_max_age(self, filename: str | None) -> int | None:
            return 3600

    cached = LongCache(
        "cached", __name__, static_folder="static", url_prefix="/c", root_path=FIXTURES
    )
    plain = Blueprint(
        "plain", __name__, static_folder="static", url_prefix="/p", root_path=FIXTURES
    )
    app.register_blueprint(cached)
    app.register_blueprint(plain)
    with client.get("/c/static/css/site.css") as rv:
        assert "max-age=3600" in rv.headers["Cache-Control"]
    with client.get("/p/static/css/site.css") as rv:
        assert "max-age" not in rv.headers.get("Cache-Control", "")
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = timedelta(minutes=2)
    with client.get("/p/static/css/site.css") as rv:
        assert "max-age=120" in rv.headers["Cache-Control"]


def test_static_folder_paths(app: Kolba) -> None:
    bp = Blueprint("bp", __name__, static_folder="static/", root_path=FIXTURES)
    assert bp.static_folder == os.path.join(FIXTURES, "static")
    assert bp.static_url_path == "/static"
    assert bp.has_static_folder
    assert Blueprint("none", __name__).static_url_path is None


def test_open_resource_relative_to_the_blueprint(app: Kolba) -> None:
    bp = Blueprint("bp", __name__, root_path=FIXTURES)
    with bp.open_resource("resource.txt", "r") as f:
        assert f.read() == "hello from a blueprint resource\n"
    with bp.open_resource("resource.txt") as f:
        assert f.read() == b"hello from a blueprint resource\n"
    with pytest.raises(ValueError, match="only be opened for reading"):
        bp.open_resource("resource.txt", "w")


def test_root_path_defaults_to_the_module_folder() -> None:
    assert Blueprint("bp", __name__).root_path == os.path.dirname(
        os.path.abspath(__file__)
    )


# -- CLI -------------------------------------------------------------------------------


def _bp_with_command(name: str = "users", **kwargs: t.Any) -> Blueprint:
    bp = Blueprint(name, __name__, **kwargs)

    @bp.cli.command("create")  # type: ignore[untyped-decorator]  # AppGroup.command is untyped
    @click.argument("who")
    def create(who: str) -> None:
        click.echo(f"created {who} in {current_app.name}")

    return bp


def test_cli_commands_grouped_under_the_blueprint_name(app: Kolba) -> None:
    app.register_blueprint(_bp_with_command())
    result = app.test_cli_runner().invoke(args=["users", "create", "ada"])
    assert result.exit_code == 0, result.output
    assert result.output == "created ada in kolba_test_app\n"


def test_cli_group_given_to_the_blueprint(app: Kolba) -> None:
    app.register_blueprint(_bp_with_command(cli_group="people"))
    result = app.test_cli_runner().invoke(args=["people", "create", "bob"])
    assert result.output == "created bob in kolba_test_app\n"
    assert "users" not in app.cli.commands


def test_cli_group_none_merges_commands_into_the_app(app: Kolba) -> None:
    app.register_blueprint(_bp_with_command(cli_group=None))
    result = app.test_cli_runner().invoke(args=["create", "cy"])
    assert result.output == "created cy in kolba_test_app\n"


def test_cli_group_overridden_at_registration(app: Kolba) -> None:
    app.register_blueprint(_bp_with_command(), cli_group="accounts")
    result = app.test_cli_runner().invoke(args=["accounts", "create", "di"])
    assert result.output == "created di in kolba_test_app\n"


def test_blueprint_without_commands_adds_no_group(app: Kolba) -> None:
    app.register_blueprint(Blueprint("quiet", __name__))
    assert "quiet" not in app.cli.commands


# -- templates -------------------------------------------------------------------------


def test_app_template_filter_test_and_global(app: Kolba, client: KolbaClient) -> None:

    bp = Blueprint("bp", __name__)

    @bp.app_template_filter()
    def shout(value: str) -> str:
        return value.upper()

    @bp.app_template_test("short")
    def is_short(value: str) -> bool:
        return len(value) < 4

    @bp.app_template_global()
    def site_name() -> str:
        return "Kolba"

    bp.add_app_template_filter(lambda v: v[::-1], name="backwards")

    @app.route("/")
    def index() -> str:
        return render_template_string(
            "{{ 'hi'|shout }} {{ 'abc' is short }} {{ site_name() }} "
            "{{ 'abc'|backwards }}"
        )

    app.register_blueprint(bp)
    assert client.get("/").text == "HI True Kolba cba"


def test_blueprint_template_folder_is_searched(app: Kolba, client: KolbaClient) -> None:

    bp = Blueprint("admin", __name__, template_folder="templates", root_path=FIXTURES)

    @bp.route("/")
    def index() -> str:
        return render_template("admin/page.html", who="ada")

    app.register_blueprint(bp)
    assert client.get("/").text == "admin page for ada"


# -- setup rules and names -------------------------------------------------------------


def test_setup_methods_fail_after_registration(app: Kolba) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="'route' can no longer be called"):
        bp.route("/late")
    with pytest.raises(AssertionError, match="blueprint 'bp'"):
        bp.before_request(lambda: None)
    with pytest.raises(AssertionError):
        bp.record(lambda state: None)


def test_registering_after_the_first_request_fails(
    app: Kolba, client: KolbaClient
) -> None:
    @app.route("/")
    def index() -> str:
        return ""

    client.get("/")
    with pytest.raises(AssertionError, match="register_blueprint"):
        app.register_blueprint(Blueprint("late", __name__))


@pytest.mark.parametrize("name", ["", "a.b"])
def test_bad_blueprint_names_raise(name: str) -> None:
    with pytest.raises(ValueError, match="may not"):
        Blueprint(name, __name__)


def test_dotted_name_at_registration_raises(app: Kolba) -> None:
    with pytest.raises(ValueError, match="may not contain a dot"):
        app.register_blueprint(Blueprint("bp", __name__), name="a.b")


def test_dotted_endpoint_or_view_name_raises() -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="contains a dot"):
        bp.add_url_rule("/", endpoint="a.b", view_func=lambda: "")

    def view() -> str:
        return ""

    view.__name__ = "a.b"
    with pytest.raises(ValueError, match="contains a dot"):
        bp.add_url_rule("/", view_func=view)
    bp.add_url_rule("/", endpoint="fine", view_func=view)


def test_repr_names_the_blueprint() -> None:
    assert repr(Blueprint("shop", __name__)) == "<Blueprint 'shop'>"
