"""What a caption's words are kinds of, as the topic hashtags people put on such posts: "pizza" is a dish, a kind of
food (#food), "squats" a leg exercise (#fitness), "song" a musical composition (#music), "Paris" a capital city in
France (#travel, #france). A word's usual WordNet senses (those SemCor attests, in its first part of speech) climb
their hypernyms, instance hypernyms and topic domains to the nearest synset of the hand-written :data:`TOPICS` map;
a named place (an instance of a location) is #travel and gives the country or state it is part of.

``topic_kinds(words)`` -> ``{tag: (strength, word, kind)}`` for the English words of a caption (glossed words
included): a sense further down the word's list counts less (1 / (1 + rank)); a topic two words point to is
surer (noisy-or). The map's tags are checked against the corpora's counts by tests (each is a real hashtag).
"""
from __future__ import annotations

from functools import lru_cache

# WordNet synset -> the topic tags people post anything under it with, most used first (each next one x0.8)
TOPICS: dict[str, tuple[str, ...]] = {
    # food and drink
    "food.n.01": ("food",),
    "food.n.02": ("food",),
    "dish.n.02": ("food", "foodie"),
    "meal.n.01": ("food", "foodie"),
    "baked_goods.n.01": ("food", "baking", "homemade"),
    "dessert.n.01": ("food", "dessert"),
    "edible_fruit.n.01": ("food", "fruit"),
    "vegetable.n.01": ("food", "vegetables"),
    "cooking.n.01": ("food", "cooking", "homemade"),
    "restaurant.n.01": ("food", "foodie"),
    "eat.v.01": ("food",),
    "eat.v.02": ("food",),
    "bake.v.01": ("baking", "homemade", "food"),
    "bake.v.02": ("baking", "homemade", "food"),
    "cook.v.02": ("cooking", "homemade", "food"),
    "cook.v.03": ("cooking", "homemade", "food"),
    "alcohol.n.01": ("drinks", "cheers"),
    "coffee.n.01": ("coffee", "coffeetime"),
    "beverage.n.01": (),  # tea, juice: their own tags say it (a drink is no #food)
    # fitness and sport
    "exercise.n.01": ("fitness", "workout", "gym"),
    "athletic_facility.n.01": ("fitness", "gym", "workout"),
    "footrace.n.01": ("running", "fitness", "run"),
    "run.v.01": ("running", "fitness"),
    "jog.n.02": ("running", "fitness"),
    "hike.n.01": ("hiking", "nature", "outdoors"),
    "hike.v.02": ("hiking", "nature", "outdoors"),
    "sport.n.01": ("sports", "fitness"),
    "athletic_game.n.01": ("sports",),
    "match.n.02": ("sports",),
    "goal.n.04": ("football", "soccer", "sports"),
    "soccer.n.01": ("football", "soccer", "sports"),
    "athlete.n.01": ("sports", "fitness"),
    "hunt.n.08": (),  # "texture hunting" is no #sports
    # a field sport (fishing; hunting has its own entry) is a pastime out of doors, no exertion: "Ψάρεμα με τον
    # πατέρα μου" (fishing with my father) got #sports #fitness from sport.n.01
    "outdoor_sport.n.01": ("outdoors", "nature"),
    # travel and places
    "travel.n.01": ("travel",),
    "trip.n.01": ("travel", "trip"),
    "journey.n.01": (),  # a ride, a drive: "picked up my new ride" is no #travel
    "vacation.n.01": ("travel", "vacation", "holiday"),
    "airport.n.01": ("travel",),
    "hotel.n.01": ("travel",),
    # music, art, reading, film, photography
    "music.n.01": ("music",),
    "musical_composition.n.01": ("music",),
    "musical_instrument.n.01": ("music", "musician"),
    "musician.n.01": ("music", "musician"),
    "concert.n.01": ("music", "concert", "livemusic"),
    "album.n.01": ("music",),
    "sing.v.01": ("music", "singing"),
    "sing.v.02": ("music", "singing"),
    "dance.n.01": ("dance",),
    "dancing.n.01": ("dance",),
    "art.n.01": ("art",),
    "artist.n.01": ("art", "artist"),
    "painting.n.01": ("art", "painting"),
    "drawing.n.02": ("art", "drawing"),
    "book.n.01": ("books", "reading"),
    "read.v.01": ("reading", "books"),
    "movie.n.01": ("movies", "film"),
    "camera.n.01": ("photography",),
    "photographic_equipment.n.01": ("photography", "film"),
    "photography.n.02": ("photography",),
    # school and study: an exam, studying as a student, cramming (not "I studied the menu": analyze.v.01 is no entry)
    "examination.n.02": ("study", "exams", "studying"),
    "study.v.02": ("study", "studying"),
    "learn.v.04": ("study", "studying"),
    "study.v.05": ("study", "studying"),
    # technology and work
    "computer.n.01": ("technology", "tech"),
    "computer_science.n.01": ("technology", "tech"),
    "software.n.01": ("technology", "tech"),
    # sky and space
    "celestial_body.n.01": ("sky", "astronomy"),
    "galaxy.n.01": ("astronomy", "space", "universe"),
    "astronomy.n.01": ("astronomy", "space", "universe"),
    "spacecraft.n.01": ("space",),
    # a rocket that flies (WordNet's first sense; the engine, rocket.n.02, says nothing), its flight and its liftoff
    # are filed under #space; a missile is a weapon's rocket (the nearest entry wins: no #space for war news)
    "rocket.n.01": ("space",),
    "missile.n.01": (),
    "spaceflight.n.01": ("space",),
    "liftoff.n.01": ("space",),
    "astronaut.n.01": ("space", "astronaut"),
    # nature, weather, garden, animals
    "weather.n.01": ("weather",),
    "flower.n.01": ("flowers", "nature"),
    "tree.n.01": ("nature", "trees"),
    "plant.n.02": ("plants", "nature"),  # so a tomato, the plant and the fruit, is neither #food nor #plants
    "garden.n.01": ("garden", "gardening"),
    "lawn.n.01": ("garden", "gardening"),
    "geological_formation.n.01": ("nature",),
    "body_of_water.n.01": ("nature",),
    "dog.n.01": ("dog", "dogsofinstagram", "pets"),
    "domestic_cat.n.01": ("cat", "catsofinstagram", "pets"),
    # WordNet files a kitten (a young domestic cat) under young_mammal, not under the cat it is (a pup, also a seal's
    # or a wolf's, stays #animals)
    "kitten.n.01": ("cat", "kitten", "catsofinstagram"),
    "bird.n.01": ("birds", "nature"),
    "animal.n.01": ("animals",),
    # people and occasions
    "relative.n.01": ("family",),
    "wedding.n.01": ("wedding", "love"),
    "wedding.n.03": ("wedding", "love"),
    "birthday.n.01": ("birthday", "party"),
    "party.n.02": ("party",),
    # things people collect, wear, drive
    "coin.n.01": ("coins", "coincollection", "numismatics"),
    "clothing.n.01": ("fashion", "style"),
    "car.n.01": ("cars", "car"),
    "motorcycle.n.01": ("motorcycle", "bike"),
    "bicycle.n.01": ("cycling", "bike"),
}
DECAY = 0.8  # each further tag of a synset's entry
# entries that name a setting more than a topic: a river in a running caption is where, not what (#running first)
BROAD = {"geological_formation.n.01": 0.4, "body_of_water.n.01": 0.4, "tree.n.01": 0.4, "travel.n.01": 0.5}
MAX_TAGS = 3  # a caption's topic tags: its own words' tags (#fullmoon) keep their places below the first ones
SENSE_DECAY = 1.5  # a word's sense of rank r (0 = its usual one) counts 1 / (1 + r) ** SENSE_DECAY
LOCATION_INSTANCE = ("travel",)  # a named place: a city, a country, a landmark
PLACE_STRENGTH = 0.8  # the country or state a named place is part of
MAX_DEPTH = 8  # hypernym levels climbed from a sense
MAX_SENSES = 3  # usual senses read per word
EITHER = " or "  # the kind of a tag every sense of a word gives ("motorcycle or bicycle"): the word's own topic


