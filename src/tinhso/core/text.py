"""Vietnamese text helpers: diacritic- and case-insensitive folding for search."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics: "Giấy phép Đăng ký" → "giay phep dang ky".

    ``đ``/``Đ`` is a letter of its own, not a letter with a combining mark, so it is mapped explicitly.
    Runs of white space collapse to one space.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()


def search_terms(query: str) -> list[str]:
    """The folded words of a search query, without empty strings."""
    return [w for w in fold(query).split(" ") if w]
