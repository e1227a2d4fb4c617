"""The driver's own steps on real parts: the output dir's lifecycle, curation and the shard writer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cotsynth.config import parse_config
from cotsynth.pipeline.curate import settle_problems
from cotsynth.pipeline.outdir import MANIFEST, PARTS, RUN_MARKER, TEACHER_CACHE, OutputDirError, prepare_output_dir
from cotsynth.pipeline.parts import Parts, mark_done, save_tables
from cotsynth.pipeline.steps import build_chain
from cotsynth.pipeline.units import WorkUnit
from cotsynth.pipeline.writer import split_counts, write_shards


# --- prepare_output_dir -------------------------------------------------------------------------


def test_a_new_dir_is_prepared(tmp_path):
    out = tmp_path / "out"
    prepare_output_dir(out, "run-a", resume=False, overwrite=False)
    assert json.loads((out / RUN_MARKER).read_text()) == {"run_hash": "run-a"}
    assert (out / PARTS).is_dir()


def test_an_existing_dir_is_refused_then_overwritten_keeping_the_teacher_cache(tmp_path):
    out = tmp_path / "out"
    (out / TEACHER_CACHE).mkdir(parents=True)
    (out / TEACHER_CACHE / "answers").write_text("paid for")
    prepare_output_dir(out, "run-a", resume=False, overwrite=False)  # only a cache: not an output
    (out / "data").mkdir()
    (out / "notes.txt").write_text("x")
    with pytest.raises(OutputDirError, match="already exists"):
        prepare_output_dir(out, "run-a", resume=False, overwrite=False)
    prepare_output_dir(out, "run-b", resume=False, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == sorted([".cotsynth", TEACHER_CACHE])
    assert (out / TEACHER_CACHE / "answers").read_text() == "paid for"
    assert json.loads((out / RUN_MARKER).read_text())["run_hash"] == "run-b"


def test_resume_accepts_only_the_same_run(tmp_path):
    out = tmp_path / "out"
    prepare_output_dir(out, "run-a", resume=False, overwrite=False)
    prepare_output_dir(out, "run-a", resume=True, overwrite=False)
    with pytest.raises(OutputDirError, match="different config"):
        prepare_output_dir(out, "run-b", resume=True, overwrite=False)
    finished = tmp_path / "finished"
    finished.mkdir()
    (finished / MANIFEST).write_text(json.dumps({"run_hash": "run-a", "status": "complete"}))
    prepare_output_dir(finished, "run-a", resume=True, overwrite=False)
    with pytest.raises(OutputDirError, match="different config"):
        prepare_output_dir(finished, "run-c", resume=True, overwrite=False)


# --- real parts of two units -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def parts(tmp_path_factory, tiny_document) -> tuple[Parts, object]:
    config = parse_config(tiny_document)
    out = tmp_path_factory.mktemp("parts")
    (out / PARTS).mkdir(parents=True)
    units = [WorkUnit(0, 0, 30), WorkUnit(0, 30, 60)]
    chain = build_chain(config)
    for unit in units:
        mark_done(out, save_tables(out, chain(unit)))
    return Parts(out, units), config


def test_settle_problems_drops_duplicates_and_maps_rows_back(parts):
    parts, config = parts
    problems = pa.concat_tables([parts.read(u, "problems") for u in parts.units])  # with text: signatures from it
    doubled = pa.concat_tables([problems, problems.slice(0, 5)])  # five exact duplicates at the end
    settled = settle_problems(config, doubled)
    dropped = [d for d in settled.drops if d["stage"] == "dedup"]
    assert len(dropped) >= 5 and settled.counts["dedup"]["dropped_problems"] == len(dropped)
    assert not set(range(problems.num_rows, doubled.num_rows)) & set(settled.rows.tolist())  # the first copy stays
    assert settled.problems.column("problem_id").to_pylist() == doubled.column("problem_id").take(pa.array(settled.rows)).to_pylist()
    assert len(settled.splits) == settled.problems.num_rows == len(settled.rows)
    assert set(settled.splits) <= {"train", "test"} and "test" in settled.splits
    assert settled.problems.num_rows + len(settled.drops) == doubled.num_rows
    again = settle_problems(config, doubled)
    assert again.splits == settled.splits and (again.rows == settled.rows).all()


def signatures_of_rows(parts: Parts, source: np.ndarray):
    """`signatures_of` for a table whose row k is the parts' problem `source[k]` (repeats allowed)."""

    def signatures(r: np.ndarray) -> np.ndarray:
        unique, inverse = np.unique(source[r], return_inverse=True)
        return parts.signatures(unique)[inverse]

    return signatures


