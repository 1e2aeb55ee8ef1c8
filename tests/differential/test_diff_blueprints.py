"""Blueprints: prefixes, nesting, endpoints, scoped hooks and error handlers, url
defaults / value preprocessors, double registration, static files, subdomains."""

from __future__ import annotations

import pytest
from kolba_diffkit import (
    FLASK,
    KOLBA,
    Req,
    cases,
    compare,
    make_app,
    outcome,
    skip_without_kolba,
)

skip_without_kolba()


@pytest.fixture
def folders(tmp_path):
    static = tmp_path / "bp_static"
    static.mkdir()
    (static / "hello.txt").write_text("hello from the blueprint\n", encoding="utf-8")
    (static / "style.css").write_text("body { color: red }\n", encoding="utf-8")
    (static / "sub").mkdir()
    (static / "sub" / "deep.txt").write_text("deep\n", encoding="utf-8")
    app_templates = tmp_path / "app_templates"
    app_templates.mkdir()
    (app_templates / "shadowed.html").write_text("app wins", encoding="utf-8")
    bp_templates = tmp_path / "bp_templates"
    bp_templates.mkdir()
    (bp_templates / "shadowed.html").write_text("bp loses", encoding="utf-8")
    (bp_templates / "bp_only.html").write_text(
        "bp template {{ request.blueprint }} {{ 'x'|bp_upper }} {{ bp_global() }}"
        " {{ from_bp_processor }}",
        encoding="utf-8",
    )
    return {
        "static": str(static),
        "app_templates": str(app_templates),
        "bp_templates": str(bp_templates),
    }


def _trail(fw):
    g = fw.g
    if "trail" not in g:
        g.trail = []
    return g.trail


