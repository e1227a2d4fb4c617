"""A tiny decoder-only transformer over a small vocabulary (see vocab.py), small enough to train on one CPU thread in minutes.

Pre-norm blocks with learned positions. Decoding is batched over left-padded prompts: each row's
positions start at its first real token and padded keys are masked, so a row decodes exactly as it
would alone; a key/value cache keeps greedy decoding linear in the answer's length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

@dataclass(frozen=True)
class ModelSize:
    vocab: int = 258
    layers: int = 2
    d_model: int = 128
    heads: int = 4
    context: int = 512


class Block(nn.Module):
    def __init__(self, size: ModelSize) -> None:
        super().__init__()
        self.heads = size.heads
        self.norm1 = nn.LayerNorm(size.d_model)
        self.qkv = nn.Linear(size.d_model, 3 * size.d_model)
        self.proj = nn.Linear(size.d_model, size.d_model)
        self.norm2 = nn.LayerNorm(size.d_model)
        self.mlp = nn.Sequential(nn.Linear(size.d_model, 4 * size.d_model), nn.GELU(), nn.Linear(4 * size.d_model, size.d_model))

    def forward(self, x: torch.Tensor, mask: torch.Tensor, cache: list | None) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = self.qkv(self.norm1(x)).split(width, dim=2)
        q, k, v = (t.view(batch, length, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if cache:
                k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
            cache[:] = [k, v]
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        attended = F.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1) @ v
        x = x + self.proj(attended.transpose(1, 2).reshape(batch, length, width))
        return x + self.mlp(self.norm2(x))


class TinyTransformer(nn.Module):
    def __init__(self, size: ModelSize) -> None:
        super().__init__()
        self.size = size
        self.embed = nn.Embedding(size.vocab, size.d_model)
        self.position = nn.Embedding(size.context, size.d_model)
        self.blocks = nn.ModuleList(Block(size) for _ in range(size.layers))
        self.norm = nn.LayerNorm(size.d_model)
        self.head = nn.Linear(size.d_model, size.vocab, bias=False)

    def forward(self, tokens: torch.Tensor, positions: torch.Tensor, mask: torch.Tensor,
                caches: list[list] | None = None) -> torch.Tensor:
        """Logits for `tokens` at `positions`; `mask[b, 1, i, j]` says whether query i may see key j."""
        x = self.embed(tokens) + self.position(positions.clamp(max=self.size.context - 1))
        for i, block in enumerate(self.blocks):
            x = block(x, mask, caches[i] if caches is not None else None)
        return self.head(self.norm(x))

    def loss(self, tokens: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Next-token cross-entropy on right-padded rows; targets of -100 (question, padding) are skipped."""
        length = tokens.shape[1]
        positions = torch.arange(length).expand_as(tokens)
        mask = torch.ones(length, length, dtype=torch.bool).tril().view(1, 1, length, length)
        logits = self(tokens, positions, mask)
        return F.cross_entropy(logits.reshape(-1, self.size.vocab), targets.reshape(-1), ignore_index=-100)

    @torch.no_grad()
    def greedy(self, prompts: list[list[int]], max_new: int, stop: int, pad: int) -> list[list[int]]:
        """Greedy completions of token prompts, each stopped at a token >= `stop` (the specials: EOS,
        padding, unknown; not included) or after `max_new` tokens."""
        width = max(len(p) for p in prompts)
        pads = torch.tensor([width - len(p) for p in prompts])
        tokens = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
        real = torch.arange(width).unsqueeze(0) >= pads.unsqueeze(1)  # [batch, keys]
        causal = torch.ones(width, width, dtype=torch.bool).tril()
        # a padding query sees itself only, so its (unused) values stay finite
        mask = ((causal.unsqueeze(0) & real.unsqueeze(1)) | torch.eye(width, dtype=torch.bool)).unsqueeze(1)
        positions = (torch.arange(width).unsqueeze(0) - pads.unsqueeze(1)).clamp(min=0)
        caches: list[list] = [[] for _ in self.blocks]
        logits = self(tokens, positions, mask, caches)[:, -1]
        out = [[] for _ in prompts]
        done = torch.zeros(len(prompts), dtype=torch.bool)
        for step in range(max_new):
            nxt = logits.argmax(dim=-1)
            for b in range(len(prompts)):
                if not done[b]:
                    if nxt[b].item() >= stop:
                        done[b] = True
                    else:
                        out[b].append(int(nxt[b]))
            if bool(done.all()) or step == max_new - 1:
                break
            real = torch.cat([real, torch.ones(len(prompts), 1, dtype=torch.bool)], dim=1)
            positions = (width + step - pads).unsqueeze(1)
            logits = self(nxt.unsqueeze(1), positions, real.view(len(prompts), 1, 1, -1), caches)[:, -1]
        return out
