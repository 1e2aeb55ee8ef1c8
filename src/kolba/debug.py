"""The debug traceback page: what went wrong, shown in the browser.

:class:`DebugTraceback` is WSGI middleware the development server puts around
the app when debug mode is on (``kolba run --debug``). When a view raises, it
answers 500 with an HTML page: the exception, then every frame of the
traceback (file, line, function and the source lines around it), chained
exceptions included.

It is read-only on purpose. Werkzeug's debugger, which Flask uses, offers an
interactive Python console in the page, guarded by a PIN; a leaked or guessed
PIN is remote code execution. This page has no console, no form and no
script, and is sent with a Content-Security-Policy that forbids scripts, so
even a bug in its escaping could not run code in the browser. It still shows
source code and error messages: never enable it on a server others can reach.
Without debug mode the app answers its plain 500 page and this module is not
involved.
"""

from __future__ import annotations

import html
import linecache
import os
import sys
import sysconfig
import traceback
import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    from .typing import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["DebugTraceback", "render_traceback"]

_CONTEXT_LINES = 3

_STYLE = """
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #222; }
header { background: #8b1a1a; color: #fff; padding: 1em 1.5em; }
header h1 { margin: 0; font-size: 1.3em; }
header p { margin: .4em 0 0; font-family: ui-monospace, monospace; white-space:
  pre-wrap; }
main { padding: 0 1.5em 2em; }
.frame { border: 1px solid #ddd; border-radius: 4px; margin: .6em 0; }
.frame h3 { margin: 0; padding: .3em .6em; background: #f4f4f4; font-size: .9em;
  font-weight: normal; font-family: ui-monospace, monospace; }
.frame.library h3 { color: #777; }
.frame pre { margin: 0; padding: .3em .6em; overflow-x: auto; }
.frame .current { background: #ffe9a8; display: block; }
.chain { margin-top: 1.5em; font-style: italic; }
details pre { background: #f8f8f8; padding: .6em; overflow-x: auto; }
footer { color: #666; font-size: .85em; margin-top: 2em; }
"""


def _library_prefixes() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    prefixes = {
        os.path.realpath(paths[key])
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if key in paths
    }
    prefixes.add(os.path.dirname(os.path.realpath(__file__)))
    return tuple(prefix + os.sep for prefix in prefixes)


def _render_frame(frame: traceback.FrameSummary, library: tuple[str, ...]) -> str:
    filename = frame.filename
    lineno = frame.lineno or 0
    is_library = os.path.realpath(filename).startswith(library)
    source = []
    for number in range(max(lineno - _CONTEXT_LINES, 1), lineno + _CONTEXT_LINES + 1):
        line = linecache.getline(filename, number)
        if not line:
            continue
        text = f"{number:>5}  {html.escape(line.rstrip())}"
        if number == lineno:
            text = f'<span class="current">{text}</span>'
        source.append(text)
    code = "\n".join(source) or html.escape(frame.line or "(source unavailable)")
    kind = "library" if is_library else "app"
    return (
        f'<div class="frame {kind}"><h3>File "{html.escape(filename)}", line '
        f"{lineno}, in <b>{html.escape(frame.name)}</b></h3>"
        f"<pre>{code}</pre></div>"
    )


def _chain(exc: BaseException) -> list[tuple[BaseException, str]]:
    # Oldest first, as Python prints them; each with the sentence that links
    # it to the next one.
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            link = "The above exception was the direct cause of the following one."
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            link = "During handling of the above exception, another one occurred."
            current = current.__context__
        else:
            current = None
    chain.reverse()
    # Move each link sentence onto the exception after it.
    links = [link for _, link in chain]
    return [(error, links[i - 1] if i else "") for i, (error, _) in enumerate(chain)]


def render_traceback(exc: BaseException) -> str:
    """Render ``exc`` and its traceback as an HTML page (all text escaped).

    :param exc: the exception, with its ``__traceback__``.
    :return: a complete HTML document.
    """
    library = _library_prefixes()
    title = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if type(exc).__module__ == "builtins":
        title = type(exc).__qualname__
    parts = []
    for error, link in _chain(exc):
        if link:
            parts.append(f'<p class="chain">{html.escape(link)}</p>')
        name = type(error).__qualname__
        parts.append(
            f"<h2>{html.escape(name)}: {html.escape(str(error))}</h2>"
            if str(error)
            else f"<h2>{html.escape(name)}</h2>"
        )
        for frame in traceback.extract_tb(error.__traceback__):
            parts.append(_render_frame(frame, library))
    plain = "".join(traceback.format_exception(exc))
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)} // Kolba debug</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(str(exc))}</p></header><main>"
        "<p>Most recent call last. Frames from your code are in black; "
        "library frames are grey.</p>"
        + "".join(parts)
        + "<details><summary>Plain-text traceback</summary>"
        f"<pre>{html.escape(plain)}</pre></details>"
        "<footer>This page is shown because debug mode is on. Turn it off "
        "(no <code>--debug</code>) anywhere others can reach the "
        "server.</footer></main></body></html>\n"
    )


class DebugTraceback:
    """WSGI middleware that shows unhandled exceptions as a traceback page.

    Kolba re-raises unhandled exceptions in debug mode (``PROPAGATE_EXCEPTIONS``
    unset), which is what lets this middleware see them. If the response had
    already started (a streamed body), the page cannot be sent: the error is
    re-raised so the server logs it and cuts the connection, which tells the
    client the response is incomplete.

    :param app: the WSGI application to wrap.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterator[bytes]:
        body_started = False
        app_iter: t.Iterable[bytes] | None = None
        try:
            app_iter = self.app(environ, start_response)
            for chunk in app_iter:
                if chunk:
                    body_started = True
                yield chunk
        except Exception as exc:
            if body_started:
                raise
            errors = environ.get("wsgi.errors") or sys.stderr
            errors.write(
                "Unhandled exception, shown on the debug page:\n"
                + "".join(traceback.format_exception(exc))
            )
            page = render_traceback(exc).encode("utf-8")
            start_response(
                "500 INTERNAL SERVER ERROR",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(page))),
                    # SECURITY: defence in depth; the page has no script.
                    (
                        "Content-Security-Policy",
                        "default-src 'none'; style-src 'unsafe-inline'",
                    ),
                    ("X-Content-Type-Options", "nosniff"),
                    ("Cache-Control", "no-store"),
                ],
                sys.exc_info(),
            )
            yield page
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
