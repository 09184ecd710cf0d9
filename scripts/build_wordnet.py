#!/usr/bin/env python
"""Build the WordNet 3.0 resource shipped in the package (``src/taglens/resources/wordnet/``).

taglens reads WordNet's index, data and exception files (the fast lookup reads the index and the lemma names of the
data lines; nltk's reader, for the zero-shot tables, reads the pointers too). It never reads a gloss, so each gloss
is blanked with spaces of the same byte length: every synset keeps its byte offset (WordNet's synset id, which
ImageNet's wnids name) and the files stay readable by both readers, while xz packs the blanks into almost nothing
(28 MB of files -> about 4 MB). ``MANIFEST`` records the sha256 and size of each unpacked file, which the package
checks when it unpacks them into the user's cache; ``LICENSE`` is WordNet's licence notice, which the licence asks
to keep with any copy.

Deterministic: the same source files and liblzma give the same bytes.

Usage:
    python scripts/build_wordnet.py                       # from /usr/share/wordnet (Debian's wordnet-base)
    python scripts/build_wordnet.py --source DIR --out DIR
"""
from __future__ import annotations

import argparse
import hashlib
import lzma
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.wordnet import SHIPPED_FILES  # noqa: E402

LICENSE = """WordNet Release 3.0

This software and database is being provided to you, the LICENSEE, by Princeton University under the following
license. By obtaining, using and/or copying this software and database, you agree that you have read, understood,
and will comply with these terms and conditions.:

Permission to use, copy, modify and distribute this software and database and its documentation for any purpose and
without fee or royalty is hereby granted, provided that you agree to comply with the following copyright notice and
statements, including the disclaimer, and that the same appear on ALL copies of the software, database and
documentation, including modifications that you make for internal use or for distribution.

WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.

THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES,
EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR
WARRANTIES OF MERCHANT- ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED SOFTWARE,
DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS.

The name of Princeton University or Princeton may not be used in advertising or publicity pertaining to
distribution of the software and/or database. Title to copyright in this software, database and any associated
documentation shall at all times remain with Princeton University and LICENSEE agrees to preserve same.

---
taglens ships a derived copy of WordNet 3.0's index, data and exception files in which every gloss (definition
and examples) is replaced by spaces of the same length, so that synset offsets are unchanged; nothing else is
modified. Built by scripts/build_wordnet.py from Debian's wordnet-base package.
"""


def blank_glosses(data: bytes) -> bytes:
    """A data file with each synset line's gloss (after `` | ``) replaced by spaces; byte offsets unchanged. The
    licence lines at the top (which start with two spaces) are kept as they are."""
    out = []
    for line in data.split(b"\n"):
        if line and not line.startswith(b"  "):
            cut = line.find(b" | ")
            if cut >= 0:
                line = line[: cut + 2] + b" " * (len(line) - cut - 2)
        out.append(line)
    blanked = b"\n".join(out)
    assert len(blanked) == len(data)
    return blanked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources" / "wordnet")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name in SHIPPED_FILES:
        raw = (args.source / name).read_bytes()
        if name.startswith("data."):
            raw = blank_glosses(raw)
        packed = lzma.compress(raw, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9)
        (args.out / f"{name}.xz").write_bytes(packed)
        manifest.append(f"{name}\t{len(raw)}\t{hashlib.sha256(raw).hexdigest()}")
        print(f"{name}: {len(raw):,} bytes -> {len(packed):,}", file=sys.stderr)
    (args.out / "MANIFEST").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    (args.out / "LICENSE").write_text(LICENSE, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
