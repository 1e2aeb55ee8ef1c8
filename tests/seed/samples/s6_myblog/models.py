# Seed sample, from flask-overview.ko.md: "6. Flask 예시 프로젝트 > 3. models.py".
# Verbatim but for the import: flask_sqlalchemy -> kolba.ext.sqlalchemy.
# fmt: off
from kolba.ext.sqlalchemy import SQLAlchemy

db = SQLAlchemy()

class Post(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    content = db.Column(db.Text, nullable=False)
