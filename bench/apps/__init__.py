"""One benchmark app per framework; every module exposes ``make_app(n_routes=100)``.

All apps serve the same route table, described framework-neutrally in ``spec.py``.
"""
