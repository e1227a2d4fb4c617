"""YAML from users, loaded with bounds: a file size cap, no duplicate keys, and aliases that may not
expand a small file into a huge document (a "billion laughs" of nested anchors would otherwise hang
whatever walks or prints the result, such as pydantic building an error message)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_BYTES = 1 << 20  # 1 MiB: a pipeline or family file is a few KB
MAX_NODES = 100_000  # nodes of the document with every alias expanded


class YamlLimitError(ValueError):
    """The document breaks one of the bounds (size, expansion, duplicate key); the message says which."""


class _BoundedLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults`: merged keys may be overridden
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: SafeLoader reports it
                break
            if duplicate:
                mark = key_node.start_mark
                raise YamlLimitError(f"duplicate key {key!r} at line {mark.line + 1}, column {mark.column + 1}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def expanded_size(node: yaml.Node, limit: int = MAX_NODES) -> int:
    """Nodes of the tree an alias-sharing graph stands for, counted once per shared node (memoized),
    stopping as soon as `limit` is passed."""
    sizes: dict[int, int] = {}

    def size(current: yaml.Node) -> int:
        key = id(current)
        if key not in sizes:
            sizes[key] = limit + 1  # a cycle (recursive alias) counts as unbounded
            total = 1
            children = current.value if isinstance(current, (yaml.SequenceNode, yaml.MappingNode)) else []
            for child in children:
                for part in child if isinstance(child, tuple) else (child,):
                    total += size(part)
                    if total > limit:
                        break
                if total > limit:
                    break
            sizes[key] = min(total, limit + 1)
        return sizes[key]

    return size(node)


def load_text(text: str) -> Any:
    """`yaml.safe_load` with the bounds above; raises YamlLimitError or yaml.YAMLError."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlLimitError(f"larger than {MAX_BYTES:,} bytes")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if expanded_size(node) > MAX_NODES:
            raise YamlLimitError(f"aliases expand it to more than {MAX_NODES:,} nodes")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_file(path: Path) -> Any:
    """Read and load `path`, checking its size before reading it (a 100 MB file is never read)."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise YamlLimitError(f"larger than {MAX_BYTES:,} bytes ({size:,})")
    return load_text(path.read_text(encoding="utf-8"))
