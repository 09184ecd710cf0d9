#!/usr/bin/env python
"""Build the word glosses shipped in the package (``src/taglens/resources/vocab/glosses.tsv.gz``): for the caption
languages taglens has no training captions in (Greek, Japanese), each common word -> the English words it means,
kept only where one of those English words is one taglens can read as evidence (a caption word of the everyday
topic statistics, a hashtag of the broad vocabulary used in 20+ posts, or a concrete WordNet lemma).

Source: the FreeDict dictionaries as Debian packages them (``apt-get install dict-freedict-ell-eng
dict-freedict-jpn-eng``; dictd format under /usr/share/dictd): Modern Greek-English (FreeDict contributors) and
Japanese-English (JMdict/EDICT: James William Breen and the Electronic Dictionary Research and Development Group),
both CC-BY-SA 3.0; the notice is written beside the resource (``glosses.LICENSE``). For Spanish, Portuguese,
French, Italian, German (and Japanese), also the one-word names of emoji in Unicode CLDR as the ``emoji`` package
ships them (🐈: "gato", "chat", "Katze" -> cat; a build-time dependency only). Japanese entries are kept only
where JMdict marks them common (``ichi1``, ``news1``, ``gai1``, ``spec1``); a Japanese verb is also kept under its
stem (食べる -> 食べ), since a caption inflects it (食べました). Deterministic: the same dictionaries give the same
file byte for byte.

Usage: python scripts/build_glosses.py [--dictd /usr/share/dictd] [--out src/taglens/resources/vocab]
"""
from __future__ import annotations

import argparse
import collections
import gzip
import io
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.knowledge.vocabulary import get_vocabulary  # noqa: E402
from taglens.suggesters.taglens_base.sources.caption_topics import topic_statistics  # noqa: E402

DICTIONARIES = {"el": "freedict-ell-eng", "ja": "freedict-jpn-eng"}
EMOJI_LANGUAGES = ("es", "pt", "fr", "it", "de", "ja")  # CLDR's emoji names in these languages (``emoji``)
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
COMMON_JA = re.compile(r"\[(ichi1|news1|gai1|spec1)\]")
# a godan verb's te/ta-form stem (onbin), how a caption writes it before て/た: 咲く -> 咲いて, 行く -> 行った
ONBIN = {"く": "い", "ぐ": "い", "う": "っ", "つ": "っ", "る": "っ", "ぬ": "ん", "ぶ": "ん", "む": "ん", "す": "し"}
MAX_GLOSSES = 4
MIN_TAG_POSTS = 20
ENGLISH = re.compile(r"^[a-z][a-z' -]*[a-z]$")
KANA = re.compile(r"^[\u3040-\u30ff\u30fc]+$")
HIRAGANA = re.compile(r"^[\u3040-\u309f]+$")
NOTES = ("word usually written using kana alone", "honorific or respectful (sonkeigo) language", "archaism",
         "abbreviation", "colloquialism", "slang", "polite (teineigo) language", "familiar language",
         "humble (kenjougo) language", "onomatopoeic or mimetic word", "children's language")
SKIP_NOTES = ("derogatory", "vulgar", "sensitive", "obscure", "obsolete")
NOTICE = """glosses.tsv.gz is derived by scripts/build_glosses.py from two FreeDict dictionaries, as packaged by Debian
(dict-freedict-ell-eng 2022.12.07, dict-freedict-jpn-eng 2022.04.21; a subset: common words and their first English
sense), and from Unicode CLDR's emoji names:

- Modern Greek-English: Copyright 2000-2022 FreeDict contributors. CC-BY-SA 3.0.
- Emoji names (Spanish, Portuguese, French, Italian, German, Japanese -> English): Unicode CLDR, Copyright Unicode,
  Inc., Unicode License v3 (https://www.unicode.org/license.txt), as shipped by the emoji package (BSD).
- Japanese-English: JMdict/EDICT, Copyright 2000-2016 James William Breen and The Electronic Dictionary Research and
  Development Group. CC-BY-SA 3.0.

This file (glosses.tsv.gz), as derived from the two dictionaries, is licensed under the Creative Commons
Attribution-ShareAlike 3.0 licence: https://creativecommons.org/licenses/by-sa/3.0/ .
FreeDict: https://freedict.org ; EDRDG: https://www.edrdg.org .
"""


