"""Side-by-side reports: train each model on the train side of a development split, run the protocol of
../shared/EVALUATION.md on the other side for each input setting, and write ``report.md``, ``report.html``,
``results.json`` and matplotlib plots (P@k/R@k curves and per-topic P@1).

The split is by user where records know their user (no author on both sides), else by post id
(``taglens.data.splits``). A model given as a directory is used as saved; a registered name is trained on the train
side (a zero-shot model's ``fit`` only records the tag vocabulary).
"""
from __future__ import annotations

import difflib
import html
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..data.posts import Record
from ..exceptions import DataError, OutputError, TaglensError, UnknownModelError, UsageError
from ..outputs import os_reason

log = logging.getLogger(__name__)

# (label, inputs, reveal): the settings of the issue, images/text/tags/all with 0 and 1 revealed tags
SETTINGS: tuple[tuple[str, tuple[str, ...], int], ...] = tuple(
    (f"{name} r{r}", inputs, r)
    for r in (0, 1)
    for name, inputs in (("images", ("images",)), ("text", ("text",)), ("tags", ("tags",)),
                         ("all", ("images", "text", "tags")))
)
COLUMNS = ("P@1", "P@5", "R@5", "A@5", "F1@5", "NDCG@10")
CURVE_KS = (1, 3, 5, 10)
MAX_TOPICS = 12  # the plot and table show the largest topics


@dataclass
class ModelResult:
    """One model's measured results: seconds to train, and per setting the protocol's metrics."""

    model: str
    train_seconds: float | None
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    per_topic: dict[str, dict[str, float]] = field(default_factory=dict)
    error: str | None = None


def parse_settings(spec: str | None) -> list[tuple[str, tuple[str, ...], int]]:
    """``"images:0,text:0,all:1"`` -> settings; None gives all eight of ``SETTINGS``."""
    if not spec:
        return list(SETTINGS)
    names = {"images": ("images",), "text": ("text",), "tags": ("tags",), "all": ("images", "text", "tags"),
             "images+text": ("images", "text")}
    out = []
    for item in spec.split(","):
        name, _, reveal = item.strip().partition(":")
        if name not in names or not (reveal or "0").isdigit():
            raise UsageError(f"--settings: {item!r} is not NAME[:REVEAL] with NAME one of {', '.join(names)}")
        out.append((f"{name} r{int(reveal or 0)}", names[name], int(reveal or 0)))
    return out


def topic_key(record: Record) -> str:
    """The group a record is reported under: its first topic, else its source."""
    topic = (record.topic or "").split(",")[0].strip()
    return topic or record.source or "(none)"


def _loaded_as_saved(spec: str) -> bool:
    """Whether ``spec`` names a model used as saved (a directory, a bundled model that is not a registered name)
    rather than a registered model trained on the train side."""
    from ..registry import is_suggester

    return Path(spec).is_dir() or not is_suggester(spec)


def check_models(specs: Sequence[str]) -> None:
    """Raise UnknownModelError naming every spec that is neither a registered name, a bundled model nor a
    folder (before anything is trained)."""
    from ..registry import bundled_model_dir, is_suggester, list_suggesters

    unknown = [s for s in dict.fromkeys(specs) if not Path(s).is_dir() and not is_suggester(s)
               and bundled_model_dir(s) is None]
    if not unknown:
        return
    hints = []
    for spec in unknown:
        close = difflib.get_close_matches(spec, list_suggesters(), n=3, cutoff=0.5)
        if close:
            hints.append(f"{spec!r}: did you mean {', '.join(close)}?")
    raise UnknownModelError(
        f"unknown model{'s' if len(unknown) > 1 else ''} {', '.join(repr(s) for s in unknown)}: neither a "
        f"registered model name nor a model folder{' (' + '; '.join(hints) + ')' if hints else ''}; "
        f"`taglens models` lists the names; nothing was trained"
    )


