"""Kolba's example blog: the design document's ``myblog`` done properly.

``examples.blog.app:app`` is the WSGI entry; ``create_app()`` builds one.
"""
