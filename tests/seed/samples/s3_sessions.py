# Seed sample, from flask-overview.ko.md: "3. Flask의 주요 기능 > 세션".
# A fragment on s2_application_object.py's `app` (which needs a secret key the
# document does not set: the test sets one). Verbatim but for the import.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba import session
@app.route('/set_session')
def set_session():
    session['key'] = 'value'
    return 'Session set!'
