"""Post bodies: Markdown to safe HTML.

markdown-it-py renders CommonMark with raw HTML turned off (``<script>`` in a
body comes out as text), then nh3 (the Rust ``ammonia`` sanitizer) keeps only
an allow-list of tags and attributes, only http(s)/mailto URLs, and gives
every link ``rel="nofollow noopener"``.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_md.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody",
    "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str) -> Markup:
    """The HTML of a Markdown ``text``, safe to put in a page."""
    html = _md.render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        filter_style_properties={"text-align"},
    )
    return Markup(cleaned)  # noqa: S704 - sanitized by nh3 just above
