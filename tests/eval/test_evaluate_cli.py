"""`taglens evaluate`: the CLI contract of EVALUATION.md on a hand-made file and a real trained model."""
from __future__ import annotations

import json

import pytest

from taglens.cli import main
from taglens.data.posts import read_records
from taglens.eval.protocol import evaluate, order_tags
from taglens.exceptions import ExitCode
from taglens.model_folder import load_suggester

POSTS = [
    {"id": "p1", "hashtags": ["beach", "sea", "sun", "summer"]},
    {"id": "p2", "hashtags": ["beach", "sea", "waves"]},
    {"id": "p3", "hashtags": ["dog", "puppy", "cute"]},
    {"id": "p4", "hashtags": ["dog", "cute", "park", "sun"]},
    {"id": "p5", "hashtags": ["coffee"]},
    {"id": "p6", "hashtags": []},
]


@pytest.fixture()
def setup(tmp_path):
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(json.dumps({**p, "user": None, "images": [], "text": ""}) + "\n" for p in POSTS))
    model = tmp_path / "cooc"
    assert main(["train", "--model", "cooccurrence", "--data", str(data), "--out", str(model),
                 "--set", "min_count=1"]) == 0
    return data, model


def run_json(capsys, *args) -> dict:
    capsys.readouterr()
    assert main(["evaluate", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_json_output_matches_the_library_and_the_contract(setup, capsys):
    data, model = setup
    got = run_json(capsys, data, "--model", model, "--inputs", "tags", "--reveal", "1")
    want = evaluate(read_records(data), load_suggester(str(model)), inputs="tags", reveal=1)
    # p5 has one tag (revealed, no target) and p6 none: both skipped
    assert got["n"] == want["n"] == 4
    for key in ("P@1", "P@5", "R@5", "A@5", "F1@5", "NDCG@10"):
        assert got[key] == pytest.approx(want[key], abs=1e-6)
    assert (got["inputs"], got["reveal"], got["seed"], got["errors"]) == ("tags", 1, 0, 0)


def test_seed_is_hashed_as_written(setup, capsys):
    data, model = setup
    assert order_tags("p1", POSTS[0]["hashtags"], "007") != order_tags("p1", POSTS[0]["hashtags"], "7")
    a = run_json(capsys, data, "--model", model, "--inputs", "tags", "--reveal", "1", "--seed", "007")
    b = evaluate(read_records(data), load_suggester(str(model)), inputs="tags", reveal=1, seed="007")
    assert a["seed"] == "007" and a["P@5"] == pytest.approx(b["P@5"], abs=1e-6)
    assert run_json(capsys, data, "--model", model, "--inputs", "tags", "--seed", "7")["seed"] == 7


def test_bad_arguments_are_usage_errors(setup, capsys):
    data, model = setup
    assert main(["evaluate", str(data), "--model", str(model), "-k", "5"]) == ExitCode.USAGE
    assert "-k must be at least 10" in capsys.readouterr().err
    assert main(["evaluate", str(data), "--model", str(model), "--reveal", "-1"]) == ExitCode.USAGE
    assert main(["report", "--data", str(data), "--models", "popularity", "--out", str(data.parent / "r"),
                 "-k", "3"]) == ExitCode.USAGE


def test_an_untrained_model_is_refused_not_scored_as_zero(setup, capsys):
    data, _ = setup
    assert main(["evaluate", str(data), "--model", "tfidf-linear", "--inputs", "tags"]) == ExitCode.MODEL
    assert "model 'tfidf-linear' is not trained: train it first" in capsys.readouterr().err
