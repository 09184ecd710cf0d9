"""What a store holds: totals, sources, the frontier, per-hashtag collection and why each hashtag was chosen."""
from __future__ import annotations

from typing import Any

from .store import QUEUED, REJECTED, Store


def summarize(store: Store, rejected_limit: int = 20) -> dict[str, Any]:
    """A JSON-able summary of a store (what ``taglens stats`` prints)."""
    per_tag = store.per_tag_collection()
    tags = []
    for row in store.hashtags():
        if row.status == REJECTED:
            continue
        got = per_tag.get(row.tag, {})
        tags.append({"tag": row.tag, "status": row.status.value, "round": row.round, "origin": row.origin,
                     "score": row.score, "words": (row.words or "").split(), "posts": got.get("posts", 0),
                     "pages": got.get("pages", 0), "failures": got.get("failures", 0), "why": row.reason})
    rejected = [{"tag": r.tag, "round": r.round, "score": r.score, "why": r.reason}
                for r in store.hashtags(REJECTED)]
    rejected.sort(key=lambda r: -(r["score"] or 0.0))
    sources = [dict(r) for r in store.db.execute("SELECT name, status, failures, last_error FROM sources")]
    return {
        "totals": store.counts(),
        "seeds": store.get_meta("seeds", []),
        "round": store.get_meta("round", 0),
        "sources": sources,
        "frontier": [t["tag"] for t in tags if t["status"] == QUEUED.value],
        "hashtags": tags,
        "rejected": rejected[:rejected_limit],
        "rejected_total": len(rejected),
        "decisions": store.db.execute("SELECT count(*) FROM decisions").fetchone()[0],
    }


def format_summary(s: dict[str, Any]) -> str:
    t = s["totals"]
    lines = [f"{t['posts']} posts, {t['images']} images, {t['users']} users; round {s['round']}; "
             f"seeds: {', '.join('#' + x for x in s['seeds']) or '-'}"]
    if t.get("images_missing"):
        lines.append(f"images not fetched: {t['images_missing']} (gone, failing or not an image; the next collect "
                     f"tries the gone and failing ones again)")
    for src in s["sources"]:
        err = f" (last error: {src['last_error']})" if src["last_error"] else ""
        lines.append(f"source {src['name']}: {src['status']}{err}")
    lines.append(f"frontier ({len(s['frontier'])}): {' '.join('#' + x for x in s['frontier']) or '-'}")
    lines.append("")
    lines.append(f"{'hashtag':<28} {'status':<8} {'rnd':>3} {'posts':>6} {'pages':>5}  why")
    for h in s["hashtags"]:
        lines.append(f"{'#' + h['tag']:<28} {h['status']:<8} {h['round']:>3} {h['posts']:>6} {h['pages']:>5}  "
                     f"[{h['origin']}] {h['why']}")
    if s["rejected"]:
        lines.append("")
        lines.append(f"not followed ({s['rejected_total']}, best {len(s['rejected'])} shown):")
        for r in s["rejected"]:
            lines.append(f"  #{r['tag']:<26} {r['why']}")
    return "\n".join(lines)
