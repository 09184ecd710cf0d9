#!/usr/bin/env python
"""Build the hashtag segmenter's artifact: the n-gram LM (``lm.npz``) and the reranker weights (``reranker.json``).

Sources (aggregate counts only; no per-post record reaches the artifact):

- wordsegment's Google web unigrams and bigrams (PyPI ``wordsegment``);
- wordfreq's English list (PyPI ``wordfreq``), apostrophes dropped (``don't`` counts for ``dont``), and a small
  share of its Spanish, French, Portuguese, Italian, German and Indonesian lists;
- first names and surnames of the US census lists in PyPI ``names`` (MIT), for the name features;
- hashtag-domain counts from ../shared/data: words and word pairs of tweet and caption texts (read without
  @handles and web or e-mail addresses, as ``suggesters.text.plain_wording`` reads them), and the words of
  camelCase hashtags written in those texts (``#SanDiegoZoo`` -> san diego zoo). Hashtags of the segmentation
  gold files (train and dev) are left out of these counts, so no dev answer leaks into the model.

The reranker is trained on stan_large_train.tsv; its regularisation is picked on stan_large_dev + boun_dev.

Usage:
    python scripts/build_segment_lm.py                # LM + reranker into src/taglens/resources/segment/
    python scripts/build_segment_lm.py --lm-only      # just the LM (the reranker file is left as it is)
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import pickle
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.segmentation.lm import NgramLM  # noqa: E402
from taglens.segmentation.text import prepare  # noqa: E402
from taglens.suggesters.text import plain_wording  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
OUT_DIR = REPO / "src" / "taglens" / "resources" / "segment"
SEG_DIR = SHARED / "segmentation"
HASHTAG_RE = re.compile(r"(?<!&)#([^\W_]\w*)")
TOKEN_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[.!?,;:()\"]")
WORD_OK = re.compile(r"^[a-z0-9à-öø-ÿ]+$")
FOREIGN = {"es": 0.5, "fr": 0.3, "pt": 0.3, "it": 0.3, "de": 0.2, "id": 0.2}

# Mixture weights of the unigram model, and the bigram discount.
DEFAULTS = dict(
    w_google=0.55, w_wordfreq=0.25, w_text=0.08, w_tags=0.07, w_foreign=0.05,
    discount=0.3, google_bigram_scale=1.0, bigram_min_gain=1.0, min_logp=-23.5, unk_base=-10.0, unk_per_char=-2.0,
    max_word_len=24, char_words=150000, char_order=3, glued_max_freq=0.0,
)


def _norm_word(tok: str) -> str:
    return tok.lower().replace("'", "").replace("’", "")


def gold_hashtags() -> set[str]:
    """Lowercased hashtags of every segmentation gold file (kept out of the domain counts)."""
    out = set()
    for f in SEG_DIR.glob("*.tsv"):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.add(line.split("\t")[0].lower())
    return out


def camel_words(tag: str) -> list[str] | None:
    """The words of a camelCase hashtag (``SanDiegoZoo``), or None when the casing says nothing."""
    prep = prepare(tag)
    if not prep.cased or not prep.camel:
        return None
    cuts = sorted(prep.camel | {i for i, (a, b) in enumerate(zip(prep.classes, prep.classes[1:]), 1) if a != b})
    words, pos = [], 0
    for c in cuts + [len(prep.text)]:
        words.append(prep.text[pos:c])
        pos = c
    words = [w for w in words if w and WORD_OK.match(w)]
    if len(words) < 2 or any(len(w) == 1 and w not in ("a", "i") and not w.isdigit() for w in words):
        return None
    return words


def collect_counts() -> dict:
    """All raw counts, as plain dicts: google uni/bi, wordfreq, foreign, text uni/bi, tag uni/bi."""
    import wordfreq
    import wordsegment

    t0 = time.time()
    wordsegment.load()
    g_uni = dict(wordsegment.UNIGRAMS)
    g_bi = {}
    for k, v in wordsegment.BIGRAMS.items():
        a, b = k.split(" ")
        if WORD_OK.match(a) and WORD_OK.match(b):
            g_bi[k] = v
    wf = collections.Counter()
    for w, f in wordfreq.get_frequency_dict("en", "large").items():
        n = _norm_word(w)
        if WORD_OK.match(n):
            wf[n] += f
    foreign = {}
    for lang in FOREIGN:
        c = collections.Counter()
        for w, f in wordfreq.get_frequency_dict(lang, "small").items():
            n = _norm_word(w)
            if WORD_OK.match(n):
                c[n] += f
        foreign[lang] = dict(c)
    exclude = gold_hashtags()
    t_uni, t_bi, h_uni, h_bi = (collections.Counter() for _ in range(4))
    n_camel = 0
    for name in ("tweets/posts.jsonl", "vape/posts.jsonl"):
        path = SHARED / name
        if not path.is_file():
            continue
        for line in path.open(encoding="utf-8"):
            text = json.loads(line).get("text") or ""
            for tag in HASHTAG_RE.findall(text):
                if tag.lower() in exclude:
                    continue
                words = camel_words(tag)
                if words:
                    n_camel += 1
                    h_uni.update(words)
                    h_bi.update(f"{a} {b}" for a, b in zip(words, words[1:]))
            body = HASHTAG_RE.sub(" . ", text)
            body = plain_wording(body, sep=" . ")  # the word statistics' own reading (no handles or addresses)
            prev = None
            for tok in TOKEN_RE.findall(body):
                w = _norm_word(tok)
                if not WORD_OK.match(w) or w.isdigit():
                    prev = None
                    continue
                t_uni[w] += 1
                if prev is not None:
                    t_bi[f"{prev} {w}"] += 1
                prev = w
    print(f"counts: google {len(g_uni)}/{len(g_bi)}, wordfreq {len(wf)}, text {len(t_uni)}/{len(t_bi)}, "
          f"camel tags {n_camel} -> {len(h_uni)}/{len(h_bi)} ({time.time() - t0:.1f}s)", file=sys.stderr)
    return dict(g_uni=g_uni, g_bi=g_bi, wf=dict(wf), foreign=foreign, t_uni=dict(t_uni), t_bi=dict(t_bi),
                h_uni=dict(h_uni), h_bi=dict(h_bi), names=census_names())


def char_ngrams(wf: dict[str, float], n_words: int = 60000, order: int = 3) -> dict[str, float]:
    """``log P(c | previous order-1 letters)`` over the ``n_words`` commonest alphabetic English words of
    wordfreq, each word counted once (a model of how single words are spelled, not of running text), add-0.5
    smoothed; contexts are padded with ``^`` and words end with ``$``."""
    words = [w for w, _ in sorted(wf.items(), key=lambda kv: -kv[1]) if w.isascii() and w.isalpha()][:n_words]
    grams: collections.Counter = collections.Counter()
    ctx: collections.Counter = collections.Counter()
    pad = "^" * (order - 1)
    for w in words:
        s = pad + w + "$"
        for i in range(order - 1, len(s)):
            grams[s[i - order + 1 : i + 1]] += 1
            ctx[s[i - order + 1 : i]] += 1
    return {k: math.log((c + 0.5) / (ctx[k[:-1]] + 0.5 * 27)) for k, c in grams.items()}


def census_names(n_last: int = 20000) -> dict[str, int]:
    """First names (flag 1) and the ``n_last`` commonest surnames (flag 2) of the US census lists shipped by the
    PyPI package ``names`` (MIT); an empty dict when it is not installed."""
    try:
        import names as names_pkg
    except ImportError:
        print("warning: PyPI package 'names' not installed; no name features", file=sys.stderr)
        return {}
    folder = Path(names_pkg.__file__).parent
    out: dict[str, int] = {}
    for fname, flag, limit in (("dist.male.first", 1, None), ("dist.female.first", 1, None),
                               ("dist.all.last", 2, n_last)):
        lines = (folder / fname).read_text().splitlines()[:limit]
        for line in lines:
            if line.strip():
                w = line.split()[0].lower()
                out[w] = out.get(w, 0) | flag
    return out


def glued_hashtags(wf: dict[str, float], google: dict[str, int], max_freq: float) -> set[str]:
    """Rare wordfreq-only entries that are hashtags glued from common words (``photooftheday``, ``nofilter``):
    wordfreq's Twitter source counts ``#photooftheday`` as a word, and keeping it would stop the segmenter from
    splitting it. A word is glued when it is absent from the Google counts, rarer than ``max_freq``, and splits
    into 2-5 Google words of two letters or more (``a`` and ``i`` allowed)."""
    ok = {w for w, c in google.items() if c >= 1_000_000 and (len(w) >= 2 or w in ("a", "i"))}
    out = set()
    for w, f in wf.items():
        if f >= max_freq or w in google or len(w) < 5 or not w.isalpha():
            continue
        n = len(w)
        best = [99] * (n + 1)  # fewest pieces covering w[:i]
        best[0] = 0
        for i in range(n):
            if best[i] >= 5:
                continue
            for j in range(i + 1, min(n, i + 18) + 1):
                if w[i:j] in ok and best[i] + 1 < best[j]:
                    best[j] = best[i] + 1
        if 2 <= best[n] <= 5:
            out.add(w)
    return out


def build_lm(counts: dict, **params) -> NgramLM:
    """Mix the sources into one interpolated bigram model (see taglens.segmentation.lm)."""
    p = dict(DEFAULTS, **params)
    if p["glued_max_freq"] > 0:
        glued = glued_hashtags(counts["wf"], counts["g_uni"], p["glued_max_freq"] * sum(counts["wf"].values()))
        counts = dict(counts, wf={w: f for w, f in counts["wf"].items() if w not in glued})
    g_n = float(sum(counts["g_uni"].values()))
    wf_n = float(sum(counts["wf"].values()))
    t_n = float(sum(counts["t_uni"].values())) or 1.0
    h_n = float(sum(counts["h_uni"].values())) or 1.0
    # Unigram mixture (probability units).
    prob: dict[str, float] = collections.defaultdict(float)
    for w, c in counts["g_uni"].items():
        prob[w] += p["w_google"] * c / g_n
    for w, f in counts["wf"].items():
        prob[w] += p["w_wordfreq"] * f / wf_n
    for w, c in counts["t_uni"].items():
        if c >= 2:
            prob[w] += p["w_text"] * c / t_n
    for w, c in counts["h_uni"].items():
        prob[w] += p["w_tags"] * c / h_n
    fz = sum(FOREIGN.values())
    for lang, d in counts["foreign"].items():
        n = float(sum(d.values()))
        share = p["w_foreign"] * FOREIGN[lang] / fz
        for w, f in d.items():
            prob[w] += share * f / n
    floor = math.exp(p["min_logp"])
    uni = {w: math.log(v) for w, v in prob.items() if v >= floor and len(w) <= p["max_word_len"]}
    # Bigrams: joint probabilities of the sources that have them, conditioned on the same sources' unigrams.
    wb = {"g": p["w_google"], "t": p["w_text"], "h": p["w_tags"]}
    joint: dict[str, float] = collections.defaultdict(float)
    for key, src, n in (("g_bi", "g", g_n / p["google_bigram_scale"]), ("t_bi", "t", t_n), ("h_bi", "h", h_n)):
        for k, c in counts[key].items():
            if src == "t" and c < 2:
                continue
            joint[k] += wb[src] * c / n
    cond_uni: dict[str, float] = collections.defaultdict(float)
    for key, src, n in (("g_uni", "g", g_n), ("t_uni", "t", t_n), ("h_uni", "h", h_n)):
        for w, c in counts[key].items():
            cond_uni[w] += wb[src] * c / n
    disc = p["discount"]
    alpha: dict[str, float] = {}
    by_first: dict[str, float] = collections.defaultdict(float)
    for k, j in joint.items():
        a, b = k.split(" ")
        if a not in uni or b not in uni or cond_uni.get(a, 0.0) <= 0:
            continue
        alpha[k] = (1.0 - disc) * min(1.0, j / cond_uni[a])
        by_first[a] += alpha[k]
    # A word whose listed continuations claim more than all its mass (possible once the Google bigrams are
    # rescaled) has them scaled down to 95%.
    over = {a: 0.95 / s for a, s in by_first.items() if s > 0.95}
    for k in alpha:
        a = k.split(" ", 1)[0]
        if a in over:
            alpha[k] *= over[a]
    gamma = {a: math.log(max(0.05, 1.0 - min(s, 0.95))) for a, s in by_first.items()}
    bi = {}
    for k, a_ in alpha.items():
        a, b = k.split(" ")
        g = math.exp(gamma[a])
        lp = math.log(a_ + g * math.exp(uni[b]))
        if lp - (gamma[a] + uni[b]) >= p["bigram_min_gain"]:  # else the backoff estimate is close enough
            bi[k] = lp
    domain = {w: math.log((c + 0.0) / h_n) for w, c in counts["h_uni"].items() if w in uni and c >= 2}
    wf_words = {w for w, f in counts["wf"].items() if f / wf_n >= 1e-8}
    uni = {w: NgramLM.encode(lp, w in wf_words) for w, lp in uni.items()}
    meta = {k: v for k, v in p.items()}
    return NgramLM.from_dicts(uni, bi, gamma, domain=domain, names=counts.get("names", {}),
                   chars=char_ngrams(counts["wf"], p["char_words"], p["char_order"]), unk_base=p["unk_base"],
                   unk_per_char=p["unk_per_char"], max_word_len=p["max_word_len"], meta=meta)


def load_or_collect(cache: Path | None) -> dict:
    if cache is not None and cache.is_file():
        return pickle.loads(cache.read_bytes())
    counts = collect_counts()
    if cache is not None:
        cache.write_bytes(pickle.dumps(counts))
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--cache", type=Path, default=None, help="pickle of the raw counts (speeds up rebuilds)")
    ap.add_argument("--lm-only", action="store_true")
    args = ap.parse_args(argv)
    counts = load_or_collect(args.cache)
    lm = build_lm(counts)
    args.out.mkdir(parents=True, exist_ok=True)
    lm.save(args.out / "lm.npz")
    size = (args.out / "lm.npz").stat().st_size
    print(f"lm: {len(lm)} words, {len(lm.bi_keys)} bigrams, {size / 1e6:.2f} MB", file=sys.stderr)
    if not args.lm_only:
        from taglens.segmentation.train import train_reranker

        train_reranker(out=args.out / "reranker.json", lm_path=args.out / "lm.npz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
