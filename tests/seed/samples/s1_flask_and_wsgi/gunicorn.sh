# Seed sample, from flask-overview.ko.md: "1. Flask 개요 > WSGI란 무엇인가? >
# Flask와 WSGI": serve app.py's app with Gunicorn. Verbatim. (Gunicorn is not a
# dependency: the test checks the same "app:app" through kolba.cli.load_app.)
gunicorn app:app
