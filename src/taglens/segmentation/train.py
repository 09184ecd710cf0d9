"""Training the segmentation reranker (build time only; needs scikit-learn and ../shared/data).

For every training hashtag the segmenter proposes its candidates; those that match a gold segmentation
(lowercased) are positives. A listwise linear ranker (softmax over each hashtag's candidates, L2-regularised;
Maddela et al. 2019 rank pairs, which scored lower here) gives the weights. The regularisation strength is
chosen on the development sets (stan_large_dev, boun_dev), which are never trained on.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

from . import Segmenter
from .lm import NgramLM
from .rerank import FEATURES, Reranker, candidate_features
from .text import prepare, restore_contractions
from .viterbi import SearchCfg

log = logging.getLogger(__name__)

SEG_DIR = Path(__file__).resolve().parents[4] / "shared" / "data" / "segmentation"
TRAIN_SETS = ("stan_large_train",)
DEV_SETS = ("stan_large_dev", "boun_dev")


def read_gold(path: str | Path) -> list[tuple[str, list[str]]]:
    """``(hashtag, [gold, ...])`` rows of a gold file, golds lowercased (the protocol of EVALUATION.md)."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        parts = line.split("\t")
        rows.append((parts[0], [g.lower() for g in parts[1:]] or [parts[0].lower()]))
    return rows


def gather(seg: Segmenter, rows, n_candidates: int):
    """Feature matrices and 0/1 labels of every row's candidates."""
    out = []
    for tag, golds in rows:
        prep = prepare(tag)
        cands = seg.candidates(prep, n_candidates)
        X = np.array(candidate_features(prep, cands, seg.lm), dtype=np.float64)
        y = np.array([" ".join(restore_contractions([e.word for e in path if e.word])) in golds
                      for _, path in cands], dtype=bool)
        out.append((X, y))
    return out


def fit_listwise(groups, lam: float) -> np.ndarray:
    """Weights maximising the log-likelihood that the softmax over each hashtag's candidates puts on its gold
    candidates, with an L2 penalty ``lam * |w|^2`` (a conditional-logit, i.e. listwise, ranker)."""
    from scipy.optimize import minimize

    gs = [(X, y) for X, y in groups if y.any() and not y.all()]
    dim = gs[0][0].shape[1]

    def loss(w):
        total = lam * (w @ w)
        grad = 2 * lam * w
        for X, y in gs:
            s = X @ w
            e = np.exp(s - s.max())
            z = e.sum()
            pz = e[y].sum()
            total -= np.log(pz / z)
            grad -= (np.where(y, e / pz, 0.0) - e / z) @ X
        return total, grad

    return minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B").x


def accuracy(groups, w: np.ndarray) -> float:
    hits = 0
    for X, y in groups:
        hits += bool(y[int(np.argmax(X @ w))]) if len(y) else 0
    return hits / max(1, len(groups))


def train_reranker(out: str | Path, lm_path: str | Path | None = None, seg_dir: str | Path = SEG_DIR,
                   n_candidates: int = 5, cfg: SearchCfg | None = None, lams=(0.1, 0.3, 1.0, 2.0, 4.0)):
    """Fit the reranker on STAN-large train, pick the L2 strength on the dev sets, and write ``out`` (JSON)."""
    seg_dir = Path(seg_dir)
    lm = NgramLM.load(lm_path) if lm_path else None
    cfg = cfg or SearchCfg()
    seg = Segmenter(lm=lm, reranker=False, cfg=cfg)
    # Candidates are generated as the shipped segmenter will: with the forced ones added.
    seg.reranker = _Dummy()
    train = gather(seg, [r for s in TRAIN_SETS for r in read_gold(seg_dir / f"{s}.tsv")], n_candidates)
    devs = {s: gather(seg, read_gold(seg_dir / f"{s}.tsv"), n_candidates) for s in DEV_SETS}
    allX = np.concatenate([X for X, _ in train])
    mean = allX.mean(0)
    scale = allX.std(0) + 1e-6
    norm = lambda groups: [((X - mean) / scale, y) for X, y in groups]  # noqa: E731
    train_n = norm(train)
    devs_n = {k: norm(v) for k, v in devs.items()}
    best = None
    for c in lams:
        w = fit_listwise(train_n, c)
        accs = {k: accuracy(v, w) for k, v in devs_n.items()}
        tr = accuracy(train_n, w)
        dev_mean = sum(accs.values()) / len(accs)
        print(f"lambda={c}: train {tr:.4f} " + " ".join(f"{k} {a:.4f}" for k, a in accs.items()), file=sys.stderr)
        if best is None or dev_mean > best[0] + 1e-9:
            best = (dev_mean, c, w, accs, tr)
    dev_mean, c, w, accs, tr = best
    oracle = {k: sum(bool(y.any()) for _, y in v) / len(v) for k, v in devs.items()}
    rr = Reranker(
        weights=[float(x) for x in w], mean=[float(x) for x in mean], scale=[float(x) for x in scale],
        features=FEATURES, search={k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        n_candidates=n_candidates,
        meta={"l2": c, "train_acc": round(tr, 4), "dev_acc": {k: round(a, 4) for k, a in accs.items()},
              "dev_oracle": {k: round(a, 4) for k, a in oracle.items()}, "train_sets": list(TRAIN_SETS)},
    )
    rr.save(out)
    print(f"reranker: lambda={c} dev {accs} (oracle {oracle}) -> {out}", file=sys.stderr)
    return rr


class _Dummy:
    """Stands in for a reranker while candidates are gathered (so the forced candidates are added)."""

    n_candidates = 0

    def score(self, prep, cands, lm):  # pragma: no cover - never called
        return [c[0] for c in cands]
