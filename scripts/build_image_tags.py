#!/usr/bin/env python
"""Build the ImageNet class -> hashtags map shipped in the package (``src/taglens/resources/image_tags.tsv``).

For each of the 1,000 ImageNet classes (``resources/imagenet_synsets.txt``, in the encoder's logit order):

1. its own names: the lemmas of the class's own WordNet 3.0 synset in tag form (``golden_retriever`` ->
   ``goldenretriever``). The first lemma is the class's name; a further lemma is kept only where this synset is the
   lemma's usual sense (its first noun sense, so chain mail does not give #mail) and the lemma reads as a tag
   (used as a hashtag in the corpora, or a word wordfreq knows);
2. its basic-level category and the forms people post it under, from the hand-written :data:`CATEGORIES` map
   keyed by WordNet synset: the nearest ancestor on the class's own hypernym paths that the map names gives its
   tags at full strength, the next one up at a lower strength (so the sense is always the class's own: the
   ``crane`` bird climbs to bird.n.01, the machine to device.n.01);
3. a check against real tag corpora: every tag must be used as a hashtag in ../shared/data (the packaged
   vocabulary's aggregate counts) or be the class's own name; the counts go into the build report;
4. ``resources/image_tags_overrides.tsv`` (hand-curated) corrects what the steps above get wrong: per wnid,
   ``-tag`` removes a tag, ``+tag`` adds one (at the basic-category strength), ``=tag tag ...`` replaces the list,
   ``>p`` gives the class a floor: it is read only at probability p or more (the classifier's fallbacks).

Output: ``wnid<TAB>class name<TAB>tag:weight tag:weight ...[<TAB>floor]`` (weights 1.0 for names, 0.9 for the
basic category's first form, lower for further forms and broader categories; the floor only where one is set).

Usage: python scripts/build_image_tags.py [--report FILE] [--out FILE]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from taglens.encoders.image import imagenet_synsets  # noqa: E402
from taglens.knowledge.image_tags import OVERRIDES, RESOURCE, read_overrides  # noqa: E402
from taglens.knowledge.vocabulary import get_vocabulary  # noqa: E402
from taglens.wordnet import get_lookup, get_wordnet, lemma_tag  # noqa: E402
from wordfreq import zipf_frequency  # noqa: E402

# WordNet synset -> the tags people use for anything under it, most used form first
CATEGORIES: dict[str, tuple[str, ...]] = {
    # animals
    "dog.n.01": ("dog", "dogs", "puppy", "dogsofinstagram", "pets"),
    "wolf.n.01": ("wolf", "wildlife", "animals"),
    "fox.n.01": ("fox", "wildlife", "animals"),
    "wild_dog.n.01": ("wildlife", "animals"),
    "hyena.n.01": ("hyena", "wildlife", "safari"),
    "domestic_cat.n.01": ("cat", "cats", "catsofinstagram", "kitty", "pets"),
    "big_cat.n.01": ("wildlife", "bigcats", "animals"),
    "feline.n.01": ("animals",),
    "bear.n.01": ("bear", "wildlife", "animals"),
    "bird.n.01": ("bird", "birds", "birding", "nature"),
    "parrot.n.01": ("parrot",),
    "owl.n.01": ("owl",),
    "bird_of_prey.n.01": ("birdsofprey",),
    "duck.n.01": ("duck",),
    "swan.n.01": ("swan",),
    "penguin.n.01": ("penguin",),
    "flamingo.n.01": ("flamingo",),
    "chicken.n.02": ("chicken", "farm"),
    "fish.n.01": ("fish", "underwater", "aquarium"),
    "shark.n.01": ("shark", "ocean"),
    "ray.n.07": ("ocean", "underwater"),
    "snake.n.01": ("snake", "reptiles"),
    "lizard.n.01": ("lizard", "reptiles"),
    "turtle.n.02": ("turtle", "reptiles"),
    "crocodilian_reptile.n.01": ("crocodile", "reptiles"),
    "frog.n.01": ("frog", "amphibian"),
    "salamander.n.01": ("salamander", "amphibian"),
    "insect.n.01": ("insect", "insects", "macro", "nature"),
    "butterfly.n.01": ("butterfly",),
    "bee.n.01": ("bee",),
    "beetle.n.01": ("beetle",),
    "ant.n.01": ("ant",),
    "spider.n.01": ("spider", "macro"),
    "arachnid.n.01": ("nature", "macro"),
    "crustacean.n.01": ("seafood", "ocean"),
    "crab.n.01": ("crab",),
    "lobster.n.02": ("lobster",),
    "mollusk.n.01": ("nature",),
    "jellyfish.n.02": ("jellyfish", "ocean", "underwater"),
    "coelenterate.n.01": ("ocean", "underwater"),
    "echinoderm.n.01": ("ocean", "underwater"),
    "worm.n.01": ("nature",),
    "monkey.n.01": ("monkey", "wildlife", "animals"),
    "ape.n.01": ("ape", "wildlife", "animals"),
    "lemur.n.01": ("lemur", "wildlife"),
    "primate.n.02": ("wildlife", "animals"),
    "elephant.n.01": ("elephant", "wildlife", "safari"),
    "rodent.n.01": ("animals", "cute"),
    "squirrel.n.01": ("squirrel",),
    "hamster.n.01": ("hamster", "pets"),
    "rabbit.n.01": ("rabbit", "bunny", "pets"),
    "hare.n.01": ("hare", "wildlife"),
    "swine.n.01": ("pig", "farm"),
    "horse.n.01": ("horse", "horses", "equestrian"),
    "equine.n.01": ("wildlife", "animals"),
    "bovid.n.01": ("wildlife", "animals"),
    "cattle.n.01": ("cow", "farm"),
    "sheep.n.01": ("sheep", "farm"),
    "goat.n.01": ("goat",),
    "antelope.n.01": ("antelope", "wildlife", "safari"),
    "deer.n.01": ("deer", "wildlife"),
    "camel.n.01": ("camel",),
    "even-toed_ungulate.n.01": ("wildlife", "animals"),
    "ungulate.n.01": ("wildlife", "animals"),
    "aquatic_mammal.n.01": ("ocean", "wildlife"),
    "seal.n.09": ("seal", "wildlife"),
    "marsupial.n.01": ("australia", "wildlife"),
    "musteline_mammal.n.01": ("wildlife", "animals"),
    "procyonid.n.01": ("wildlife", "animals"),
    "viverrine.n.01": ("wildlife", "animals"),
    "mammal.n.01": ("animals", "wildlife"),
    "animal.n.01": ("animals",),
    # plants, fungi, food
    "fungus.n.01": ("mushroom", "mushrooms", "fungi", "nature"),
    "flower.n.01": ("flower", "flowers", "nature"),
    "vegetable.n.01": ("vegetables", "veggies", "food", "healthyfood"),
    "edible_fruit.n.01": ("fruit", "fruits", "food", "healthyfood"),
    "fruit.n.01": ("nature",),
    "dessert.n.01": ("dessert", "sweet", "food", "foodporn"),
    "baked_goods.n.01": ("bakery", "food", "foodporn"),
    "bread.n.01": ("bread", "bakery", "food"),
    "sandwich.n.01": ("sandwich", "food", "foodporn", "lunch"),
    "dish.n.02": ("food", "foodporn", "foodie", "dinner", "instafood"),
    "course.n.07": ("food", "foodporn", "foodie"),
    "nutriment.n.01": ("food", "foodporn", "foodie"),
    "foodstuff.n.02": ("food", "foodie"),
    "condiment.n.01": ("food", "foodie"),
    "food.n.01": ("food", "foodie"),
    "food.n.02": ("food", "foodie"),
    "coffee.n.01": ("coffee", "coffeetime", "cafe", "coffeelover"),
    "alcohol.n.01": ("drinks", "cheers"),
    "beverage.n.01": ("drink", "drinks"),
    # vehicles and transport
    "car.n.01": ("car", "cars", "auto", "carsofinstagram"),
    "truck.n.01": ("truck", "trucks"),
    "bus.n.01": ("bus", "publictransport", "city"),
    "motorcycle.n.01": ("motorcycle", "motorbike", "bike", "biker"),
    "bicycle.n.01": ("bike", "bicycle", "cycling"),
    "train.n.01": ("train", "railway", "trains"),
    "locomotive.n.01": ("train", "railway", "trains"),
    "aircraft.n.01": ("aviation", "plane", "airplane"),
    "boat.n.01": ("boat", "sea", "water"),
    "ship.n.01": ("ship", "sea", "ocean"),
    "sailing_vessel.n.01": ("sailing", "sea", "boat"),
    "vessel.n.02": ("boat", "sea"),
    "spacecraft.n.01": ("space", "rocket"),
    "military_vehicle.n.01": ("military",),
    "tracked_vehicle.n.01": ("vehicle",),
    "wheeled_vehicle.n.01": ("vehicle",),
    # things
    "musical_instrument.n.01": ("music", "musician", "instrument"),
    "stringed_instrument.n.01": ("music", "musician", "strings"),
    "guitar.n.01": ("guitar", "music", "guitarist"),
    "piano.n.01": ("piano", "music", "pianist"),
    "drum.n.01": ("drums", "music", "drummer"),
    "wind_instrument.n.01": ("music", "musician"),
    "clothing.n.01": ("fashion", "style", "outfit", "ootd"),
    "footwear.n.02": ("shoes", "fashion"),
    "shoe.n.01": ("shoes", "fashion", "sneakers"),
    "hat.n.01": ("hat", "fashion"),
    "swimsuit.n.01": ("beach", "summer", "swimwear"),
    "jewelry.n.01": ("jewelry", "fashion", "accessories"),
    "bag.n.04": ("bag", "fashion"),
    "furniture.n.01": ("interior", "interiordesign", "home", "homedecor", "furniture"),
    "home_appliance.n.01": ("home", "kitchen"),
    "kitchen_utensil.n.01": ("kitchen", "cooking"),
    "tableware.n.01": ("kitchen", "homedecor"),
    "computer.n.01": ("computer", "tech", "technology"),
    "electronic_equipment.n.01": ("tech", "technology", "electronics"),
    "telephone.n.01": ("phone", "tech"),
    "camera.n.01": ("camera", "photography"),
    "timepiece.n.01": ("time",),
    "watch.n.01": ("watch", "watches"),
    "clock.n.01": ("clock", "time"),
    "sports_equipment.n.01": ("sports", "sport"),
    "ball.n.01": ("sports", "ball"),
    "gymnastic_apparatus.n.01": ("gym", "fitness", "workout"),
    "tool.n.01": ("tools", "diy"),
    "toy.n.01": ("toys", "kids"),
    "weapon.n.01": (),  # no #weapon: the classifier's missile and projectile photos are mostly launches
    "lamp.n.01": ("lamp", "light", "homedecor"),
    "bottle.n.01": ("bottle",),
    "toiletry.n.01": ("beauty", "selfcare"),
    "cosmetic.n.01": ("makeup", "beauty", "cosmetics"),
    # places and scenes
    "building.n.01": ("architecture", "building"),
    "place_of_worship.n.01": ("architecture", "travel"),
    "church.n.02": ("church", "architecture"),
    "memorial.n.03": ("monument", "history", "travel"),
    "bridge.n.01": ("bridge", "architecture", "city"),
    "shop.n.01": ("shop", "shopping", "store"),
    "mercantile_establishment.n.01": ("shopping",),
    "geological_formation.n.01": ("nature", "landscape", "travel"),
    "natural_elevation.n.01": ("mountains", "hiking", "landscape"),
    "shore.n.01": ("beach", "sea", "coast"),
    "body_of_water.n.01": ("water", "nature"),
}
# catch-all categories: used only after a more specific one (a grouse is a game animal, but a bird first)
BROAD = {"animal.n.01", "mammal.n.01", "food.n.01", "food.n.02", "nutriment.n.01", "foodstuff.n.02", "fruit.n.01",
         "ungulate.n.01", "even-toed_ungulate.n.01", "primate.n.02", "feline.n.01", "wheeled_vehicle.n.01",
         "tracked_vehicle.n.01", "vessel.n.02", "course.n.07", "mercantile_establishment.n.01", "arachnid.n.01"}


def class_names(synset, lookup, vocab) -> list[str]:
    """The class's own names in tag form: its first lemma, and further lemmas whose usual sense is this one."""
    names = []
    for i, lemma in enumerate(synset.lemma_names()):
        tag = lemma_tag(lemma)
        if not tag or tag in names:
            continue
        if i == 0:
            names.append(tag)
            continue
        senses = [s for s in lookup.common_synsets(lemma.replace(" ", "_")) if s.pos == "n"]
        usual = bool(senses) and senses[0].offset == synset.offset()
        if usual and (vocab.tag_count(tag) >= 1 or zipf_frequency(lemma.replace("_", " "), "en") >= 2.5):
            names.append(tag)
    return names[:3]


