"""A Spanish verb is not the noun it is spelled like: "vino a visitarme" (came to visit me) got #vino (wine)."""
import pytest

from taglens import Post
from taglens.suggesters.taglens_base import verb_forms


@pytest.mark.parametrize("text, found", [
    ("El gato de mi vecina vino a visitarme", {"vino"}),
    ("Mi hermano vino a verme hoy", {"vino"}),
    ("Fuimos a comer tacos con mis amigos", {"fuimos"}),
    ("Una copa de vino tinto con amigos", set()),  # wine
    ("Vamos a la playa", set()),  # no infinitive after "a"
    ("Vamos por esos 3 puntos, a dejar todo en la cancha", set()),  # a comma: a new clause, not a verb's phrase
    ("We went to the store and came a long way", set()),  # not Spanish
])
def test_a_word_before_a_and_an_infinitive_is_a_verb_in_spanish(text, found):
    assert verb_forms.verbs(text) == frozenset(found)


def test_only_the_caption_sources_lose_the_verbs_tag():
    evidence = {"caption_tags": {"vino": (0.5, "m"), "cat": (0.4, "m")}, "image": {"vino": (0.3, "i")}}
    out = verb_forms.unsaid_verbs(evidence, "El gato de mi vecina vino a visitarme")
    assert out["caption_tags"] == {"cat": (0.4, "m")} and out["image"] is evidence["image"]
    assert verb_forms.unsaid_verbs(evidence, "Una copa de vino tinto") is evidence


def test_taglens_base_reads_vino_a_visitarme_as_came():
    from taglens import load_suggester

    model = load_suggester("taglens-base")
    ranked = [s.tag for s in model.suggest(Post(text="El gato de mi vecina vino a visitarme"), k=5)]
    assert "vino" not in ranked and "cat" in ranked
