"""A hostile OpenAI-compatible server on 127.0.0.1: each URL prefix is one misbehaviour.

`http://127.0.0.1:PORT/<behaviour>/v1` answers `/chat/completions` with that behaviour. Everything
it does is bounded in time (a trickle stops after `TRICKLE_LIMIT_S`), so a client that fails to
give up makes a test slow and then fail, never hang forever.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TRICKLE_INTERVAL_S = 0.5
TRICKLE_LIMIT_S = 60.0
BOMB_BYTES = 64 * 1024 * 1024  # inflated size of the gzip bomb (it travels as ~65 KB)


def completion(content: object = "Step 1: 2 + 2 = 4\nThe answer is \\boxed{4}.", **overrides: object) -> dict:
    body = {"id": "x", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    for path, value in overrides.items():
        target = body
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[keys[-1]] = value
    return body


MALFORMED = {
    "message_str": json.dumps(completion(**{"choices.0.message": "str"})),
    "content_int": json.dumps(completion(42)),
    "content_list": json.dumps(completion([{"type": "text", "text": "4"}])),
    "usage_str": json.dumps(completion(usage="lots")),
    "tokens_inf": json.dumps(completion()).replace('"prompt_tokens": 10', '"prompt_tokens": 1e400'),
    "choices_empty": json.dumps(completion(choices=[])),
    "not_json": "<html>502 Bad Gateway</html>",
    "json_array": "[1, 2, 3]",
    "deep_json": "[" * 100_000 + "]" * 100_000,
}


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    """A gzip body that inflates to BOMB_BYTES of one JSON string (built once, streamed from zeros)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    prefix = b'{"choices":[{"message":{"content":"'
    parts = [packer.compress(prefix)]
    block = b"a" * (1 << 20)
    for _ in range(BOMB_BYTES // len(block)):
        parts.append(packer.compress(block))
    parts.append(packer.compress(b'"},"finish_reason":"stop"}]}'))
    parts.append(packer.flush())
    return b"".join(parts)


class HostileTeacher:
    """Start with `with HostileTeacher() as server:`; `server.url(behaviour)` is a base_url."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.aborted: Counter[str] = Counter()  # responses the client hung up on before the end
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                behaviour = self.path.strip("/").split("/")[0]
                owner.hits[behaviour] += 1
                try:
                    owner._respond(self, behaviour)
                except (BrokenPipeError, ConnectionResetError):
                    owner.aborted[behaviour] += 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, behaviour: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{behaviour}/v1"

    def __enter__(self) -> HostileTeacher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _respond(self, handler: BaseHTTPRequestHandler, behaviour: str) -> None:
        if behaviour == "slowloris":  # headers at once, then one byte every half second, never finishing
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(10**9))
            handler.end_headers()
            started = time.monotonic()
            while time.monotonic() - started < TRICKLE_LIMIT_S:
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(TRICKLE_INTERVAL_S)
            handler.close_connection = True
            return
        if behaviour == "gzipbomb":
            body = gzip_bomb()
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-encoding", "gzip")
            handler.send_header("content-length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return
        body = (MALFORMED.get(behaviour) or json.dumps(completion())).encode()
        handler.send_response(200)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
