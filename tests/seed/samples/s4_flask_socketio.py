# Seed sample, from flask-overview.ko.md: "4. Flask의 고급 기능 > Flask-SocketIO".
# A fragment on s2_application_object.py's `app`. The document's block starts
# with a stray "코드 복사" ("copy code", pasted from a web page), which is not
# Python and is left out. Verbatim but for the import:
# flask_socketio -> kolba.ext.socketio (a later issue).
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba.ext.socketio import SocketIO
socketio = SocketIO(app)

@socketio.on('message')
def handle_message(message):
    print(f'received message: {message}')
