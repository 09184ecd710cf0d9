"""taglens suggest: hashtags for one post (files + caption + tags) or a batch of posts (--batch QUERIES.jsonl)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from ._common import (DEFAULT_MODEL, add_engine_arguments, add_model_argument, int_at_least, progress_bar,
                      read_tag_option)

DEFAULT_MIN_SCORE = 0.05  # a suggestion under this confidence is weak evidence: left out, and said so
HELP = "suggest hashtags for a post (images/video, caption, existing tags) or a batch of posts"
DESCRIPTION = """\
Suggest hashtags for one post (FILES, --text or --text-file, --tags: at least one of them) or, with --batch, for
every post of a JSON-lines file.

--batch FILE ('-': standard input; a pipe or FIFO works) holds one JSON object per line:
  {"id": "p1", "images": ["photo.jpg", "/abs/clip.mp4"], "text": "caption", "hashtags": ["dog"], "user": "ann"}
  id        required (echoed in the answer)
  images    optional, image or video paths; relative ones resolve against the file's folder (standard
            input, /dev/fd/N: the current folder), absolute ones are used as they are
  text      optional, the caption (cut at 10,000 characters, with a warning)
  hashtags  optional, the tags the post already has (lowercase, no '#')
  user      optional, the author
Other fields are ignored. Each post is answered with one line, in input order:
  {"id": "p1", "suggestions": [{"tag": ..., "score": ..., ...}, ...]}   or   {"id": "p1", "error": "..."}
