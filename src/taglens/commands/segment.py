"""``taglens segment``: split hashtags into words (arguments, or one hashtag per stdin line)."""
from __future__ import annotations

import argparse
import json
import sys

HELP = "split hashtags into words (#sunsetbeachvibes -> sunset beach vibes)"
DESCRIPTION = (
    "Segment the hashtags given as arguments, or one hashtag per line of stdin when there are none. "
    "Prints one line per hashtag: the words separated by spaces, or with --json a "
    '{"hashtag": ..., "words": [...]} object.'
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("hashtags", nargs="*", metavar="HASHTAG", help="hashtags, with or without '#'")
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="write JSON lines instead of plain text")
    out.add_argument("-k", "--top-k", type=int, default=1, metavar="K",
                     help="with --json, also list the K best segmentations with probabilities (default 1)")
    out.add_argument("--no-rerank", action="store_true", help="plain Viterbi, without the reranker")


MAX_LINE_BYTES = 1 << 20  # a longer stdin line is read up to here (only 10,000 characters are segmented anyway)


def _lines(stream) -> "iter[str]":
    """The lines of standard input, read as bytes and decoded as UTF-8 (a bad byte is U+FFFD, not a traceback),
    each up to MAX_LINE_BYTES: the rest of a longer line is skipped without being kept (500 MB of NULs on one line
    took minutes and gigabytes). A text stream without a byte buffer (a test's StringIO) is read as text."""
    binary = hasattr(stream, "buffer")
    src = stream.buffer if binary else stream
    newline = b"\n" if binary else "\n"
    while True:
        raw = src.readline(MAX_LINE_BYTES)
        if not raw:
            return
        rest = raw
        while rest and not rest.endswith(newline):
            rest = src.readline(1 << 16)
        yield (raw.decode("utf-8", "replace") if binary else raw).rstrip("\r\n")


def run(args: argparse.Namespace) -> int:
    from taglens.segmentation import Segmenter, get_segmenter

    seg = Segmenter(reranker=False) if args.no_rerank else get_segmenter()
    source = args.hashtags if args.hashtags else _lines(sys.stdin)
    write = sys.stdout.write
    buf: list[str] = []
    for tag in source:
        if args.json:
            rec = {"hashtag": tag, "words": seg.segment(tag)}
            if args.top_k > 1:
                rec["candidates"] = [{"words": w, "prob": round(p, 6)} for w, p in seg.segment_topk(tag, args.top_k)]
            buf.append(json.dumps(rec, ensure_ascii=False))
        else:
            buf.append(" ".join(seg.segment(tag)))
        if len(buf) >= 512:  # stream: flush in blocks, not per line and not at the very end
            write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        write("\n".join(buf) + "\n")
    sys.stdout.flush()
    return 0
