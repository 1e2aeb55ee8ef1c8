# Seed sample, from flask-overview.ko.md: "3. Flask의 주요 기능 > 리다이렉션".
# A fragment on s2_application_object.py's `app`; it builds the URL of
# s2_templates.py's `hello` view. Verbatim but for the import: flask -> kolba.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba import redirect, url_for
@app.route('/redirect_example')
def redirect_example():
    return redirect(url_for('hello', name='Redirected'))
