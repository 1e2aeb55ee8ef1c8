"""Containers for HTTP data: multi-value dicts, headers, uploads, accept lists.

The behaviour follows Werkzeug's classes of the same names, because Flask users
call their methods directly (``request.args.get("page", type=int)``). One module
per concept: :mod:`.multidict`, :mod:`.headers`, :mod:`.files`, :mod:`.accept`,
:mod:`.auth`, :mod:`.ranges`, :mod:`.useragent`; import from this package.
"""

from .accept import Accept as Accept
from .accept import CharsetAccept as CharsetAccept
from .accept import LanguageAccept as LanguageAccept
from .accept import MIMEAccept as MIMEAccept
from .auth import Authorization as Authorization
from .auth import WWWAuthenticate as WWWAuthenticate
from .files import FileStorage as FileStorage
from .headers import EnvironHeaders as EnvironHeaders
from .headers import Headers as Headers
from .multidict import CombinedMultiDict as CombinedMultiDict
from .multidict import ImmutableMultiDict as ImmutableMultiDict
from .multidict import MultiDict as MultiDict
from .ranges import ContentRange as ContentRange
from .ranges import ETags as ETags
from .ranges import IfRange as IfRange
from .ranges import Range as Range
from .useragent import UserAgent as UserAgent

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
