# Seed sample, from flask-overview.ko.md: "2. Flask 기본 구성 요소 > 애플리케이션
# 객체". The app the fragments of sections 2 to 4 register on.
# Verbatim but for the import: flask -> kolba, Flask -> Kolba.
# ruff: noqa: I001 -- the document's code, kept as written
# fmt: off
from kolba import Kolba
app = Kolba(__name__)
