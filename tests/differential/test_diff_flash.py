"""Message flashing: across redirects, categories, filters, read once."""

from __future__ import annotations

import pytest
from kolba_diffkit import Req, cases, compare, compare_steps, skip_without_kolba

skip_without_kolba()

MASK = ("session",)


def F(path, **kw):  # noqa: N802 - a short constructor for flash cases
    kw.setdefault("mask_cookies", MASK)
    return Req(path, **kw)


def flash_app(fw):
    app = fw.App(__name__)
    app.testing = True
    app.secret_key = "differential-secret"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    request, flash, get = fw.request, fw.flash, fw.get_flashed_messages
    jsonify, redirect, url_for = fw.jsonify, fw.redirect, fw.url_for

    @app.route("/flash")
    def flash_many():
        # /flash?m=text&c=category, repeated; a missing c means the default category
        messages = request.args.getlist("m")
        categories = request.args.getlist("c")
        for index, message in enumerate(messages):
            if index < len(categories) and categories[index]:
                flash(message, categories[index])
            else:
                flash(message)
        if request.args.get("stay"):
            return "flashed"
        return redirect(url_for("show", **request.args.to_dict(flat=False)))

    @app.route("/show")
    def show():
        with_categories = bool(request.args.get("wc"))
        category_filter = request.args.getlist("f")
        return jsonify(
            get(with_categories=with_categories, category_filter=category_filter)
        )

    @app.route("/show-twice")
    def show_twice():
        first = get(with_categories=True)
        second = get(category_filter=["error"])
        return jsonify(first=first, second=second)

    @app.route("/show-template")
    def show_template():
        return fw.render_template_string(
            "{% with msgs = get_flashed_messages(with_categories=true) %}"
            "{% for c, m in msgs %}<li class={{ c }}>{{ m }}</li>{% endfor %}"
            "{% endwith %}|{{ get_flashed_messages()|length }}"
        )

    @app.route("/flash-and-show")
    def flash_and_show():
        flash("same request", "info")
        return jsonify(get(with_categories=True))

    @app.route("/flash-markup")
    def flash_markup():
        from markupsafe import Markup

        flash(Markup("<b>bold</b>"), "html")
        flash("<b>plain</b>", "html")
        return redirect("/show-template")

    @app.route("/noop")
    def noop():
        return "noop"

    return app


def _flash(*pairs, **extra):
    query = [("m", m) for m, _ in pairs] + [("c", c) for _, c in pairs]
    for key, value in extra.items():
        values = value if isinstance(value, list) else [value]
        query += [(key, v) for v in values]
    return query


REDIRECTED = [
    F("/flash", query_string=_flash(("hello", "")), follow_redirects=True, id="one"),
    F(
        "/flash",
        query_string=_flash(("a", "info"), ("b", "error"), ("c", ""), wc="1"),
        follow_redirects=True,
        id="with categories",
    ),
    F(
        "/flash",
        query_string=_flash(("a", "info"), ("b", "error"), ("c", "error"), f="error"),
        follow_redirects=True,
        id="filter error",
    ),
    F(
        "/flash",
        query_string=_flash(("a", "info"), ("b", "error"), wc="1", f="info"),
        follow_redirects=True,
        id="filter with categories",
    ),
    F(
        "/flash",
        query_string=_flash(("a", "info"), ("b", "warn"), f=["info", "warn"]),
        follow_redirects=True,
        id="filter two",
    ),
    F(
        "/flash",
        query_string=_flash(("<script>x</script>", "error"), ("caf\u00e9 \u2028", "")),
        follow_redirects=True,
        id="odd text",
    ),
    F("/flash", query_string=_flash(("x", "")), id="redirect only"),
    F("/flash", query_string=_flash(("x", ""), stay="1"), id="no redirect"),
    F("/flash-and-show"),
    F("/flash-markup", follow_redirects=True),
    F("/show"),
    F("/show-twice"),
    F("/show-template"),
]


@pytest.mark.parametrize(("app_factory", "req"), cases(flash_app, REDIRECTED))
def test_flash_single(app_factory, req):
    compare(app_factory, req)


SEQUENCES = {
    "consumed-once": [
        F("/flash", query_string=_flash(("a", ""), stay="1")),
        F("/show"),
        F("/show"),
        F("/noop"),
    ],
    "accumulate": [
        F("/flash", query_string=_flash(("a", "info"), stay="1")),
        F("/flash", query_string=_flash(("b", "error"), stay="1")),
        F("/noop"),
        F("/show", query_string="wc=1"),
        F("/show"),
    ],
    "filter-consumes-all": [
        F("/flash", query_string=_flash(("a", "info"), ("b", "error"), stay="1")),
        F("/show", query_string="f=error"),
        F("/show", query_string="wc=1"),
    ],
    "twice-in-one-request": [
        F("/flash", query_string=_flash(("a", "info"), ("b", "error"), stay="1")),
        F("/show-twice"),
        F("/show-twice"),
    ],
    "template": [
        F("/flash", query_string=_flash(("<i>a</i>", "info"), ("b", ""), stay="1")),
        F("/show-template"),
        F("/show-template"),
    ],
    "redirect-then-again": [
        F("/flash", query_string=_flash(("a", "x")), follow_redirects=True),
        F("/show"),
        F("/flash", query_string=_flash(("b", "y"), wc="1"), follow_redirects=True),
    ],
    "same-request-then-next": [F("/flash-and-show"), F("/show")],
}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_flash_sequences(name):
    compare_steps(flash_app, SEQUENCES[name])


def test_flash_without_secret_key():
    """No secret key: the session is read-only, flashing is a server error."""

    def factory(fw):
        app = flash_app(fw)
        app.secret_key = None
        app.testing = False
        return app

    factory.__name__ = "flash_app[no secret]"
    compare_steps(
        factory,
        [
            F("/show"),
            F("/flash", query_string=_flash(("a", ""), stay="1")),
            F("/show-template"),
        ],
    )
