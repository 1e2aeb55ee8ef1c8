from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kolba.utils import safe_join, secure_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My cool movie.mov", "My_cool_movie.mov"),
        ("../../../etc/passwd", "etc_passwd"),
        ("i contain cool \xfcml\xe4uts.txt", "i_contain_cool_umlauts.txt"),
        ("C:\\Windows\\system32\\cmd.exe", "C_Windows_system32_cmd.exe"),
        ("..", ""),
        ("../..", ""),
        ("文件", ""),
        ("__init__.py", "init__.py"),
        (".bashrc", "bashrc"),
        ("a\x00b\n.txt", "ab_.txt"),
        ("trailing_.", "trailing"),
        ("con", "_con"),
        ("NUL.txt", "_NUL.txt"),
        ("COM1.log", "_COM1.log"),
        ("lpt9", "_lpt9"),
        ("console.txt", "console.txt"),
        ("foo$bar.txt", "foobar.txt"),
        ("  spaced  out  ", "spaced_out"),
    ],
)
def test_secure_filename(name: str, expected: str) -> None:
    assert secure_filename(name) == expected


@given(st.text(max_size=50))
def test_secure_filename_is_always_safe(name: str) -> None:
    result = secure_filename(name)
    assert result.isascii()
    assert "/" not in result and "\\" not in result
    assert not result.startswith(".")
    assert result not in (".", "..")


@given(st.text(max_size=50))
def test_secure_filename_never_escapes(name: str) -> None:
    result = secure_filename(name)
    if result:
        joined = os.path.normpath(os.path.join("/base", result))
        assert os.path.dirname(joined) == "/base"


def test_safe_join_allows_nested_paths() -> None:
    assert safe_join("/srv/static", "css", "site.css") == "/srv/static/css/site.css"
    assert safe_join("/srv/static", "a/./b") == "/srv/static/a/b"
    assert safe_join("/srv/static", "") == "/srv/static"
    assert safe_join("/srv/static", "a/b/../c") is None


@pytest.mark.parametrize(
    "untrusted",
    [
        "..",
        "../secret",
        "a/../../secret",
        "/etc/passwd",
        "//etc/passwd",
        "..\\secret",
        "a\\b",
        "C:secret",
        "c:/windows",
        "a\x00b",
    ],
)
def test_safe_join_refuses_escapes(untrusted: str) -> None:
    assert safe_join("/srv/static", untrusted) is None


def test_safe_join_checks_every_segment() -> None:
    assert safe_join("/srv", "ok", "../../x") is None
    assert safe_join("/srv", "ok", "/abs") is None


@given(st.lists(st.text(max_size=10), max_size=4))
def test_safe_join_result_stays_inside(parts: list[str]) -> None:
    result = safe_join("/srv/base", *parts)
    if result is not None:
        normalized = os.path.normpath(result)
        assert normalized == "/srv/base" or normalized.startswith("/srv/base/")


def test_safe_join_agrees_with_werkzeug_on_refusals() -> None:
    from werkzeug.security import safe_join as wsafe_join

    # Kolba also refuses backslashes on POSIX, where Werkzeug allows them.
    for untrusted in ["..", "../x", "/etc", "a/../../b", "ok/file.txt"]:
        ours = safe_join("/srv", untrusted)
        theirs = wsafe_join("/srv", untrusted)
        assert (ours is None) == (theirs is None), untrusted
