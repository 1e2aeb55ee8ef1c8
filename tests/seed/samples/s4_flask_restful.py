# Seed sample, from flask-overview.ko.md: "4. Flask의 고급 기능 > Flask-RESTful".
# A fragment on s2_application_object.py's `app`. Verbatim but for the import:
# flask_restful -> kolba.ext.restful (a later issue).
# ruff: noqa: F821, I001 -- the document's code, kept as written
# fmt: off
from kolba.ext.restful import Api, Resource

api = Api(app)

class HelloWorld(Resource):
    def get(self):
        return {'hello': 'world'}

api.add_resource(HelloWorld, '/')
