"""Blocked tags: never suggested unasked, by any model; the list can be replaced or turned off."""
import pytest

from taglens.blocklist import DEFAULT_LIST, blocked_tags, read_tag_list
from taglens.exceptions import InputError
from taglens.registry import load_suggester
from taglens.suggesters.baselines import CooccurrenceSuggester
from taglens.types import Post, normalize_tag

# "dog" comes with a blocked tag more often than with anything else
POSTS = [Post(hashtags=("dog", "fuck", "puppy"))] * 3 + [Post(hashtags=("dog", "fuck", "park"))] * 2 + \
    [Post(hashtags=("dog", "walk"))]


def test_packaged_list_is_normalised_tags_without_comments():
    tags = read_tag_list(DEFAULT_LIST)
    assert {"womensuck", "deportthemall", "teenanalcasting"} <= tags
    assert all(t == normalize_tag(t) and " " not in t for t in tags)
    # topics, identity tags and "-porn" compounds for pictures are not in it
    assert not tags & {"immigration", "maga", "metoo", "gay", "queer", "foodporn"}


def test_list_file_format(tmp_path):
    f = tmp_path / "list.txt"
    f.write_text("# a comment, and so is the next line\n#spam\n\nＳｐａｍ\n  FUCK  \n", encoding="utf-8")
    assert read_tag_list(f) == {"spam", "fuck"}


def test_blocked_tag_is_never_suggested_and_the_list_stays_full(monkeypatch):
    model = CooccurrenceSuggester(min_count=1).fit(POSTS)
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", "none")
    assert model.suggest(Post(hashtags=("dog",)), k=3)[0].tag == "fuck"
    monkeypatch.delenv("TAGLENS_BLOCKED_TAGS")
    assert [s.tag for s in model.suggest(Post(hashtags=("dog",)), k=3)] == ["puppy", "park", "walk"]


def test_a_post_may_carry_a_blocked_tag_as_input():
    model = CooccurrenceSuggester(min_count=1).fit(POSTS)
    assert model.suggest(Post(hashtags=("fuck",)), k=1)[0].tag == "dog"


def test_taglens_base_leaves_out_tags_of_a_replacement_list(monkeypatch, tmp_path):
    post = Post(text="Sore legs after leg day at the gym")
    model = load_suggester("taglens-base")
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", "none")
    plain = [s.tag for s in model.suggest(post, k=5)]
    listed = tmp_path / "mine.txt"
    listed.write_text(f"{plain[0]}\n{plain[2]}\n", encoding="utf-8")
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", str(listed))
    assert blocked_tags() == {plain[0], plain[2]}
    for got in ([s.tag for s in model.suggest(post, k=5)], [s.tag for s in model.suggest_batch([post], k=5)[0]]):
        assert len(got) == 5 and plain[0] not in got and plain[2] not in got
        assert got[:2] == [plain[1], plain[3]]


def test_unreadable_list_is_an_input_error_naming_it(monkeypatch, tmp_path):
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", str(tmp_path / "missing.txt"))
    with pytest.raises(InputError, match="missing.txt"):
        blocked_tags()
