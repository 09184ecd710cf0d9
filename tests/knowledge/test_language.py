"""Caption language (taglens.language, py3langid with its model from the wheel)."""
import json

from taglens.language import UNDETERMINED, caption_words_only, detect


def test_languages_of_everyday_captions():
    assert detect("Beautiful day at the beach with friends")[0] == "en"
    assert detect("Mi gato durmiendo la siesta")[0] == "es"
    assert detect("Η γάτα μου κοιμάται στον καναπέ")[0] == "el"
    assert detect("猫が寝ている")[0] == "ja"
    assert detect("Bom dia! Café da manhã com a família")[0] == "pt"
    lang, p = detect("Morning commute through Madrid")
    assert lang == "en" and 0.5 <= p <= 1.0


def test_too_little_text_is_undetermined():
    assert detect("") == (UNDETERMINED, 0.0)
    assert detect("#love #summer @user http://t.co/x")[0] == UNDETERMINED
    assert detect("lol")[0] == UNDETERMINED
    assert caption_words_only("gym time #fit @user http://t.co/x") == "gym time"


def test_accuracy_on_the_multilingual_tweets(shared_data):
    posts = [json.loads(line) for line in
             (shared_data / "everyday" / "multilingual_tweets" / "posts.jsonl").read_text("utf-8").splitlines()]
    by_lang: dict[str, list[bool]] = {}
    for post in posts[::5]:
        by_lang.setdefault(post["lang"], []).append(detect(post["text"])[0] == post["lang"])
    accuracy = {lang: sum(v) / len(v) for lang, v in by_lang.items()}
    # romanised Hindi reads as English to any character model; the others are found
    assert all(accuracy[lang] >= 0.8 for lang in ("ar", "en", "fr", "de", "it", "pt", "es")), accuracy


def test_the_cached_copy_of_the_model_classifies_as_the_wheels(tmp_path, monkeypatch):
    """The uncompressed copy in the cache (written on first use) holds py3langid's own model: same answers."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from taglens import language

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    language._identifier.cache_clear()
    try:
        cached = language._identifier()
        assert list(tmp_path.glob("py3langid-*.npz"))
        wheel = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        wheel.set_languages(list(language.LANGUAGES))
        for text in ("Mi gato durmiendo la siesta", "sunday morning coffee", "Bom dia! Café da manhã",
                     "Η γάτα μου κοιμάται", "Morning commute through Madrid"):
            assert cached.classify(text) == wheel.classify(text)
    finally:
        language._identifier.cache_clear()


def test_a_damaged_cached_model_copy_is_read_past_and_written_anew(monkeypatch, tmp_path):
    """The uncompressed copy of py3langid's model in the cache, cut short (a full disk under another program, a
    damaged file): the language is still told (from py3langid's own file), the damaged copy is removed, and the next
    read writes it anew, instead of a BadZipFile traceback."""
    import taglens.language as language

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    first = language._unpacked_model()
    copy = next(tmp_path.glob("py3langid-*.npz"))
    whole = copy.read_bytes()
    copy.write_bytes(whole[: len(whole) // 2])
    assert language._unpacked_model() is None and not copy.exists()
    again = language._unpacked_model()
    assert copy.read_bytes() == whole and again[2] == first[2]
    language._identifier.cache_clear()
    try:
        copy.write_bytes(whole[: len(whole) // 2])
        assert language.detect("Mi gato durmiendo la siesta en el sofá")[0] == "es"
    finally:
        language._identifier.cache_clear()


def test_a_cache_that_cannot_be_written_unpacks_the_model_in_memory(monkeypatch, tmp_path):
    """A cache folder that cannot be written (a read-only or full disk; here TAGLENS_CACHE names a file): the model is
    unpacked in memory, not handed to py3langid's own loader, whose temporary file a full disk refuses as well
    (suggest then failed, exit 10, 'cannot write the output: File too large')."""
    import taglens.language as language

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    whole = language._unpacked_model()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TAGLENS_CACHE", str(blocker))
    got = language._unpacked_model()
    assert got is not None and got[2] == whole[2] and (got[0] == whole[0]).all()