def _usual_sense_is(lookup, lemma: str, synset) -> bool:
    senses = [s for s in lookup.common_synsets(lemma) if s.pos == "n"]
    return bool(senses) and senses[0].offset == synset.offset()


def one_of_each(tags: dict[str, float], synset, vocab, lookup) -> dict[str, float]:
    """``tags`` with a name of the class that only adds words to another of its names (``church`` and ``church
    building``, ``tabby`` and ``tabby cat``, ``laptop`` and ``laptop computer``) given once, in the form the corpora
    use most: both in a top 5 say one thing twice. On a tie the shorter where its usual sense is the class's, else
    the longer, whose added words say which sense it is (a pirate ship, a vacuum cleaner). Two spellings of one name
    likewise."""
    words = {lemma_tag(lemma): lemma.lower().replace("-", "_").split("_") for lemma in synset.lemma_names()}
    names = [t for t, w in tags.items() if w >= 1.0 and t in words]
    out = dict(tags)
    for a in names:
        for b in names:
            if a in out and b in out and a != b and words[b][:len(words[a])] == words[a]:
                ca, cb = vocab.tag_count(a), vocab.tag_count(b)
                shorter_usual = _usual_sense_is(lookup, "_".join(words[a]), synset)
                out.pop(b if ca > cb or (ca == cb and shorter_usual) else a)
    # spellings of one name (greywhale / graywhale, diskbrake / discbrake): the more used, else the first (a word's
    # frequency would pick another sense: a thresher's "thrasher" is a bird)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a in out and b in out and one_letter_apart(a, b):
                out.pop(a if vocab.tag_count(b) > vocab.tag_count(a) else b)
    return out


