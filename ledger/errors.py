"""The errors the ledger raises: one small hierarchy the CLI turns into messages."""


class LedgerError(Exception):
    """Anything the user can fix: bad input, an unknown name, an unusable store."""


class InvalidClaim(LedgerError):
    """A claim breaks a rule of the domain (a bad date, an empty name, ...)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class UnknownRumour(LedgerError):
    """No rumour matches what the user typed."""

    def __init__(self, query: str, suggestions: list[str] | None = None) -> None:
        message = f"no rumour matches {query!r}"
        if suggestions:
            message += "; did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
        super().__init__(message)
        self.query = query
        self.suggestions = suggestions or []


class AmbiguousRumour(LedgerError):
    """Several rumours match what the user typed."""

    def __init__(self, query: str, candidates: list[str]) -> None:
        shown = ", ".join(repr(c) for c in candidates[:5])
        super().__init__(f"{query!r} matches several rumours: {shown}")
        self.candidates = candidates


class AmbiguousMove(AmbiguousRumour):
    """A claim without a from club fits several stored rumours: it must say which."""

    def __init__(self, label: str, candidates: list[str]) -> None:
        super().__init__(label, candidates)
        shown = ", ".join(repr(c) for c in candidates[:5])
        self.args = (f"{label!r} matches several rumours: {shown}; give --from to say which",)


class UnknownName(LedgerError):
    """A name the ledger does not know (a source, a club, a person, an alias)."""


class UnknownEvent(LedgerError):
    """A retraction names an event id that the ledger does not hold."""


class AlreadyRetracted(LedgerError):
    """A retraction names an event that was retracted before."""


class AlreadyRestored(LedgerError):
    """A restoration names a retraction that was withdrawn before."""


class ReusedId(LedgerError):
    """An event id already names another claim or retraction: one id, one entry, ever."""

    def __init__(self, claim_id: object, first_use: str = "in the ledger") -> None:
        super().__init__(f"id {claim_id} is already used by another entry ({first_use})")
        self.claim_id = claim_id


class ImportFailed(LedgerError):
    """A line of an interchange file is wrong; nothing of the file was stored."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file = file
        self.line = line


class StoreError(LedgerError):
    """The database cannot be used as a ledger (unreachable, not a ledger, read-only)."""


class LedgerBusy(StoreError):
    """Another writer held the ledger's lock for longer than we wait."""


class DamagedEvent(StoreError):
    """A stored event cannot be decoded: its bytes were changed outside the ledger."""

    def __init__(self, stream: str, version: int, problem: str) -> None:
        super().__init__(
            f"stored event {stream[:8]} version {version} cannot be read ({problem}); "
            "`rumour verify` names every damaged event"
        )
        self.stream = stream
        self.version = version
