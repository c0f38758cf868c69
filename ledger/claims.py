"""What a source can say about a rumoured move, checked where text becomes values."""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from urllib.parse import urlsplit

from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.ledger.names import first_unseen, name_key, optional_key

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://rumour-ledger.invalid/")
MAX_NAME = 200
MAX_TEXT = 10_000
MAX_URL = 2_000
# No rumour in any ledger predates this; it keeps day-by-day replays and decay finite.
EARLIEST = date(1900, 1, 1)
# Control characters other than tab and newline could repaint a terminal or break a
# store (PostgreSQL text refuses NUL), so they are refused at the door; so are unpaired
# surrogates, which no UTF-8 store can hold. Clean values, nearly all, take one scan.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_SPACE = re.compile(r"\s")  # the same characters as str.isspace


class Kind(StrEnum):
    """The kinds of entry in the ledger, named as in the interchange format."""

    REPORT = "report"
    DENIAL = "denial"
    CONFIRMATION = "confirmation"
    RETRACTION = "retraction"
    # The move is off, on the record: called off by a party, the subject renewed or signed
    # elsewhere. It ends the move as not happened, as a confirmation ends it as happened.
    COLLAPSE = "collapse"


class Role(StrEnum):
    """What the subject of a move is."""

    PLAYER = "player"
    COACH = "coach"
    EXECUTIVE = "executive"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Move:
    """A rumoured move of a person, away from a club, to a club, or both."""

    subject: str
    from_: str | None
    to: str | None
    role: Role = Role.PLAYER

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return name_key(self.subject), optional_key(self.from_), optional_key(self.to)

    @property
    def rumour_id(self) -> uuid.UUID:
        """Stable identity: the same move typed twice, in any spelling, is one rumour."""
        return _rumour_id(self.key)

    @property
    def label(self) -> str:
        return move_label(self.subject, self.from_, self.to)


@lru_cache(maxsize=1 << 16)
def _rumour_id(key: tuple[str, str | None, str | None]) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, json.dumps(["rumour", *key]))


def move_label(subject: str, from_: str | None, to: str | None) -> str:
    """How a move reads to people: 'Xabi Alonso: Bayer Leverkusen -> Real Madrid'."""
    if to is None:
        return f"{subject} leaves {from_}"
    if from_ is None:
        return f"{subject} -> {to}"
    return f"{subject}: {from_} -> {to}"


@dataclass(frozen=True, slots=True)
class Claim:
    """A report, denial or confirmation of a move by a source, on a published date."""

    kind: Kind
    move: Move
    source: str
    cites: str | None
    official: bool
    published: date
    text: str | None = None
    url: str | None = None
    # The claim this one corrects (see Amendment), if it is a correction.
    amends: uuid.UUID | None = None

    @property
    def claim_id(self) -> uuid.UUID:
        """Derived from the content, so recording the same claim twice is a no-op."""
        return claim_content_id(
            self.kind,
            self.move.rumour_id,
            self.source,
            self.cites,
            self.official,
            self.published,
            self.text,
            self.url,
            self.amends,
        )


