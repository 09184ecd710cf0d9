"""A small, real HTTP server on 127.0.0.1 that speaks enough of the Mastodon API for the collection tests and
the bench: ``GET /api/v1/timelines/tag/:tag`` with ``limit``/``max_id``/``only_media``, Link-header pagination,
``X-RateLimit-*`` headers, and media files. Faults are scheduled per request key and fire once each:
``429`` (with ``Retry-After``), ``broken`` (truncated JSON), ``slow`` (answers after ``slow_seconds``),
``500``; tags listed in ``always_fail`` always answer 500. Images are synthetic JPEGs made with Pillow;
``/media/missing-*`` answers 404.

All content is synthetic (no real posts). Run it alone with ``python tests/collect/mastodon_server.py``.
"""
from __future__ import annotations

import hashlib
import io
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# A synthetic "dog" world: topical tags, generic tags and an off-topic corner.
TOPIC_TAGS = {
    "dog": ["dog", "puppy", "dogtraining", "goldenretriever", "dogsofmastodon", "doglover", "dogwalk", "puppylove"],
    "puppy": ["puppy", "dog", "puppylove", "puppytraining", "dogsofmastodon", "goldenretriever"],
    "dogtraining": ["dogtraining", "dog", "obedience", "puppytraining", "dogtrainer"],
    "goldenretriever": ["goldenretriever", "dog", "retriever", "goldenretrieverpuppy"],
    "dogsofmastodon": ["dogsofmastodon", "dog", "doglover", "caturday"],
    "puppylove": ["puppylove", "puppy", "dog"],
    "doglover": ["doglover", "dog", "dogwalk"],
    "dogwalk": ["dogwalk", "dog", "hiking"],
    "pizza": ["pizza", "food", "cheese", "italianfood"],
}
GENERIC = ["love", "instagood", "photooftheday", "cute", "happy"]