def check_report_folder(out: Path) -> None:
    """Raise OutputError when the report folder ``out`` cannot be created or written (before any training)."""
    from ..outputs import check_writable_folder

    check_writable_folder(out, "report folder")


def obtain_model(spec: str, train: Sequence[Record]) -> tuple[Any, float | None]:
    """(a ready model, seconds spent training it or None when it was loaded as saved)."""
    from ..registry import create_suggester, is_suggester
    from ..model_folder import load_suggester

    path = Path(spec)
    if path.is_dir() or not is_suggester(spec):
        return load_suggester(spec), None  # a directory or a bundled model; unknown names raise here
    model = create_suggester(spec)
    start = time.perf_counter()
    model.fit([r.to_post() for r in train])
    return model, time.perf_counter() - start


def run_report(records: Sequence[Record], models: Sequence[str], out: str | Path, *,
               settings: Sequence[tuple[str, tuple[str, ...], int]] | None = None, by_user: bool = True,
               seed: int = 0, k: int = 10, topic_setting: str | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train/evaluate every model in every setting and write the report files into ``out``; returns the results."""
    from ..data.splits import split_records
    from ..model_folder import load_suggester
    from . import evaluate

    settings = list(settings or SETTINGS)
    out = Path(out)
    # every check that can fail comes before any training: the report folder, the model names, the split, and
    # the models used as saved (a folder written by another version or model type fails here, naming it)
    check_report_folder(out)
    check_models(models)
    train, val = split_records(records, by_user=by_user)
    if not train or not val:
        raise DataError(f"the split of {len(records)} posts left {len(train)} training and {len(val)} evaluation "
                        f"posts; a report needs more posts (and, split by user, more than one user)")
    saved = {spec: load_suggester(spec) for spec in dict.fromkeys(models) if _loaded_as_saved(spec)}
    for spec in saved:
        log.warning("%s is used as saved, not trained on this split: if it learned from these posts, its scores are "
                    "not held-out figures", spec)
    topic_setting = topic_setting or _best_topic_setting(settings)
    results: list[ModelResult] = []
    for spec in models:
        say = progress or (lambda msg: log.info("%s", msg))
        if spec in saved:
            model, seconds = saved[spec], None
        else:
            say(f"{spec}: training on {len(train)} posts")
            try:
                model, seconds = obtain_model(spec, train)
            except TaglensError as exc:
                log.warning("%s: %s", spec, exc)
                results.append(ModelResult(spec, None, error=str(exc)))
                continue
        res = ModelResult(spec, seconds)
        for label, inputs, reveal in settings:
            say(f"{spec}: evaluating {label}")
            per_post: list = []
            res.settings[label] = evaluate(val, model, inputs=inputs, reveal=reveal, seed=seed, k=k,
                                           per_post=per_post)
            if label == topic_setting:
                res.per_topic = _per_topic(per_post)
        results.append(res)
    with_user = sum(1 for r in records if r.user)
    split = ("by post" if not by_user or not with_user else
             "by user" if with_user == len(records) else "by user where known, else by post")
    meta = {"train_posts": len(train), "eval_posts": len(val), "split": split,
            "seed": seed, "k": k, "topic_setting": topic_setting,
            "sources": sorted({r.source for r in records if r.source})}
    payload = {"meta": meta, "settings": [list(s[:1]) + [list(s[1]), s[2]] for s in settings],
               "results": [r.__dict__ for r in results]}
    try:
        out.mkdir(parents=True, exist_ok=True)
        plots = write_plots(results, settings, topic_setting, out)
        (out / "results.json").write_text(json.dumps(payload, indent=2, default=float) + "\n", encoding="utf-8")
        (out / "report.md").write_text(render_markdown(results, settings, meta, plots), encoding="utf-8")
        (out / "report.html").write_text(render_html(results, settings, meta, plots), encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"report folder {out}: cannot write the report ({os_reason(exc)})") from None
    return payload


def _best_topic_setting(settings: Sequence[tuple[str, tuple[str, ...], int]]) -> str:
    for label, inputs, reveal in settings:
        if len(inputs) == 3 and reveal == 0:
            return label
    return settings[0][0]


def _per_topic(per_post: Sequence[tuple[Record, dict[str, float]]]) -> dict[str, dict[str, float]]:
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for rec, m in per_post:
        group = sums[topic_key(rec)]
        group["n"] += 1
        for key in ("P@1", "A@5"):
            group[key] += m.get(key, 0.0)
    return {t: {"n": int(g["n"]), "P@1": g["P@1"] / g["n"], "A@5": g["A@5"] / g["n"]}
            for t, g in sorted(sums.items())}


# -- rendering ------------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def table_rows(results: Sequence[ModelResult], settings) -> list[list[str]]:
    rows = []
    for res in results:
        if res.error:
            rows.append([res.model, "-", *(["-"] * len(COLUMNS)), "-", f"error: {res.error}"])
            continue
        train = "loaded" if res.train_seconds is None else f"{res.train_seconds:.1f} s"
        for label, _, _ in settings:
            m = res.settings[label]
            rows.append([res.model, label, *(_fmt(m.get(c, 0.0)) for c in COLUMNS), str(m["n"]), train])
    return rows


HEADER = ["model", "setting", *COLUMNS, "n", "train"]


def largest_topics(results: Sequence[ModelResult], limit: int = MAX_TOPICS) -> list[str]:
    sizes: dict[str, int] = {}
    for r in results:
        for t, m in r.per_topic.items():
            sizes[t] = max(sizes.get(t, 0), int(m["n"]))
    return sorted(sorted(sizes, key=lambda t: (-sizes[t], t))[:limit])


def summary_rows(results: Sequence[ModelResult], settings) -> list[list[str]]:
    """One row per model: training time, then P@1 / A@5 of each setting."""
    rows = []
    for res in results:
        if res.error:
            rows.append([res.model, "error", *(["-"] * len(settings))])
            continue
        train = "loaded" if res.train_seconds is None else f"{res.train_seconds:.0f} s"
        rows.append([res.model, train, *(f"{res.settings[label]['P@1']:.3f} / {res.settings[label]['A@5']:.3f}"
                                         for label, _, _ in settings)])
    return rows


def render_markdown(results, settings, meta, plots: dict[str, str]) -> str:
    lines = ["# taglens model report", "",
             f"Protocol of ../shared/EVALUATION.md; trained on {meta['train_posts']} posts, evaluated on "
             f"{meta['eval_posts']} held-apart posts (split {meta['split']}); sources: "
             f"{', '.join(meta['sources']) or '-'}; seed {meta['seed']}. Settings: inputs given to the model and "
             "rN = N revealed tags. Metrics are fractions, means over n scored posts.", "",
             "## P@1 / A@5 per setting", "",
             "| model | train | " + " | ".join(label for label, _, _ in settings) + " |",
             "|---|---:|" + "---:|" * len(settings)]
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(results, settings)]
    ns = {label: next((r.settings[label]["n"] for r in results if not r.error), 0) for label, _, _ in settings}
    lines += ["", "n per setting: " + ", ".join(f"{k}: {v}" for k, v in ns.items()), "",
              "## All metrics", "",
              "| " + " | ".join(HEADER) + " |", "|" + "|".join("---" if i < 2 else "---:" for i in
                                                             range(len(HEADER))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results, settings)]
    lines.append("")
    if plots.get("curves"):
        lines += ["## P@k and R@k", "", f"![P@k and R@k curves]({plots['curves']})", ""]
    if plots.get("topics"):
        lines += [f"## Per topic ({meta['topic_setting']})", "", f"![per-topic P@1]({plots['topics']})", ""]
        header, rows = topic_rows(results)
        lines += ["| " + " | ".join(header) + " |", "|---|---:|" + "---:|" * (len(header) - 2)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def topic_rows(results: Sequence[ModelResult]) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the per-topic P@1 table: the largest topics, one column per model that ran."""
    ok = [r for r in results if not r.error]
    rows = []
    for t in largest_topics(ok):
        n = next((r.per_topic[t]["n"] for r in ok if t in r.per_topic), 0)
        rows.append([t, str(n), *(_fmt(r.per_topic.get(t, {}).get("P@1", 0.0)) for r in ok)])
    return ["topic", "n", *(r.model for r in ok)], rows


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    esc = html.escape
    return ("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>")


def render_html(results, settings, meta, plots: dict[str, str]) -> str:
    """The same report as the Markdown one: summary, all metrics, curves, and the per-topic plot and table."""
    esc = html.escape
    summary = _html_table(["model", "train", *(label for label, _, _ in settings)], summary_rows(results, settings))
    parts = [summary, "<h2>All metrics</h2>", _html_table(HEADER, table_rows(results, settings))]
    if plots.get("curves"):
        parts.append(f'<h2>P@k and R@k</h2><img src="{esc(plots["curves"])}" alt="P@k and R@k curves">')
    if plots.get("topics"):
        title = f"Per topic ({meta['topic_setting']})"
        parts.append(f'<h2>{esc(title)}</h2><img src="{esc(plots["topics"])}" alt="per-topic P@1">')
        parts.append(_html_table(*topic_rows(results)))
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>taglens model report</title><style>"
            "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
            "padding:2px 8px;text-align:right}td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}"
            "</style></head><body><h1>taglens model report</h1>"
            f"<p>Protocol of ../shared/EVALUATION.md; trained on {meta['train_posts']} posts, evaluated on "
            f"{meta['eval_posts']} posts (split {esc(meta['split'])}); sources: {esc(', '.join(meta['sources']))}. "
            "P@1 / A@5 per setting:</p>" + "".join(parts) + "</body></html>\n")


