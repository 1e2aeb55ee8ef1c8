"""Form validation: plain functions returning the cleaned values and errors.

Each ``validate_*`` returns ``(values, errors)``: ``values`` are what the
user typed (stripped where that is safe), to re-show in the form;
``errors`` maps a field name to its message. No errors means valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TITLE_MAX = 120
BODY_MAX = 20000
USERNAME_MIN, USERNAME_MAX = 3, 32
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # hashing a megabyte of "password" is a denial of service

_USERNAME = re.compile(r"[A-Za-z0-9_-]+")

Values = dict[str, str]
Errors = dict[str, str]


def _get(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def validate_post(form: Mapping[str, str]) -> tuple[Values, Errors]:
    """A post's ``title`` (1-120 characters) and ``body`` (1-20000)."""
    values = {"title": _get(form, "title").strip(), "body": _get(form, "body")}
    errors: Errors = {}
    if not values["title"]:
        errors["title"] = "Enter a title."
    elif len(values["title"]) > TITLE_MAX:
        errors["title"] = f"The title can be at most {TITLE_MAX} characters long."
    if not values["body"].strip():
        errors["body"] = "Write something in the body."
    elif len(values["body"]) > BODY_MAX:
        errors["body"] = f"The body can be at most {BODY_MAX} characters long."
    return values, errors


def validate_username(username: str) -> str | None:
    """The error message for a new username, or ``None``."""
    if not USERNAME_MIN <= len(username) <= USERNAME_MAX:
        return f"Usernames are {USERNAME_MIN} to {USERNAME_MAX} characters long."
    if not _USERNAME.fullmatch(username):
        return "Use only letters, digits, '_' and '-'."
    return None


def validate_register(form: Mapping[str, str]) -> tuple[Values, Errors]:
    """``username``, ``password`` and its ``confirm``ation (not re-shown)."""
    username = _get(form, "username").strip()
    password = _get(form, "password")
    confirm = _get(form, "confirm")
    errors: Errors = {}
    message = validate_username(username)
    if message:
        errors["username"] = message
    if len(password) < PASSWORD_MIN:
        errors["password"] = f"Use at least {PASSWORD_MIN} characters."
    elif len(password) > PASSWORD_MAX:
        errors["password"] = f"Use at most {PASSWORD_MAX} characters."
    elif confirm != password:
        errors["confirm"] = "The passwords do not match."
    return {"username": username, "password": password}, errors


def validate_login(form: Mapping[str, str]) -> tuple[Values, Errors]:
    """``username`` and ``password``, both required."""
    values = {
        "username": _get(form, "username").strip(),
        "password": _get(form, "password"),
    }
    errors: Errors = {}
    if not values["username"]:
        errors["username"] = "Enter your username."
    if not values["password"]:
        errors["password"] = "Enter your password."
    elif len(values["password"]) > PASSWORD_MAX:
        errors["password"] = f"Passwords are at most {PASSWORD_MAX} characters."
    return values, errors
