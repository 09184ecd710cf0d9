"""Blocked tags: never suggested unasked, by any model; the list can be replaced or turned off."""
import json
import os
import time

import pytest

from taglens.blocklist import DEFAULT_LIST, ENV, blocked_tags, is_blocked, read_tag_list
from taglens.cli import main
from taglens.exceptions import ExitCode, InputError
from taglens.model_folder import load_suggester
from taglens.suggesters.baselines import CooccurrenceSuggester, PopularitySuggester
from taglens.types import Post, normalize_tag



@pytest.fixture(autouse=True)
def packaged_list(monkeypatch):
    """Every test starts from the packaged list, whatever the caller's environment says."""
    monkeypatch.delenv(ENV, raising=False)


# "dog" comes with a blocked tag more often than with anything else
POSTS = [Post(hashtags=("dog", "fuck", "puppy"))] * 3 + [Post(hashtags=("dog", "fuck", "park"))] * 2 + \
    [Post(hashtags=("dog", "walk"))]


def test_packaged_list_is_normalised_tags():
    tags = read_tag_list(DEFAULT_LIST)
    assert {"womensuck", "deportthemall", "teenanalcasting"} <= tags
    assert all(t == normalize_tag(t) and " " not in t for t in tags)
    # topics, identity tags and "-porn" compounds for pictures are not in it
    assert not tags & {"immigration", "maga", "metoo", "gay", "queer", "foodporn", "rape"}


def test_list_file_format(tmp_path):
    f = tmp_path / "list.txt"
    f.write_text("# a comment\n#\n\nＳｐａｍ\n  #FUCK  \n", encoding="utf-8")
    assert read_tag_list(f) == {"spam", "fuck"}
    for bad in ("fuck off", "sluts # plural", "#"):
        f.write_text(f"# ok\n{bad}\n" if bad != "#" else "##\n", encoding="utf-8")
        with pytest.raises(InputError, match=r"list.txt, line \d"):
            read_tag_list(f)


def test_long_entries_block_tags_that_hold_their_words_in_a_row():
    assert is_blocked("fuckoff") and is_blocked("whattheactualfuck") and is_blocked("ohshit")
    assert is_blocked("stopwhitegenocide") and not is_blocked("whiteparty") and not is_blocked("genocideawareness")
    # a short entry blocks itself only; an entry inside another word is not a word of it
    assert is_blocked("ass") and not is_blocked("glass") and not is_blocked("badass")
    assert not is_blocked("shitzu") and not is_blocked("scunthorpe") and not is_blocked("pussycat")


def test_blocked_tag_is_never_suggested(monkeypatch):
    model = CooccurrenceSuggester(min_count=1).fit(POSTS)
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", "none")
    assert model.suggest(Post(hashtags=("dog",)), k=3)[0].tag == "fuck"
    monkeypatch.delenv("TAGLENS_BLOCKED_TAGS")
    assert [s.tag for s in model.suggest(Post(hashtags=("dog",)), k=3)] == ["puppy", "park", "walk"]


def test_the_list_stays_full_when_blocked_tags_fill_a_top_k_model():
    blocked = sorted(blocked_tags())[:12]
    posts = [Post(hashtags=(b, "x")) for b in blocked for _ in range(5)] + [Post(hashtags=("sun", "sea", "sky"))]
    model = PopularitySuggester().fit(posts)
    assert [s.tag for s in model.suggest(Post(), k=4)] == ["x", "sea", "sky", "sun"]


def test_a_post_may_carry_a_blocked_tag_as_input():
    model = CooccurrenceSuggester(min_count=1).fit(POSTS)
    assert model.suggest(Post(hashtags=("fuck",)), k=1)[0].tag == "dog"


