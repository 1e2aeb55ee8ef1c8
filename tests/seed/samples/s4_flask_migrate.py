# Seed sample, from flask-overview.ko.md: "4. Flask의 고급 기능 > Flask-Migrate".
# A fragment on the `app` and `db` of s2_application_object.py and
# s4_flask_sqlalchemy.py. Verbatim but for the import:
# flask_migrate -> kolba.ext.migrate.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba.ext.migrate import Migrate
migrate = Migrate(app, db)
