"""``taglens collect``: seed hashtags -> segment -> expand -> scrape -> store -> repeat."""
from __future__ import annotations

import argparse
import json
import sys

from ._common import int_at_least

HELP = "collect posts for a topic from seed hashtags (Mastodon, Instagram, instaloader folders, posts.jsonl)"
DESCRIPTION = (
    "Crawl posts for a topic: start from --seeds, store every page (resumable: run the same command again after an "
    "interruption), then expand the seed set with co-occurring, synonymous and recombined hashtags that stay on "
    "topic, for --rounds rounds or until --target posts. Without --seeds a local source is imported whole."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what to collect")
    g.add_argument("--seeds", default="", help="comma-separated seed hashtags, e.g. dog,puppy")
    g.add_argument("--source", action="append", required=True, metavar="SPEC",
                   help="mastodon:URL | instagram[:USER] | instaloader-dir:PATH | jsonl:PATH (repeatable)")
    g.add_argument("--store", required=True, help="store folder (created if missing)")
    g.add_argument("--target", type=int_at_least(1), default=None,
                   help="stop at this many posts, at least 1 (default 1000 with --seeds)")
    g.add_argument("--rounds", type=int_at_least(1), default=3,
                   help="crawl rounds, at least 1; round 0 is the seeds, so 1 crawls the seeds only (default 3)")
    g.add_argument("--per-tag", type=int_at_least(1), default=300,
                   help="at most this many posts per hashtag and source, at least 1 (default 300)")
    g.add_argument("--max-new", type=int_at_least(0), default=10,
                   help="hashtags added per expansion round; 0 adds none (default 10)")
    s = p.add_argument_group("sources and politeness")
    s.add_argument("--session-file", help="instaloader session file for the instagram source")
    s.add_argument("--all-posts", action="store_true", help="mastodon: also posts without media")
    s.add_argument("--max-retries", type=int_at_least(0), default=4,
                   help="retries per request before a hashtag fails; 0 tries once (default 4)")
    s.add_argument("--max-wait", type=_seconds, default=900.0,
                   help="longest rate-limit wait honoured, in seconds (default 900)")
    s.add_argument("--request-deadline", type=_seconds, default=60.0, metavar="SECONDS",
                   help="mastodon: the longest one request (a page or an image) may take, however slowly the "
                        "server sends; then it counts as failed and the crawl goes on (default 60)")
    s.add_argument("--max-image-mb", type=_megabytes, default=32.0, metavar="MB",
                   help="mastodon: the largest image or video preview downloaded, in MB; a larger one is a failed "
                        "image, read no further (default 32)")
    s.add_argument("--no-synonyms", action="store_true", help="do not propose WordNet synonyms of the seeds")
    s.add_argument("--embedder", choices=("minilm", "lexical"), default=None,
                   help="similarity used to stay on topic (default: minilm when installed)")
    o = p.add_argument_group("output")
    o.add_argument("--no-progress", action="store_true", help="no progress bars")
    o.add_argument("--json", action="store_true", help="print the run report as JSON")


def _seconds(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {value!r}") from None
    if not x >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {value}")
    return x


def _megabytes(value: str) -> float:
    try:
        x = float(value.strip().lower().removesuffix("mb"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of megabytes, got {value!r}") from None
    if not 0 < x <= 1e6:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 1000000 MB, got {value}")
    return x


def _empty_local_sources(sources) -> list[str]:
    """The local sources (those that list their hashtags) that hold no post at all, each with a hint."""
    empty = []
    for src in sources:
        listed = src.list_hashtags()
        if listed is None:
            continue  # an online source: it cannot say without fetching
        if not listed:
            hint = ("no hashtag folder holding instaloader metadata files (*.json.xz or *.json) in it or directly "
                    "below it" if src.name.startswith("instaloader-dir:") else "no hashtag in it")
            empty.append(f"{src.name}: {hint}")
        elif len(listed) == 1:  # e.g. a posts.jsonl ('*'): cheap to read its first page
            page = src.fetch_page(listed[0], None)
            if not page.posts and page.done:
                empty.append(f"{src.name}: no usable post in it")
    return empty


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from ..collect.expand import Expander, LexicalEmbedder, MiniLMEmbedder
    from ..collect.loop import CollectConfig, Collector
    from ..collect.sources import open_source
    from ..collect.store import Store
    from ..exceptions import ExitCode, SourceError, UsageError
    from ..types import parse_tag_list

    seeds, _ = parse_tag_list(args.seeds)  # "dog,puppy", "#dog #puppy": read like --tags
    if args.seeds.strip() and not seeds:
        raise UsageError(f"--seeds {args.seeds!r}: no hashtag in it (expected e.g. --seeds dog,puppy)")
    target = args.target if args.target is not None else (1000 if seeds else 10**12)
    config = CollectConfig(target=target, rounds=args.rounds, per_tag=args.per_tag, max_retries=args.max_retries,
                           max_wait=args.max_wait)
    embedder = {"minilm": MiniLMEmbedder, "lexical": LexicalEmbedder}[args.embedder]() if args.embedder else None
    sources = [open_source(spec, session_file=args.session_file, only_media=not args.all_posts,
                           deadline=max(args.request_deadline, 0.001), max_bytes=int(args.max_image_mb * 2**20))
               for spec in args.source]
    store = Store(args.store)
    try:
        store.lock()
        collector = Collector(store, sources, config, expander=Expander(embedder=embedder, max_new=args.max_new,
                                                           synonyms=(lambda word: []) if args.no_synonyms else None),
                              progress=not args.no_progress)
        report = collector.run(seeds)
        with store.guard():  # a store damaged during the run is a clear error here too
            counts = store.counts()
        empty_sources = [] if seeds else _empty_local_sources(sources)
    finally:
        for src in sources:
            src.close()
        store.close()
    summary = {**asdict(report), "store": counts}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"{counts['posts']} posts, {counts['images']} images in {args.store} "
              f"(+{report.new_posts} posts, +{report.new_images} images this run); {report.stop_reason}")
        if report.retried_images:
            print(f"images tried again: {report.retried_images}, of which {report.recovered_images} stored now",
                  file=sys.stderr)
    if counts["images_missing"]:
        print(f"taglens collect: note: {counts['images_missing']} image(s) of stored posts could not be fetched "
              f"({report.missing_images} this run: gone, failing, too large or not an image); their posts are kept "
              f"without them, and the next collect into {args.store} tries the missing and failed ones again",
              file=sys.stderr)
        for name, why in report.failed_sources.items():
            print(f"source skipped: {name}: {why}", file=sys.stderr)
        if report.failed_tags:
            print(f"hashtags that failed: {', '.join('#' + t for t in report.failed_tags)}", file=sys.stderr)
    # an empty download or file is not an error (a hashtag can have no posts yet), but it must not pass unnoticed
    for line in empty_sources:
        print(f"taglens collect: note: nothing to import from {line}", file=sys.stderr)
    if not counts["posts"] and not report.failed_tags and not report.failed_sources:
        print(f"taglens collect: note: the store {args.store} holds no post: "
              + ("the sources hold none" if empty_sources or not seeds
                 else "the sources returned no post for these hashtags"), file=sys.stderr)
    if report.failed_sources and len(report.failed_sources) == len(sources):
        raise SourceError("every source kept failing: " + "; ".join(f"{k}: {v}" for k, v in
                                                                    report.failed_sources.items()))
    if report.failed_tags and not report.new_posts and not report.pages:
        raise SourceError(f"nothing collected: the request for every hashtag failed "
                          f"({', '.join('#' + t for t in report.failed_tags[:10])})")
    return int(ExitCode.OK)
