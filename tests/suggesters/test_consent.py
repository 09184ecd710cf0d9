"""taglens_base.consent: on a photo post, the author's tags' companions the photo contradicts, and under a caption
the trained image sources' set topics the post does not say, step back (issue 20, photo + caption + one tag)."""
import pytest

from taglens.suggesters.taglens_base import consent

WEIGHTS = {"cooccurrence": 1.0, "image": 1.0, "image_protos": 1.0, "image_tags": 1.0, "caption": 1.0,
           "caption_tags": 1.0}


def checked(evidence, caption_gain=1.0):
    gains = {name: 1.0 for name in evidence} | {"caption": caption_gain}
    return consent.checked(evidence, gains, WEIGHTS, mixed=())


def test_a_companion_the_photo_contradicts_steps_back_one_it_cannot_see_stays():
    evidence = {
        "cooccurrence": {"beach": (0.4, "used with #travel in 18 of 100 posts"), "street": (0.3, "used with ...")},
        "image_protos": {"beach": (0.01, "similar photos"), "architecture": (0.2, "similar photos")},
        "image_tags": {"architecture": (0.3, "seen in the image")},
    }
    out = checked(evidence, caption_gain=0.0)
    # the similar photos give #beach 0.01: the companion keeps at most 4x that
    assert out["cooccurrence"]["beach"][0] == pytest.approx(0.01 / consent.COMPANION_BAR)
    assert out["cooccurrence"]["beach"][1] == evidence["cooccurrence"]["beach"][1]  # the reason stays
    assert out["cooccurrence"]["street"] == evidence["cooccurrence"]["street"]  # no photo source knows streets
    assert evidence["cooccurrence"]["beach"][0] == 0.4  # the input is not changed


def test_a_companion_the_photo_shows_keeps_its_rate():
    evidence = {"cooccurrence": {"beach": (0.4, "used with ...")}, "image_protos": {"beach": (0.3, "similar")}}
    assert checked(evidence, caption_gain=0.0)["cooccurrence"]["beach"] == (0.4, "used with ...")


def test_an_image_topic_the_caption_does_not_say_steps_back_under_a_caption():
    evidence = {"image": {"travel": (0.4, "head"), "street": (0.1, "head")},
                "image_protos": {"travel": (0.2, "similar")},
                "caption_tags": {"morning": (0.3, "caption mentions: Morning")},
                "caption": {"travel": (0.03, "caption head")}}
    out = checked(evidence)
    factor = 0.03 / (consent.TOPIC_BAR * 0.6)
    assert out["image"]["travel"][0] == pytest.approx(0.4 * factor)
    assert out["image_protos"]["travel"][0] == pytest.approx(0.2 * factor)
    assert out["image"]["street"] == (0.1, "head")  # not one of the sets' topics
    said = dict(evidence, caption={"travel": (1.5, "caption head")})  # "Three days in Lisbon"
    assert checked(said)["image"]["travel"] == (0.4, "head")
    assert checked(evidence, caption_gain=0.0)["image"] == evidence["image"]  # a photo alone: unchanged


def test_a_post_without_a_photo_is_unchanged():
    evidence = {"cooccurrence": {"beach": (0.4, "used with ...")}, "caption": {"travel": (0.2, "head")}}
    assert checked(evidence) is evidence
