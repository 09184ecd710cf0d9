"""Authors' habits (taglens.suggesters.history) and their use in taglens-base."""
import json

import pytest

from taglens.exceptions import ModelError
from taglens.suggesters.history import UserHistory, user_key
from taglens.types import Post


def _posts():
    shop = [Post(hashtags=("vapeshop", "jakarta", f"flavour{i}"), user="shop1") for i in range(4)]
    once = [Post(hashtags=("travel", "beach"), user="tourist")]  # one post: not enough to learn a habit
    anon = [Post(hashtags=("vapeshop", "cats"))]
    return shop + once + anon


def test_habits_need_several_posts_and_repeated_tags():
    h = UserHistory(min_posts=2, min_uses=2).fit(_posts())
    assert h.knows("shop1") and not h.knows("tourist") and not h.knows(None) and not h.knows("nobody")
    ev = h.evidence("shop1")
    assert set(ev) == {"vapeshop", "jakarta"}  # the flavours were used once each
    assert ev["vapeshop"][0] == pytest.approx(1.0) and "4 of their 4 posts" in ev["vapeshop"][1]
    assert h.evidence("tourist") == {} and h.evidence(None) == {}


def test_saved_history_names_no_author_and_round_trips(tmp_path):
    h = UserHistory().fit(_posts())
    h.save(tmp_path / "users.json")
    text = (tmp_path / "users.json").read_text()
    assert "shop1" not in text and user_key("shop1") in text
    assert UserHistory.load(tmp_path / "users.json").evidence("shop1") == h.evidence("shop1")
    (tmp_path / "bad.json").write_text(json.dumps({"users": 3}))
    with pytest.raises(ModelError, match="bad.json"):
        UserHistory.load(tmp_path / "bad.json")


def test_default_model_suggests_an_authors_habits(tmp_path, capsys):
    from taglens.registry import create_suggester
    from taglens.model_folder import load_suggester

    posts = [Post(text=f"new flavour number {i} in store", hashtags=("vapeshop", "jakarta", "vape"), user="shop1",
                  meta={"source": "a"}) for i in range(4)]
    posts += [Post(text=f"new flavour number {i} in store", hashtags=("vape", "cloud"), meta={"source": "a"})
              for i in range(8)]
    model = create_suggester("taglens-base", min_count=2, text_epochs=2, text_hidden=8)
    model.fit(posts)
    model.save(tmp_path / "m")
    model = load_suggester(tmp_path / "m")
    query = Post(text="new flavour in store", hashtags=("vape",), user="shop1")
    top = model.suggest(query, k=2)
    assert {s.tag for s in top} == {"vapeshop", "jakarta"} and top[0].source == "user"
    assert "vapeshop" not in {s.tag for s in model.suggest(Post(text="new flavour in store", hashtags=("vape",)), k=1)}
    # the same through the CLI: --user names the author
    from taglens.cli import main

    assert main(["suggest", "--text", "new flavour in store", "--tags", "#vape", "--user", "shop1", "-k", "2",
                 "--model", str(tmp_path / "m"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {s["tag"] for s in out["suggestions"]} == {"vapeshop", "jakarta"}
    # the author alone: their habits pass the confidence floor (an author the model does not know gets nothing)
    assert main(["suggest", "--user", "shop1", "-k", "2", "--model", str(tmp_path / "m"), "--json"]) == 0
    alone = json.loads(capsys.readouterr().out)["suggestions"]
    assert len(alone) == 2 and {s["tag"] for s in alone} < {"vapeshop", "jakarta", "vape"}  # the three habits
    assert main(["suggest", "--batch", str(tmp_path / "q.jsonl"), "--user", "shop1"]) == 2  # a usage error
    assert "--user" in capsys.readouterr().err  # batch posts name their own authors
