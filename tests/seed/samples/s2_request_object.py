# Seed sample, from flask-overview.ko.md: "2. Flask 기본 구성 요소 > 요청 객체".
# A fragment on s2_application_object.py's `app`.
# Verbatim but for the import: flask -> kolba.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba import request
@app.route('/login', methods=['POST'])
def login():
    username = request.form['username']
    return f'Hello, {username}!'