@lru_cache(maxsize=8192)
def word_topics(word: str, named: bool = True) -> tuple[tuple[str, float, str, bool], ...]:
    """(tag, strength, kind, whether the word's usual sense gives it) for one English word: the nearest
    :data:`TOPICS` synset above each of its usual senses (strength 1 / (1 + the sense's rank) times the entry's
    decay), a named place's #travel and the place it is part of; () where WordNet is not there or no sense climbs
    to a topic."""
    from ..wordnet import WordNetUnavailable, get_lookup

    try:
        lookup = get_lookup()
        senses = _usual_senses(lookup, word)[:MAX_SENSES]
        unattested = len(senses) > 1 and _attested(lookup, word) == 0
    except WordNetUnavailable:
        return ()
    out: dict[str, tuple[float, str, bool]] = {}

    def add(tag: str, strength: float, kind: str) -> None:
        if strength > out.get(tag, (0.0,))[0]:
            out[tag] = (strength, kind, rank == 0)

    nowhere = False
    reached = set()  # the topics the senses reach: a word whose usual senses reach two ("cape": a headland, a
    entries = []  # cloak; "tea": a drink, a meal) says neither, but for the tags their entries share (below)
    for rank, sense in enumerate(senses):
        base = 1.0 / (1 + rank) ** SENSE_DECAY
        instance_of = lookup.related(sense, ("@i",))
        if instance_of and sense.pos == "n" and _is_location(lookup, sense):
            if unattested and rank:  # "la" (lanthanum, the note, Louisiana): a place only as its first sense
                nowhere = True
                continue
            reached.add("place")
            if not named:  # "me" is Maine and "us" the United States only as written names
                continue
            for tag in LOCATION_INSTANCE:
                add(tag, base, instance_of[0].name.split(".")[0].replace("_", " "))
            for whole in lookup.related(sense, ("#p",)):  # Paris -> France, Tokyo -> Japan (not Honshu)
                if any(k in h.name for h in lookup.related(whole, ("@i",)) for k in ("country", "state")):
                    add(_tag(whole.lemma_names[0]), base * PLACE_STRENGTH, f"part of {whole.lemma_names[0]}")
                    break
            continue
        found = _nearest_topic(lookup, sense)
        if not found and unattested:  # an unattested sense that is no topic's: the word may well mean it
            nowhere = True
        if found:
            key, kind = found
            reached.add(TOPICS[key][:1])
            entries.append((TOPICS[key], kind))
            for i, tag in enumerate(TOPICS[key]):
                add(tag, base * BROAD.get(key, 1.0) * DECAY ** i, kind)
    if nowhere and "place" not in reached:  # "chess" (a grass, the game), "Taylor"
        return ()
    if len(reached) > 1:  # what every sense is filed under still holds: a bike, motorcycle or bicycle, is #bike
        if "place" in reached:
            return ()
        shared = set.intersection(*(set(tags) for tags, _ in entries))
        either = EITHER.join(dict.fromkeys(kind for _, kind in entries))
        return tuple((tag, round(out[tag][0], 4), either, True) for tag in out if tag in shared)
    return tuple((tag, round(s, 4), kind, usual) for tag, (s, kind, usual) in out.items())