def bp_app(fw, folders=None):
    folders = folders or {}
    Blueprint, request, g = fw.Blueprint, fw.request, fw.g
    url_for, abort, jsonify = fw.url_for, fw.abort, fw.jsonify

    app = fw.App(__name__, template_folder=folders.get("app_templates"))
    app.testing = False

    @app.before_request
    def app_before():
        _trail(fw).append("app-before")

    @app.after_request
    def app_after(response):
        response.headers.add("X-After", "app")
        return response

    @app.errorhandler(404)
    def app_404(e):
        return f"app 404 bp={request.blueprint}", 404

    @app.errorhandler(500)
    def app_500(e):
        return f"app 500 bp={request.blueprint}", 500

    @app.route("/")
    def index():
        return "app index"

    @app.route("/trail")
    def trail():
        return ",".join(_trail(fw))

    @app.route("/endpoints")
    def endpoints():
        return jsonify(
            sorted([rule.endpoint, rule.rule] for rule in app.url_map.iter_rules())
        )

    @app.route("/urls")
    def urls():
        return jsonify(
            admin=url_for("admin.index"),
            user=url_for("admin.user", user_id=7, q="a b"),
            nested=url_for("v1.api.items", page=2),
            parent=url_for("v1.index"),
            two=url_for("two.page"),
            one=url_for("shared.page"),
            lang=url_for("lang.about", lang_code="fr"),
            static=url_for("files.static", filename="hello.txt") if folders else "",
        )

    # -- admin: prefix, scoped hooks and handlers, app-wide registrations --------
    admin = Blueprint(
        "admin",
        __name__,
        url_prefix="/admin",
        template_folder=folders.get("bp_templates"),
    )

    @admin.before_request
    def admin_before():
        _trail(fw).append("admin-before")
        if request.args.get("stop"):
            return "stopped by admin before_request", 403
        return None

    @admin.after_request
    def admin_after(response):
        response.headers.add("X-After", "admin")
        return response

    @admin.before_app_request
    def admin_before_app():
        _trail(fw).append("admin-before-app")

    @admin.after_app_request
    def admin_after_app(response):
        response.headers.add("X-After", "admin-app")
        return response

    @admin.errorhandler(404)
    def admin_404(e):
        return f"admin 404 bp={request.blueprint}", 404

    @admin.errorhandler(ValueError)
    def admin_value_error(e):
        return f"admin value error: {e}", 409

    @admin.app_errorhandler(418)
    def any_teapot(e):
        return f"teapot via admin bp={request.blueprint}", 418

    @admin.app_template_filter("bp_upper")
    def bp_upper(s):
        return s.upper() + "!"

    @admin.app_template_global("bp_global")
    def bp_global():
        return "global-from-bp"

    @admin.app_context_processor
    def admin_processor():
        return {"from_bp_processor": "proc"}

    @admin.route("/")
    def index():  # noqa: F811 - the app has an index too: endpoints stay apart
        return f"admin index {request.endpoint} {request.blueprint}"

    @admin.route("/users/<int:user_id>")
    def user(user_id):
        return f"user {user_id} {url_for('.user', user_id=user_id + 1)}"

    @admin.route("/where")
    def where():
        return jsonify(
            blueprint=request.blueprint,
            blueprints=list(request.blueprints),
            endpoint=request.endpoint,
            here=url_for(".where"),
            index=url_for(".index"),
            app_index=url_for("index"),
            trail=_trail(fw),
        )

    @admin.route("/missing")
    def missing():
        abort(404)

    @admin.route("/teapot")
    def teapot():
        abort(418)

    @admin.route("/value-error")
    def value_error():
        raise ValueError("bad value")

    @admin.route("/boom")
    def boom():
        raise RuntimeError("boom")

    @admin.route("/template/<name>")
    def template(name):
        return fw.render_template(name)

    admin.add_url_rule("/added", "added", lambda: "added rule")
    admin.add_url_rule("/endpoint-name", endpoint="custom", view_func=lambda: "custom")

    app.register_blueprint(admin)

    @app.route("/app-teapot")
    def app_teapot():
        abort(418)

    @app.route("/app-value-error")
    def app_value_error():
        raise ValueError("outside the blueprint")

    @app.route("/app-template/<name>")
    def app_template(name):
        return fw.render_template(name)

    # -- nested: v1 > api --------------------------------------------------------
    v1 = Blueprint("v1", __name__, url_prefix="/v1")
    api = Blueprint("api", __name__, url_prefix="/api")

    @v1.before_request
    def v1_before():
        _trail(fw).append("v1-before")

    @v1.after_request
    def v1_after(response):
        response.headers.add("X-After", "v1")
        return response

    @v1.errorhandler(404)
    def v1_404(e):
        return f"v1 404 bp={request.blueprint}", 404

    @api.before_request
    def api_before():
        _trail(fw).append("api-before")

    @api.after_request
    def api_after(response):
        response.headers.add("X-After", "api")
        return response

    @v1.route("/")
    def index():  # noqa: F811 - endpoint v1.index
        return f"v1 index {request.endpoint}"

    @api.route("/items")
    def items():
        return jsonify(
            endpoint=request.endpoint,
            blueprint=request.blueprint,
            blueprints=list(request.blueprints),
            here=url_for(".items", page=3),
            sibling=url_for(".missing"),
            parent=url_for("v1.index"),
            trail=_trail(fw),
        )

    @v1.errorhandler(500)
    def v1_500(e):
        return f"v1 500 {type(e).__name__} {type(e.original_exception).__name__}", 500

    @api.context_processor
    def api_only():
        return {"scoped": "api-scope"}

    @api.route("/boom")
    def api_boom():
        raise KeyError("k")

    @api.route("/abort-500")
    def api_abort_500():
        abort(500)

    @api.route("/scoped")
    def api_scoped():
        return fw.render_template_string("[{{ scoped }}][{{ from_bp_processor }}]")

    @app.route("/unscoped")
    def unscoped():
        return fw.render_template_string("[{{ scoped }}][{{ from_bp_processor }}]")

    @api.route("/missing")
    def missing():  # noqa: F811 - endpoint v1.api.missing
        abort(404)

    v1.register_blueprint(api)
    app.register_blueprint(v1)
    # the same nested pair again under another name and prefix
    app.register_blueprint(v1, name="v2", url_prefix="/v2")

    # -- registered twice with name= ---------------------------------------------
    shared = Blueprint("shared", __name__)

    @shared.route("/page")
    def page():
        return f"{request.blueprint} {request.endpoint} {url_for('.page')}"

    app.register_blueprint(shared, url_prefix="/one")
    app.register_blueprint(shared, name="two", url_prefix="/two")

    # -- url_defaults given at registration fill the rule's variables -------------
    paged = Blueprint("paged", __name__)

    @paged.route("/list")
    def listing(page):
        return f"page {page!r} {url_for('.listing')}"

    app.register_blueprint(paged, url_prefix="/paged", url_defaults={"page": 1})

    # -- app-wide url processors registered from a blueprint -----------------------
    tracker = Blueprint("tracker", __name__)

    @tracker.app_url_value_preprocessor
    def track_values(endpoint, values):
        if values and "user_id" in values:
            g.seen_user = values["user_id"]

    @tracker.app_url_defaults
    def track_defaults(endpoint, values):
        if endpoint == "admin.user" and "user_id" not in values:
            values["user_id"] = 99

    @tracker.route("/seen")
    def seen():
        return f"{g.get('seen_user')} {url_for('admin.user')}"

    app.register_blueprint(tracker)

    # -- i18n: <lang_code> prefix with url_defaults / url_value_preprocessor -------
    lang = Blueprint("lang", __name__, url_prefix="/<lang_code>")

    @lang.url_defaults
    def add_language_code(endpoint, values):
        if "lang_code" in values or "lang_code" not in g:
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = g.lang_code

    @lang.url_value_preprocessor
    def pull_lang_code(endpoint, values):
        g.lang_code = values.pop("lang_code")

    @lang.route("/")
    def home():
        return f"home {g.lang_code} -> {url_for('.about')} {url_for('.about', x=1)}"

    @lang.route("/about")
    def about():
        return f"about {g.lang_code} {url_for('lang.home', lang_code='de')}"

    @lang.route("/kwargs/<int:n>")
    def kwargs(**kw):
        return f"kwargs {sorted(kw.items())} {g.lang_code}"

    app.register_blueprint(lang)

    # -- static files ----------------------------------------------------------
    if folders.get("static"):
        files = Blueprint(
            "files",
            __name__,
            static_folder=folders["static"],
            static_url_path="/assets",
            url_prefix="/files",
        )
        app.register_blueprint(files)

    return app


