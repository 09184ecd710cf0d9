"""`taglens suggest`, single and batch, through main([...]) as a user runs it, with the bundled default model."""
import json
import subprocess
import sys

import pytest

from taglens.cli import main
from taglens.exceptions import ExitCode


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_imports_nothing_heavy():
    code = ("import sys, taglens.cli as c\n"
            "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'numpy', 'sklearn', 'nltk', 'cv2', 'PIL', 'httpx', 'fastapi', 'uvicorn', "
            "'starlette') if m in sys.modules]\n"
            "print('HEAVY=' + ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "usage: taglens" in out
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_models_lists_the_default_model(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0
    line = next(l for l in out.splitlines() if l.startswith("taglens-base"))
    assert "bundled" in line


def test_single_post_table_and_json(capsys, food_images):
    pizza = next(p for p in food_images if p.name == "0000127.jpg")
    code, out, _ = run(capsys, "suggest", str(pizza), "--text", "Friday night treat #dinner", "--tags", "#food",
                       "-k", "5")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["#", "tag", "score"] and len(lines) == 6
    code, out, _ = run(capsys, "suggest", str(pizza), "--text", "Friday night treat #dinner", "--tags", "#food",
                       "-k", "8", "--json")
    got = json.loads(out)["suggestions"]
    tags = [s["tag"] for s in got]
    assert code == 0 and len(tags) == 8 and len(set(tags)) == 8
    assert "food" not in tags and "dinner" not in tags  # existing tags, from --tags and from the caption
    assert "pizza" in tags  # the photo is a pizza
    assert [s["score"] for s in got] == sorted((s["score"] for s in got), reverse=True)
    assert all(s["reason"] for s in got)


@pytest.mark.parametrize("make, code", [
    (lambda d: d / "missing.jpg", ExitCode.INPUT),
    (lambda d: (d / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage") and d / "bad.jpg", ExitCode.IMAGE),
    (lambda d: (d / "bad.mp4").write_bytes(b"\x00" * 300) and d / "bad.mp4", ExitCode.VIDEO),
])
def test_bad_files_give_distinct_exit_codes_naming_the_file(capsys, tmp_path, make, code):
    path = make(tmp_path)
    got, out, err = run(capsys, "suggest", str(path))
    assert got == code and path.name in err and out == ""


def test_unknown_model(capsys, food_images):
    code, _, err = run(capsys, "suggest", str(food_images[0]), "--model", "taglens-bsae")
    assert code == ExitCode.MODEL and "taglens-base" in err  # suggests the close match


def test_odd_but_valid_posts_get_answers(capsys, tmp_path, food_images, make_clip):
    clip = make_clip(tmp_path / "clip.mp4")
    cases = [
        ["--text", "word " * 200_000],  # a 1 MB caption
        ["--text", "🍕🍕 東京で食べた #ラーメン #café", "--tags", "#東京 #😀"],
        [str(food_images[1]), str(food_images[2]), str(clip)],  # several images and a video
    ]
    for argv in cases:
        # --min-score 0: every answer, however weak (weak ones left out: test_taglens_base_everyday.py)
        code, out, err = run(capsys, "suggest", *argv, "--json", "--min-score", "0")
        assert code == 0, err
        tags = [s["tag"] for s in json.loads(out)["suggestions"]]
        assert tags and len(tags) == len(set(tags))
        assert not {"ラーメン", "café", "東京"} & set(tags)


def test_batch_contract(capsys, tmp_path, food_images):
    import shutil

    shutil.copy(food_images[0], tmp_path / "a.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff nope")
    lines = [
        {"id": "img", "images": ["a.jpg"], "text": "", "hashtags": ["food"]},
        {"id": "txt", "images": [], "text": "Morning run along the river #fitness", "hashtags": []},
        {"id": "corrupt", "images": ["broken.jpg"], "text": "x", "hashtags": []},
        {"id": "escape", "images": ["../a.jpg"], "text": "", "hashtags": []},
        "{not json",
        {"id": "empty", "images": [], "text": "", "hashtags": []},
    ]
    q = tmp_path / "queries.jsonl"
    q.write_text("\n".join(l if isinstance(l, str) else json.dumps(l) for l in lines) + "\n")
    code, out, err = run(capsys, "suggest", "--batch", str(q), "--json", "-k", "3")
    rows = [json.loads(l) for l in out.strip().splitlines()]
    assert code == ExitCode.PARTIAL
    assert [r["id"] for r in rows] == ["img", "txt", "corrupt", "escape", None, "empty"]
    assert [("error" in r) for r in rows] == [False, False, True, True, True, True]
    # a query file is the user's own: "../a.jpg" is read (it does not exist there), not refused as escaping
    assert "broken.jpg" in rows[2]["error"] and "no such file" in rows[3]["error"]
    assert "invalid JSON" in rows[4]["error"] and "nothing to suggest for" in rows[5]["error"]
    assert all(len(r["suggestions"]) == 3 for r in rows if "error" not in r)
    assert "food" not in [s["tag"] for s in rows[0]["suggestions"]]
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(l) for l in lines[:2]) + "\n")
    assert run(capsys, "suggest", "--batch", str(good), "--json")[0] == 0
