"""Public home of Kolba's data structures (``from kolba.datastructures import …``).

They live in :mod:`kolba.sansio.datastructures`; see there for details.
"""

from __future__ import annotations

from .sansio.datastructures import Accept as Accept
from .sansio.datastructures import Authorization as Authorization
from .sansio.datastructures import CharsetAccept as CharsetAccept
from .sansio.datastructures import CombinedMultiDict as CombinedMultiDict
from .sansio.datastructures import ContentRange as ContentRange
from .sansio.datastructures import EnvironHeaders as EnvironHeaders
from .sansio.datastructures import ETags as ETags
from .sansio.datastructures import FileStorage as FileStorage
from .sansio.datastructures import Headers as Headers
from .sansio.datastructures import IfRange as IfRange
from .sansio.datastructures import ImmutableMultiDict as ImmutableMultiDict
from .sansio.datastructures import LanguageAccept as LanguageAccept
from .sansio.datastructures import MIMEAccept as MIMEAccept
from .sansio.datastructures import MultiDict as MultiDict
from .sansio.datastructures import Range as Range
from .sansio.datastructures import UserAgent as UserAgent
from .sansio.datastructures import WWWAuthenticate as WWWAuthenticate

__all__ = [
    "Accept",
    "Authorization",
    "CharsetAccept",
    "CombinedMultiDict",
    "ContentRange",
    "ETags",
    "EnvironHeaders",
    "FileStorage",
    "Headers",
    "IfRange",
    "ImmutableMultiDict",
    "LanguageAccept",
    "MIMEAccept",
    "MultiDict",
    "Range",
    "UserAgent",
    "WWWAuthenticate",
]