BASIC = [
    Req("/"),
    Req("/admin/"),
    Req("/admin"),
    Req("/admin/users/5"),
    Req("/admin/users/x", body=True),
    Req("/admin/where"),
    Req("/admin/added"),
    Req("/admin/endpoint-name"),
    Req("/admin/where", query_string="stop=1", body=True),
    Req("/admin/missing", body=True),
    Req("/admin/nope", body=True),
    Req("/nope", body=False),
    Req("/a/b/c/d", body=True),
    Req("/admin/teapot", body=True),
    Req("/app-teapot", body=True),
    Req("/admin/value-error", body=True),
    Req("/app-value-error", body=True),
    Req("/admin/boom", body=True),
    Req("/trail"),
    Req("/endpoints"),
    Req("/urls"),
    Req("/v1/"),
    Req("/v1/api/items"),
    Req("/v1/api/missing", body=True),
    Req("/v1/api/nope", body=True),
    Req("/v1/nope", body=True),
    Req("/v2/"),
    Req("/v2/api/items"),
    Req("/v2/api/missing", body=True),
    Req("/one/page"),
    Req("/two/page"),
    Req("/en/"),
    Req("/en/about"),
    Req("/fr/kwargs/3"),
    Req("/de", body=True),
    Req("/admin/users/5", method="POST", body=False),
    Req("/v1/api/items", method="HEAD"),
    Req("/v1/api/boom", body=True),
    Req("/v1/api/abort-500", body=True),
    Req("/v2/api/boom", body=True),
    Req("/v1/api/scoped"),
    Req("/unscoped"),
    Req("/paged/list"),
    Req("/admin/users/5", query_string="via=seen", id="preprocessor sees user_id"),
    Req("/seen"),
    Req("/v1/api/items", method="OPTIONS"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(bp_app, BASIC))
def test_blueprints(app_factory, req):
    compare(app_factory, req)


WITH_FOLDERS = [
    Req("/admin/template/bp_only.html"),
    Req("/admin/template/shadowed.html"),
    Req("/app-template/bp_only.html"),
    Req("/urls"),
    Req("/endpoints"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(bp_app, WITH_FOLDERS))
def test_blueprint_templates(app_factory, req, folders):
    compare(app_factory, req, folders=folders)


STATIC = [
    ("/files/assets/hello.txt", 200),
    ("/files/assets/style.css", 200),
    ("/files/assets/sub/deep.txt", 200),
    ("/files/assets/nope.txt", 404),
    ("/files/assets/../../etc/passwd", 404),
    ("/files/assets/%2e%2e/secret", 404),
]


@pytest.mark.parametrize(("path", "status"), STATIC)
def test_blueprint_static(folders, path, status):
    """Compared field by field: ETag and Last-Modified are each side's own."""
    got = []
    for fw in (FLASK, KOLBA):
        response = make_app(bp_app, fw, folders=folders).test_client().get(path)
        got.append(
            (
                response.status_code,
                response.get_data() if response.status_code == 200 else None,
                response.headers.get("Content-Type") if status == 200 else None,
                response.headers.get("Cache-Control"),
                "Last-Modified" in response.headers,
                response.headers.get("Content-Length") if status == 200 else None,
            )
        )
        response.close()
    assert got[0][0] == status
    assert got[1] == got[0]


def sub_app(fw):
    app = fw.App(__name__, subdomain_matching=True)
    app.testing = True
    app.config["SERVER_NAME"] = "example.test"
    request, url_for = fw.request, fw.url_for

    @app.route("/")
    def index():
        return f"main {request.host}"

    api = fw.Blueprint("api", __name__, subdomain="api")

    @api.route("/")
    def index():  # noqa: F811 - endpoint api.index
        return f"api {request.host} {url_for('.index')} {url_for('index')}"

    user = fw.Blueprint("user", __name__, subdomain="<user>")

    @user.route("/profile")
    def profile(user):
        return f"profile of {user} {url_for('.profile', user='other')}"

    app.register_blueprint(api)
    app.register_blueprint(user)
    return app


def _at(host, path="/", **kw):
    return Req(
        path,
        extra=(("base_url", f"http://{host}/"),),
        id=f"{host}{path}",
        **kw,
    )


SUBDOMAINS = [
    _at("example.test"),
    _at("api.example.test"),
    _at("ann.example.test", "/profile"),
    _at("example.test", "/profile", body=False),
    _at("api.example.test", "/profile"),
    _at("other.test", body=False),
]


@pytest.mark.filterwarnings("ignore:Current server name")
@pytest.mark.parametrize(("app_factory", "req"), cases(sub_app, SUBDOMAINS))
def test_subdomains(app_factory, req):
    compare(app_factory, req)


def _setup(fn):
    """Run ``fn(fw)`` (a setup step) on both sides; compare value or exception."""
    return [outcome(lambda: fn(fw)) for fw in (FLASK, KOLBA)]  # noqa: B023


def test_same_name_twice_is_an_error():
    def fn(fw):
        app = fw.App(__name__)
        bp = fw.Blueprint("bp", __name__)
        bp.add_url_rule("/x", "x", lambda: "x")
        app.register_blueprint(bp)
        app.register_blueprint(bp)
        return sorted(r.endpoint for r in app.url_map.iter_rules())

    flask, kolba = _setup(fn)
    assert kolba[:2] == flask[:2]
    assert flask[:2] == ("raises", "ValueError")


@pytest.mark.parametrize(
    "case",
    ["dotted-name", "empty-name", "dotted-endpoint", "dotted-view-name", "self-nest"],
)
def test_setup_errors(case):
    def fn(fw):
        if case == "dotted-name":
            fw.Blueprint("a.b", __name__)
        elif case == "empty-name":
            fw.Blueprint("", __name__)
        elif case == "dotted-endpoint":
            fw.Blueprint("bp", __name__).add_url_rule("/", "a.b", lambda: "")
        elif case == "dotted-view-name":

            def view():
                return ""

            view.__name__ = "a.b"
            fw.Blueprint("bp", __name__).add_url_rule("/", view_func=view)
        else:
            bp = fw.Blueprint("bp", __name__)
            bp.register_blueprint(bp)
        return "accepted"

    flask, kolba = _setup(fn)
    assert kolba[:2] == flask[:2]


def test_setup_after_first_request_is_an_error():
    def fn(fw):
        app = fw.App(__name__)
        app.testing = True
        bp = fw.Blueprint("late", __name__)
        bp.add_url_rule("/late", "late", lambda: "late")
        app.add_url_rule("/", "index", lambda: "index")
        app.test_client().get("/")
        app.register_blueprint(bp)
        return "accepted"

    flask, kolba = _setup(fn)
    assert kolba[:2] == flask[:2]
    assert flask[:2] == ("raises", "AssertionError")


def test_url_prefix_joining():
    """Slashes between a registration prefix, a blueprint prefix and a rule."""

    def fn(fw):
        app = fw.App(__name__)
        combos = [
            ("a", "/p/", "/r"),
            ("b", "/p", "r"),
            ("c", "/p/", "/"),
            ("d", None, "/r"),
            ("e", "", "/r/"),
        ]
        for name, prefix, rule in combos:
            bp = fw.Blueprint(name, __name__, url_prefix=prefix)
            bp.add_url_rule(rule, "view", lambda: "")
            app.register_blueprint(bp)
        outer = fw.Blueprint("outer", __name__, url_prefix="/outer/")
        inner = fw.Blueprint("inner", __name__, url_prefix="/inner/")
        inner.add_url_rule("/x", "x", lambda: "")
        outer.register_blueprint(inner, url_prefix="/override")
        app.register_blueprint(outer, url_prefix="/top")
        return sorted(
            (r.endpoint, r.rule) for r in app.url_map.iter_rules() if r.endpoint
        )

    flask, kolba = _setup(fn)
    assert kolba == flask


def static_app(fw, folders=None, max_age=None):
    app = fw.App(__name__, static_folder=folders["static"], static_url_path="/st")
    app.testing = True
    if max_age is not None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = max_age
    files = fw.Blueprint(
        "files", __name__, static_folder=folders["static"], url_prefix="/files"
    )
    app.register_blueprint(files)

    @app.route("/static-urls")
    def static_urls():
        return fw.jsonify(
            app=fw.url_for("static", filename="sub/deep.txt"),
            bp=fw.url_for("files.static", filename="a b.txt"),
            ext=fw.url_for("static", filename="x.css", _external=True),
        )

    return app


_FIELDS = (
    "Content-Type",
    "Content-Length",
    "Cache-Control",
    "Content-Range",
    "Accept-Ranges",
)

STATIC_REQUESTS = [
    Req("/st/hello.txt"),
    Req("/st/style.css"),
    Req("/st/hello.txt", method="HEAD"),
    Req("/st/hello.txt", headers=(("Range", "bytes=0-4"),), id="range"),
    Req("/st/hello.txt", headers=(("Range", "bytes=500-"),), id="range past end"),
    Req(
        "/st/hello.txt",
        headers=(("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"),),
        id="not modified",
    ),
    Req("/st/nope.txt"),
    Req("/st/hello.txt", method="POST"),
    Req("/files/bp_static/hello.txt"),
    Req("/files/static/hello.txt"),
    Req("/static-urls"),
]


@pytest.mark.parametrize("max_age", [None, 60])
@pytest.mark.parametrize("req", STATIC_REQUESTS, ids=lambda r: r.label())
def test_app_static(folders, req, max_age):
    """Static routes of the app and of a blueprint without its own URL path; compared
    field by field (ETag and Last-Modified are each side's own)."""
    got = []
    for fw in (FLASK, KOLBA):
        app = make_app(static_app, fw, folders=folders, max_age=max_age)
        response = app.test_client().open(req.path, **req.open_kwargs())
        got.append(
            (
                response.status_code,
                response.get_data() if response.status_code < 300 else None,
                {
                    name: response.headers.get(name)
                    for name in _FIELDS
                    if response.status_code < 400
                },
                sorted(response.headers.get("Allow", "").split(", ")),
            )
        )
        response.close()
    assert got[1] == got[0]
