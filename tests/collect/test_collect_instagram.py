"""The Instagram source: instaloader's real code (context, GraphQL pagination, NodeIterator freeze/thaw, rate
controller, session loading, downloads) driven against hand-made responses at its HTTP layer (a requests
transport adapter), so no test touches the network."""
from __future__ import annotations

import io
import json
import pickle
from urllib.parse import parse_qs, urlsplit

import pytest
from mastodon_server import jpeg_bytes

instaloader = pytest.importorskip("instaloader")
import requests  # noqa: E402  (instaloader depends on it)
from requests.adapters import BaseAdapter  # noqa: E402
from requests.structures import CaseInsensitiveDict  # noqa: E402

from taglens.collect.loop import CollectConfig, Collector  # noqa: E402
from taglens.collect.sources.base import MediaMissing, MediaRef, PermanentSourceError  # noqa: E402
from taglens.collect.sources.instagram import InstagramSource  # noqa: E402
from taglens.collect.store import Store  # noqa: E402

PAGE = 12  # instaloader's GraphQL page length


def _node(tag: str, i: int) -> dict:
    sc = f"{tag.upper()}{i:03d}"
    node = {"__typename": "GraphImage", "id": str(1000 + i), "shortcode": sc, "is_video": False,
            "display_url": f"https://scontent.test/{sc}.jpg", "owner": {"id": str(500 + i % 5)},
            "taken_at_timestamp": 1700000000 - i * 60,
            "edge_media_to_caption": {"edges": [{"node": {"text": f"post {i} #{tag} #Cute_Dogs"}}]}}
    if i % 10 == 3:  # a carousel with a video child (its thumbnail is kept)
        node["__typename"] = "GraphSidecar"
        node["edge_sidecar_to_children"] = {"edges": [
            {"node": {"is_video": False, "display_url": f"https://scontent.test/{sc}_1.jpg"}},
            {"node": {"is_video": True, "display_url": f"https://scontent.test/{sc}_2.jpg",
                      "video_url": f"https://scontent.test/{sc}_2.mp4"}}]}
    if i == 7:
        node["display_url"] = f"https://scontent.test/gone-{sc}.jpg"  # 404
    return node


class FakeInstagram(BaseAdapter):
    """Answers instaloader's requests like Instagram would: GraphQL hashtag pages and CDN images.

    ``faults`` maps a GraphQL ``after`` cursor (``""`` for the first page) to statuses returned once each.
    """

    def __init__(self, posts_per_tag: int = 30, faults: dict[str, list[int]] | None = None) -> None:
        super().__init__()
        self.posts_per_tag = posts_per_tag
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.requests: list[requests.PreparedRequest] = []

    def _response(self, request, status: int, body: bytes, ctype: str) -> requests.Response:
        resp = requests.Response()
        resp.status_code = status
        resp.reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests"}.get(status, "Error")
        resp.headers = CaseInsensitiveDict({"Content-Type": ctype, "Content-Length": str(len(body))})
        resp._content = body
        resp.raw = io.BytesIO(body)
        resp.url = request.url
        resp.request = request
        resp.encoding = "utf-8"
        return resp

    def send(self, request, **kwargs):  # noqa: D102 - requests' transport hook
        self.requests.append(request)
        url = urlsplit(request.url)
        if url.netloc == "scontent.test":
            if "/gone-" in url.path:
                return self._response(request, 404, b"", "text/plain")
            return self._response(request, 200, jpeg_bytes(url.path), "image/jpeg")
        if url.path != "/graphql/query":
            return self._response(request, 404, b"{}", "application/json")
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        variables = json.loads(params["variables"])
        after = variables.get("after") or ""
        queue = self.faults.get(after)
        if queue:
            status = queue.pop(0)
            return self._response(request, status, b'{"message": "rate limited", "status": "fail"}',
                                  "application/json")
        tag = variables["tag_name"]
        start = int(after[1:]) if after else 0
        n = min(variables["first"], self.posts_per_tag - start)
        end = start + n
        data = {"data": {"hashtag": {"name": tag, "edge_hashtag_to_media": {
            "count": self.posts_per_tag,
            "page_info": {"has_next_page": end < self.posts_per_tag, "end_cursor": f"c{end}"},
            "edges": [{"node": _node(tag, i)} for i in range(start, end)]}}}, "status": "ok"}
        return self._response(request, 200, json.dumps(data).encode(), "application/json")

    def close(self) -> None:
        pass

    def graphql_calls(self) -> list[dict]:
        out = []
        for r in self.requests:
            u = urlsplit(r.url)
            if u.path == "/graphql/query":
                out.append(json.loads(parse_qs(u.query)["variables"][0]))
        return out


@pytest.fixture
def fake_ig(monkeypatch):
    fake = FakeInstagram()
    monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url: fake)
    return fake


@pytest.fixture
def session_file(tmp_path):
    path = tmp_path / "session-alice"
    with open(path, "wb") as fh:
        pickle.dump({"sessionid": "S3SS10N", "csrftoken": "tok", "ds_user_id": "42", "mid": "m"}, fh)
    return path


def _source(session_file, sleeps) -> InstagramSource:
    return InstagramSource("alice", str(session_file), sleep=sleeps, polite_sleep=False)