def one_letter_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one letter changed, added or left out."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = sorted((a, b), key=len)
    return len(long_) == len(short) + 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


# a category tag (hand-written above, so of the category's own sense) is kept where the corpora use it as a hashtag
# (CATEGORY_COUNT times) or where it is a common English word (wordfreq's Zipf CATEGORY_ZIPF or more): the corpora
# are small (a clock, a tent, a spider, a swan and insects are 0-1 tags there), and 157 category tags were dropped
CATEGORY_COUNT = 2
CATEGORY_ZIPF = 2.5
# where no category gives a class its basic-level kind (CATEGORIES names none of its ancestors), its compound name's
# head word ("bath towel", "ballpoint pen", "picket fence", "mountain tent") names it where the head's usual sense is
# one of the class's ancestors: #towel #pen #fence #tent at a basic category's strength (a "space shuttle" is no
# shuttle, a "drilling platform" no platform in the word's usual sense). A breed's "terrier" or "poodle" is not
# added: #dog is its kind
HEAD_STRENGTH = 0.9
HEAD_ZIPF = 3.0
NOT_COMPOUND = frozenset({"of", "and", "for", "in", "on", "the", "a", "to", "with"})  # "king of beasts" is no beast
# a basic-level kind has few kinds under it (a clock 13, a fence 14, a bag 59, a gun 71); a head with more names a
# broad class no one tags a photo with (a vending machine's machine 255, a television system's system 89, a
# ballplayer's player 106, toilet paper's paper 145, a traffic signal's signal 434)
HEAD_KINDS = 80