def claim_content_id(
    kind: Kind,
    rumour_id: uuid.UUID,
    source: str,
    cites: str | None,
    official: bool,
    published: date,
    text: str | None,
    url: str | None,
    amends: uuid.UUID | None = None,
) -> uuid.UUID:
    """The id a claim's content derives: what two claims share exactly when they say the
    same thing, whatever ids they were given."""
    content = [
        kind.value,
        rumour_id.hex,
        source,
        cites,
        official,
        published.isoformat(),
        text,
        url,
    ]
    # A correction is a claim of its own even when it says what an earlier claim said (a
    # date amended, then amended back); claims that correct nothing keep the ids they had.
    if amends is not None:
        content.append(["amends", amends.hex])
    return uuid.uuid5(NAMESPACE, json.dumps(content, ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class Retraction:
    """A later entry withdrawing a wrong one by its id; the original stays on record."""

    retracts: uuid.UUID
    reason: str
    published: date

    @property
    def claim_id(self) -> uuid.UUID:
        return retraction_content_id(self.retracts, self.reason)


def retraction_content_id(retracts: uuid.UUID, reason: str) -> uuid.UUID:
    """The id a retraction's content derives (the claim withdrawn and why)."""
    content = ["retraction", retracts.hex, reason]
    return uuid.uuid5(NAMESPACE, json.dumps(content, ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class Restoration:
    """A later entry withdrawing a retraction by its id: the claim it retracted counts again
    from when this is recorded; the retraction, too, stays on record."""

    restores: uuid.UUID
    reason: str

    @property
    def claim_id(self) -> uuid.UUID:
        return restoration_content_id(self.restores, self.reason)


# The type a restoration has in the interchange format and the read models: not a Kind, as
# it is no claim and no retraction of one.
RESTORATION = "restoration"


def restoration_content_id(restores: uuid.UUID, reason: str) -> uuid.UUID:
    """The id a restoration's content derives (the retraction withdrawn and why)."""
    content = [RESTORATION, restores.hex, reason]
    return uuid.uuid5(NAMESPACE, json.dumps(content, ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class Recasting:
    """A correction of the role a rumour is shown with; its claims stay as they were."""

    move: Move
    role: Role
    reason: str


@dataclass(frozen=True, slots=True)
class Hiding:
    """A rumour left out of the lists (hidden), or put back (hidden False): for a move
    opened by mistake, once it has no live claim. Its claims and events stay on record."""

    move: Move
    hidden: bool
    reason: str


def hiding_id(rumour_id: uuid.UUID, hidden: bool, version: int) -> uuid.UUID:
    """The id a hide or unhide derives: what it does, and where it stands in its stream."""
    content = ["hide" if hidden else "unhide", rumour_id.hex, version]
    return uuid.uuid5(NAMESPACE, json.dumps(content))


def make_hiding(subject: object, from_: object, to: object, hidden: bool, reason: object) -> Hiding:
    """A hide (or unhide) from typed values: the move it names, and why."""
    return Hiding(make_move(subject, from_, to), hidden, check_required_text("reason", reason))


def recast_id(rumour_id: uuid.UUID, role: Role, version: int) -> uuid.UUID:
    """The id a recast derives: what it says, and where it stands in its rumour's stream
    (so a rumour recast back to an earlier role gets a new id)."""
    content = ["recast", rumour_id.hex, role.value, version]
    return uuid.uuid5(NAMESPACE, json.dumps(content))


def check_name(field: str, value: object) -> str:
    """A non-empty name of sane length, kept exactly as typed."""
    if not isinstance(value, str):
        raise InvalidClaim(field, f"must be text, not {type(value).__name__}")
    if not value.strip():
        raise InvalidClaim(field, "must not be empty")
    if len(value) > MAX_NAME:
        raise InvalidClaim(field, f"is longer than {MAX_NAME} characters")
    _check_no_control(field, value)
    unseen = first_unseen(value)
    if unseen is not None:
        described = f"U+{ord(unseen):04X} {unicodedata.name(unseen, '(unnamed)')}"
        raise InvalidClaim(
            field, f"contains an invisible or direction-changing character, {described}"
        )
    if not name_key(value):  # e.g. a lone combining accent: nothing would tell it apart
        raise InvalidClaim(field, "has no letters, digits or symbols once accents are folded")
    return value


def check_optional_name(field: str, value: object) -> str | None:
    return None if value is None else check_name(field, value)


def check_text(field: str, value: object, limit: int = MAX_TEXT) -> str | None:
    """Free text: optional, bounded, no control characters but tab and newline."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidClaim(field, f"must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise InvalidClaim(field, f"is longer than {limit} characters")
    _check_no_control(field, value)
    return value


def check_required_text(field: str, value: object) -> str:
    text = check_text(field, value)
    if text is None or not text.strip():
        raise InvalidClaim(field, "must not be empty")
    return text


def _check_no_control(field: str, value: str) -> None:
    if _UNSAFE.search(value) is None:
        return
    found = _CONTROL.search(value)
    if found:
        raise InvalidClaim(field, f"contains control character {found.group()!r}")
    raise InvalidClaim(field, "contains an unpaired surrogate (not valid UTF-8)")


def check_date(field: str, value: object, today: date) -> date:
    """A real calendar day in ISO form, not after today."""
    if isinstance(value, datetime) or not isinstance(value, str | date):
        raise InvalidClaim(field, "must be a date written YYYY-MM-DD")
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise InvalidClaim(field, f"{value!r} is not a date written YYYY-MM-DD")
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise InvalidClaim(field, f"{value!r} is not a real calendar date") from None
    if value > today:
        raise InvalidClaim(field, f"{value.isoformat()} is in the future")
    if value < EARLIEST:
        raise InvalidClaim(field, f"{value.isoformat()} is before {EARLIEST.year}")
    return value


def check_url(field: str, value: object) -> str | None:
    """An http(s) address with a host, or nothing."""
    url = check_text(field, value, MAX_URL)
    if url is None:
        return None
    if _SPACE.search(url):
        raise InvalidClaim(field, "must not contain spaces")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidClaim(field, f"{url!r} is not an http(s) URL")
    return url


def check_role(value: object) -> Role:
    try:
        return Role(value if value is not None else Role.PLAYER)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidClaim("role", f"{value!r} is not one of {allowed}") from None


def check_bool(field: str, value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InvalidClaim(field, "must be true or false")
    return value


def make_move(subject: object, from_: object, to: object, role: object = None) -> Move:
    """A move from typed values; at least one of from and to is required."""
    move = Move(
        subject=check_name("subject", subject),
        from_=check_optional_name("from", from_),
        to=check_optional_name("to", to),
        role=check_role(role),
    )
    if move.from_ is None and move.to is None:
        raise InvalidClaim("to", "a move needs a club to leave (from) or to join (to)")
    if move.from_ is not None and move.key[1] == move.key[2]:
        raise InvalidClaim("to", "a move cannot go to the club it leaves")
    return move


def make_claim(
    kind: Kind,
    move: Move,
    *,
    source: object,
    cites: object = None,
    official: object = False,
    published: object,
    text: object = None,
    url: object = None,
    today: date,
    amends: object = None,
) -> Claim:
    """A claim from typed values; a confirmation is official by nature."""
    if kind is Kind.RETRACTION:
        raise InvalidClaim("type", "a retraction is not a claim about a move")
    source = check_name("source", source)
    cites = check_optional_name("cites", cites)
    if cites is not None and name_key(cites) == name_key(source):
        raise InvalidClaim("cites", "a source cannot relay itself")
    return Claim(
        kind=kind,
        move=move,
        source=source,
        cites=cites,
        official=check_bool("official", official) or kind is Kind.CONFIRMATION,
        published=check_date("date", published, today),
        text=check_text("claim", text),
        url=check_url("url", url),
        amends=None if amends is None else check_event_id("amends", amends),
    )


def make_retraction(retracts: object, reason: object, published: object, today: date) -> Retraction:
    return Retraction(
        retracts=check_event_id("retracts", retracts),
        reason=check_required_text("reason", reason),
        published=check_date("date", published, today),
    )


def make_restoration(restores: object, reason: object) -> Restoration:
    return Restoration(
        restores=check_event_id("restores", restores),
        reason=check_required_text("reason", reason),
    )


def check_event_id(field: str, value: object) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        raise InvalidClaim(field, "must be an event id")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidClaim(field, f"{value!r} is not an event id") from None


def make_recasting(
    subject: object, from_: object, to: object, role: object, reason: object
) -> Recasting:
    """A recast from typed values: the move it corrects, the role it should have, and why."""
    if role is None:
        raise InvalidClaim("role", "must be given: the role the rumour should have")
    move = make_move(subject, from_, to)
    return Recasting(move, check_role(role), check_required_text("reason", reason))


@dataclass(frozen=True, slots=True)
class Amendment:
    """A correction of a claim: its retraction and the corrected claim, stored together.

    The corrected claim names the claim it amends, so the pair stays linked in the record,
    in exports and in every later import."""

    retraction: Retraction
    claim: Claim


# What an amendment may change, as make_claim's parameters; "" clears an optional one.
AMENDABLE = ("from", "to", "role", "source", "cites", "official", "date", "claim", "url")
_CLEARABLE = frozenset({"from", "to", "cites", "claim", "url"})


def make_amendment(
    old: Claim,
    old_id: uuid.UUID,
    changes: dict[str, object],
    reason: object,
    published: object,
    today: date,
) -> Amendment:
    """The retraction of `old` (stored as old_id) and the claim it should have been: every
    field the changes leave out (None) is copied, "" clears an optional one, and each
    field is checked as for a new claim. A change that changes nothing is refused."""
    unknown = sorted(set(changes) - set(AMENDABLE))
    if unknown:
        raise InvalidClaim(unknown[0], "cannot be amended")
    given = {k: v for k, v in changes.items() if v is not None}
    for name, value in given.items():
        if value == "" and name not in _CLEARABLE:
            raise InvalidClaim(name, "must not be empty")
    was: dict[str, object] = {
        "from": old.move.from_,
        "to": old.move.to,
        "role": old.move.role.value,
        "source": old.source,
        "cites": old.cites,
        "official": old.official,
        "date": old.published,
        "claim": old.text,
        "url": old.url,
    }
    now = {**was, **{k: (None if v == "" else v) for k, v in given.items()}}
    move = make_move(old.move.subject, now["from"], now["to"], now["role"])
    corrected = make_claim(
        old.kind,
        move,
        source=now["source"],
        cites=now["cites"],
        official=now["official"],
        published=now["date"],
        text=now["claim"],
        url=now["url"],
        today=today,
        amends=old_id,
    )
    if _said(corrected) == _said(old):
        raise InvalidClaim("amend", "nothing to change: every field given is as recorded")
    retraction = make_retraction(old_id, reason, published, today)
    return Amendment(retraction, corrected)


def _said(claim: Claim) -> tuple[object, ...]:
    """What a claim says, its link to what it amends left aside."""
    move = claim.move
    return (
        move.key,
        move.role,
        claim.source,
        claim.cites,
        claim.official,
        claim.published,
        claim.text,
        claim.url,
    )
