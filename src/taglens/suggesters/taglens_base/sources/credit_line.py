"""``credit_line``: a repost's credit line says how the post was made. The Repost and Regram apps write the
original author's caption after "@author ・・・"; the person reposting tags such a post #repost (train sides of every
corpus: 165 of the 182 captions with the marker carry #repost or #regram: tweets 147 of 164, everyday lifestyle
tweets 16 of 16, vape 2 of 2; the word "repost" or "regram" without the marker, 4 of 39 tweets). Elsewhere #repost is
engagement bait (``knowledge.junk``); under the marker it is not (``junk.shown_bait``), and it is the tag the
caption shows most plainly, whatever the reposted caption is about ("@user ・・・Sisters @ Woodridge Ilinois" had
#sisters first and #repost second; "neontalk. ・・・Rad Sofa! IKEA Catalogue" #repost seventh).

Tweets val: 52 captions carry the marker, 47 of them #repost; 44 had it first before this source."""
from __future__ import annotations

from ..source import Source

MARKER = "・・・"
# 165 of 182 training captions with the marker, shrunk by one pseudo-caption either way: (165 + 1) / (182 + 2)
RATE, TAGGED, SEEN = 0.90, 165, 182
TAG = "repost"


class CreditLine(Source):
    name = "credit_line"
    weight = 1.0

    def evidence(self, post, features):
        if not features.text or MARKER not in features.text:
            return {}
        why = f"a repost's credit line (・・・): {TAGGED} of {SEEN} training captions with it use #{TAG}"
        return {TAG: (RATE, why)}
