"""`datasets` keys its cache of a local folder on the card, not the files: the card's split sizes make
a new run's rows load, not those of an earlier run into a folder of the same name."""

from __future__ import annotations

import copy

import datasets

from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline


def test_a_rerun_into_a_same_named_folder_loads_its_own_rows(tmp_path, tiny_document):
    cache = str(tmp_path / "hf-cache")  # one cache for both loads, as a user's home cache is
    for run, count in (("first", 60), ("second", 90)):
        document = copy.deepcopy(tiny_document)
        document["tasks"][0]["count"] = count
        out = tmp_path / run / "out"
        manifest = run_pipeline(parse_config(document), RunOptions(out_dir=out, executor="local"))
        for config, key in (("default", "data"), ("sft", "sft")):
            rows = datasets.load_dataset(str(out), config, cache_dir=cache)
            assert {s: d.num_rows for s, d in rows.items()} == {
                s: c[key] for s, c in manifest["counts"]["splits"].items() if c[key]}, (run, config)
