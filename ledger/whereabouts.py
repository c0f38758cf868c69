"""Which rumour holds each claim an import has applied, for a later line's retraction."""

from __future__ import annotations

import uuid
from array import array
from bisect import bisect_left

_LOW = (1 << 64) - 1


def _halves(value: int) -> tuple[int, int]:
    return value >> 64, value & _LOW


class Block:
    """Claims and their rumours, sorted by claim id, each id as two 64-bit halves."""

    __slots__ = ("claim_high", "claim_low", "rumour_high", "rumour_low")

    def __init__(self, pairs: dict[int, uuid.UUID]) -> None:
        self.claim_high, self.claim_low = array("Q"), array("Q")
        self.rumour_high, self.rumour_low = array("Q"), array("Q")
        for claim, rumour in sorted(pairs.items()):
            high, low = _halves(claim)
            self.claim_high.append(high)
            self.claim_low.append(low)
            high, low = _halves(rumour.int)
            self.rumour_high.append(high)
            self.rumour_low.append(low)

    def get(self, claim: int) -> uuid.UUID | None:
        high, low = _halves(claim)
        at = bisect_left(self.claim_high, high)
        while at < len(self.claim_high) and self.claim_high[at] == high:
            if self.claim_low[at] == low:
                return uuid.UUID(int=(self.rumour_high[at] << 64) | self.rumour_low[at])
            at += 1
        return None


class Whereabouts:
    """Claim id (as its 128-bit int) -> the rumour that holds it, for every claim of an
    import so far. The latest chunk's are in a dict; each earlier chunk's in a sorted block
    of arrays, 32 bytes a claim. A dict of every claim held 86 MB at a million, and the
    memory stayed with the process for the read models that an import then brings up to
    date. Retractions are a fraction of a percent of lines, so a lookup may try every block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.recent: dict[int, uuid.UUID] = {}

    def __setitem__(self, claim: int, rumour: uuid.UUID) -> None:
        self.recent[claim] = rumour

    def get(self, claim: int) -> uuid.UUID | None:
        found = self.recent.get(claim)
        if found is not None:
            return found
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
