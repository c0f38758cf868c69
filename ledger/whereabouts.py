"""Which rumour holds each claim an import has applied, and on which line it came: for a later
line's retraction, and to refuse a later line that reuses the id."""

from __future__ import annotations

import uuid
from array import array
from bisect import bisect_left

_LOW = (1 << 64) - 1


def _halves(value: int) -> tuple[int, int]:
    return value >> 64, value & _LOW


class Block:
    """Claims and their rumours, sorted by claim id, each id as two 64-bit halves."""

    __slots__ = ("claim_high", "claim_low", "lines", "rumour_high", "rumour_low")

    def __init__(self, pairs: dict[int, tuple[uuid.UUID, int]]) -> None:
        self.claim_high, self.claim_low = array("Q"), array("Q")
        self.rumour_high, self.rumour_low = array("Q"), array("Q")
        self.lines = array("Q")
        for claim, (rumour, line) in sorted(pairs.items()):
            high, low = _halves(claim)
            self.claim_high.append(high)
            self.claim_low.append(low)
            high, low = _halves(rumour.int)
            self.rumour_high.append(high)
            self.rumour_low.append(low)
            self.lines.append(line)

    def get(self, claim: int) -> tuple[uuid.UUID, int] | None:
        high, low = _halves(claim)
        at = bisect_left(self.claim_high, high)
        while at < len(self.claim_high) and self.claim_high[at] == high:
            if self.claim_low[at] == low:
                rumour = uuid.UUID(int=(self.rumour_high[at] << 64) | self.rumour_low[at])
                return rumour, self.lines[at]
            at += 1
        return None


# A filter of 2**24 bits (2 MiB), three bits per claim id, in front of the blocks: an id never
# seen is answered without trying every block (a million ids held: 0.5% tried anyway). The
# bits come from parts of the id that are random in both UUID 4 and 5 (not the version).
_FILTER_BITS = 1 << 24
_FILTER_MASK = _FILTER_BITS - 1


def _bits(claim: int) -> tuple[int, int, int]:
    return claim & _FILTER_MASK, (claim >> 24) & _FILTER_MASK, (claim >> 88) & _FILTER_MASK


class Whereabouts:
    """Claim id (as its 128-bit int) -> the rumour that holds it, for every claim of an
    import so far. The latest chunk's are in a dict; each earlier chunk's in a sorted block
    of arrays, 32 bytes a claim. A dict of every claim held 86 MB at a million, and the
    memory stayed with the process for the read models that an import then brings up to
    date. Retractions are a fraction of a percent of lines, so a lookup may try every block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.recent: dict[int, tuple[uuid.UUID, int]] = {}
        self.filter = bytearray(_FILTER_BITS // 8)

    def __setitem__(self, claim: int, rumour: uuid.UUID) -> None:
        """A claim already in the ledger (line 0), or one this import applied."""
        self.place(claim, rumour, 0)

    def place(self, claim: int, rumour: uuid.UUID, line: int) -> None:
        self.recent[claim] = (rumour, line)
        for bit in _bits(claim):
            self.filter[bit >> 3] |= 1 << (bit & 7)

    def get(self, claim: int) -> uuid.UUID | None:
        found = self.first_use(claim)
        return None if found is None else found[0]

    def first_use(self, claim: int) -> tuple[uuid.UUID, int] | None:
        """The rumour holding this claim id and the line it came on (0: in the ledger)."""
        found = self.recent.get(claim)
        if found is not None:
            return found
        for bit in _bits(claim):
            if not self.filter[bit >> 3] & (1 << (bit & 7)):
                return None
        for block in reversed(self.blocks):  # the latest word on a claim id wins
            found = block.get(claim)
            if found is not None:
                return found
        return None

    def seal(self) -> None:
        """Move the latest chunk's claims into a block of their own."""
        if self.recent:
            self.blocks.append(Block(self.recent))
            self.recent = {}