def test_session_file_is_loaded_and_sent(fake_ig, session_file, sleeps):
    src = _source(session_file, sleeps)
    assert src.context.username == "alice" and src.context.is_logged_in
    page = src.fetch_page("dog", None)
    assert len(page.posts) == PAGE and not page.done
    gql = [r for r in fake_ig.requests if "graphql" in r.url][0]
    assert "sessionid=S3SS10N" in gql.headers["Cookie"]
    assert json.loads(page.cursor)["context_username"] == "alice"


def test_missing_session_file_is_a_permanent_error(tmp_path, sleeps):
    with pytest.raises(PermanentSourceError, match="instaloader --login alice"):
        InstagramSource("alice", str(tmp_path / "nope"), sleep=sleeps, polite_sleep=False)


def test_posts_follow_instaloaders_fields(fake_ig, session_file, sleeps):
    posts = _source(session_file, sleeps).fetch_page("dog", None).posts
    p0, p3 = posts[0], posts[3]
    assert (p0.source_id, p0.user, p0.text) == ("DOG000", "500", "post 0 #dog #Cute_Dogs")
    assert p0.hashtags == ("dog", "cute_dogs") and p0.family == "instagram"
    assert [m.ref for m in p3.media] == ["https://scontent.test/DOG003_1.jpg", "https://scontent.test/DOG003_2.jpg"]
    assert [m.is_video for m in p3.media] == [False, True]


def test_pages_continue_in_memory_then_resume_from_frozen_cursor(fake_ig, session_file, sleeps):
    src = _source(session_file, sleeps)
    p1 = src.fetch_page("dog", None)
    p2 = src.fetch_page("dog", p1.cursor)  # same process: the live iterator goes on
    assert [p.source_id for p in p2.posts][0] == "DOG012"
    calls = len(fake_ig.graphql_calls())
    # a new process: only the stored cursor (a frozen NodeIterator) is left
    again = _source(session_file, sleeps)
    p2b = again.fetch_page("dog", p1.cursor)
    ids = [p.source_id for p in p2b.posts]
    assert ids[0] == "DOG011" and ids[1] == "DOG012"  # instaloader re-yields the item it froze on
    new_calls = fake_ig.graphql_calls()[calls:]
    assert [c.get("after") for c in new_calls] == [None, "c12"]  # first page (discarded by thaw), then page 2


def test_a_cursor_of_another_account_restarts_the_hashtag(fake_ig, session_file, sleeps, tmp_path):
    cursor = _source(session_file, sleeps).fetch_page("dog", None).cursor
    anon = InstagramSource(sleep=sleeps, polite_sleep=False)
    page = anon.fetch_page("dog", cursor)
    assert page.posts[0].source_id == "DOG000"


def test_429_goes_through_instaloaders_rate_controller(monkeypatch, session_file, sleeps):
    fake = FakeInstagram(faults={"c12": [429]})
    monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url: fake)
    src = _source(session_file, sleeps)
    p1 = src.fetch_page("dog", None)
    p2 = src.fetch_page("dog", p1.cursor)
    assert [p.source_id for p in p2.posts][0] == "DOG012"
    assert sleeps and sleeps[-1] > 0  # handle_429 waited, through our sleep


def test_image_download_and_404(fake_ig, session_file, sleeps):
    src = _source(session_file, sleeps)
    assert src.fetch_image(MediaRef("https://scontent.test/x.jpg")).startswith(b"\xff\xd8")
    with pytest.raises(MediaMissing):
        src.fetch_image(MediaRef("https://scontent.test/gone-x.jpg"))


def test_collect_loop_over_instagram_resumes_without_duplicates(fake_ig, session_file, sleeps, tmp_path,
                                                                fast_expander):
    store = Store(tmp_path / "s")
    cfg = CollectConfig(target=20, rounds=1, backoff=0.01)
    Collector(store, [_source(session_file, sleeps)], cfg, expander=fast_expander, sleep=sleeps).run(["dog"])
    assert store.counts()["posts"] == 24  # stopped by the target after two pages
    # "restart": new loader, the stored cursor is a frozen NodeIterator
    cfg = CollectConfig(target=1000, rounds=1, backoff=0.01)
    report = Collector(store, [_source(session_file, sleeps)], cfg, expander=fast_expander,
                       sleep=sleeps).run(["dog"])
    ids = [r[0] for r in store.db.execute("SELECT source_id FROM posts")]
    assert sorted(ids) == [f"DOG{i:03d}" for i in range(30)]
    assert report.new_posts == 6 and report.stop_reason.startswith("1 round")
    missing = store.db.execute("SELECT count(*) FROM post_media WHERE status = 'missing'").fetchone()[0]
    assert missing == 1  # DOG007's picture is gone; the post is kept
    n_media = store.db.execute("SELECT count(*) FROM post_media WHERE status = 'ok'").fetchone()[0]
    assert n_media == 30 - 1 + 3  # three carousels of two
    assert store.hashtag("dog").status == "done"


def test_open_source_builds_the_instagram_source(fake_ig, session_file):
    from taglens.collect.sources import open_source

    src = open_source("instagram:alice", session_file=str(session_file))
    assert isinstance(src, InstagramSource) and src.name == "instagram:alice" and src.context.is_logged_in