@dataclass
class World:
    """The posts behind the server, generated deterministically from ``seed``."""

    posts_per_tag: int = 60
    images_per_post: tuple[int, int] = (1, 3)
    seed: int = 0
    shared_image_every: int = 7  # every n-th post reuses an image of another post (content-hash dedupe)
    missing_image_every: int = 11  # every n-th post has a 404 image
    statuses: dict[str, list[dict]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        next_id = 10**12
        base = datetime(2026, 1, 1, tzinfo=timezone.utc)
        by_id: dict[int, dict] = {}
        for tag, vocab in TOPIC_TAGS.items():
            out = []
            for i in range(self.posts_per_tag):
                # a few posts reappear under another tag (same status id)
                elsewhere = sorted(set(by_id) - {int(s["id"]) for s in out})
                if i % 9 == 4 and elsewhere:
                    other = by_id[rng.choice(elsewhere)]
                    if tag not in [t["name"] for t in other["tags"]]:
                        other = dict(other, tags=[*other["tags"], {"name": tag, "url": ""}])
                    out.append(other)
                    continue
                next_id += 1
                sid = next_id
                tags = [tag] + rng.sample(vocab, k=min(len(vocab), rng.randint(1, 4)))
                if rng.random() < 0.6:
                    tags += rng.sample(GENERIC, k=rng.randint(1, 2))
                tags = list(dict.fromkeys(tags))
                n_img = rng.randint(*self.images_per_post)
                media = []
                for j in range(n_img):
                    name = f"{sid}-{j}"
                    if self.shared_image_every and i % self.shared_image_every == 3 and j == 0:
                        name = "shared-0"
                    if self.missing_image_every and i % self.missing_image_every == 5 and j == n_img - 1:
                        name = f"missing-{sid}"
                    media.append({"id": f"m{sid}{j}", "type": "image", "url": f"/media/{name}.jpg",
                                  "preview_url": f"/media/{name}.jpg"})
                words = " ".join(f'<a href="/tags/{t}" class="mention hashtag">#<span>{t}</span></a>' for t in tags)
                st = {"id": str(sid), "uri": f"https://example.test/statuses/{sid}",
                      "url": f"https://example.test/@u{sid % 17}/{sid}",
                      "created_at": (base + timedelta(minutes=sid % 100000)).isoformat().replace("+00:00", "Z"),
                      "account": {"id": str(100 + sid % 17), "acct": f"user{sid % 17}"},
                      "content": f"<p>Post {sid} about {tag} &amp; friends</p><p>{words}</p>",
                      "tags": [{"name": t, "url": f"/tags/{t}"} for t in tags],
                      "media_attachments": media, "language": "en", "reblog": None}
                by_id[sid] = st
                out.append(st)
            out.sort(key=lambda s: -int(s["id"]))
            self.statuses[tag] = out

    def all_ids(self, tags: list[str]) -> set[str]:
        return {s["id"] for t in tags for s in self.statuses.get(t, [])}


def jpeg_bytes(name: str, size: int = 24) -> bytes:
    """A small synthetic JPEG, different for every name (``size`` > 24 adds noise, like a photo's entropy)."""
    from PIL import Image

    h = hashlib.sha1(name.encode()).digest()
    if size > 24:
        img = Image.effect_noise((size, size), 40 + h[0] % 40).convert("RGB")
        img.paste((h[0], h[1], h[2]), (0, 0, size // 4, size // 4))
    else:
        img = Image.new("RGB", (size, size), (h[0], h[1], h[2]))
    img.putpixel((h[3] % size, h[4] % size), (255 - h[0], 0, 0))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # clients that time out or get killed
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class LocalServer:
    """A real HTTP server on a free local port, run in a thread while used as a context manager."""

    def _serve(self, handler: type, server_class: type = _QuietServer) -> None:
        self.httpd = server_class(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class MastodonTestServer(LocalServer):
    """``with MastodonTestServer(world) as srv: srv.url`` runs the server in a thread."""

    def __init__(self, world: World | None = None, *, faults: dict[str, list[str]] | None = None,
                 always_fail: set[str] | None = None, retry_after: str = "1", slow_seconds: float = 1.0,
                 delay: float = 0.0, rate_limit: int = 300, window_seconds: float = 300.0,
                 image_size: int = 24) -> None:
        self.world = world or World()
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.always_fail = set(always_fail or ())
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.delay = delay
        self.rate_limit = rate_limit
        self.window_seconds = window_seconds
        self.image_size = image_size
        self.requests: Counter[str] = Counter()
        self.log: list[str] = []
        self._lock = threading.Lock()
        self._images: dict[str, bytes] = {}
        self._window_start = time.time()
        self._window_used = 0
        self._serve(self._handler())

    def _fault(self, key: str) -> str | None:
        with self._lock:
            queue = self.faults.get(key)
            return queue.pop(0) if queue else None

    def image(self, name: str) -> bytes:
        with self._lock:
            if name not in self._images:
                self._images[name] = jpeg_bytes(name, self.image_size)
            return self._images[name]

    def _rate_headers(self) -> dict[str, str]:
        with self._lock:
            now = time.time()
            if now - self._window_start >= self.window_seconds:
                self._window_start, self._window_used = now, 0
            self._window_used += 1
            remaining = max(self.rate_limit - self._window_used, 0)
            reset = datetime.fromtimestamp(self._window_start + self.window_seconds, timezone.utc)
        return {"X-RateLimit-Limit": str(self.rate_limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z")}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stalls

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _send(self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with server._lock:
                    server.requests[parts.path] += 1
                    server.log.append(self.path)
                if server.delay:
                    time.sleep(server.delay)
                if parts.path.startswith("/media/"):
                    return self._media(parts.path[len("/media/"):])
                prefix = "/api/v1/timelines/tag/"
                if not parts.path.startswith(prefix):
                    return self._send(404, b'{"error":"Record not found"}', "application/json")
                tag = parts.path[len(prefix):].lower()
                key = f"{tag}:{query.get('max_id', '')}"
                headers = server._rate_headers()
                if tag in server.always_fail:
                    return self._send(500, b"internal error", "text/plain", headers)
                fault = server._fault(key)
                if fault == "429":
                    return self._send(429, b'{"error":"Too many requests"}', "application/json",
                                      {**headers, "Retry-After": server.retry_after})
                if fault == "500":
                    return self._send(500, b"oops", "text/plain", headers)
                if fault == "slow":
                    time.sleep(server.slow_seconds)
                statuses = server.world.statuses.get(tag)
                if statuses is None:
                    return self._send(404, b'{"error":"Record not found"}', "application/json", headers)
                limit = min(int(query.get("limit", 20)), 40)
                if "max_id" in query:
                    statuses = [s for s in statuses if int(s["id"]) < int(query["max_id"])]
                if query.get("only_media") in ("true", "1"):
                    statuses = [s for s in statuses if s["media_attachments"]]
                page = statuses[:limit]
                base = f"http://{self.headers.get('Host')}{prefix}{tag}"
                if page:
                    links = [f'<{base}?limit={limit}&max_id={page[-1]["id"]}>; rel="next"',
                             f'<{base}?limit={limit}&min_id={page[0]["id"]}>; rel="prev"']
                    headers["Link"] = ", ".join(links)
                body = json.dumps(page).encode()
                if fault == "broken":
                    body = body[: max(len(body) // 2, 1)]
                self._send(200, body, "application/json; charset=utf-8", headers)

            def _media(self, name: str) -> None:
                stem = name.rsplit(".", 1)[0]
                if stem.startswith("missing-") or server._fault(f"media:{stem}") == "404":
                    return self._send(404, b"not found", "text/plain")
                self._send(200, server.image(stem), "image/jpeg")

        return Handler


if __name__ == "__main__":  # pragma: no cover
    with MastodonTestServer() as srv:
        print(srv.url, flush=True)
        try:
            srv.thread.join()
        except KeyboardInterrupt:
            pass
