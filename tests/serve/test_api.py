"""The HTTP API of `taglens serve`, against a real uvicorn server through httpx: every endpoint, every error."""
from __future__ import annotations

import base64
import io
import json
import re
import threading
from pathlib import Path

import httpx
import pytest


CAPTION = "Slow Sunday morning, first cup of the day"


def left_in(tmpdir: Path) -> list[str]:
    """The files left in the server's temporary folder, but ONNX Runtime's own: version 1.32 writes its telemetry
    session id to $TMPDIR/.ses when it is imported (one small file, rewritten in place, never an upload)."""
    return sorted(p.name for p in tmpdir.iterdir() if p.name != ".ses")


def b64(path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def error_of(r: httpx.Response) -> str:
    assert r.headers["content-type"].startswith("application/json"), r.text
    return r.json()["error"]


# -- readiness ------------------------------------------------------------------------------------------------
def test_not_ready_while_the_model_loads_then_ready(server, client):
    (what, status, body), (what2, status2, body2) = server.during_load
    assert (what, status, body["status"]) == ("GET /healthz", 503, "loading")
    assert (what2, status2) == ("POST /v1/suggest", 503) and "loading" in body2["error"]
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["model"] == "taglens-base"


# -- /v1/suggest ----------------------------------------------------------------------------------------------
def test_suggest_gives_what_the_cli_gives(client, photo, capsys):
    from taglens.cli import main

    r = client.post("/v1/suggest", files=[("files", ("coffee.jpg", photo.read_bytes(), "image/jpeg"))],
                    data={"text": CAPTION, "tags": "#coffee", "k": "6"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"suggestions", "model", "timings"}
    assert set(body["timings"]) == {"decode_ms", "queue_ms", "model_ms", "total_ms"}
    assert main(["suggest", str(photo), "--text", CAPTION, "--tags", "#coffee", "-k", "6", "--json"]) == 0
    assert body["suggestions"] == json.loads(capsys.readouterr().out)["suggestions"]
    assert "coffee" not in [s["tag"] for s in body["suggestions"]]  # an existing tag is not suggested back


def test_suggest_photo_and_video_together(client, tmp_path, make_clip, food_images):
    clip = make_clip(tmp_path / "clip.mp4")
    r = client.post("/v1/suggest", files=[("files", ("pizza.jpg", food_images[-1].read_bytes(), "image/jpeg")),
                                          ("files", ("clip.mp4", clip.read_bytes(), "video/mp4"))],
                    data={"k": "5", "min_score": "0"})  # every one of the k, however weak (the clip is noise)
    assert r.status_code == 200, r.text
    assert len(r.json()["suggestions"]) == 5


def test_caption_hashtags_and_user_are_read(client):
    r = client.post("/v1/suggest", data={"text": "Pizza night with the team #pizza", "user": "someone", "k": "10",
                                         "min_score": "0"})  # all 10, however weak
    assert r.status_code == 200
    tags = [s["tag"] for s in r.json()["suggestions"]]
    assert len(tags) == 10 and "pizza" not in tags


# -- /v1/suggest/batch ----------------------------------------------------------------------------------------
def test_batch_answers_every_post_in_order_with_errors_in_place(client, photo, tmp_path):
    corrupt = b"\xff\xd8\xff" + b"not really a jpeg" * 10
    r = client.post("/v1/suggest/batch", json={"k": 4, "posts": [
        {"id": "photo", "text": CAPTION, "tags": ["#coffee"], "media": [{"name": "coffee.jpg", "data": b64(photo)}]},
        {"id": 2, "text": "pizza night", "tags": "#food #dinner"},
        {"id": "not-base64", "media": [{"name": "a.jpg", "data": "%%%"}]},
        {"id": "text-file", "media": [{"name": "notes.txt", "data": base64.b64encode(b"hello there").decode()}]},
        {"id": "corrupt", "media": [{"name": "broken.jpg", "data": base64.b64encode(corrupt).decode()}]},
        {"id": "empty"},
    ]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["photo", 2, "not-base64", "text-file", "corrupt", "empty"]
    assert len(results[0]["suggestions"]) == 4 and len(results[1]["suggestions"]) == 4
    assert "coffee" not in [s["tag"] for s in results[0]["suggestions"]]
    assert {"food", "dinner"}.isdisjoint(s["tag"] for s in results[1]["suggestions"])
    got = {x["id"]: (x.get("status"), x.get("error", "")) for x in results[2:]}
    assert got["not-base64"][0] == 422 and "a.jpg" in got["not-base64"][1] and "base64" in got["not-base64"][1]
    assert got["text-file"][0] == 415 and "notes.txt" in got["text-file"][1]
    assert got["corrupt"][0] == 422 and "broken.jpg" in got["corrupt"][1]
    assert got["empty"][0] == 422 and "empty" in got["empty"][1]
    assert r.json()["errors"] == 4


def test_batch_answers_like_single_requests(client, photo, food_images):
    posts = [{"text": CAPTION, "tags": "#coffee", "media": [{"name": "coffee.jpg", "data": b64(photo)}]},
             {"text": "pizza for the whole team", "media": [{"name": "p.jpg", "data": b64(food_images[-1])}]},
             {"text": "a walk by the sea at sunset"}]
    batch = client.post("/v1/suggest/batch", json={"k": 5, "posts": posts}).json()["results"]
    for post, answer in zip(posts, batch, strict=True):  # three posts through suggest_batch, each alone through suggest
        files = [("files", (m["name"], base64.b64decode(m["data"]), "image/jpeg")) for m in post.get("media", [])]
        single = client.post("/v1/suggest", files=files or None,
                             data={"text": post["text"], "tags": post.get("tags", ""), "k": "5"}).json()
        assert [s["tag"] for s in answer["suggestions"]] == [s["tag"] for s in single["suggestions"]]
        assert [s["score"] for s in answer["suggestions"]] == pytest.approx(
            [s["score"] for s in single["suggestions"]], abs=1e-4)


def test_concurrent_requests_are_batched_and_each_gets_its_own_answer(server, client, food_images):
    from concurrent.futures import ThreadPoolExecutor

    def ask(i):
        p = food_images[i % len(food_images)]
        with httpx.Client(base_url=server.url, timeout=300) as c:
            r = c.post("/v1/suggest", files=[("files", (p.name, p.read_bytes(), "image/jpeg"))],
                       data={"text": ["pasta night", "market day", "brunch"][i % 3], "k": "5"})
        assert r.status_code == 200
        return [s["tag"] for s in r.json()["suggestions"]]

    def several():  # model calls so far that answered more than one post
        metrics = client.get("/metrics").text
        ones = int(re.search(r'taglens_model_batch_posts_bucket\{[^}]*le="1.0"\} (\d+)', metrics).group(1))
        return int(re.search(r"taglens_model_batch_posts_count\{[^}]*\} (\d+)", metrics).group(1)) - ones

    alone = [ask(i) for i in range(12)]
    before = several()
    with ThreadPoolExecutor(12) as pool:
        together = list(pool.map(ask, range(12)))
    assert together == alone
    assert several() > before  # at least one model call answered several requests


@pytest.mark.parametrize("post", [
    {"images": ["/etc/passwd"]},
    {"media": [{"path": "/etc/passwd", "data": ""}]},
    {"media": ["file:///etc/passwd"]},
])
def test_batch_takes_no_paths(client, post):
    r = client.post("/v1/suggest/batch", json={"posts": [post]})
    assert r.status_code == 422 and "posts.0" in error_of(r)


def test_a_media_name_is_never_a_path(client, photo, server):
    r = client.post("/v1/suggest/batch", json={"k": 3, "posts": [
        {"id": 1, "media": [{"name": "../../../../etc/passwd", "data": b64(photo)}]},
        {"id": 2, "media": [{"name": "/etc/hostname", "data": base64.b64encode(b"x" * 64).decode()}]}]})
    first, second = r.json()["results"]
    assert len(first["suggestions"]) == 3  # the bytes sent were read, whatever the name says
    assert second["status"] == 415 and second["error"].startswith("hostname:")


def test_weak_suggestions_are_left_out_as_in_the_cli(client, tmp_path, capsys):
    """A 1x1 photo was answered #cloth ('seen in the image: velvet') and #fitness at confidence 0.02: the API leaves
    out what `taglens suggest --json` leaves out and says how many; min_score 0 keeps all k."""
    from PIL import Image

    from taglens.cli import main

    dot = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (200, 30, 30)).save(dot)
    upload = [("files", ("dot.png", dot.read_bytes(), "image/png"))]
    r = client.post("/v1/suggest", files=upload, data={"k": "5"})
    assert main(["suggest", str(dot), "-k", "5", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["left_out_weak"] > 0 and r.status_code == 200
    assert {key: r.json().get(key) for key in cli} == cli
    every = client.post("/v1/suggest", files=upload, data={"k": "5", "min_score": "0"}).json()
    assert len(every["suggestions"]) == 5 and "left_out_weak" not in every
    batch = client.post("/v1/suggest/batch", json={"k": 5, "posts": [
        {"id": 1, "media": [{"name": "dot.png", "data": b64(dot)}]}]}).json()["results"][0]
    assert {key: batch.get(key) for key in cli} == cli


# -- errors ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("request_kw, status, words", [
    (dict(method="GET", url="/v2/suggest"), 404, "no such page"),
    (dict(method="GET", url="/v1/suggest"), 405, "GET is not allowed"),
    (dict(method="POST", url="/v1/suggest", json={"text": "hi"}), 415, "multipart/form-data"),
    (dict(method="POST", url="/v1/suggest", content=b"text=hi",
          headers={"content-type": "text/plain"}), 415, "multipart/form-data"),
    (dict(method="POST", url="/v1/suggest/batch", data={"posts": "[]"}), 415, "application/json"),
    (dict(method="POST", url="/v1/suggest/batch", content=b"{nope",
          headers={"content-type": "application/json"}), 400, "not valid JSON"),
    (dict(method="POST", url="/v1/suggest", content=b"--x\r\nContent-Disposition: form-data\r\n\r\n",
          headers={"content-type": "multipart/form-data"}), 400, "boundary"),
    (dict(method="POST", url="/v1/suggest/batch", json={"posts": "all of them"}), 422, "posts"),
    (dict(method="POST", url="/v1/suggest/batch", json={"posts": [], "k": 0}), 422, "k"),
    (dict(method="POST", url="/v1/suggest", data={"text": "hi", "k": "0"}), 422, "k: must be from 1 to 100"),
    (dict(method="POST", url="/v1/suggest", data={"text": "hi", "k": "ten"}), 422, "k: "),
    (dict(method="POST", url="/v1/suggest", data={"text": "  ", "tags": "#1 ,"}), 422, "the post is empty"),
    (dict(method="POST", url="/v1/suggest", data={"text": "x" * 20_001}), 422, "over the limit"),
    (dict(method="POST", url="/v1/suggest", files=[("files", ("notes.txt", b"just text", "text/plain"))]),
     415, "notes.txt: not a photo or video"),
    (dict(method="POST", url="/v1/suggest", files=[("files", ("photo.heic", b"\0\0\0\x18ftypheic" + b"\0" * 64,
                                                               "image/heic"))]), 415, "photo.heic"),
    (dict(method="POST", url="/v1/suggest", files=[("files", ("IMG_1.jpg", b"\0\0\0\x18ftypheic" + b"\0" * 64,
                                                               "image/jpeg"))]), 415, "IMG_1.jpg: a HEIC/HEIF photo"),
    (dict(method="POST", url="/v1/suggest", files=[("files", ("bad.jpg", b"\xff\xd8\xff garbage", "image/jpeg"))]),
     422, "bad.jpg: "),
    (dict(method="POST", url="/v1/suggest", data={"text": "hi", "min_score": "2"}), 422, "min_score"),
    (dict(method="POST", url="/v1/suggest", files=[("files", ("bad.mp4", b"\0\0\0\x18ftypisom" + b"\0" * 300,
                                                             "video/mp4"))]), 422, "bad.mp4: "),
    (dict(method="POST", url="/v1/suggest", files=[("files", ("empty.png", b"", "image/png"))]), 422, "empty file"),
    (dict(method="POST", url="/v1/suggest", files=[("files", (f"{i}.jpg", b"\xff\xd8\xff", "image/jpeg"))
                                                    for i in range(11)]), 413, "11 files is over the limit of 10"),
])
def test_errors_are_json_with_their_status(client, request_kw, status, words):
    r = client.request(**request_kw)
    assert r.status_code == status, r.text
    assert words in error_of(r)


def test_decompression_bomb_is_refused_as_in_the_cli(client):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (9000, 8000)).save(buf, "PNG")  # 72 megapixels in a few kB
    r = client.post("/v1/suggest", files=[("files", ("huge.png", buf.getvalue(), "image/png"))])
    assert r.status_code == 422 and "decompression bomb" in error_of(r) and "huge.png" in error_of(r)


def test_no_upload_is_left_on_disk(server, client, photo):
    client.post("/v1/suggest", files=[("files", ("coffee.jpg", photo.read_bytes(), "image/jpeg"))])
    client.post("/v1/suggest", files=[("files", ("bad.jpg", b"\xff\xd8\xff garbage", "image/jpeg"))])
    client.post("/v1/suggest", files=[("files", ("big.jpg", b"\xff\xd8\xff" + b"\0" * 3_000_000, "image/jpeg"))])
    assert client.get("/healthz").status_code == 200
    assert left_in(server.tmpdir) == []


def test_healthz_answers_while_the_model_is_busy(server, client, food_images):
    media = [{"name": p.name, "data": b64(p)} for p in food_images]
    posts = [{"id": i, "text": f"dinner {i}", "media": media[i % 5:] + media[:i % 5][:3]} for i in range(60)]
    done = threading.Event()

    def busy():
        with httpx.Client(base_url=server.url, timeout=600) as c:
            c.post("/v1/suggest/batch", json={"posts": posts, "k": 5})
        done.set()

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        running = 0
        while not done.is_set() and not running:  # /metrics answers too, until the model runs the batch
            found = re.search(r"taglens_model_running_posts\{[^}]*\} (\d+)", client.get("/metrics").text)
            running = int(found.group(1))
        r = client.get("/healthz")
        assert r.status_code == 200 and not done.is_set()  # answered while 60 posts (300 photos) were running
    finally:
        worker.join()


# -- models, metrics, docs ------------------------------------------------------------------------------------
def test_models_names_the_one_served(client):
    body = client.get("/v1/models").json()
    assert body["model"] == "taglens-base" and body["state"] == "ready"
    served = [m for m in body["models"] if m["serving"]]
    assert [m["name"] for m in served] == ["taglens-base"] and served[0]["bundled"]
    assert {"popularity", "coattention"} <= {m["name"] for m in body["models"]}


def test_metrics_count_requests_in_prometheus_text(client):
    client.get("/v2/missing")
    client.post("/v1/suggest", data={"text": "sunset at the beach", "k": "3"})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = r.text
    ok = re.search(r'taglens_requests_total\{worker="\d+",method="POST",route="/v1/suggest",status="200"\} (\d+)', text)
    assert ok and int(ok.group(1)) >= 1
    assert re.search(r'route="other",status="404"\} [1-9]', text)
    count = re.search(r'taglens_request_duration_seconds_count\{worker="\d+",route="/v1/suggest"\} (\d+)', text)
    inf = re.search(r'taglens_request_duration_seconds_bucket\{worker="\d+",route="/v1/suggest",le="\+Inf"\} (\d+)',
                    text)
    assert count and inf and count.group(1) == inf.group(1)
    assert re.search(r"taglens_model_ready\{.*\} 1", text)
    assert re.search(r"process_resident_memory_bytes\{.*\} [1-9]", text)
    for line in text.splitlines():  # every sample line is NAME{LABELS} VALUE
        assert line.startswith("#") or re.fullmatch(r'[a-z_]+\{[^}]*\} [0-9.e+-]+', line), line


def test_openapi_describes_the_api_and_docs_are_served_offline(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/suggest", "/v1/suggest/batch", "/v1/models", "/healthz", "/metrics"} <= set(spec["paths"])
    old = client.get("/docs/openapi-3.0.json").json()  # what the bundled Swagger UI (4.x) reads
    assert old["openapi"] == "3.0.3" and '{"type": "null"}' not in json.dumps(old)
    upload = old["components"]["schemas"]["Body_suggest_v1_suggest_post"]["properties"]["files"]["items"]
    assert upload == {"type": "string", "format": "binary"}
    docs = client.get("/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)=["\']([^"\']+)', docs.text) + re.findall(r"url: ?'([^']+)'", docs.text)
    assert assets and not [a for a in assets if "//" in a]  # no CDN: every asset from this server
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_page_and_its_assets_come_from_this_server(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "/static/app.js" in assets and "/static/app.css" in assets
    assert not [a for a in assets if "//" in a]
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "//" not in client.get("/static/app.css").text.replace("://", "")  # no @import of remote fonts


# -- limits, the API key and the time limit: a second server with small limits ---------------------------------
def _outside_address() -> str | None:
    """An address of this machine other than loopback (the one a packet to TEST-NET would leave from)."""
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))
            addr = s.getsockname()[0]
    except OSError:
        return None
    return None if addr.startswith("127.") else addr


@pytest.fixture(scope="module")
def strict(tmp_path_factory, serve):
    s = serve(tmp_path_factory.mktemp("strict"), "--max-file-mb", "0.1", "--max-request-mb", "2",
                     "--timeout", "0.05", host="0.0.0.0", env={"TAGLENS_API_KEY": "s3cret"})
    yield s
    s.stop()


def test_api_key_needed_from_other_machines_only(strict):
    with httpx.Client(base_url=strict.url, timeout=30) as local:
        assert local.get("/v1/models").status_code == 200  # a local client needs no key
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no address but loopback: cannot connect as a non-local client")
    with httpx.Client(base_url=f"http://{outside}:{strict.port}", timeout=30) as remote:
        r = remote.get("/v1/models")
        assert r.status_code == 401 and "no API key" in error_of(r) and r.headers["www-authenticate"] == "Bearer"
        r = remote.post("/v1/suggest", data={"text": "hi"}, headers={"X-API-Key": "guess"})
        assert r.status_code == 401 and "wrong API key" in error_of(r)
        assert remote.get("/metrics").status_code == 401
        assert remote.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert remote.get("/v1/models", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert remote.get("/healthz").status_code == 200 and remote.get("/").status_code == 200  # the page asks


def test_file_and_request_size_limits(strict):
    jpeg = b"\xff\xd8\xff" + b"\0" * 150_000
    with httpx.Client(base_url=strict.url, timeout=30) as c:
        r = c.post("/v1/suggest", files=[("files", ("big.jpg", jpeg, "image/jpeg"))])
        assert r.status_code == 413 and "big.jpg" in error_of(r) and "per file" in error_of(r)
        r = c.post("/v1/suggest", files=[("files", ("huge.jpg", jpeg * 15, "image/jpeg"))])
        assert r.status_code == 413 and "over the limit of 2.0 MB" in error_of(r)  # from Content-Length

        def chunks():  # no Content-Length: the server counts what arrives
            yield b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x.jpg\"\r\n\r\n"
            for _ in range(160):
                yield b"\0" * 16_384

        r = c.post("/v1/suggest", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413 and "over the limit of 2.0 MB" in error_of(r)
        big = {"posts": [{"text": "x" * 10_000} for _ in range(250)]}
        r = c.post("/v1/suggest/batch", json=big)
        assert r.status_code == 413
    assert left_in(strict.tmpdir) == []


def test_a_request_past_the_time_limit_is_503(strict, food_images):
    media = [{"name": p.name, "data": b64(p)} for p in food_images[:3]]
    posts = [{"id": i, "text": f"lunch {i}", "media": media} for i in range(16)]  # 48 photos: well over 0.05 s
    with httpx.Client(base_url=strict.url, timeout=60) as c:
        r = c.post("/v1/suggest/batch", json={"posts": posts})
        assert r.status_code == 503 and "no answer within 0.05 s" in error_of(r) and r.headers["retry-after"]
        assert c.get("/healthz").status_code == 200