def test_taglens_base_blocks_open_vocabulary_terms_of_the_caption(monkeypatch):
    model = load_suggester("taglens-base")
    posts = [Post(text="Motherfucker"), Post(text="SLUTS everywhere"), Post(text="oh shit"),
             Post(hashtags=("whitepride",))]
    terms = {"motherfucker", "slut", "ohshit", "stopwhitegenocide"}
    monkeypatch.setenv(ENV, "none")
    # they come up when nothing is blocked (#stopwhitegenocide's evidence, from part of one post with #whitepride,
    # is shrunk by its support to nothing since issue 20; one form per meaning shows #slut, not #sluts)
    assert terms - {"stopwhitegenocide"} <= {s.tag for p in posts for s in model.suggest(p, k=10)}
    monkeypatch.delenv(ENV)
    for p in posts:
        got = [s.tag for s in model.suggest(p, k=10)]
        assert len(got) == 10 and not terms & set(got), (p, got)


def test_taglens_base_leaves_out_tags_of_a_replacement_list(monkeypatch, tmp_path):
    post = Post(text="Sore legs after leg day at the gym")
    model = load_suggester("taglens-base")
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", "none")
    plain = [s.tag for s in model.suggest(post, k=5)]
    listed = tmp_path / "mine.txt"
    listed.write_text(f"{plain[0]}\n", encoding="utf-8")
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", str(listed))
    assert blocked_tags() == {plain[0]}
    # an edited list is read again (the second tag blocked below the two kept, whose order it cannot change: the
    # diversified ranking places tags best first, each discounted only by the tags placed above it)
    listed.write_text(f"{plain[0]}\n{plain[3]}\n", encoding="utf-8")
    os.utime(listed, ns=(time.time_ns(), time.time_ns() + 10**9))
    monkeypatch.setattr("taglens.blocklist.RECHECK_S", 0.0)  # instead of waiting a second
    assert blocked_tags() == {plain[0], plain[3]}
    for got in ([s.tag for s in model.suggest(post, k=5)], [s.tag for s in model.suggest_batch([post], k=5)[0]]):
        assert len(got) == 5 and plain[0] not in got and plain[3] not in got
        assert got[:2] == [plain[1], plain[2]]


def test_unreadable_list_fails_the_run_not_each_post(monkeypatch, tmp_path, capsys):
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(json.dumps({"id": str(i), "text": "sunny day at the beach", "hashtags": ["beach", "sun"]})
                            + "\n" for i in range(3)), encoding="utf-8")
    monkeypatch.setenv("TAGLENS_BLOCKED_TAGS", str(tmp_path / "missing.txt"))
    with pytest.raises(InputError, match="missing.txt"):
        blocked_tags()
    for argv in (["suggest", "--text", "sunny day"], ["suggest", "--batch", str(data), "--json"],
                 ["evaluate", str(data), "--inputs", "text"]):
        assert main(argv) == ExitCode.INPUT, argv
        assert "missing.txt" in capsys.readouterr().err


def test_evaluation_says_which_list_blocked_tags(monkeypatch, tmp_path):
    from taglens.data.posts import Record
    from taglens.eval.protocol import evaluate

    records = [Record(id=str(i), user=None, images=(), text="", hashtags=("fuck", "dog")) for i in range(4)]
    model = PopularitySuggester().fit([Post(hashtags=("fuck", "cat"))] * 4 + [Post(hashtags=("fuck", "dog"))])
    blocked = evaluate(records, model, inputs={"tags"}, reveal=0)
    assert blocked["blocked_tags"] == len(read_tag_list(DEFAULT_LIST)) and blocked["P@1"] == 0.0
    monkeypatch.setenv(ENV, "none")
    plain = evaluate(records, model, inputs={"tags"}, reveal=0)
    assert plain["blocked_tags"] == 0 and plain["blocked_list"] == "" and plain["P@1"] == 1.0
    (tmp_path / "other.txt").write_text("\n".join(sorted(read_tag_list(DEFAULT_LIST) - {"xxx"} | {"zzz"})))
    monkeypatch.setenv(ENV, str(tmp_path / "other.txt"))  # as long as the packaged list, and another one
    other = evaluate(records, model, inputs={"tags"}, reveal=0)
    assert other["blocked_tags"] == blocked["blocked_tags"] and other["blocked_list"] != blocked["blocked_list"]