def _attested(lookup, word: str) -> int:
    """How many senses SemCor attests of the word's forms, over its parts of speech."""
    return sum(lookup._index_entry(form, pos)[1] for pos in ("n", "v", "a", "r")
               for form in lookup.morphy(word, pos)[:1])


def _usual_senses(lookup, word: str) -> list:
    """The senses SemCor attests (at least the first) of the word's usual part of speech (``_usual_pos``)."""
    pos = _usual_pos(lookup, word)
    if pos is None:
        return []
    offsets, attested = lookup._index_entry(lookup.morphy(word, pos)[0], pos)
    if not attested:  # no sense attested: WordNet's first is no usual one ("chess": a grass, then the game), so all
        return [lookup._synset(pos, o) for o in offsets[:MAX_SENSES]]  # are read, and must agree (word_topics)
    return [lookup._synset(pos, o) for o in offsets[:attested]]


def _usual_pos(lookup, word: str) -> str | None:
    """The word's usual part of speech: the one with the most attested senses, a noun where it has at least half as
    many ("run" is a verb: 29 attested senses against 7; "gets" and "full" have no attested noun sense; "match" and
    "squats" are nouns); None where WordNet has no form of it."""
    best = {pos: lookup._index_entry(form, pos)
            for pos in ("n", "v", "a", "r") for form in lookup.morphy(word, pos)[:1]}
    if not best:
        return None
    most = max(attested for _, attested in best.values())
    return "n" if "n" in best and best["n"][1] > 0 and 2 * best["n"][1] >= most else max(
        best, key=lambda p: best[p][1])


@lru_cache(maxsize=1)
def _topic_keys() -> dict[tuple[str, int], str]:
    """:data:`TOPICS`' synsets by their (pos, offset): a climb compares keys and names only where it stops."""
    from ..wordnet import get_lookup

    lookup = get_lookup()
    return {key: name for name in TOPICS if (key := lookup.key_of(name))}