def kinds_under(synset) -> int:
    """How many kinds WordNet files under ``synset`` (its hyponyms' closure)."""
    return sum(1 for _ in synset.closure(lambda s: s.hyponyms()))


def head_tags(synset, lookup, wn) -> list[str]:
    """The head word of the class's name where it is a compound whose head's usual noun sense is an ancestor of the
    class (see ``HEAD_STRENGTH``), in tag form."""
    ancestors = {h.offset() for path in synset.hypernym_paths() for h in path[:-1]}
    out = []
    for lemma in synset.lemma_names()[:1]:  # its name: a further lemma's head reads another way (thatch's "roof")
        words = lemma.lower().replace("-", "_").split("_")
        if len(words) < 2 or not words[-1].isalpha() or set(words) & NOT_COMPOUND:
            continue
        head = words[-1]
        senses = [s for s in lookup.common_synsets(head) if s.pos == "n"]
        if (senses and senses[0].offset in ancestors and zipf_frequency(head, "en") >= HEAD_ZIPF and head not in out
                and kinds_under(wn.synset_from_pos_and_offset("n", senses[0].offset)) <= HEAD_KINDS):
            out.append(head)
    return out


def category_tags(synset) -> list[tuple[str, float]]:
    """(tag, weight) of the nearest mapped ancestor (0.9, 0.75, 0.6, ...) and the next one up (0.5 and down)."""
    found: list[str] = []
    frontier, seen = [synset], {synset}
    while frontier:  # breadth-first: nearest ancestors first
        nxt = []
        for s in frontier:
            if s.name() in CATEGORIES and s.name() not in found:
                found.append(s.name())
            # in a fixed order: nltk returns a synset's hypernyms in set order, which varies with PYTHONHASHSEED (a
            # warship is a ship and a military vehicle: the map's first category changed from run to run). Reverse
            # name order is the order the shipped map was built in (#ship before #military, #beauty before #makeup)
            for h in sorted(s.hypernyms() + s.instance_hypernyms(), key=lambda h: h.name(), reverse=True):
                if h not in seen:
                    seen.add(h)
                    nxt.append(h)
        frontier = nxt
    found = [n for n in found if n not in BROAD] + [n for n in found if n in BROAD]  # specific before broad
    out: dict[str, float] = {}
    for level, name in enumerate(found[:2]):
        top = 0.9 if level == 0 else 0.5
        for i, tag in enumerate(CATEGORIES[name]):
            out.setdefault(tag, round(max(top - 0.15 * i, 0.3 if level == 0 else 0.2), 2))
    return list(out.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, help="write a per-class report (tags with corpus counts) here")
    parser.add_argument("--out", type=Path, default=RESOURCE, help=f"the map to write (default {RESOURCE})")
    args = parser.parse_args(argv)
    wn, lookup, vocab = get_wordnet(), get_lookup(), get_vocabulary()
    overrides = read_overrides(OVERRIDES)
    lines, report, dropped = [], [], 0
    stray = sorted(set(overrides) - set(imagenet_synsets()))
    if stray:
        raise SystemExit(f"{OVERRIDES}: not ImageNet classes: {', '.join(stray)}")
    for wnid in imagenet_synsets():
        synset = wn.synset_from_pos_and_offset(wnid[0], int(wnid[1:]))
        tags: dict[str, float] = {t: 1.0 for t in class_names(synset, lookup, vocab)}
        categories = []
        for tag, weight in category_tags(synset):
            if vocab.tag_count(tag) >= CATEGORY_COUNT or zipf_frequency(tag, "en") >= CATEGORY_ZIPF:
                categories.append((tag, weight))
            else:
                dropped += 1
        if not any(weight >= HEAD_STRENGTH for _, weight in categories):  # no basic-level kind: its name's head
            for tag in head_tags(synset, lookup, wn):
                tags.setdefault(tag, HEAD_STRENGTH)
        for tag, weight in categories:
            tags.setdefault(tag, weight)
        floor = ""
        for op, tag in overrides.get(wnid, ()):
            if op == ">":
                floor = f"\t{float(tag):g}"
                continue
            if op == "=":
                tags = {}
            elif op == "-" and tags.pop(tag, None) is None:
                print(f"warning: {wnid}: -{tag} removes nothing (stale override?)", file=sys.stderr)
            if op in "=+" and tag:
                tags.setdefault(tag, 1.0 if not tags else 0.8)
        tags = one_of_each(tags, synset, vocab, lookup)
        name = synset.lemma_names()[0].replace("_", " ")
        lines.append(f"{wnid}\t{name}\t" + " ".join(f"{t}:{w:g}" for t, w in tags.items()) + floor)
        report.append(f"{wnid}\t{name}\t" + " ".join(f"{t}({vocab.tag_count(t)})" for t in tags))
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if args.report:
        args.report.write_text("\n".join(report) + "\n", encoding="utf-8")
    unknown = sum(1 for r in report for item in r.split("\t")[2].split() if item.endswith("(0)"))
    print(f"{len(lines)} classes; {dropped} category tags not seen in the corpora dropped; {unknown} class tags "
          "(names) not seen as hashtags in the corpora", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
