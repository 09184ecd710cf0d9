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