LOCATIONS = ("location.n.01", "region.n.03", "geographical_area.n.01")
UP_FROM_NOUN, UP_FROM_OTHER = ("@", "@i", ";c"), ("@",)  # a verb's topic domain is wide


def _nearest_topic(lookup, sense) -> tuple[str, str] | None:
    """(the nearest TOPICS key above ``sense``, its first lemma as the kind), breadth first over hypernyms,
    instance hypernyms and topic domains."""
    topics = _topic_keys()

    def up(pos: str, offset: int) -> list[tuple[str, int]]:
        return lookup.targets(pos, offset, UP_FROM_NOUN if pos == "n" else UP_FROM_OTHER)

    for level in lookup.climb(sense.key, up, MAX_DEPTH):
        for key in level:
            if key in topics:
                return topics[key], lookup.synset_at(*key).lemma_names[0].replace("_", " ")
    return None


def _is_location(lookup, sense) -> bool:
    """Whether a noun sense is a place: its climb reaches location.n.01 (Paris, France, the Alps)."""
    from ..wordnet import synset_keys

    places = synset_keys(LOCATIONS)
    return lookup.reaches([sense.key], places, 12)


def _tag(lemma: str) -> str:
    from ..wordnet import lemma_tag

    return lemma_tag(lemma)


def written_names(text: str) -> set[str]:
    """The caption's words (and joined pairs, "los_angeles") written as names: capitalised, not all capitals
    under 4 letters ("ME", "US"), not a common word (Zipf under 5: "Paris" 4.8, "Me" 7)."""
    import re

    from .word_frequency import zipf

    out, words = set(), re.findall(r"[^\W\d_][\w'’]*", text or "")
    for i, w in enumerate(words):
        if w[0].isupper() and not (w.isupper() and len(w) < 4) and zipf(w.lower(), "en") < 5.0 and (
                w.lower() == _singular(w.lower())):  # "Bengals" is a team, not Bengal
            out.add(w.lower())
        if w[0].isupper() and i + 1 < len(words) and words[i + 1][0].isupper():
            out.add(f"{w.lower()}_{words[i + 1].lower()}")  # "New York": a common first word
    return out


@lru_cache(maxsize=4096)
def _place_name(form: str) -> bool:
    from ..wordnet import WordNetUnavailable, get_lookup

    try:
        lookup = get_lookup()
        return any(s.pos == "n" and lookup.related(s, ("@i",)) and _is_location(lookup, s)
                   for s in lookup.synsets(form)[:1])
    except WordNetUnavailable:
        return False


def _singular(word: str) -> str:
    from .forms import singular

    return singular(word)


def kind_words(text: str) -> list[str]:
    """The caption's words to read for their kinds, lower case: without a check-in's place name ("... @ Hawk Hill")
    and without the words of a name, a run of capitalised words inside a sentence ("the Potato Chip", "Hawk
    Hill": a rock and a hill, no #food or #birds)."""
    import re

    from .vocabulary import caption_tokens

    text = re.split(r"(?:^|\s)@ (?=[A-Z0-9])", text or "")[0]
    spans = [(m.start(), m.group()) for m in re.finditer(r"[^\W\d_][\w'’]*|[.!?\n]", text)]
    skip = set()
    for i in range(1, len(spans) - 1):
        (_, prev), (_, w), (_, nxt) = spans[i - 1], spans[i], spans[i + 1]
        if prev in ".!?\n" or not w[0].isupper():
            continue
        if nxt[0].isupper() and nxt not in ".!?\n" and not _place_name(f"{w}_{nxt}".lower()):
            skip.update((i, i + 1))  # the first two words of a name inside a sentence (not "Los Angeles")
    kept = " ".join(w for i, (_, w) in enumerate(spans) if i not in skip and w not in ".!?\n")
    return caption_tokens(kept)


AGREE_SENSES = 4  # senses of a word's usual part of speech another word's sense may agree with
AGREED = 0.7  # a sense two words agree on, as sure as a usual sense less the chance that they agree by chance
FUNCTION_ZIPF = 6.0  # a word this common ("what", "the", "have") is read for no agreement


