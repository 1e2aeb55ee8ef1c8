# Seed sample, from flask-overview.ko.md: "4. Flask의 고급 기능 >
# Flask-SQLAlchemy". A fragment on s2_application_object.py's `app`; note the
# module-level db.create_all() with no app context pushed.
# Verbatim but for the import: flask_sqlalchemy -> kolba.ext.sqlalchemy.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba.ext.sqlalchemy import SQLAlchemy
app.config['SQLALCHEMY_DATABASE_URI'] = 'sqlite:///example.db'
db = SQLAlchemy(app)

class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)

db.create_all()