def write_plots(results: Sequence[ModelResult], settings, topic_setting: str, out: Path) -> dict[str, str]:
    """P@k/R@k curves (a row per input setting) and a per-topic P@1 bar chart; returns file names by kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in results if not r.error and topic_setting in r.settings]
    plots: dict[str, str] = {}
    if not ok:
        return plots
    labels = [label for label, _, _ in settings if any(label in r.settings for r in ok)]
    fig, axes = plt.subplots(len(labels), 2, figsize=(10, 3.2 * len(labels)), squeeze=False)
    for row, label in zip(axes, labels):  # one row of P@k and R@k curves per input setting
        for r in ok:
            m = r.settings.get(label)
            if m is None:
                continue
            for ax, metric in zip(row, ("P", "R")):
                ax.plot(CURVE_KS, [m.get(f"{metric}@{k}", 0.0) for k in CURVE_KS], marker="o", label=r.model)
        for ax, metric in zip(row, ("P@k", "R@k")):
            ax.set_xlabel("k")
            ax.set_ylabel(metric)
            ax.set_title(f"{metric} ({label})")
            ax.grid(alpha=0.3)
        row[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "curves.png", dpi=100)
    plt.close(fig)
    plots["curves"] = "curves.png"
    topics = largest_topics(ok)
    if topics:
        import numpy as np

        fig, ax = plt.subplots(figsize=(min(16, 3 + 0.15 * len(topics) * len(ok)), 4.5))
        width = 0.8 / len(ok)
        x = np.arange(len(topics))
        for i, r in enumerate(ok):
            ax.bar(x + i * width, [r.per_topic.get(t, {}).get("P@1", 0.0) for t in topics], width, label=r.model)
        ax.set_xticks(x + 0.4 - width / 2)
        ax.set_xticklabels(topics, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel("P@1")
        ax.set_title(f"P@1 per topic ({topic_setting})")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / "topics.png", dpi=100)
        plt.close(fig)
        plots["topics"] = "topics.png"
    return plots