@lru_cache(maxsize=8192)
def _sense_topics(word: str) -> tuple[tuple[int, str, bool, str], ...]:
    """(rank, the nearest TOPICS key, whether SemCor attests the sense, the key's kind) of the first AGREE_SENSES
    senses of the word's usual part of speech ("goal": the end, the finish line, the frame, the score: 3 ->
    goal.n.04, #football, unattested)."""
    from ..wordnet import WordNetUnavailable, get_lookup

    try:
        lookup = get_lookup()
        pos = _usual_pos(lookup, word)
        if pos is None:
            return ()
        offsets, attested = lookup._index_entry(lookup.morphy(word, pos)[0], pos)
        out = []
        for rank, offset in enumerate(offsets[:AGREE_SENSES]):
            sense = lookup._synset(pos, offset)
            if pos == "n" and lookup.related(sense, ("@i",)):  # a named place or person agrees with nothing
                continue
            found = _nearest_topic(lookup, sense)
            if found and TOPICS[found[0]] and found[0] not in BROAD:  # a setting (a sea, a tree) is no topic to
                out.append((rank, found[0], rank < attested, found[1]))  # agree on: coffee, the tree, by the sea
        return tuple(out)
    except WordNetUnavailable:
        return ()


def _agreed(words: list[str]) -> dict[str, dict[str, tuple[float, str]]]:
    """{word: {tag: (strength, kind)}} of the senses two different words of a caption agree on: a sense SemCor never
    attests (which ``word_topics`` does not read) and another word's attested one whose entries share a tag ("What
    a goal! What a match!": the score, goal's fourth sense, and the contest, match's second, #sports; the score's
    entry gives #football #soccer too). Two attested senses keep ``topic_kinds``' rule for rarer senses (a walk,
    a base on balls, and a park, a ballpark, are no #sports)."""
    from .word_frequency import zipf

    content = [w for w in dict.fromkeys(words) if len(w) > 2 and zipf(w, "en") < FUNCTION_ZIPF]
    senses = {w: _sense_topics(w) for w in content}
    out: dict[str, dict[str, tuple[float, str]]] = {}
    for i, a in enumerate(content):
        for b in content[i + 1:]:
            for _, ka, sure_a, kind_a in senses[a]:
                for _, kb, sure_b, kind_b in senses[b]:
                    if sure_a != sure_b and set(TOPICS[ka]) & set(TOPICS[kb]):
                        for word, key, kind in ((a, ka, kind_a), (b, kb, kind_b)):
                            for n, tag in enumerate(TOPICS[key]):
                                strength = AGREED * BROAD.get(key, 1.0) * DECAY ** n
                                if strength > out.setdefault(word, {}).get(tag, (0.0,))[0]:
                                    out[word][tag] = (strength, kind)
    return out


def topic_kinds(words, names: set[str] | None = None) -> dict[str, tuple[float, str, str]]:
    """{tag: (strength, the word, what WordNet says it is)} over a caption's English words (each word once; a word
    reads as a named place only where ``names`` holds it, None: any), the
    ``MAX_TAGS`` strongest: a topic two words point to is surer (noisy-or of their strengths); a topic only a rarer
    sense of one word gives is left out ("walk" as a base on balls is no #sports), unless another word's sense agrees
    with it (``_agreed``: "What a goal! What a match!" -> #sports #football #soccer)."""
    strongest: dict[str, dict[str, tuple[float, str]]] = {}  # tag -> word -> (its strongest strength, kind)
    backed: dict[str, int] = {}
    usual_of: dict[str, bool] = {}
    words = list(words)
    pairs = [f"{a}_{b}" for a, b in zip(words, words[1:])]  # "los angeles", "new york"

    def add(tag: str, word: str, strength: float, kind: str, usual: bool) -> None:
        backed[tag] = backed.get(tag, 0) + (2 if usual else 1)
        usual_of[tag] = usual_of.get(tag, False) or usual
        if strength > strongest.setdefault(tag, {}).get(word, (0.0,))[0]:
            strongest[tag][word] = (strength, kind)

    for word in dict.fromkeys(pairs + words):
        for tag, strength, kind, usual in word_topics(word, names is None or word in names):
            add(tag, word, strength, kind, usual)
    for word, tags in _agreed(words).items():
        for tag, (strength, kind) in tags.items():
            add(tag, word, strength, kind, True)
    found: dict[str, tuple[float, str, str]] = {}
    for tag, by_word in strongest.items():
        first = next(iter(by_word))  # the first word that gives it (pairs first: "los angeles")
        rest = 1.0
        for strength, _ in by_word.values():
            rest *= 1 - strength
        found[tag] = (1 - rest, first, by_word[first][1])
    kept = sorted((t for t in found if backed[t] >= 2 and (usual_of[t] or found[t][0] >= 0.5)),
                  key=lambda t: (-found[t][0], t))[:MAX_TAGS]
    return {t: found[t] for t in kept}