A line that is not such an object (or longer than 1 MiB), or a post with none of images, text, hashtags and user,
is answered with an "error"; the exit code is then 9.
"""
FORMATTER_CLASS = argparse.RawDescriptionHelpFormatter  # the line format above keeps its layout
BATCH_CHUNK = 32
MAX_CAPTION_FILE_BYTES = 1 << 20  # --text-file reads at most this much (a caption is a few kilobytes at most)
NOTHING_TO_SUGGEST_FOR = ("nothing to suggest for: give photos or videos (FILE ...), a caption (--text or "
                          "--text-file), existing tags (--tags), the author (--user), or --batch QUERIES.jsonl")
EMPTY_QUERY = ("nothing to suggest for: the post has no images, no caption (text), no hashtags and no user; "
               "give at least one of them")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE", help="images or short videos of the post")
    p.add_argument("--text", default="", help="the caption (hashtags in it count as existing tags)")
    p.add_argument("--text-file", metavar="PATH",
                   help="read the caption from a UTF-8 file ('-': standard input; at most 1 MiB is read)")
    p.add_argument("--tags", default="", help='hashtags the post already has, e.g. "#dog #park"')
    p.add_argument("--user", default=None, help="the author, so that the model can add their habitual tags")
    p.add_argument("-k", type=int_at_least(1), default=10, help="number of suggestions (default 10)")
    add_model_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--min-score", type=fraction, default=None, metavar="C",
                   help=f"leave out suggestions whose confidence is under C, 0 to 1 (default {DEFAULT_MIN_SCORE} for "
                        f"models that give a confidence, as taglens-base does; 0 shows all k)")
    p.add_argument("--allow-generic", action="store_true",
                   help="also suggest engagement bait (#like #follow #instagood) and tags that do not read as words, "
                        "which are left out by default (same as TAGLENS_ALLOW_GENERIC=1)")
    p.add_argument("--batch", metavar="QUERIES.jsonl",
                   help="suggest for every post of a JSON-lines file ('-': standard input), one JSON line per post, "
                        "in input order; the line format is described above")
    add_engine_arguments(p, "--batch: write the answers as Parquet shards to this folder (with --engine ray)")


def fraction(value: str) -> float:
    """An argparse type: a number from 0 to 1."""
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {value!r}") from None
    if not 0.0 <= x <= 1.0:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {value}")
    return x


def keep_confident(suggestions: list, min_score: float | None) -> tuple[list, int]:
    """(the suggestions with enough evidence, how many were left out): those whose confidence (a model without
    one: its score) is at least ``min_score``; with no ``min_score``, DEFAULT_MIN_SCORE on the confidence of a
    model that gives one. A post with nothing but its author is no exception: an author the model does not know
    gets no popular tags at confidence 0.001 (issue 22), one it knows their habits (confidence ~0.5)."""
    if min_score is None:
        min_score = DEFAULT_MIN_SCORE
        kept = [s for s in suggestions if s.confidence is None or s.confidence >= min_score]
    else:
        kept = [s for s in suggestions if (s.score if s.confidence is None else s.confidence) >= min_score]
    return kept, len(suggestions) - len(kept)


def has_nothing(post) -> bool:
    """Whether a post gives a model nothing to read: no media, no caption, no hashtag (a blank caption and a
    ``--tags "#"`` count as none) and no author. Such a post is refused, not answered with popular tags (issue 22)."""
    return post.is_empty and not post.user


def answer_posts(model, posts: list, k: int, features=None) -> list:
    """The model's suggestions for each post, or the error of a post it does not answer: an empty post
    (``has_nothing``) is refused with EMPTY_QUERY, not ranked; a post it cannot answer (a corrupt image) gets its
    TaglensError. One batch call for the others (with ``features``, their features read ahead, or the TaglensError
    reading them met), and one call per post only where the batch fails. `suggest --batch` and the Ray workers
    answer so."""
    from ..exceptions import UsageError

    todo = [post for post in posts if not has_nothing(post)]
    answers = iter(_answer_all(model, todo, k, features))
    return [UsageError(EMPTY_QUERY) if has_nothing(post) else next(answers) for post in posts]


def _answer_all(model, posts: list, k: int, features=None) -> list:
    from ..encoders import beside_other_work
    from ..exceptions import TaglensError

    if not posts:
        return []
    try:
        if isinstance(features, TaglensError):  # an unreadable image, found ahead
            raise features
        if features is None:
            return list(model.suggest_batch(posts, k=k))
        with beside_other_work():  # the next chunk is encoded meanwhile: a photo's text is read on a thread fewer
            return list(model.suggest_batch(posts, k=k, features=features))
    except TaglensError:
        out: list = []
        for post in posts:  # find the bad post(s); answer the others
            try:
                out.append(model.suggest(post, k=k))
            except TaglensError as exc:
                out.append(exc)
        return out


def weak_note(kept: int, left_out: int, min_score: float | None) -> str:
    c = DEFAULT_MIN_SCORE if min_score is None else min_score
    return (f"taglens suggest: note: the evidence is weak: {left_out} of {kept + left_out} suggestions had a "
            f"confidence under {c:g} and were left out (--min-score 0 shows them)")


def run(args: argparse.Namespace) -> int:
    import os

    from ..exceptions import UsageError

    if not args.batch and (args.engine == "ray" or args.out):
        raise UsageError("--engine ray and --out go with --batch")
    if args.allow_generic:  # read by every model's filter (taglens.knowledge.junk), in this process
        os.environ["TAGLENS_ALLOW_GENERIC"] = "1"

    if args.batch:
        if args.files or args.text or args.text_file or args.tags or args.user:
            raise UsageError("--batch takes its posts from the file: do not also give FILES, --text, --text-file, "
                             "--tags or --user")
        if args.engine == "ray" or args.out:
            from ..scale.commands import suggest_ray
            return suggest_ray(args)
        return _run_batch(args)
    if args.text_file:
        if args.text:
            raise UsageError("give the caption with --text or --text-file, not both")
        args.text = _read_caption(args.text_file)
    if not (args.files or args.text.strip() or args.tags.strip() or args.user):
        raise UsageError(NOTHING_TO_SUGGEST_FOR)  # before a caption or a media file is read
    return _run_single(args)


def _read_caption(path: str) -> str:
    """The caption in a UTF-8 file, or on standard input for '-' (a caption too long for the command line).

    At most MAX_CAPTION_FILE_BYTES are read, whatever the file (``/dev/zero`` is endless), and of them the first
    MAX_CAPTION_CHARS characters are the caption (with a warning, as anywhere a caption is read); a file that is
    not a regular file (a FIFO, a device) is refused like a media file, since its writer may never come. A pipe on
    standard input is read, within the same cap."""
    import os
    import stat

    from ..data.posts import cap_caption
    from ..exceptions import InputError

    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_CAPTION_FILE_BYTES + 1)
        else:
            if os.path.isdir(path):
                raise InputError(f"{path}: cannot read the caption (a directory, not a file)")
            if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
                raise InputError(f"{path}: not a regular file (a device, pipe or socket); give the caption "
                                 f"with --text-file - on standard input instead")
            with open(path, "rb") as fh:
                data = fh.read(MAX_CAPTION_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: cannot read the caption (no such file)") from None
    except OSError as exc:
        raise InputError(f"{where}: cannot read the caption ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise InputError(f"{where}: a binary file, expected a UTF-8 caption")
    return cap_caption(data[:MAX_CAPTION_FILE_BYTES].decode("utf-8", errors="replace"), where)


def _run_single(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..data.posts import cap_caption
    from ..media import check_media_file
    from ..model_folder import load_suggester
    from ..types import Post, clean_text, parse_hashtags

    for f in args.files:
        check_media_file(Path(f))  # fail fast, before loading the model
    # an argv byte that is not UTF-8 arrives as a lone surrogate: U+FFFD
    text = clean_text(cap_caption(args.text, "--text"))
    # --tags and the caption's hashtags are read with the same grammar; Post keeps the first MAX_POST_HASHTAGS
    tags = read_tag_option(args.tags, prog="taglens suggest") + parse_hashtags(text)
    post = Post(text=text, hashtags=tuple(tags), images=tuple(Path(f) for f in args.files), user=args.user)
    if has_nothing(post):  # --tags "#" or a caption of nothing but '#': no tag and no word to read
        from ..exceptions import UsageError

        raise UsageError(NOTHING_TO_SUGGEST_FOR)
    if args.model == DEFAULT_MODEL:  # its photo decoded and encoded while the model loads (taglens-base reads them)
        from ..features import start_post_images

        start_post_images(post)
    model = load_suggester(args.model)
    suggestions, left_out = keep_confident(model.suggest(post, k=args.k), args.min_score)
    if left_out:
        print(weak_note(len(suggestions), left_out, args.min_score), file=sys.stderr)
    if args.json:
        answer = {"suggestions": [s.to_dict() for s in suggestions]}
        if left_out:
            answer["left_out_weak"] = left_out
        print(json.dumps(answer, ensure_ascii=False))
        return 0
    if not suggestions:
        print("(no suggestions)")
        return 0
    width = max(len(s.tag) for s in suggestions) + 1
    print(f"{'#':>3}  {'tag':<{width}}  {'score':>6}  evidence")
    for i, s in enumerate(suggestions, 1):
        evidence = s.reason or s.source
        print(f"{i:>3}  #{s.tag:<{width - 1}}  {s.score:>6.3f}  {evidence}")
    return 0


class _Ahead:
    """The values of ``fn()``, called again and again in a daemon thread (one that never holds up the program's
    exit, even while it waits for input) until it returns None, handed over in order as the caller iterates; the
    thread stays at most two values ahead (one waiting, one being made). An exception of ``fn`` is raised where the
    caller reaches it."""

    def __init__(self, fn):
        import queue
        import threading

        self._queue: queue.Queue = queue.Queue(maxsize=1)
        threading.Thread(target=self._run, args=(fn,), daemon=True, name="taglens-batch-ahead").start()

    def _run(self, fn) -> None:
        while True:
            try:
                value = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                self._queue.put((None, exc))
                return
            self._queue.put((value, None))
            if value is None:
                return

    def __iter__(self):
        while True:
            value, error = self._queue.get()
            if error is not None:
                raise error
            if value is None:
                return
            yield value


def _run_batch(args: argparse.Namespace) -> int:
    import gc
    import os

    import itertools

    from ..blocklist import blocked_tags
    from ..data.posts import Record, iter_records
    from ..encoders import beside_other_work
    from ..exceptions import ExitCode, TaglensError
    from ..model_folder import load_suggester
    from ..types import clean_text

    from pathlib import Path

    # one pass over the input, as it comes (a pipe, a FIFO, standard input): no count of its lines first
    if args.batch == "-":
        records = iter_records("<stdin>", strict=False, stream=sys.stdin.buffer, base=Path.cwd(), confined=False)
    else:  # a query file is the user's own: absolute image paths are fine (EVALUATION.md)
        # /dev/stdin, or bash's <(...) as /dev/fd/63: relative paths are the current folder's, not /dev's
        base = Path.cwd() if os.path.abspath(args.batch).startswith(("/dev/", "/proc/")) else None
        records = iter_records(args.batch, strict=False, confined=False, base=base)  # an InputError if unreadable
    model = load_suggester(args.model)
    blocked_tags()  # an unreadable blocked-tags list is the run's error, not every post's
    failed = 0
    answered = 0
    out = sys.stdout

    def emit(obj: dict) -> None:
        nonlocal answered
        answered += 1
        # ids and error messages may echo a file name or text with lone surrogates: the line stays valid UTF-8
        out.write(clean_text(json.dumps(obj, ensure_ascii=False)) + "\n")

    def flush_chunk(chunk: list, posts: list, features) -> None:
        """Answer ``chunk``'s lines in order: ``posts`` holds (record, post) of its records, ``features`` the
        features read ahead of those posts that are not empty (``answer_posts`` refuses those)."""
        nonlocal failed
        answers = dict(zip((id(r) for r, _ in posts), answer_posts(model, [p for _, p in posts], args.k, features)))
        for item in chunk:
            if not isinstance(item, Record):
                failed += 1
                emit({"id": getattr(item, "post_id", None), "error": str(item)})
                continue
            ans = answers[id(item)]
            if isinstance(ans, Exception):
                failed += 1
                emit({"id": item.id, "error": str(ans)})
            else:
                kept, left_out = keep_confident(ans, args.min_score)
                emit({"id": item.id, "suggestions": [s.to_dict() for s in kept],
                      **({"left_out_weak": left_out} if left_out else {})})
        out.flush()
        bar.update(len(chunk))

    lines = iter(records)
    # a model that can (taglens-base: ``batch_features``) decodes and encodes the next chunk's images while this
    # chunk is ranked: the encoders and image decoding release the GIL, so both cores work
    prepare = getattr(model, "batch_features", None)

    def next_chunk():
        """The next chunk read (at most BATCH_CHUNK lines), its posts and their features; None at the end."""
        chunk = list(itertools.islice(lines, BATCH_CHUNK))
        if not chunk:
            return None
        # the post as `taglens evaluate` gives it: no topic or source (those are labels, not inputs); an empty post
        # is refused, not ranked (nor its features read) with the others
        posts = [(r, dataclasses.replace(r.to_post(), meta={})) for r in chunk if isinstance(r, Record)]
        todo = [p for _, p in posts if not has_nothing(p)]
        try:
            with beside_other_work():  # the chunk before is ranked meanwhile: a core for that
                features = prepare(todo) if prepare is not None and todo else None
        except TaglensError as exc:
            features = exc
        return chunk, posts, features

    with progress_bar(None, "suggest") as bar:
        # read and prepared in another thread, up to two chunks ahead (so neither the ranking nor the encoding waits
        # for the other where one chunk takes longer than the next: 102-109 posts/s, 90-99 one chunk ahead); a
        # pipe that waits for more input holds back only the chunk being read, never the answers to the one before
        ahead = _Ahead(next_chunk)
        warm_up = getattr(model, "warm_up", None)
        if warm_up is not None and prepare is not None:  # while the first chunk's photos are decoded and encoded
            try:
                warm_up()
            except TaglensError:  # a resource that cannot be loaded: the posts meet it again and say so, as before
                pass
        for n, got in enumerate(ahead):
            flush_chunk(*got)
            if n == 0:  # the model and what its first chunk loaded (vocabularies, WordNet, encoders) live to the end:
                gc.freeze()  # the collector's full passes no longer walk them (issue 21: ~5% of the ranking's CPU)
    if not answered:
        print(f"taglens suggest: note: no posts in {args.batch} (the file is empty or blank)", file=sys.stderr)
    if failed:
        print(f"taglens suggest: {failed} post(s) could not be answered (see their \"error\")", file=sys.stderr)
        return int(ExitCode.PARTIAL)
    return 0
