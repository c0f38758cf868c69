"""Normalised keys for human-typed names, so "Mbappé" and "mbappe " are one name."""

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


@lru_cache(maxsize=1 << 16)  # the same clubs and outlets recur on almost every line
def name_key(name: str) -> str:
    """Fold case, accents and spacing: the key two spellings of one name share."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLDS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def optional_key(name: str | None) -> str | None:
    """The key of a name that may be absent."""
    return None if name is None else name_key(name)
