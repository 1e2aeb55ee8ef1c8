# Seed sample, from flask-overview.ko.md: "2. Flask 기본 구성 요소 > 템플릿".
# A fragment on s2_application_object.py's `app`; the document does not give
# hello.html (the test writes one). Verbatim but for the import: flask -> kolba.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba import render_template
@app.route('/hello/<name>')
def hello(name):
    return render_template('hello.html', name=name)
