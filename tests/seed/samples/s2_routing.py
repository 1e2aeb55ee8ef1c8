# Seed sample, from flask-overview.ko.md: "2. Flask 기본 구성 요소 > 라우팅".
# A fragment: `app` is s2_application_object.py's (the test runs the two as one
# program, in the document's order). Verbatim.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
@app.route('/')
def hello_world():
    return 'Hello, World!'
