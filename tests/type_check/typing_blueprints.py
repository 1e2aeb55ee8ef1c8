"""Checked by mypy only (never collected by pytest): blueprint decorators and
class-based views keep the types of what they wrap."""

from __future__ import annotations

import typing as t

from kolba import Blueprint, Kolba, Response
from kolba.blueprints import BlueprintSetupState
from kolba.typing import RouteCallable
from kolba.views import MethodView, View

bp = Blueprint("bp", __name__, url_prefix="/bp")


@bp.route("/")
def index() -> str:
    return "index"


t.assert_type(index, t.Callable[[], str])


@bp.before_app_request
def before_app() -> None:
    return None


t.assert_type(before_app, t.Callable[[], None])


@bp.after_app_request
def after_app(response: Response) -> Response:
    return response


t.assert_type(after_app(Response()), Response)


@bp.app_errorhandler(404)
def missing(error: Exception) -> tuple[str, int]:
    return "missing", 404


t.assert_type(missing(ValueError()), tuple[str, int])


@bp.app_template_filter("shout")
def shout(value: str) -> str:
    return value.upper()


t.assert_type(shout("x"), str)


@bp.app_context_processor
def inject() -> dict[str, t.Any]:
    return {}


t.assert_type(inject, t.Callable[[], dict[str, t.Any]])


def on_register(state: BlueprintSetupState) -> None:
    state.add_url_rule("/extra", view_func=index)


bp.record(on_register)


class Items(MethodView):
    def get(self) -> str:
        return "items"


class Hello(View):
    def dispatch_request(self) -> str:
        return "hello"


items_view: RouteCallable = Items.as_view("items")
bp.add_url_rule("/items", view_func=items_view)
bp.add_url_rule("/hello", view_func=Hello.as_view("hello"))

app = Kolba(__name__)
app.register_blueprint(bp, url_prefix="/other", name="other")
for registered in app.iter_blueprints():
    t.assert_type(registered, Blueprint)
