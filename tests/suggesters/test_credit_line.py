"""A repost's credit line (``sources/credit_line.py``): the Repost apps' "・・・" is evidence of #repost, which is bait
anywhere else (``knowledge.junk``)."""
import pytest

from taglens.model_folder import load_suggester
from taglens.suggesters.taglens_base import SOURCES
from taglens.suggesters.taglens_base.sources.credit_line import RATE, CreditLine
from taglens.types import Post


@pytest.fixture(scope="module")
def model():
    return load_suggester("taglens-base")


def top(model, text, k=5):
    return [s.tag for s in model.suggest(Post(text=text), k=k)]


def test_listed_once_with_a_rate_from_its_counts():
    assert SOURCES.count(CreditLine) == 1
    assert 0.5 < RATE < 1.0


def test_the_marker_is_evidence_of_repost_and_nothing_else(model):
    features = type("F", (), {"text": "@user ・・・Sisters @ Woodridge Ilinois"})()
    ev = model.source("credit_line").evidence(Post(text=features.text), features)
    assert list(ev) == ["repost"] and ev["repost"][0] == RATE and "165 of 182" in ev["repost"][1]
    for text in ("", "Sisters @ Woodridge", "Please repost this", "to be continued..."):
        features = type("F", (), {"text": text})()
        assert model.source("credit_line").evidence(Post(text=text), features) == {}


def test_a_reposted_caption_leads_with_repost_and_an_ordinary_one_never_gets_it(model):
    reposted = top(model, "@user ・・・Sisters @ Woodridge Ilinois")
    assert reposted[0] == "repost" and "sisters" in reposted
    assert top(model, "neontalk. ・・・Rad Sofa! IKEA Catalogue")[0] == "repost"
    for text in ("Sisters at the lake", "Rad Sofa! IKEA Catalogue", "To be continued..."):  # bait without the line
        assert "repost" not in top(model, text, k=10)
