"""The FastAPI application of ``taglens serve``: the page at /, the versioned API under /v1, /healthz, /metrics.

Every error is JSON ``{"error": "<what is wrong, naming the file or field>"}`` with its status: 400 a body that
does not parse, 401 a non-local client without the API key (when TAGLENS_API_KEY is set), 404 no such route,
413 a file or request over its limit, 415 a file that is not a photo or video (or a body of the wrong type),
422 a request that parses but cannot be answered (an empty post, a corrupt photo, k out of range), 503 the model
still loading (or failed to load) or the request's time limit passed.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import logging
import time
from pathlib import Path
from typing import Annotated, Any, Union

import anyio
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from ..version import __version__
from .config import Settings, api_key
from .inference import ModelHost, NotReady, Timeout
from .metrics import Metrics
from .uploads import SUPPORTED, Upload, UploadProblem, decode_uploads, display_name

log = logging.getLogger("taglens.serve")
STATIC = Path(__file__).parent / "static"
MAX_CAPTION_CHARS = 20_000
MIN_SCORE_HELP = ("leave out suggestions whose confidence is under this, 0 to 1 (default: as `taglens suggest`, "
                  "0.05 for a model that gives a confidence; 0 keeps all k); how many were left out: left_out_weak")
# open to every client (and /static/...): the page asks for the API key itself; the API's description is public
OPEN_PATHS = ("/", "/healthz", "/favicon.ico", "/docs", "/openapi.json", "/docs/openapi-3.0.json")
ROUTES = ("/", "/healthz", "/metrics", "/v1/models", "/v1/suggest", "/v1/suggest/batch", "/docs",
          "/openapi.json", "/docs/openapi-3.0.json", "/favicon.ico")


class Media(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("", max_length=255, description="the file's name, for messages only")
    data: str = Field(description="the file's bytes in base64 (standard alphabet)")


class BatchPost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Union[str, int, None] = Field(None, description="echoed in the answer")
    text: str = Field("", description="the caption (hashtags in it count as existing tags)")
    tags: Union[list[str], str] = Field(default_factory=list,
                                        description='existing tags: ["dog", "#park"] or "#dog #park"')
    user: Union[str, None] = Field(None, description="the author, for their habitual tags")
    media: list[Media] = Field(default_factory=list, description="photos and videos, inline as base64")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    posts: list[BatchPost]
    k: int = Field(10, ge=1, description="suggestions per post")
    min_score: Union[float, None] = Field(None, ge=0, le=1, description=MIN_SCORE_HELP)


def create_app(settings: Settings | None = None) -> Any:
    """The ASGI application (the FastAPI app inside ``_Guard``); the model starts loading, on its own thread, when
    the server starts."""
    settings = settings or Settings()
    host = ModelHost(settings.model, batch_max=settings.batch_max, warmup=settings.warmup)
    metrics = Metrics()
    decoders = anyio.CapacityLimiter(2)  # decoding is CPU work: two at a time, beside the model's thread
    swagger = _swagger_ui()

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        host.start()
        yield
        host.stop()

    app = FastAPI(title="taglens", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Hashtag suggestions for a post from its photos, video, caption and tags. "
                              "Errors are JSON: {\"error\": \"...\"}.")
    app.state.host, app.state.settings, app.state.metrics = host, settings, metrics

    # -- errors as JSON ---------------------------------------------------------------------------------------
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail if exc.status_code != 404 else f"no such page or endpoint: {request.url.path}"
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return JSONResponse({"error": str(message)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            e = next(e for e in errors if e.get("type") == "json_invalid")
            reason = (e.get("ctx") or {}).get("error", "")
            return JSONResponse({"error": f"the body is not valid JSON ({reason})"}, status_code=400)
        parts = []
        for e in errors[:5]:
            where = ".".join(str(x) for x in e.get("loc", ())[1:]) or "body"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return JSONResponse({"error": "; ".join(parts)}, status_code=422)

    # -- the page ---------------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    if swagger is not None:
        app.mount("/static/swagger", StaticFiles(directory=swagger), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        """Swagger UI from the swagger-ui-bundle package (no CDN); a plain page where it is not installed."""
        from fastapi.openapi.docs import get_swagger_ui_html
        from fastapi.responses import HTMLResponse

        if swagger is None:
            return HTMLResponse("<!doctype html><title>taglens API</title><p>The API is described by "
                                "<a href=\"/openapi.json\">/openapi.json</a> (install swagger-ui-bundle for a "
                                "browsable page here).</p>")
        return get_swagger_ui_html(openapi_url="/docs/openapi-3.0.json", title="taglens API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/favicon.ico")

    @app.get("/docs/openapi-3.0.json", include_in_schema=False)
    async def openapi_30() -> JSONResponse:
        """/openapi.json (OpenAPI 3.1) told as OpenAPI 3.0, which the bundled Swagger UI (4.x) renders."""
        return JSONResponse(openapi_3_0(app.openapi()))

    # -- health and metrics -----------------------------------------------------------------------------------
    @app.get("/healthz", summary="ready (200) once the model is loaded; 503 while loading or if it failed")
    async def healthz() -> JSONResponse:
        body: dict[str, Any] = {"status": host.state, "model": settings.model, "version": __version__}
        if host.state == "ready":
            body["load_seconds"] = round(host.load_seconds or 0.0, 2)
            return JSONResponse(body)
        if host.error:
            body["error"] = host.error
        return JSONResponse(body, status_code=503, headers={"Retry-After": "2"})

    @app.get("/metrics", summary="request counts and latency histograms (Prometheus text format)",
             response_class=PlainTextResponse)
    async def metrics_page() -> PlainTextResponse:
        sizes, host.batch_sizes[:] = list(host.batch_sizes), []
        metrics.observe_batches(sizes)
        return PlainTextResponse(metrics.render(settings.model, host.state, host.queued, host.running),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/v1/models", summary="the model this server answers with, and every registered model")
    async def models() -> dict[str, Any]:
        from ..registry import bundled_model_dir, describe_suggester, list_suggesters

        names = await anyio.to_thread.run_sync(list_suggesters)
        return {"model": settings.model, "state": host.state,
                "models": [{"name": n, "description": describe_suggester(n),
                            "bundled": bundled_model_dir(n) is not None, "serving": n == settings.model}
                           for n in names]}

    # -- suggestions ------------------------------------------------------------------------------------------
    @app.post("/v1/suggest", summary="hashtags for one post (multipart form)")
    async def suggest(
        request: Request,
        files: Annotated[list[UploadFile], File(description=f"photos and videos ({SUPPORTED})")] = [],  # noqa: B006
        text: Annotated[str, Form(description="the caption; its hashtags count as existing tags")] = "",
        tags: Annotated[str, Form(description='existing tags, e.g. "#dog #park"')] = "",
        user: Annotated[Union[str, None], Form(description="the author, for their habitual tags")] = None,
        k: Annotated[int, Form(description="number of suggestions")] = 10,
        min_score: Annotated[Union[float, None], Form(ge=0, le=1, description=MIN_SCORE_HELP)] = None,
    ) -> JSONResponse:
        started = request.state.started
        _check_k(k, settings)
        if len(files) > settings.max_files:
            raise HTTPException(413, f"{len(files)} files is over the limit of {settings.max_files} per post")
        uploads = []
        for i, f in enumerate(files):
            uploads.append(Upload(display_name(f.filename, i), await f.read()))
            await f.close()
        post = await _post(text, tags, user, uploads, settings, decoders)
        t_decoded = time.perf_counter()
        answers, timings = await _run(host, [post], k, settings, started)
        if isinstance(answers[0], Exception):
            raise HTTPException(422, str(answers[0]))
        timings = {"decode_ms": round(1000 * (t_decoded - started), 1), **timings,
                   "total_ms": round(1000 * (time.perf_counter() - started), 1)}
        return JSONResponse({**_answer(answers[0], min_score), "model": settings.model, "timings": timings})

    @app.post("/v1/suggest/batch", summary="hashtags for a list of posts (JSON; media inline as base64)")
    async def suggest_batch(request: Request, body: BatchRequest) -> JSONResponse:
        started = request.state.started
        _check_k(body.k, settings)
        if len(body.posts) > settings.max_batch_posts:
            raise HTTPException(413, f"{len(body.posts)} posts is over the limit of {settings.max_batch_posts} "
                                     f"per batch")
        results: list[dict[str, Any]] = [{"id": p.id} for p in body.posts]
        ready: list[tuple[int, Any]] = []
        for i, item in enumerate(body.posts):
            try:
                uploads = [Upload(display_name(m.name, j), _b64(m, j)) for j, m in enumerate(item.media)]
                tag_spec = item.tags if isinstance(item.tags, str) else " ".join(item.tags)
                ready.append((i, await _post(item.text, tag_spec, item.user, uploads, settings, decoders)))
            except HTTPException as exc:
                results[i].update(error=str(exc.detail), status=exc.status_code)
        if ready:
            answers, timings = await _run(host, [p for _, p in ready], body.k, settings, started)
        else:
            answers, timings = [], {}
        for (i, _), ans in zip(ready, answers):
            if isinstance(ans, Exception):
                results[i].update(error=str(ans), status=422)
            else:
                results[i].update(_answer(ans, body.min_score))
        failed = sum(1 for r in results if "error" in r)
        timings["total_ms"] = round(1000 * (time.perf_counter() - started), 1)
        return JSONResponse({"results": results, "errors": failed, "model": settings.model, "timings": timings})

    return _Guard(app, settings, metrics)


def app_from_env() -> Any:
    """The application of a uvicorn worker process (``--workers N``), its settings read from the environment."""
    return create_app(Settings.from_env())


# -- helpers --------------------------------------------------------------------------------------------------
def openapi_3_0(spec: Any) -> Any:
    """An OpenAPI 3.1 document (FastAPI's) in 3.0 terms: ``anyOf [X, null]`` is X with ``nullable``, an upload's
    ``contentMediaType`` is ``format: binary``, ``const`` is a one-value ``enum``, ``examples`` lists go."""
    if isinstance(spec, list):
        return [openapi_3_0(x) for x in spec]
    if not isinstance(spec, dict):
        return spec
    out = {k: openapi_3_0(v) for k, v in spec.items() if not (k == "examples" and isinstance(v, list))}
    if out.get("openapi", "").startswith("3.1"):
        out["openapi"] = "3.0.3"
    if isinstance(out.get("anyOf"), list) and {"type": "null"} in out["anyOf"]:
        rest = [x for x in out.pop("anyOf") if x != {"type": "null"}]
        if len(rest) == 1:
            out = {**rest[0], **out}
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    if "contentMediaType" in out and out.get("type") == "string":
        out.pop("contentMediaType")
        out["format"] = "binary"
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def _swagger_ui() -> str | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    return str(swagger_ui_path)


def _check_k(k: int, settings: Settings) -> None:
    if not 1 <= k <= settings.max_k:
        raise HTTPException(422, f"k: must be from 1 to {settings.max_k}, got {k}")


def _answer(suggestions: list[Any], min_score: float | None) -> dict[str, Any]:
    """A post's answer as `taglens suggest --json` gives it: the weak suggestions left out (a 1x1 photo got #cloth
    and #fitness at confidence 0.02), and how many were."""
    from ..commands.suggest import keep_confident

    kept, left_out = keep_confident(suggestions, min_score)
    return {"suggestions": [s.to_dict() for s in kept], **({"left_out_weak": left_out} if left_out else {})}


def _b64(media: Media, index: int) -> bytes:
    try:
        return base64.b64decode(media.data, validate=True)
    except (binascii.Error, ValueError):
        name = display_name(media.name, index)
        raise HTTPException(422, f"{name}: data is not valid base64") from None


async def _post(text: str, tags: str, user: str | None, uploads: list[Upload], settings: Settings,
                decoders: anyio.CapacityLimiter) -> Any:
    """The Post of a request: tags read like the CLI's --tags, the caption's hashtags added, the media decoded."""
    from ..types import Post, clean_text, parse_hashtags, parse_tag_list

    if len(text) > MAX_CAPTION_CHARS:
        raise HTTPException(422, f"text: the caption has {len(text):,} characters, over the limit of "
                                 f"{MAX_CAPTION_CHARS:,}")
    if len(uploads) > settings.max_files:
        raise HTTPException(413, f"{len(uploads)} files is over the limit of {settings.max_files} per post")
    text = clean_text(text)
    tag_list = parse_tag_list(tags)[0] + parse_hashtags(text)
    if not (text.strip() or tag_list or uploads):
        raise HTTPException(422, "the post is empty: give a photo or video, a caption (text) or tags")
    try:
        frames = await anyio.to_thread.run_sync(decode_uploads, uploads, settings.max_file_bytes,
                                                limiter=decoders) if uploads else []
    except UploadProblem as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return Post(text=text, hashtags=tuple(tag_list), images=tuple(frames), user=user or None)


async def _run(host: ModelHost, posts: list[Any], k: int, settings: Settings, started: float):
    left = settings.timeout_s - (time.perf_counter() - started)
    try:
        return await host.suggest(posts, k, left)
    except NotReady as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "2"}) from None
    except Timeout:
        raise HTTPException(503, f"the server is busy: no answer within {settings.timeout_s:g} s; try again",
                            headers={"Retry-After": "5"}) from None


