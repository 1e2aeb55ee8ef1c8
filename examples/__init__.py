"""Example applications built on Kolba (``examples.blog.app:app``)."""
