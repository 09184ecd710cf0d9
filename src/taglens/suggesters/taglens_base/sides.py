"""A politics slogan of the side the caption's politician is not on (issue 20: tags a person would be embarrassed to
post). "I LOVE YOU BERNIE!!" got #maga first: the caption head and the nearest caption cluster give the tweets'
commonest politics tag to any political caption, and the topic gate (``topics.py``) only asks whether the post is
political, not whose side it takes.

A slogan's side is knowledge (``resources/politics_sides.txt``: #maga #kag #buildthatwall are R, #feelthebern
#imwithher #resist are D; names, parties and events are no side's). Which side a caption that names a politician
takes is learned (``resources/politics_side_names.tsv``, scripts/build_politics_sides.py): the side-tagged training
tweets that write the name, per side, pooled over the names the caption writes and shrunk towards all side-tagged
tweets by ``SMOOTH`` tweets. A side's slogans are left out where the names are evidence against that side: it is
less likely than ``EVEN`` given them, and at most ``AGAINST`` times as likely as over all side-tagged tweets (where
88% carry R slogans). Bernie's tweets carry D slogans (8 of 9), so #maga goes under "I LOVE YOU BERNIE!!". Trump's
carry R ones about as often as the tweets at large (94 of 105): the name tells nothing of the side, and without the
ratio #imwithher left "Hillary! ..." and #nevertrump a tweet against Trump's supporters (the tweets' val side lost a
first hit and two top-5 hits, all of them the D side's slogans under the base rate alone). Hillary's and Obama's
tweets are mostly the other side's attacks on them (R 13 of 20, 32 of 38), which is no evidence against either side:
a caption naming them keeps both, and "Proud to vote for Hillary" keeps its #maga; the tweets hold no stance labels to
tell praise from attack. A slogan the caption spells itself ("MAGA!") and the post's own tags are never touched; a
caption that names no politician is left as it is.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..tags import Evidence, left_out

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
SIDES_FILE = RESOURCES / "politics_sides.txt"
NAMES_FILE = RESOURCES / "politics_side_names.tsv"
PRIOR = "*"
# side-tagged tweets of the prior added to a name's counts: a name with 1 tweet of each side says little
SMOOTH = 2.0
# a side's slogans need the side at least this likely given the politicians named (as likely as not)
EVEN = 0.5
# ... and at most this share of its likelihood over all side-tagged tweets: the names are evidence against the side
AGAINST = 0.5


@lru_cache(maxsize=1)
def slogan_sides() -> dict[str, str]:
    """{slogan tag: its side} (``SIDES_FILE``)."""
    out = {}
    for line in SIDES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            tag, side = line.split("\t")
            out[tag.strip()] = side.strip()
    return out


@lru_cache(maxsize=1)
def name_counts() -> dict[str, dict[str, int]]:
    """{name or PRIOR: {side: side-tagged training tweets writing it}} (``NAMES_FILE``)."""
    rows = [line.split("\t") for line in NAMES_FILE.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    sides = rows[0][1:]
    return {row[0]: dict(zip(sides, map(int, row[1:]))) for row in rows[1:]}


def named(text: str) -> list[str]:
    """The politicians of ``NAMES_FILE`` the caption writes (a possessive read bare: "Bernie's")."""
    from ...knowledge.vocabulary import caption_tokens

    counts = name_counts()
    return sorted({w.removesuffix("'s") for w in caption_tokens(text or "")} & (counts.keys() - {PRIOR}))


def prior_odds() -> dict[str, float]:
    """{side: its share of all side-tagged training tweets}."""
    prior = name_counts()[PRIOR]
    total = sum(prior.values())
    return {side: n / total for side, n in prior.items()}


def side_odds(names: list[str]) -> dict[str, float]:
    """{side: how likely a caption naming ``names`` takes it}: their pooled side-tagged tweets, shrunk towards the
    prior's shares by SMOOTH tweets; {} without names."""
    if not names:
        return {}
    counts = name_counts()
    prior = counts[PRIOR]
    total = sum(prior.values())
    pooled = {side: sum(counts[n].get(side, 0) for n in names) for side in prior}
    seen = sum(pooled.values())
    return {side: (pooled[side] + SMOOTH * prior[side] / total) / (seen + SMOOTH) for side in prior}


def other_side_out(evidence: dict[str, Evidence], text: str, said=frozenset()) -> dict[str, Evidence]:
    """``evidence`` without the slogans of a side the politicians the caption names are evidence against (see the
    module docstring); ``said``: the post's own tags and the caption's spelled words (``topics.spelled``)."""
    if not text:
        return evidence
    sides = slogan_sides()
    if not any(t in sides for ev in evidence.values() for t in ev):
        return evidence
    odds, prior = side_odds(named(text)), prior_odds()
    against = {side for side, p in odds.items() if p < EVEN and p <= AGAINST * prior[side]}
    out = {tag for tag, side in sides.items() if side in against and tag not in said}
    return left_out(evidence, out) if out else evidence


__all__ = ["AGAINST", "EVEN", "SMOOTH", "name_counts", "named", "other_side_out", "prior_odds", "side_odds",
           "slogan_sides"]