class _Guard:
    """ASGI middleware around the app: the API key, the request size limit and content types (before any body is
    read), and the metrics of every request."""

    def __init__(self, app: FastAPI, settings: Settings, metrics: Metrics):
        self.app, self.settings, self.metrics = app, settings, metrics
        self.state = app.state  # tests and the command reach the host through it

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        scope.setdefault("state", {})["started"] = started
        path, method = scope["path"], scope["method"]
        route = path if path in ROUTES else ("/static" if path.startswith("/static/") else "other")
        status_seen = [500]

        async def send_counted(message):
            if message["type"] == "http.response.start":
                status_seen[0] = message["status"]
            await send(message)

        try:
            refusal = self._refuse(scope, path, method)
            if refusal is not None:
                status, message, headers = refusal
                await _send_json(send_counted, status, {"error": message}, headers)
                return
            if method == "POST":
                receive = self._limited(receive)
            await self.app(scope, receive, send_counted)
        finally:
            self.metrics.observe_request(method, route, status_seen[0], time.perf_counter() - started)

    def _refuse(self, scope, path: str, method: str) -> tuple[int, str, dict] | None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        key = api_key()
        if key and not _is_local(scope) and path not in OPEN_PATHS and not path.startswith("/static/"):
            given = headers.get("x-api-key") or ""
            auth = headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if not hmac.compare_digest(given.encode(), key.encode()):
                what = "a wrong API key" if given else "no API key"
                return 401, (f"{what}: this server needs its key from clients on other machines "
                             f"(header 'Authorization: Bearer KEY' or 'X-API-Key: KEY')"), \
                    {"WWW-Authenticate": "Bearer"}
        if method != "POST":
            return None
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.settings.max_request_bytes:
            return 413, (f"the request is {int(length) / 1048576:.1f} MB, over the limit of "
                         f"{self.settings.max_request_bytes / 1048576:.1f} MB"), {}
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if path == "/v1/suggest" and ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            return 415, (f"/v1/suggest takes multipart/form-data (files, text, tags, user, k; or a form without "
                         f"files), not {ctype or 'a body without a Content-Type'}"), {}
        if path == "/v1/suggest/batch" and ctype != "application/json":
            return 415, f"/v1/suggest/batch takes application/json, not {ctype or 'a body without a Content-Type'}", {}
        return None

    def _limited(self, receive):
        limit, seen = self.settings.max_request_bytes, [0]

        async def counted():
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > limit:
                    raise HTTPException(413, f"the request is over the limit of {limit / 1048576:.1f} MB")
            return message

        return counted


def _is_local(scope) -> bool:
    client = scope.get("client")
    addr = client[0] if client else ""
    return addr == "::1" or addr.startswith("127.") or addr.startswith("::ffff:127.")


async def _send_json(send, status: int, body: dict, headers: dict) -> None:
    import json

    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})
