# Seed sample, from flask-overview.ko.md: "1. Flask 개요 > WSGI란 무엇인가? >
# Flask와 WSGI". Named app.py because the next sample serves it as app:app.
# Verbatim but for the import: flask -> kolba, Flask -> Kolba.
# fmt: off
from kolba import Kolba

app = Kolba(__name__)

@app.route('/')
def hello():
    return 'Hello, World!'

if __name__ == '__main__':
    app.run()
