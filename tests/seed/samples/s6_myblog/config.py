# Seed sample, from flask-overview.ko.md: "6. Flask 예시 프로젝트 > 4. config.py".
# Verbatim (no import to change). The hard-coded SECRET_KEY is the document's.
# ruff: noqa: I001 -- the document's code, kept as written
# fmt: off
import os
basedir = os.path.abspath(os.path.dirname(__file__))

SQLALCHEMY_DATABASE_URI = 'sqlite:///' + os.path.join(basedir, 'app.db')
SQLALCHEMY_TRACK_MODIFICATIONS = False
SECRET_KEY = 'supersecretkey'
