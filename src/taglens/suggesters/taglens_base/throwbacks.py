"""A throwback needs the post to speak of the past (issue 20: tags a person would be embarrassed to post). #tbt
(Throwback Thursday) and its kin say the photo is an old one; the caption sources learned them as a habit of short,
vague captions, and put #tbt first on "4 weeks till i perform in a showcase", "only 43 days until 2016 kicks off!"
and "two days left of this week". Where the author wrote a caption, every source's ``THROWBACKS`` keep ``UNSAID``
of their score unless a word or tag of the post speaks of the past (``PAST``: "ago", "remember", "miss", "been",
"back", "old", "yesterday", "was", a year ...). "went" alone does not: "First snow of the year, the dog went crazy"
tells of today (it was in ``PAST`` and gave it #tbt); in a "when" clause it does ("to when we went to ...":
``WHEN_TENSE``). Taking "was", "were", "had" and "did" out too (the same reading) cost the tweets' val side 3 top-5
hits and a first hit, all their authors' own #tbt ("it was actually warm", "we were going for the ... look", "I had so
much fun this weekend"), against none won: their authors tag a plain past tense as a throwback, so those stay. A
photo alone keeps them: an old photo may show its age, and nothing says otherwise.
"""
from __future__ import annotations

import re

from ..tags import Evidence, stepped_back

THROWBACKS = frozenset({"tbt", "tb", "throwback", "throwbackthursday", "flashback", "flashbackfriday", "fbf",
                        "latepost", "tbs", "throwbacktuesday"})
# English words of a post that looks back (a caption in another language is read by few sources that give these)
PAST = frozenset({"ago", "back", "remember", "remembered", "remembering", "memories", "memory", "nostalgia",
                  "nostalgic", "miss", "missed", "missing", "old", "older", "oldie", "childhood", "younger", "was",
                  "were", "had", "did", "been", "used", "last", "yesterday", "years", "once", "then",
                  "thursday", "friday", "throwback", "flashback", "reminisce", "reminiscing", "anniversary", "past",
                  "vintage", "retro"})
# a past tense not in PAST looks back only in a clause opened by "when" (up to WHEN_GAP words before it)
WHEN_TENSE = frozenset({"went"})
WHEN_GAP = 3
BACK_TAGS = THROWBACKS | PAST  # a post's own tags that look back
YEAR = re.compile(r"(?<!\d)(?:19\d\d|20[0-2]\d)(?!\d)")
UNSAID = 0.2


def looks_back(text: str, tags) -> bool:
    """Whether the post's caption or tags speak of the past (``PAST``, a throwback tag, a year 1900-2029, a past tense
    in a "when" clause: ``WHEN_TENSE``)."""
    from ...knowledge.vocabulary import caption_tokens

    tokens = [w.strip("'").removesuffix("'s") for w in caption_tokens(text or "")]
    when = any(w in WHEN_TENSE and "when" in tokens[max(0, i - WHEN_GAP):i] for i, w in enumerate(tokens))
    return bool(set(tokens) & PAST or when or set(tags) & BACK_TAGS or YEAR.search(text or ""))


def unsaid_throwbacks(evidence: dict[str, Evidence], text: str, tags) -> dict[str, Evidence]:
    """``evidence`` with every source's throwback tags stepped back (``UNSAID``) on a post with a caption that does
    not look back (see the module docstring)."""
    if not text or not any(t in ev for ev in evidence.values() for t in THROWBACKS) or looks_back(text, tags):
        return evidence
    return stepped_back(evidence, THROWBACKS, UNSAID)


__all__ = ["PAST", "THROWBACKS", "UNSAID", "looks_back", "unsaid_throwbacks"]
