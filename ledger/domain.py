"""The Rumour aggregate: one rumoured move and every claim ever recorded about it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, event

from rumour_ledger.ledger.chain import GENESIS, seal
from rumour_ledger.ledger.claims import (
    RESTORATION,
    Claim,
    Hiding,
    Kind,
    Move,
    Recasting,
    Restoration,
    Retraction,
    Role,
    claim_content_id,
    hiding_id,
    recast_id,
    restoration_content_id,
    retraction_content_id,
)
from rumour_ledger.ledger.errors import AlreadyRestored, AlreadyRetracted, ReusedId, UnknownEvent


class Rumour(Aggregate):
    """A rumoured move; its events are the claims about it, chained by digest."""

    TOPIC = "rumour-ledger:Rumour"

    class Created(Aggregate.Created):
        """The library's base creation event; rumours are created by Opened."""

        TOPIC = "rumour-ledger:Rumour.Created"

    class Opened(Created):
        TOPIC = "rumour-ledger:Rumour.Opened"
        subject: str
        from_: str | None
        to: str | None
        role: str
        recorded_by: str
        digest: str

    class Claimed(Aggregate.Event):
        """What every claim event carries (never stored under this topic itself)."""

        TOPIC = "rumour-ledger:Rumour.Claimed"
        claim_id: uuid.UUID
        source: str
        cites: str | None
        official: bool
        published: date
        claim: str | None
        url: str | None
        recorded_by: str
        digest: str
        # The role the claim's own line or command gave. Events stored before claims kept
        # their role have none: the class default None, which readers take as the rumour's.
        role: str | None = None
        # The claim this one corrects (an amendment); None for every other claim. Events
        # stored before amendments existed have none: the class default None.
        amends: uuid.UUID | None = None
        KIND: ClassVar[Kind]

        def apply(self, aggregate: Rumour) -> None:
            aggregate.kinds[self.claim_id.hex] = self.KIND.value
            aggregate.note_content(
                self.claim_id,
                claim_content_id(
                    self.KIND,
                    aggregate.id,
                    self.source,
                    self.cites,
                    self.official,
                    self.published,
                    self.claim,
                    self.url,
                    self.amends,
                ),
            )
            aggregate.head = self.digest

    class Reported(Claimed):
        TOPIC = "rumour-ledger:Rumour.Reported"
        KIND = Kind.REPORT

    class Denied(Claimed):
        TOPIC = "rumour-ledger:Rumour.Denied"
        KIND = Kind.DENIAL

    class Confirmed(Claimed):
        TOPIC = "rumour-ledger:Rumour.Confirmed"
        KIND = Kind.CONFIRMATION

    class Collapsed(Claimed):
        TOPIC = "rumour-ledger:Rumour.Collapsed"
        KIND = Kind.COLLAPSE

    class Retracted(Aggregate.Event):
        TOPIC = "rumour-ledger:Rumour.Retracted"
        claim_id: uuid.UUID
        retracts: uuid.UUID
        reason: str
        published: date
        recorded_by: str
        digest: str

    class Restored(Aggregate.Event):
        """A retraction withdrawn: the claim it retracted counts again from now on."""

        TOPIC = "rumour-ledger:Rumour.Restored"
        claim_id: uuid.UUID  # the restoration's own id, in the one id space of entries
        restores: uuid.UUID  # the retraction withdrawn
        reason: str
        recorded_by: str
        digest: str

    class Hidden(Aggregate.Event):
        """Left out of the lists from now on, while it has no live claim."""

        TOPIC = "rumour-ledger:Rumour.Hidden"
        event_id: uuid.UUID
        reason: str
        recorded_by: str
        digest: str

        def apply(self, aggregate: Rumour) -> None:
            aggregate.noted_hiding(self.event_id, hidden=True, digest=self.digest)

    class Unhidden(Aggregate.Event):
        """Listed again from now on."""

        TOPIC = "rumour-ledger:Rumour.Unhidden"
        event_id: uuid.UUID
        reason: str
        recorded_by: str
        digest: str

        def apply(self, aggregate: Rumour) -> None:
            aggregate.noted_hiding(self.event_id, hidden=False, digest=self.digest)

    class Recast(Aggregate.Event):
        """The role the rumour is shown with, corrected from now on; no claim changes."""

        TOPIC = "rumour-ledger:Rumour.Recast"
        event_id: uuid.UUID
        role: str
        reason: str
        recorded_by: str
        digest: str

    @classmethod
    def open(cls, move: Move, recorded_by: str, recorded_at: datetime) -> Rumour:
        """A new rumour for a move never seen before; its id is the move's own."""
        rumour_id = move.rumour_id
        fields: dict[str, Any] = {
            "subject": move.subject,
            "from_": move.from_,
            "to": move.to,
            "role": move.role.value,
            "recorded_by": recorded_by,
        }
        digest = seal(
            GENESIS,
            cls.Opened.TOPIC,
            rumour_id,
            cls.INITIAL_VERSION,
            recorded_at,
            fields,
        )
        return cls(timestamp=recorded_at, digest=digest, **fields)

    @staticmethod
    def create_id(subject: str, from_: str | None, to: str | None) -> uuid.UUID:
        return Move(subject, from_, to).rumour_id

    @event(Opened)
    def __init__(
        self,
        subject: str,
        from_: str | None,
        to: str | None,
        role: str,
        recorded_by: str,
        digest: str,
        timestamp: datetime,
    ) -> None:
        self.subject = subject
        self.from_ = from_
        self.to = to
        self.role = role
        self.head = digest
        self.kinds: dict[str, str] = {}
        self.retracted: list[str] = []
        # Claim id -> the id its content derives, only where the two differ (an id given
        # in a file): one id may never name two different entries.
        self.contents: dict[str, str] = {}
        self.recasts: list[str] = []  # the ids of its recasts
        # Retraction id -> the claim it retracted, while it stands: a restoration removes it.
        self.standing: dict[str, str] = {}
        self.hidden = False
        self.hidings: list[str] = []  # the ids of its hides and unhides

    @property
    def move(self) -> Move:
        return Move(self.subject, self.from_, self.to, Role(self.role))

    def holds(self, claim_id: uuid.UUID) -> bool:
        return claim_id.hex in self.kinds

    def note_content(self, claim_id: uuid.UUID, content_id: uuid.UUID) -> None:
        if content_id != claim_id:
            self.contents[claim_id.hex] = content_id.hex

    def holds_same(self, claim_id: uuid.UUID, content_id: uuid.UUID) -> bool:
        """Whether this id is recorded here, for this very content; ReusedId if it is
        recorded for another (an identical line again is a skip, a different one is not)."""
        if not self.holds(claim_id):
            return False
        if self.contents.get(claim_id.hex, claim_id.hex) != content_id.hex:
            raise ReusedId(claim_id)
        return True

    def record(
        self, claim: Claim, recorded_by: str, recorded_at: datetime, claim_id: uuid.UUID
    ) -> bool:
        """Append a claim; False if this claim is already recorded under this id."""
        if self.holds_same(claim_id, claim.claim_id):
            return False
        event_class = EVENT_BY_KIND[claim.kind]
        fields: dict[str, Any] = {
            "claim_id": claim_id,
            "source": claim.source,
            "cites": claim.cites,
            "official": claim.official,
            "published": claim.published,
            "claim": claim.text,
            "url": claim.url,
            "recorded_by": recorded_by,
            "role": claim.move.role.value,
            "amends": claim.amends,
        }
        digest = self._seal(event_class.TOPIC, recorded_at, fields)
        self.trigger_event(event_class, timestamp=recorded_at, digest=digest, **fields)
        return True

    def retract(
        self,
        retraction: Retraction,
        recorded_by: str,
        recorded_at: datetime,
        claim_id: uuid.UUID,
    ) -> bool:
        """Withdraw a claim of this rumour; False if this retraction is already recorded."""
        if self.holds_same(claim_id, retraction.claim_id):
            return False
        self.check_retractable(retraction.retracts)
        fields: dict[str, Any] = {
            "claim_id": claim_id,
            "retracts": retraction.retracts,
            "reason": retraction.reason,
            "published": retraction.published,
            "recorded_by": recorded_by,
        }
        digest = self._seal(self.Retracted.TOPIC, recorded_at, fields)
        self._retracted(timestamp=recorded_at, digest=digest, **fields)
        return True

    def restore(
        self,
        restoration: Restoration,
        recorded_by: str,
        recorded_at: datetime,
        claim_id: uuid.UUID,
    ) -> bool:
        """Withdraw a retraction of this rumour; False if this restoration is already recorded."""
        if self.holds_same(claim_id, restoration.claim_id):
            return False
        self.check_restorable(restoration.restores)
        fields: dict[str, Any] = {
            "claim_id": claim_id,
            "restores": restoration.restores,
            "reason": restoration.reason,
            "recorded_by": recorded_by,
        }
        digest = self._seal(self.Restored.TOPIC, recorded_at, fields)
        self._restored(timestamp=recorded_at, digest=digest, **fields)
        return True

    def live_claims(self) -> list[str]:
        """The ids of its claims that count now: not retractions, restorations or retracted."""
        withdrawals = (Kind.RETRACTION.value, RESTORATION)
        retracted = set(self.retracted)
        return [
            claim
            for claim, kind in self.kinds.items()
            if kind not in withdrawals and claim not in retracted
        ]

    def hide(
        self,
        hiding: Hiding,
        recorded_by: str,
        recorded_at: datetime,
        event_id: uuid.UUID | None = None,
    ) -> bool:
        """Leave the rumour out of the lists (or put it back); False if it already is (or
        is not), or this very event is recorded. A rumour with a live claim is not hidden:
        retract its claims first."""
        if event_id is not None and event_id.hex in self.hidings:
            return False
        if event_id is not None and self.holds(event_id):
            raise ReusedId(event_id)
        if self.hidden == hiding.hidden:
            return False
        live = self.live_claims()
        if hiding.hidden and live:
            raise UnknownEvent(
                f"rumour {self.move.label!r} has {len(live)} live claim(s): only a rumour "
                "with none is hidden (retract them first)"
            )
        event_class = self.Hidden if hiding.hidden else self.Unhidden
        fields: dict[str, Any] = {
            "event_id": event_id or hiding_id(self.id, hiding.hidden, self.version + 1),
            "reason": hiding.reason,
            "recorded_by": recorded_by,
        }
        digest = self._seal(event_class.TOPIC, recorded_at, fields)
        self.trigger_event(event_class, timestamp=recorded_at, digest=digest, **fields)
        return True

    def noted_hiding(self, event_id: uuid.UUID, *, hidden: bool, digest: str) -> None:
        self.hidden = hidden
        self.hidings.append(event_id.hex)
        self.head = digest

    def check_restorable(self, retraction_id: uuid.UUID) -> None:
        kind = self.kinds.get(retraction_id.hex)
        if kind != Kind.RETRACTION:
            raise UnknownEvent(
                f"no retraction {retraction_id} in rumour {self.move.label!r}: "
                "only a retraction is undone"
            )
        if retraction_id.hex not in self.standing:
            raise AlreadyRestored(f"retraction {retraction_id} was already undone")

    def recast(
        self,
        recasting: Recasting,
        recorded_by: str,
        recorded_at: datetime,
        event_id: uuid.UUID | None = None,
    ) -> bool:
        """Show the rumour with another role from now on; False if it already has that role,
        or this very recast is recorded (an import of an export)."""
        if event_id is not None and event_id.hex in self.recasts:
            return False
        if event_id is not None and self.holds(event_id):
            raise ReusedId(event_id)
        if self.role == recasting.role.value:
            return False
        fields: dict[str, Any] = {
            "event_id": event_id or recast_id(self.id, recasting.role, self.version + 1),
            "role": recasting.role.value,
            "reason": recasting.reason,
            "recorded_by": recorded_by,
        }
        digest = self._seal(self.Recast.TOPIC, recorded_at, fields)
        self._recast(timestamp=recorded_at, digest=digest, **fields)
        return True

    def check_retractable(self, claim_id: uuid.UUID) -> None:
        kind = self.kinds.get(claim_id.hex)
        if kind == Kind.RETRACTION:
            raise UnknownEvent(
                f"{claim_id} is a retraction, not a claim: undo it with "
                f"`rumour unretract {claim_id} --reason ...`"
            )
        if kind == RESTORATION:
            raise UnknownEvent(
                f"{claim_id} undoes a retraction: to withdraw its claim again, retract the claim"
            )
        if kind is None:
            raise UnknownEvent(f"no claim {claim_id} in rumour {self.move.label!r}")
        if claim_id.hex in self.retracted:
            raise AlreadyRetracted(f"claim {claim_id} was already retracted")

    def _seal(self, topic: str, recorded_at: datetime, fields: dict[str, Any]) -> str:
        return seal(self.head, topic, self.id, self.version + 1, recorded_at, fields)

    @event(Retracted)
    def _retracted(
        self,
        claim_id: uuid.UUID,
        retracts: uuid.UUID,
        reason: str,
        published: date,
        recorded_by: str,
        digest: str,
        timestamp: datetime,
    ) -> None:
        self.kinds[claim_id.hex] = Kind.RETRACTION.value
        self.note_content(claim_id, retraction_content_id(retracts, reason))
        self.retracted.append(retracts.hex)
        self.standing[claim_id.hex] = retracts.hex
        self.head = digest

    @event(Restored)
    def _restored(
        self,
        claim_id: uuid.UUID,
        restores: uuid.UUID,
        reason: str,
        recorded_by: str,
        digest: str,
        timestamp: datetime,
    ) -> None:
        self.kinds[claim_id.hex] = RESTORATION
        self.note_content(claim_id, restoration_content_id(restores, reason))
        # The claim may be retracted again, by a new retraction.
        self.retracted.remove(self.standing.pop(restores.hex))
        self.head = digest

    @event(Recast)
    def _recast(
        self,
        event_id: uuid.UUID,
        role: str,
        reason: str,
        recorded_by: str,
        digest: str,
        timestamp: datetime,
    ) -> None:
        self.role = role
        self.recasts.append(event_id.hex)
        self.head = digest


EVENT_BY_KIND: dict[Kind, type[Rumour.Claimed]] = {
    c.KIND: c for c in (Rumour.Reported, Rumour.Denied, Rumour.Confirmed, Rumour.Collapsed)
}
