"""Tag prototypes store cluster means of at least min_size posts and vote with the nearest clusters' tags."""
import numpy as np

from taglens.suggesters.prototypes import TagPrototypes


def blobs(rng, centers, n_each, noise=0.05):
    xs, ys = [], []
    for label, c in enumerate(centers):
        xs.append(c + noise * rng.standard_normal((n_each, len(c))))
        ys += [np.array([label, 10 + label])] * n_each
    return np.concatenate(xs).astype(np.float32), ys


def test_nearest_cluster_tags_win_and_small_clusters_are_dropped():
    rng = np.random.default_rng(0)
    centers = np.eye(8)[:4] * 3
    x, ys = blobs(rng, centers, 30)
    outlier = np.eye(8)[7:8].astype(np.float32) * 3  # a lone post: must not become a prototype of its own
    protos = TagPrototypes(per_cluster=20, min_size=5, neighbors=3).fit(
        np.concatenate([x, outlier]), ys + [np.array([99])], n_tags=100)
    assert len(protos.centroids_) >= 4 and (protos.sizes_ >= 5).all()
    assert 99 not in set(protos.tag_ids_.ravel().tolist())
    for label, c in enumerate(centers):
        scores = protos.scores(c, 100)
        assert set(np.argsort(-scores)[:2].tolist()) == {label, 10 + label}
        assert 0.0 <= scores.min() and scores.max() <= 1.0 + 1e-6


def test_round_trip_through_arrays():
    rng = np.random.default_rng(1)
    x, ys = blobs(rng, np.eye(4) * 2, 12)
    protos = TagPrototypes(per_cluster=10).fit(x, ys, n_tags=20)
    again = TagPrototypes.from_arrays(protos.arrays("p"), "p")
    np.testing.assert_allclose(again.scores(x[0], 20), protos.scores(x[0], 20), rtol=1e-5)
    assert TagPrototypes.from_arrays({}, "p") is None


def test_a_tag_one_member_carries_does_not_vote():
    """Leave-one-out votes: in a cluster of 30 posts that all carry tag 1, one post's own tag (an author's #usmc
    among captions about a new job) scores 0, and two posts' tag scores (2 - 1) / (30 - 1)."""
    rng = np.random.default_rng(2)
    x = (np.eye(4)[0] * 3 + 0.05 * rng.standard_normal((30, 4))).astype(np.float32)
    ys = [np.array([1])] * 30
    ys[0], ys[1], ys[2] = np.array([1, 7]), np.array([1, 8]), np.array([1, 8])
    protos = TagPrototypes(per_cluster=30, min_size=5, neighbors=1, others_only=True).fit(x, ys, n_tags=10)
    scores = protos.scores(np.eye(4)[0] * 3, 10)
    assert scores[7] == 0.0
    np.testing.assert_allclose(scores[8], 1 / 29, rtol=1e-3)
    np.testing.assert_allclose(scores[1], 1.0, rtol=1e-3)
    again = TagPrototypes.from_arrays(protos.arrays("p"), "p", others_only=True)
    np.testing.assert_allclose(again.scores(np.eye(4)[0] * 3, 10), scores, rtol=1e-5)
    plain = TagPrototypes.from_arrays(protos.arrays("p"), "p")  # plain rates: 1 of 30, 2 of 30
    np.testing.assert_allclose(plain.scores(np.eye(4)[0] * 3, 10)[[7, 8]], [1 / 30, 2 / 30], rtol=1e-2)
