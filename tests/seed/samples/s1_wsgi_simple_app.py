# Seed sample, from flask-overview.ko.md: "1. Flask 개요 > WSGI란 무엇인가? >
# WSGI의 동작 방식" (the plain PEP 3333 callable). Verbatim: no import to change.
# fmt: off
def simple_app(environ, start_response):
    status = '200 OK'
    headers = [('Content-type', 'text/plain')]
    start_response(status, headers)
    return [b"Hello, World!"]