def _number(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + B64.index(c)
    return n


def entries(dictd: Path, name: str):
    """(headword, entry text) for every index line of a dictd dictionary."""
    data = gzip.open(dictd / f"{name}.dict.dz").read()
    with open(dictd / f"{name}.index", encoding="utf-8") as fh:
        for line in fh:
            word, offset, length = line.rstrip("\n").split("\t")
            if word.startswith("00-database"):
                continue
            start = _number(offset)
            yield word, data[start:start + _number(length)].decode("utf-8")


def _bare(line: str) -> str:
    """The line without its bracketed parts (parts of speech, field tags, cross-references)."""
    while True:
        shorter = re.sub(r"\([^()]*\)|\{[^{}]*\}|\[[^][]*\]", "", line)
        if shorter == line:
            return line.strip()
        line = shorter


def first_form(text: str) -> str:
    """The first spelling a JMdict entry lists, its usual one ("[ichi1] 笑い /ˈi/, 咲い /ˈi/, ..." -> 笑い)."""
    first = text.split("\n", 1)[0].split(",")[0]
    return re.sub(r"\[[^]]*\]|/[^/]*/", "", first).strip().lower()


def first_sense(lang: str, text: str) -> list[str]:
    """The English phrases of an entry's first sense, lowercased."""
    lines = [ln.strip() for ln in text.split("\n")]
    if lang == "el":  # "καφές /kafˈes/ <n>" then the senses, one per line
        glosses = next((ln for ln in lines[1:] if ln), "")
    else:  # JMdict: forms, "(noun ...)" or "1. (noun ...)", then the sense's glosses
        glosses, after_pos, loanword = "", False, "[gai1]" in lines[0]
        for ln in lines[1:]:
            if re.match(r"^(\d+\. )?\(", ln) and not _bare(re.sub(r"^\d+\. ", "", ln)):  # "(noun (common) ...)"
                if after_pos and glosses:
                    break
                after_pos = True
                continue
            if after_pos and ln.startswith("Note:"):  # "Note: word usually written using kana alonecoffee"
                note = ln[len("Note:"):].strip()
                if note.startswith(SKIP_NOTES):
                    return []
                for prefix in NOTES:
                    if note.startswith(prefix):
                        glosses = "\0" + note[len(prefix):]  # its first word may run on from a source word
                        break
                if glosses:
                    break
            elif after_pos and _bare(ln):
                glosses = "\0" + ln if loanword else ln  # a loanword's gloss may run on from its source word
                break
    glosses = _bare(glosses)
    out = [p.strip().lower() for p in re.split(r"[,;]", glosses) if p.strip()]
    return [p[3:] if p.startswith("to ") else p for p in out]


def readable(phrase: str, known) -> str | None:
    """The phrase in tag form where taglens can read it (``known``), else None; a phrase marked as running on
    from a note's source word ("\\0lamianramen") reads as its longest known ending ("ramen")."""
    if phrase.startswith("\0"):
        phrase = phrase[1:]
        if " " not in phrase:
            return next((phrase[i:] for i in range(len(phrase) - 2) if known(phrase[i:])), None)
    if not ENGLISH.match(phrase) or len(phrase.split()) > 2:
        return None
    form = phrase.replace(" ", "").replace("-", "").replace("'", "")
    return form if known(form) else None


def emoji_names(languages=EMOJI_LANGUAGES):
    """(language, word, English word) for every emoji whose name is one word in both (CLDR's names, as the
    ``emoji`` package ships them: 🐈 is "gato" in Spanish, "cat" in English)."""
    import emoji

    emoji.config.load_language(list(languages))
    for symbol in sorted(emoji.EMOJI_DATA):
        names = emoji.EMOJI_DATA[symbol]
        english = names["en"].strip(":").lower()
        for lang in languages:
            name = names.get(lang, "").strip(":").lower()
            if name and "_" not in name and "_" not in english:
                yield lang, name, english


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--dictd", type=Path, default=Path("/usr/share/dictd"))
    ap.add_argument("--out", type=Path, default=REPO / "src" / "taglens" / "resources" / "vocab")
    args = ap.parse_args(argv)
    vocab = get_vocabulary()
    topic_words = set(topic_statistics()[0].words)

    def known(form: str) -> bool:
        return form in topic_words or vocab.tag_count(form) >= MIN_TAG_POSTS or vocab.lemma(form) is not None

    rows: dict[tuple[str, str], list[str]] = {}
    inflected: dict[str, list[str]] = {}  # a godan verb's te/ta-form stem -> the verb's English
    spelled: set[str] = set()  # Japanese words that are an entry's usual spelling or its kana
    for lang, name in DICTIONARIES.items():
        for word, text in entries(args.dictd, name):
            head = word.strip().lower()
            if lang == "ja" and (not COMMON_JA.search(text) or (HIRAGANA.match(head) and len(head) < 3)):
                continue  # uncommon words; short hiragana words (particles, inflections: は, を, ました)
            if len(head) < 2 and not (lang == "ja" and not KANA.match(head)):
                continue
            forms = [f for f in (readable(p, known) for p in first_sense(lang, text)) if f]
            if not forms and lang != "ja":  # a common Japanese word stays, without English, to segment by
                continue
            if lang == "ja" and (head == first_form(text) or KANA.match(head)):
                spelled.add(head)
            keys = [head]
            verb = re.search(r"\((Ichidan|Godan) verb", text)
            if lang == "ja" and verb and len(head) >= 3 and head[-1] in "るうくぐすつぬぶむ":
                keys.append(head[:-1])  # the verb's stem, as it starts its inflected forms
            if lang == "ja" and verb and verb.group(1) == "Godan" and len(head) >= 2 and head[-1] in ONBIN:
                inflected.setdefault(head[:-1] + ONBIN[head[-1]], forms)  # 咲く -> 咲い(ています), 行く -> 行っ(た)
            for key in keys:
                if lang == "ja" and HIRAGANA.match(key) and len(key) < 3:
                    continue
                have = rows.setdefault((lang, key), [])
                for f in forms:
                    if f not in have and len(have) < MAX_GLOSSES:
                        have.append(f)
    for key, forms in inflected.items():
        if key in spelled or (HIRAGANA.match(key) and len(key) < 3):
            continue  # a word of its own spelled so (行い, a deed) stays that word
        # over a rare spelling of another word: 咲い is listed under 笑い (laugh), but a caption's 咲い is 咲く's
        rows[("ja", key)] = list(forms[:MAX_GLOSSES])
    for lang, word, english in emoji_names():
        form = readable(english, known)
        if form and len(word) > 1 and (lang, word) not in rows:
            rows[(lang, word)] = [form]
    args.out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    languages = " ".join(sorted({lang for lang, _ in rows}))
    buf.write(f"lang\tword\tenglish (none: a Japanese word kept to segment captions by; languages: {languages})\n")
    for (lang, word), forms in sorted(rows.items()):
        buf.write(f"{lang}\t{word}\t{' '.join(forms)}\n")
    tmp = args.out / "glosses.tsv.gz.tmp"
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    tmp.replace(args.out / "glosses.tsv.gz")
    (args.out / "glosses.LICENSE").write_text(NOTICE, encoding="utf-8")
    by_lang = dict(sorted(collections.Counter(lang for lang, _ in rows).items()))
    print(json.dumps({"words": by_lang, "bytes": (args.out / "glosses.tsv.gz").stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
