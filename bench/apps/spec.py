"""The route table and payloads shared by every benchmark app.

A table of ``n_routes`` rules is, in registration order:

1. the three case routes ``/plaintext``, ``/json`` and ``/form`` (POST);
2. ``n_routes - 4`` filler routes, mostly static (``/static-route-<i>``) with every
   tenth one dynamic, alternating ``/user-<i>/<name>`` and ``/post-<i>/<int:post_id>``;
3. the typed route ``/item/<int:item_id>``, always registered LAST.
"""

from __future__ import annotations

from pathlib import Path

HELLO = "Hello, World!"

# Five urlencoded fields; the value of "name" is non-ASCII on purpose so that an
# app decoding the form wrongly fails the correctness check instead of being fast.
FORM_FIELDS = ("name", "email", "subject", "message", "topic")
FORM_VALUES = {
    "name": "Zoë Smith",
    "email": "zoe@example.com",
    "subject": "Hello there",
    "message": "A short message & more",
    "topic": "general",
}
FORM_SEPARATOR = "|"

MIN_ROUTES = 4  # three case routes + the typed route


def filler_routes(n_routes: int) -> list[tuple[str, int]]:
    """Return ``(kind, i)`` for each filler route; kind is static, user or post."""
    if n_routes < MIN_ROUTES:
        raise ValueError(f"n_routes must be >= {MIN_ROUTES}")
    out = []
    for i in range(n_routes - MIN_ROUTES):
        if i % 10 == 3:
            out.append(("user" if (i // 10) % 2 == 0 else "post", i))
        else:
            out.append(("static", i))
    return out


def last_static_filler(n_routes: int) -> int:
    """Index ``i`` of the last static filler route (for the routing scale table)."""
    statics = [i for kind, i in filler_routes(n_routes) if kind == "static"]
    if not statics:
        raise ValueError("route table has no static filler route")
    return statics[-1]


def static_body(i: int) -> str:
    return f"static {i}"


# -- the template case --------
# A Jinja2 page of 12 table rows. Every row's text holds characters HTML must
# escape, so an app that forgets autoescaping fails the correctness check.
# The page lives in apps/templates/ so Kolba and Flask load it the way an app
# does (render_template); the other frameworks compile the same text once.
TEMPLATE_NAME = "fortunes.html"
TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE = (TEMPLATES_DIR / TEMPLATE_NAME).read_text()
TEMPLATE_TITLE = "Fortunes <&> 'today'"
TEMPLATE_ROWS = [
    (i, f"Row {i}: <b>bold</b> & \"quoted\" 'text' > <script>x()</script>")
    for i in range(1, 13)
]


def _html_escape(text: str) -> str:
    # The same five replacements as markupsafe.escape, written out so the
    # expected page does not depend on the code under test.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


TEMPLATE_BODY = (
    "<!doctype html>\n"
    f"<html><head><title>{_html_escape(TEMPLATE_TITLE)}</title></head>\n"
    "<body>\n"
    "<table>\n"
    + "".join(
        f"<tr><td>{number}</td><td>{_html_escape(text)}</td></tr>\n"
        for number, text in TEMPLATE_ROWS
    )
    + "</table>\n"
    "</body></html>"
)

# -- the session case --------
# The key signing the session cookie of the apps that have sessions.
SECRET_KEY = "kolba-bench-secret-key"

# -- the db case --------
# One row read by primary key through the ORM and rendered as JSON. The rows
# live in one SQLite file that the harness creates (apps/database.py).
DB_ROWS = 1000
DB_ITEM_ID = 42


def item_name(i: int) -> str:
    return f"item-{i:04d}"


def item_price(i: int) -> float:
    return i * 0.25  # a multiple of 1/4: exact in binary, so JSON round-trips


DB_EXPECT = {"id": DB_ITEM_ID, "name": item_name(DB_ITEM_ID), "price": 10.5}
