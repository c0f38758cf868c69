"""An import's index of which rumour holds each claim answers as a dict would."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from rumour_ledger.ledger.whereabouts import Whereabouts

# Few distinct high halves, so ids often share one and differ only in the low half.
HIGHS = st.sampled_from([0, 1, 2**63, 2**64 - 1])
LOWS = st.integers(0, 2**64 - 1)
CLAIMS = st.builds(lambda high, low: (high << 64) | low, HIGHS, LOWS | st.sampled_from([0, 7]))
RUMOURS = st.builds(uuid.UUID, int=st.integers(0, 2**128 - 1))
STEPS = st.lists(st.one_of(st.tuples(CLAIMS, RUMOURS), st.just("seal")), max_size=60)


@given(STEPS, st.lists(CLAIMS, max_size=10))
def test_whereabouts_answer_as_a_dict_of_every_claim_noted(steps, others):
    where, wanted = Whereabouts(), {}
    for step in steps:
        if step == "seal":
            where.seal()
        else:
            claim, rumour = step
            where[claim] = rumour
            wanted[claim] = rumour
    for claim in [*wanted, *others]:
        assert where.get(claim) == wanted.get(claim)


def test_a_sealed_chunk_keeps_its_claims_out_of_the_dict():
    where = Whereabouts()
    rumour = uuid.uuid4()
    claims = [uuid.uuid4().int for _ in range(1000)]
    for claim in claims:
        where[claim] = rumour
    where.seal()
    assert where.recent == {}
    assert [where.get(claim) for claim in claims] == [rumour] * 1000
    assert where.get(uuid.uuid4().int) is None


def test_the_first_use_of_an_id_keeps_its_line_across_chunks():
    where = Whereabouts()
    rumour = uuid.uuid4()
    claims = [uuid.uuid4().int for _ in range(100)]
    for line, claim in enumerate(claims, start=1):
        where.place(claim, rumour, line)
    where.seal()
    assert [where.first_use(claim) for claim in claims] == [
        (rumour, line) for line in range(1, 101)
    ]
    assert where.first_use(uuid.uuid4().int) is None
