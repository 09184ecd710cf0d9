"""The settings of one server, passed to every uvicorn worker process through the environment."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

ENV = "TAGLENS_SERVE_SETTINGS"  # JSON of Settings, for worker processes started by uvicorn
API_KEY_ENV = "TAGLENS_API_KEY"
MB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    model: str = "taglens-base"
    max_file_bytes: int = 20 * MB  # one uploaded photo or video
    max_request_bytes: int = 50 * MB  # a whole request body (every file, or a batch's JSON)
    max_files: int = 10  # media per post
    max_batch_posts: int = 64  # posts per /v1/suggest/batch request
    max_k: int = 100
    timeout_s: float = 30.0  # a request's decoding, queueing and inference together
    # posts waiting for the model run through suggest_batch together, up to this many: 16 was 22% faster than one
    # at a time in process (9.3 vs 7.6 posts/s, 2 busy cores) and faster through HTTP (bench/bench_serve.py)
    batch_max: int = 16
    warmup: bool = True  # run one post through the model before reporting ready

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> "Settings":
        raw = os.environ.get(ENV)
        if not raw:
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(raw).items() if k in known})


def api_key() -> str | None:
    """The key non-local clients must send (TAGLENS_API_KEY), None when unset or blank."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    return key or None
