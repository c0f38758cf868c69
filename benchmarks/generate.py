"""Seeded generator of realistic ledgers in the interchange format (docs/format.md).

The output looks like `rumour export` of a desk that has kept its ledger for years: one JSON
object per line, in recorded order, every line with `id`, `recorded_by` and `recorded_at`.

    python benchmarks/generate.py 100000 /tmp/ledger-100k.jsonl [--seed 7]
        [--names ../shared/datasets/transfermarkt_rumours.jsonl]

What it simulates, day by day from 2014-07-01 to 2025-06-30 (busier in transfer windows):

- rumours open at a seasonal rate; each has a planned number of claims drawn from a power law
  (about 90% have 1-5 claims, a few hot ones have hundreds) spread over days to years;
- subjects (a long tail: a few stars are rumoured again and again) each have a role and a
  current club, which changes when a move to them is confirmed; clubs are drawn Zipf-like;
- sources are a long Zipf-like tail behind a head of well-known outlets; about a tenth of
  claims relay another outlet (`cites`), a fifth are denials (a third of those on the
  record, by the subject or a club), a few percent are confirmations (official, the last
  claim of a rumour), and about 0.3% of entries retract an earlier claim;
- about 1% of claims are back-filled: published weeks before they were recorded;
- one fixed "probe" rumour (PROBE_LABEL, 40 claims in 2024-25) is planted identically at
  every size, so one rumour's queries can be compared as the ledger grows.

Names are synthesized, or, with `--names PATH`, taken from the players and clubs of the
Transfermarkt rumour-mill data set (read by path, never copied), with their real frequencies,
and extended by recombining real given names and surnames when a large ledger needs more.
The generator is streamed: memory holds the rumours still active, never the whole ledger.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
import time
from bisect import bisect
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

from rumour_ledger.ledger.names import name_key

START = date(2014, 7, 1)
END = date(2025, 6, 30)
DEFAULT_SEED = 20240601

PROBE_SUBJECT = "Xabi Alonso"
PROBE_FROM = "Bayer Leverkusen"
PROBE_TO = "Real Madrid"
PROBE_LABEL = f"{PROBE_SUBJECT}: {PROBE_FROM} -> {PROBE_TO}"
PROBE_CLAIMS = 40
PROBE_SEED = 14

DENIAL_SHARE = 0.205  # of claims that are not the confirming last one: about a fifth overall
OFFICIAL_DENIAL_SHARE = 0.33
OFFICIAL_REPORT_SHARE = 0.03
RELAY_SHARE = 0.11  # of unofficial claims: about a tenth of all claims
CONFIRM_SHARE = 0.25  # of rumours with two or more claims: a few percent of all claims
LEAVES_SHARE = 0.08  # rumours with no destination ("X leaves Y")
NO_FROM_SHARE = 0.10  # rumours that do not name the club left
RETRACTION_SHARE = 0.003
BACKFILL_SHARE = 0.01
TEXT_SHARE = 0.45
URL_SHARE = 0.70
CLAIMS_EXPONENT = 1.3  # P(k >= j) = j ** -1.3
MAX_CLAIMS = 800

HEAD_SOURCES = [
    "Sport",
    "Marca",
    "AS",
    "Mundo Deportivo",
    "Fabrizio Romano",
    "Sky Sports",
    "The Athletic",
    "L'Équipe",
    "La Gazzetta dello Sport",
    "Corriere dello Sport",
    "Bild",
    "Kicker",
    "Sky Sport Germany",
    "SPOX",
    "Record",
    "A Bola",
    "O Jogo",
    "The Sun",
    "Daily Mail",
    "Daily Mirror",
    "ESPN",
    "Goal",
    "Tuttosport",
    "RMC Sport",
    "Foot Mercato",
    "Sport1",
    "Sky Sport Italia",
    "Gianluca Di Marzio",
    "Calciomercato",
    "Football Insider",
    "TEAMtalk",
    "Le Parisien",
    "Nicolò Schira",
    "Florian Plettenberg",
    "Matteo Moretto",
    "David Ornstein",
    "El Chiringuito",
    "Cadena SER",
    "COPE",
    "Radio MARCA",
    "The Telegraph",
    "The Times",
    "The Guardian",
    "BBC Sport",
    "Evening Standard",
    "Daily Express",
    "Fichajes.net",
    "Todofichajes",
    "Voetbal International",
    "De Telegraaf",
]
PAPER_WORDS = [
    "Gazette",
    "Herald",
    "Courier",
    "Tribune",
    "Sport",
    "Post",
    "Radio",
    "Times",
    "Calcio",
    "Futbol",
    "Kurier",
    "Journal",
    "Express",
    "Echo",
    "Insider",
    "Daily",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ten",
    "vor",
    "sa",
    "dri",
    "mon",
    "el",
    "bra",
    "ni",
    "to",
    "gar",
    "lu",
    "ves",
    "an",
    "do",
    "ric",
    "be",
    "zo",
    "ha",
    "mar",
    "ki",
    "sen",
    "ul",
    "fe",
    "ro",
    "ja",
    "nu",
    "pel",
    "os",
]
CLUB_FORMS = ["FC {}", "{} United", "{} City", "Sporting {}", "Real {}", "{} SC", "AC {}", "{} FK"]
DESK = ["ana", "ben", "carla", "dev", "emre", "fatou", "gus", "hana", "ivo", "jun", "kai", "lea"]
REASONS = [
    "typed the wrong club",
    "wrong source credited",
    "duplicate of an earlier entry",
    "the outlet withdrew the story",
    "wrong date",
]
TEMPLATES = [
    "{to} are in talks to sign {subject}.",
    "{subject} is close to a move; personal terms agreed with {to}.",
    "{to} have made a first offer for {subject}, who is open to the move.",
    "{subject}'s agent has met {to} officials.",
    "{from_} are ready to let {subject} leave this window.",
    "{subject} has told {from_} he wants to go.",
]
DENIAL_TEMPLATES = [
    "{subject} is staying: no talks with {to}.",
    "{from_} insist {subject} is not for sale.",
    "There is nothing in the reports linking {subject} to {to}.",
]
ROLES = (("player", 0.88), ("coach", 0.08), ("executive", 0.03), ("other", 0.01))


def fold(name: str) -> str:
    """The key two spellings of a name share: the ledger's own rule, so no generated line
    breaks one (a club moving to itself, a source relaying itself)."""
    return name_key(name)


class Zipf:
    """Draws from a fixed list with weight 1/(rank + offset)**s, or with given weights."""

    def __init__(
        self,
        items: Sequence[str],
        s: float = 1.0,
        offset: float = 1.0,
        weights: Sequence[float] | None = None,
    ) -> None:
        self.items = list(items)
        raw = weights or [1.0 / (i + offset) ** s for i in range(len(self.items))]
        self.cum = list(accumulate(raw))
        self.total = self.cum[-1]

    def draw(self, rng: random.Random) -> str:
        return self.items[bisect(self.cum, rng.random() * self.total)]


def _synth_name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _synth_people(rng: random.Random, count: int, firsts: list[str], lasts: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(names) < count:
        attempts += 1
        if firsts and lasts and attempts < count * 20:
            name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        else:
            name = f"{_synth_name(rng, rng.randint(2, 3))} {_synth_name(rng, rng.randint(2, 4))}"
        key = fold(name)
        if key in seen or key == fold(PROBE_SUBJECT):
            continue
        seen.add(key)
        names.append(name)
    return names


def _synth_clubs(rng: random.Random, count: int) -> list[str]:
    clubs: list[str] = []
    seen: set[str] = set()
    while len(clubs) < count:
        name = rng.choice(CLUB_FORMS).format(_synth_name(rng, rng.randint(2, 3)))
        if fold(name) not in seen:
            seen.add(fold(name))
            clubs.append(name)
    return clubs


@dataclass
class Names:
    subjects: Zipf
    clubs: Zipf
    sources: Zipf
    head_sources: list[str]
    desk: Zipf


def load_names(n: int, rng: random.Random, path: str | None) -> Names:
    """Subjects, clubs and sources for a ledger of n events."""
    wanted_subjects = max(100, n // 6)
    players: dict[str, int] = {}
    clubs: dict[str, int] = {}
    if path:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                player = (row.get("player") or "").strip()
                if player and fold(player) != fold(PROBE_SUBJECT):
                    players[player] = players.get(player, 0) + 1
                for key in ("from_club", "to_club"):
                    club = (row.get(key) or "").strip()
                    if club:
                        clubs[club] = clubs.get(club, 0) + 1
    subjects = sorted(players, key=lambda p: (-players[p], p))
    firsts = sorted({p.split()[0] for p in subjects if len(p.split()) >= 2})
    lasts = sorted({p.split()[-1] for p in subjects if len(p.split()) >= 2})
    if len(subjects) < wanted_subjects:
        known = {fold(s) for s in subjects}
        extra = [
            s
            for s in _synth_people(rng, wanted_subjects - len(subjects) + 100, firsts, lasts)
            if fold(s) not in known
        ]
        subjects += extra[: wanted_subjects - len(subjects)]
    club_names = sorted(clubs, key=lambda c: (-clubs[c], c)) or _synth_clubs(rng, 1200)
    # The probe's clubs appear in no other rumour, so its queries (rivals included) cost
    # the same at every size.
    club_names = [c for c in club_names if fold(c) not in (fold(PROBE_FROM), fold(PROBE_TO))]
    tail_size = max(50, min(4000, 100 + n // 250))
    tail: list[str] = []
    seen = {fold(s) for s in HEAD_SOURCES}
    while len(tail) < tail_size:
        if rng.random() < 0.4:
            name = f"{_synth_name(rng, 1).upper()[0]}. {_synth_name(rng, rng.randint(2, 3))}"
        else:
            name = f"{_synth_name(rng, rng.randint(2, 3))} {rng.choice(PAPER_WORDS)}"
        if fold(name) not in seen:
            seen.add(fold(name))
            tail.append(name)
    return Names(
        subjects=Zipf(subjects, s=0.9, offset=10.0),
        clubs=Zipf(club_names, s=1.0, offset=3.0),
        sources=Zipf([*HEAD_SOURCES, *tail], s=1.1, offset=2.0),
        head_sources=HEAD_SOURCES,
        desk=Zipf(DESK, s=1.0),
    )


@dataclass(order=True)
class Active:
    """A rumour with claims still to come; ordered by the day of its next claim."""

    next_day: int
    seq: int
    subject: str = field(compare=False)
    from_: str | None = field(compare=False)
    to: str | None = field(compare=False)
    role: str = field(compare=False)
    remaining: int = field(compare=False)
    gap: float = field(compare=False)
    confirm: bool = field(compare=False)
    script: list[dict] | None = field(compare=False, default=None)


class Clock:
    """Recording times: non-decreasing through the file, within the working day."""

    def __init__(self) -> None:
        self.day = -1
        self.second = 0

    def stamp(self, day_text: str, day: int, rng: random.Random) -> str:
        if day != self.day:
            self.day = day
            self.second = 6 * 3600 + rng.randint(0, 3600)
        else:
            self.second = min(86_399, self.second + rng.randint(1, 40))
        s = self.second
        return f"{day_text}T{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}+00:00"


def _uuid(rng: random.Random) -> str:
    h = f"{(rng.getrandbits(128) & ~(0xF << 76) | (4 << 76)) & ~(3 << 62) | (2 << 62):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _claims_count(rng: random.Random) -> int:
    return min(MAX_CLAIMS, int((1.0 - rng.random()) ** (-1.0 / CLAIMS_EXPONENT)))


def _season_weights(days: int) -> list[float]:
    month_weight = {1: 3.0, 2: 1.2, 5: 1.3, 6: 2.5, 7: 3.0, 8: 3.0}
    return [month_weight.get((START + timedelta(d)).month, 1.0) for d in range(days)]


def _probe_script() -> list[dict]:
    """The planted rumour: the same 40 claims at every size."""
    rng = random.Random(PROBE_SEED)
    first = date(2024, 10, 1)
    span = (date(2025, 5, 20) - first).days
    days = sorted(rng.randint(0, span) for _ in range(PROBE_CLAIMS - 1))
    script = []
    for i, offset in enumerate(days):
        day = first + timedelta(offset)
        kind = "denial" if i % 5 == 3 else "report"
        official = kind == "denial" and i % 10 == 3
        source = PROBE_SUBJECT if official else HEAD_SOURCES[i % 20]
        cites = HEAD_SOURCES[(i + 1) % 20] if i % 9 == 4 and not official else None
        script.append(
            {"day": day, "kind": kind, "source": source, "cites": cites, "official": official}
        )
    script.append(
        {
            "day": date(2025, 5, 25),
            "kind": "confirmation",
            "source": PROBE_TO,
            "cites": None,
            "official": True,
        }
    )
    return script


def iter_lines(n: int, seed: int = DEFAULT_SEED, names_path: str | None = None) -> Iterator[str]:
    """Exactly n JSON lines (no newline), in recorded order."""
    if n < PROBE_CLAIMS * 2:
        raise ValueError(f"size must be at least {PROBE_CLAIMS * 2}")
    rng = random.Random(seed)
    names = load_names(n, rng, names_path)
    probe_rng = random.Random(PROBE_SEED)
    days = (END - START).days + 1
    weights = _season_weights(days)
    budget = list(accumulate(weights))
    scale = (n - PROBE_CLAIMS) / budget[-1]
    day_text = [(START + timedelta(d)).isoformat() for d in range(days)]
    month_text = [t[:7].replace("-", "/") for t in day_text]
    home: dict[str, str | None] = {}
    roles: dict[str, str] = {}
    role_names = [r for r, _ in ROLES]
    role_cum = list(accumulate(w for _, w in ROLES))
    heap: list[Active] = []
    seq = 0
    planned = 0
    emitted = 0
    probe_left = PROBE_CLAIMS
    recent: deque[str] = deque(maxlen=5000)
    clock = Clock()
    dumps = json.dumps
    random_ = rng.random
    draw_source = names.sources.draw
    draw_club = names.clubs.draw
    draw_desk = names.desk.draw
    head = names.head_sources

    script = _probe_script()
    probe_day = (script[0]["day"] - START).days
    heapq.heappush(
        heap,
        Active(probe_day, -1, PROBE_SUBJECT, PROBE_FROM, PROBE_TO, "coach", PROBE_CLAIMS, 0, True),
    )
    heap[0].script = script

    def open_rumour(day: int) -> Active:
        nonlocal seq, planned
        subject = names.subjects.draw(rng)
        if subject not in home:
            home[subject] = draw_club(rng)
            roles[subject] = role_names[bisect(role_cum, random_() * role_cum[-1])]
        from_ = home[subject] if random_() >= NO_FROM_SHARE else None
        to: str | None = None
        if random_() >= LEAVES_SHARE or from_ is None:
            to = draw_club(rng)
            while from_ is not None and fold(to) == fold(from_):
                to = draw_club(rng)
        k = min(_claims_count(rng), n - PROBE_CLAIMS - planned)
        planned += k
        # Small rumours flare for days or weeks; hot ones run for months or years.
        duration = rng.expovariate(1 / 20) if k <= 5 else rng.uniform(60, 90) * k**0.6
        seq += 1
        confirm = k >= 2 and random_() < CONFIRM_SHARE
        return Active(day, seq, subject, from_, to, roles[subject], k, duration / k, confirm)

    for day in range(days):
        target = min(n - PROBE_CLAIMS, int(budget[day] * scale))
        if day == days - 1:
            target = n - PROBE_CLAIMS
        while planned < target:
            heapq.heappush(heap, open_rumour(day))
        text_day = day_text[day]
        while heap and heap[0].next_day <= day:
            if emitted >= n:
                return
            r = heapq.heappop(heap)
            # Retractions take some claims' places: the last claims due are dropped, never
            # the probe's, so every size holds the same probe rumour.
            if r.script is None and n - emitted <= probe_left:
                continue
            stamp = clock.stamp(text_day, day, rng)
            by = draw_desk(rng)
            if recent and n - emitted > probe_left and random_() < RETRACTION_SHARE:
                target_id = recent.popleft()
                emitted += 1
                yield dumps(
                    {
                        "type": "retraction",
                        "id": _uuid(rng),
                        "retracts": target_id,
                        "reason": rng.choice(REASONS),
                        "date": text_day,
                        "recorded_by": by,
                        "recorded_at": stamp,
                    },
                    ensure_ascii=False,
                )
                heapq.heappush(heap, r)
                continue
            r.remaining -= 1
            published = text_day
            month = month_text[day]
            if r.script is not None:
                probe_left -= 1
                step = r.script[PROBE_CLAIMS - 1 - r.remaining]
                kind, source = step["kind"], step["source"]
                cites, official = step["cites"], step["official"]
                claim_id = _uuid(probe_rng)
                text = None
                url = f"https://example.org/probe/{PROBE_CLAIMS - r.remaining}"
            else:
                claim_id = _uuid(rng)
                cites = None
                official = False
                if r.remaining == 0 and r.confirm:
                    kind = "confirmation"
                    official = True
                    source = r.to or r.from_ or r.subject
                elif random_() < DENIAL_SHARE:
                    kind = "denial"
                    if random_() < OFFICIAL_DENIAL_SHARE:
                        official = True
                        source = rng.choice([x for x in (r.subject, r.from_, r.to) if x])
                    else:
                        source = draw_source(rng)
                else:
                    kind = "report"
                    if random_() < OFFICIAL_REPORT_SHARE:
                        official = True
                        source = r.to or r.subject
                    else:
                        source = draw_source(rng)
                if not official and random_() < RELAY_SHARE:
                    cites = rng.choice(head)
                    if fold(cites) == fold(source):
                        cites = None
                if random_() < BACKFILL_SHARE:
                    published = day_text[max(0, day - rng.randint(7, 90))]
                text = None
                if random_() < TEXT_SHARE:
                    templates = DENIAL_TEMPLATES if kind == "denial" else TEMPLATES
                    text = rng.choice(templates).format(
                        subject=r.subject, from_=r.from_ or "his club", to=r.to or "a new club"
                    )
                url = None
                if random_() < URL_SHARE:
                    slug = fold(r.subject).replace(" ", "-")
                    url = f"https://news.example/{month}/{slug}-{seq}-{emitted}"
            emitted += 1
            if kind != "confirmation" and r.script is None:
                recent.append(claim_id)
            yield dumps(
                {
                    "type": kind,
                    "id": claim_id,
                    "subject": r.subject,
                    "from": r.from_,
                    "to": r.to,
                    "role": r.role,
                    "source": source,
                    "cites": cites,
                    "official": official,
                    "date": published,
                    "claim": text,
                    "url": url,
                    "recorded_by": by,
                    "recorded_at": stamp,
                },
                ensure_ascii=False,
            )
            if kind == "confirmation" and r.to is not None and r.script is None:
                home[r.subject] = r.to
            if r.remaining > 0:
                if r.script is not None:
                    nxt = (r.script[PROBE_CLAIMS - r.remaining]["day"] - START).days
                else:
                    nxt = day + int(rng.expovariate(1.0) * r.gap)
                r.next_day = min(days - 1, max(day, nxt))
                heapq.heappush(heap, r)
    if emitted != n:
        raise AssertionError(f"generated {emitted} events, not {n}")


def write(n: int, out: Path, seed: int = DEFAULT_SEED, names_path: str | None = None) -> int:
    """Write n lines to out (atomically); returns the number written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(out.name + ".part")
    written = 0
    with temp.open("w", encoding="utf-8", newline="\n") as handle:
        chunk: list[str] = []
        for line in iter_lines(n, seed, names_path):
            chunk.append(line)
            if len(chunk) >= 10_000:
                handle.write("\n".join(chunk) + "\n")
                written += len(chunk)
                chunk = []
        if chunk:
            handle.write("\n".join(chunk) + "\n")
            written += len(chunk)
    temp.replace(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int, help="number of events (lines) to write")
    parser.add_argument("out", type=Path, help="JSON Lines file to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--names",
        metavar="PATH",
        help="transfermarkt_rumours.jsonl, for real player and club names (read, not copied)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    written = write(args.size, args.out, args.seed, args.names)
    took = time.perf_counter() - started
    print(f"{args.out}: {written} events in {took:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
