"""scripts/build_caption_topics.py counts an account's hashtag template once: a bot that closes hundreds of captions
with the same tags must not teach the caption_topics source that its words ("expectations", "sales") mean them."""
from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_caption_topics.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_caption_topics", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _post(text: str, tags: list[str]):
    script = _script()
    return ("lifestyle", script.strip_hashtags(text), tags, script.trailing_tags(text))


def test_trailing_tags_are_the_hashtags_a_caption_ends_with():
    script = _script()
    assert script.trailing_tags("↝ #eur/usd jumps to a high   #blog #silver #gold #forex") == (
        "blog", "silver", "gold", "forex")
    assert script.trailing_tags("#sunset over the lake, no filter") == ()


def test_a_template_counts_once_and_its_cut_off_captions_with_it():
    script = _script()
    bot = [_post(f"↝ #usd figure {i} above expectations   #blog #silver #gold #forex", ["usd", "blog", "silver",
                                                                                         "gold", "forex"])
           for i in range(script.TEMPLATE_POSTS)]
    cut = _post("↝ retail sales above expectations in may #blog #s…", ["blog", "s"])
    people = [_post("Sunday with the family #family #love #sunday", ["family", "love", "sunday"]),
              _post("peace and love to all #peace #love", ["peace", "love"]),
              _post("same three tags but only twice #a #b #c", ["a", "b", "c"]),
              _post("same three tags but only twice again #a #b #c", ["a", "b", "c"])]
    kept = script.without_templates(bot + [cut] + people)
    assert kept == [bot[0]] + people


def test_fewer_posts_than_a_template_are_kept():
    script = _script()
    posts = [_post(f"caption {i} #blog #silver #gold", ["blog", "silver", "gold"])
             for i in range(script.TEMPLATE_POSTS - 1)]
    assert script.without_templates(posts) == posts
