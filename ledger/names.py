"""Normalised keys for human-typed names, so "Mbappé" and "mbappe " are one name; and which
characters a name may not hold because nobody can see them."""

import unicodedata
from functools import lru_cache

# Letters that Unicode does not decompose into a base letter plus an accent.
_FOLDS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ı": "i",
    }
)


# Format controls (zero-width space U+200B, byte-order mark U+FEFF, the bidi overrides such
# as U+202E that reverse a table row), private-use code points and the Unicode line and
# paragraph separators: invisible, or they move other text around. Kept: the joiners and
# direction marks that spell words right in Persian, Indic scripts and emoji sequences.
_UNSEEN_CATEGORIES = frozenset({"Cf", "Co", "Zl", "Zp"})
_KEPT_FORMAT = frozenset("\u200c\u200d\u200e\u200f")


def is_unseen(char: str) -> bool:
    """True for one character a name may not hold: invisible or direction-changing."""
    return char not in _KEPT_FORMAT and unicodedata.category(char) in _UNSEEN_CATEGORIES


def first_unseen(text: str) -> str | None:
    """The first invisible or direction-changing character of the text, if any."""
    if text.isascii():
        return None  # nearly every name: ASCII has none
    return next((char for char in text if is_unseen(char)), None)


@lru_cache(maxsize=1 << 16)  # the same clubs and outlets recur on almost every line
def name_key(name: str) -> str:
    """Fold case, accents and spacing: the key two spellings of one name share."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLDS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def optional_key(name: str | None) -> str | None:
    """The key of a name that may be absent."""
    return None if name is None else name_key(name)
