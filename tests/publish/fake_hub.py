"""A local stand-in for the Hub API: the real one cannot be reached here.

The fake implements only what `huggingface_hub` calls to publish a dataset: repo creation, repo info,
branch creation, tree listing, README metadata validation, preupload and commit. Preupload answers "regular" for
every file so contents arrive inline (base64) in the commit payload: the test sees the exact bytes,
without LFS or Xet. It checks the token and refuses commits to a branch that does not exist, as the
Hub does, and records every request.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from hashlib import sha1
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

TOKEN = "hf_fake_write_token"
REPO = r"(?P<repo>[^/]+/[^/]+)"


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Repo:
    private: bool
    # branch -> path -> content; a new repo holds .gitattributes on main, as on the Hub
    trees: dict[str, dict[str, bytes]] = field(default_factory=lambda: {"main": {".gitattributes": b"*.parquet lfs\n"}})


class FakeHub:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.repos: dict[str, Repo] = {}
        self.commits: list[dict] = []  # {"repo", "revision", "header", "files": {path: bytes}, "deleted": [path]}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(self.command, unquote(parts.path), parts.query, headers, body)
                with hub.lock:
                    hub.requests.append(request)
                    status, answer = hub.answer(request)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def answer(self, request: Request) -> tuple[int, dict | list]:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return 401, {"error": "Invalid credentials in Authorization header"}
        route = f"{request.method} {request.path}"
        if route == "POST /api/repos/create":
            payload = request.json()
            repo_id = f"{payload['organization']}/{payload['name']}"
            if repo_id in self.repos:
                return 409, {"error": "You already created this dataset repo", "url": self._repo_url(repo_id)}
            self.repos[repo_id] = Repo(private=payload.get("visibility") == "private")
            return 200, {"url": self._repo_url(repo_id), "name": repo_id}
        if route == "POST /api/validate-yaml":
            return 200, {"errors": [], "warnings": []}
        if match := re.fullmatch(rf"GET /api/datasets/{REPO}", route):
            repo = self.repos.get(match["repo"])
            if repo is None:
                return 404, {"error": "Repository not found"}
            return 200, {"id": match["repo"], "private": repo.private, "sha": "0" * 40}
        if match := re.fullmatch(rf"POST /api/datasets/{REPO}/branch/(?P<rev>.+)", route):
            repo = self.repos[match["repo"]]
            if match["rev"] in repo.trees:
                return 409, {"error": "Reference already exists"}
            repo.trees[match["rev"]] = dict(repo.trees["main"])
            return 200, {}
        if match := re.fullmatch(rf"(GET|POST) /api/datasets/{REPO}/(?P<op>tree|preupload|commit)/(?P<rev>.+)", route):
            repo_id = match["repo"]
            tree = self.repos[repo_id].trees.get(match["rev"]) if repo_id in self.repos else None
            if tree is None:
                return 404, {"error": f"Invalid rev id: {match['rev']}"}
            if (request.method == "GET") != (match["op"] == "tree"):
                return 405, {"error": f"{request.method} is not allowed on {match['op']}"}
            if match["op"] == "tree":
                return 200, [{"type": "file", "path": p, "size": len(b), "oid": sha1(b).hexdigest()}
                             for p, b in tree.items()]
            if match["op"] == "preupload":
                files = request.json()["files"]
                modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]
                return 200, {"files": modes}
            return self._commit(repo_id, match["rev"], tree, request.body)
        return 404, {"error": f"the fake Hub does not serve {route}"}

    def _commit(self, repo_id: str, revision: str, tree: dict[str, bytes], body: bytes) -> tuple[int, dict]:
        lines = [json.loads(line) for line in body.splitlines() if line]
        header = next(line["value"] for line in lines if line["key"] == "header")
        files, deleted = {}, []
        for line in lines[1:]:
            if line["key"] == "file" and line["value"]["encoding"] == "base64":
                files[line["value"]["path"]] = base64.b64decode(line["value"]["content"])
            elif line["key"] == "deletedFile" and line["value"]["path"] in tree:
                deleted.append(line["value"]["path"])
            else:
                return 400, {"error": f"the fake Hub does not take this commit line: {line}"}
        for path in deleted:
            del tree[path]
        tree.update(files)
        self.commits.append(
            {"repo": repo_id, "revision": revision, "header": header, "files": files, "deleted": deleted}
        )
        oid = f"{len(self.commits):040x}"
        return 200, {"commitUrl": f"{self._repo_url(repo_id)}/commit/{oid}", "commitOid": oid, "pullRequestUrl": None}

    def _repo_url(self, repo_id: str) -> str:
        return f"{self.url}/datasets/{repo_id}"