def test_settle_problems_is_independent_of_row_order(parts, tiny_document):
    """With near-duplicate dedup (MinHash signatures read from the parts), which problems go and the
    split of each do not depend on the order of the table."""
    parts, _ = parts
    config = parse_config(tiny_document | {"diversity": {"dedup": "minhash"}})
    problems = parts.compact_problems()  # the driver's table: no text, signatures from the parts
    n = problems.num_rows
    source = np.concatenate([np.arange(n), np.arange(5)])  # five problems twice
    table = problems.take(pa.array(source))
    forward = settle_problems(config, table, signatures_of_rows(parts, source))
    reverse = np.arange(len(source))[::-1]
    backward = settle_problems(config, table.take(pa.array(reverse)), signatures_of_rows(parts, source[reverse]))
    assert sum(reason is not None for reason in forward.dedup_reasons) >= 5
    assert forward.problems.num_rows == backward.problems.num_rows
    by_id = dict(zip(forward.problems.column("problem_id").to_pylist(), forward.splits))
    assert dict(zip(backward.problems.column("problem_id").to_pylist(), backward.splits)) == by_id


def copy_parts(parts: Parts, out: Path) -> Parts:
    """The parts in a fresh output dir: each test writes its own shards."""
    (out / PARTS).mkdir(parents=True)
    for source in (parts.out_dir / PARTS).iterdir():
        (out / PARTS / source.name).write_bytes(source.read_bytes())
    return Parts(out, parts.units)


def test_write_shards_routes_each_problem_rows_to_its_split(parts, tmp_path):
    parts, config = parts
    rows = parts.row_counts(["data", *config.output.formats])
    n = len(rows["data"])
    split_code = np.array([k % 3 - 1 for k in range(n)], np.int8)  # dropped, train, validation, ...
    split_code[split_code == 1] = 2  # -1 dropped, 0 train, 2 test
    counts = split_counts(split_code, rows)
    moved = copy_parts(parts, tmp_path)
    files = write_shards(moved, split_code, rows, counts, shard_rows=40)
    assert set(files) == {"data", "sft", "rl", "prm"}
    problem_ids = pa.concat_tables([parts.read(u, "problems", ["problem_id"]) for u in parts.units]).column(0).to_pylist()
    for split, code in (("train", 0), ("test", 2)):
        data = pq.read_table(sorted((tmp_path / "data").glob(f"{split}-*.parquet")))
        expected = {problem_ids[k] for k in np.flatnonzero(split_code == code)}
        assert {i.split("/")[0] for i in data.column("id").to_pylist()} == expected
        assert set(data.column("split").to_pylist()) == {split} and data.num_rows == counts[split]["data"]
        sft = pq.read_table(sorted((tmp_path / "sft").glob(f"{split}-*.parquet")))
        assert sft.column("id").to_pylist() == data.column("id").to_pylist()
        rl = pq.read_table(sorted((tmp_path / "rl").glob(f"{split}-*.parquet")))
        info = rl.column("extra_info").combine_chunks()
        assert info.field("index").to_pylist() == list(range(len(expected)))  # numbered across units
        assert set(info.field("split").to_pylist()) == {split}
        prm = pq.read_table(sorted((tmp_path / "prm").glob(f"{split}-*.parquet")))
        labelled = [i for i, labels in zip(data.column("id").to_pylist(), data.column("step_labels").to_pylist()) if labels]
        assert prm.column("id").to_pylist() == labelled
    assert not list((tmp_path / "data").glob("validation-*"))
    shards = sorted(p.name for p in (tmp_path / "data").glob("train-*.parquet"))
    assert shards == [f"train-{i:05d}-of-{len(shards):05d}.parquet" for i in range(len(shards))]


def test_write_shards_refuses_parts_that_disagree_with_the_counts(parts, tmp_path):
    parts, config = parts
    rows = parts.row_counts(["data", "sft"])
    rows["sft"] = rows["sft"] + 1  # a problems table that counts rows the part does not hold
    split_code = np.zeros(len(rows["data"]), np.int8)
    moved = copy_parts(parts, tmp_path)
    with pytest.raises(RuntimeError, match="sft rows"):
        write_shards(moved, split_code, rows, split_counts(split_code, rows), shard_rows=40)
