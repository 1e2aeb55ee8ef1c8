# Seed sample, from flask-overview.ko.md: "3. Flask의 주요 기능 > 폼 처리".
# A fragment on s2_application_object.py's `app`.
# Verbatim but for the import: flask -> kolba.
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba import request
@app.route('/submit', methods=['POST'])
def submit():
    data = request.form['data']
    return f'You submitted: {data}'
