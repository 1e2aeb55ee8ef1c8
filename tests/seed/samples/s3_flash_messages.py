# Seed sample, from flask-overview.ko.md: "3. Flask의 주요 기능 > 플래시 메시지".
# A fragment on s2_application_object.py's `app`. It redirects to an `index`
# endpoint the document defines only in the blog (section 6): the test adds one.
# Verbatim but for the import: flask -> kolba.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba import flash, redirect, url_for
@app.route('/flash')
def flash_message():
    flash('This is a flash message!')
    return redirect(url_for('index'))
