# Seed sample, from flask-overview.ko.md: "4. Flask의 고급 기능 > Blueprints".
# A fragment on s2_application_object.py's `app`.
# Verbatim but for the import: flask -> kolba.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba import Blueprint
bp = Blueprint('bp', __name__)

@bp.route('/bp_route')
def bp_route():
    return 'This is a blueprint route'

app.register_blueprint(bp)
