"""The OpenAI wire protocol, spoken directly over aiohttp: one POST per attempt, nothing in between.

The SDK costs most of a request's client CPU before a byte is sent (it walks the request through
its typed-dict transforms, builds an httpx request, then hands it to aiohttp anyway): ~2.4 ms per
request against ~0.4 ms here, which capped one process's request rate. What the SDK gave the
stage is kept: the same JSON body and bearer key, non-2xx statuses and connection errors named as
`retry.Failure`s, and the body read in chunks after decompression up to `max_response_kb` (a gzip
bomb stops there). The deadline of the whole attempt is the caller's (`asyncio.wait_for`).
"""

from __future__ import annotations

import json
import os
from typing import Any

import aiohttp

from cotsynth.config import TeacherTraces
from cotsynth.teacher.response import InvalidResponse, read_body
from cotsynth.teacher.retry import Failure, connection_failure, status_failure

ERROR_BODY_BYTES = 4096  # of a non-2xx body, for the failure's detail


class WireError(Exception):
    """An attempt that got no usable HTTP answer; `failure` says why and whether to retry."""

    def __init__(self, failure: Failure):
        super().__init__(failure.reason)
        self.failure = failure


class Wire:
    """POSTs to one endpoint's `/chat/completions` and `/completions`; use as `async with`."""

    def __init__(self, spec: TeacherTraces, connections: int):
        key = os.environ.get(spec.endpoint.api_key_env or "", "") or "EMPTY"  # local servers take any key
        base = spec.endpoint.base_url.rstrip("/")
        self.urls = {False: f"{base}/chat/completions", True: f"{base}/completions"}
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                        "Accept": "application/json"}
        self.max_kb = spec.max_response_kb
        self.connections = connections

    async def __aenter__(self) -> Wire:
        connector = aiohttp.TCPConnector(limit=self.connections, limit_per_host=0)
        self.session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None),
                                             skip_auto_headers=("User-Agent",))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    async def post(self, body: dict[str, Any], text: bool, headers: dict[str, str]) -> Any:
        """The JSON document the endpoint answered with; WireError or InvalidResponse otherwise."""
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            async with self.session.post(self.urls[text], data=data, headers={**self.headers, **headers}) as response:
                if not 200 <= response.status < 300:
                    raise WireError(status_failure(response.status, response.headers,
                                                   _message(await response.content.read(ERROR_BODY_BYTES))))
                chunks, size = [], 0
                async for chunk in response.content.iter_any():  # decompressed: the cap holds against gzip bombs
                    size += len(chunk)
                    if size > self.max_kb * 1024:
                        raise InvalidResponse(f"body larger than max_response_kb={self.max_kb}")
                    chunks.append(chunk)
        except (aiohttp.ClientError, OSError) as error:
            raise WireError(connection_failure(error)) from None
        return read_body(chunks)


def _message(body: bytes) -> str:
    """An error body's `error.message`, else its text."""
    try:
        found = json.loads(body)
        if isinstance(found, dict) and isinstance(found.get("error"), dict):
            return str(found["error"].get("message", ""))[:200]
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    return body.decode("utf-8", "replace")[:200]
