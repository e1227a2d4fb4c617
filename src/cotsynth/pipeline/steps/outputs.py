"""What a unit leaves for the driver: its records and problems as Arrow tables, each problem's
question keys (for dedup), its rows of each training view with their count per problem, and the
distinct-n sketches of its questions and CoTs (for the report)."""

from __future__ import annotations

import pyarrow as pa

from cotsynth.config import PipelineConfig
from cotsynth.diversity.keys import key_columns
from cotsynth.diversity.sketch import sketches_table, unit_sketches
from cotsynth.output.views import unit_views
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.pipeline.steps.records import PROBLEMS_SCHEMA
from cotsynth.schema import to_table


class BuildOutputs:
    name = "output"
    needs = Needs()

    def __init__(self, config: PipelineConfig):
        self.threshold = config.diversity.threshold
        self.formats, self.answer_format = config.output.formats, config.output.answer_format

    def run(self, work: UnitWork) -> None:
        problems = pa.Table.from_pylist(work.problem_rows, schema=PROBLEMS_SCHEMA)
        keys = key_columns(problems.column("question"), self.threshold)
        for key_field, column in zip(keys.schema, keys.columns):
            problems = problems.append_column(key_field, column)
        problem_ids = [problem.id for problem in work.problems]
        views, counts = unit_views(work.records, problem_ids, self.formats, self.answer_format)
        for view, per_problem in counts.items():
            problems = problems.append_column(pa.field(f"rows_{view}", pa.int32()), pa.array(per_problem, pa.int32()))
        records = to_table(work.records)
        sketches = sketches_table(unit_sketches(problems.column("question"), records.column("cot")))
        work.tables = {"records": records, "problems": problems, "sketches": sketches, **views}


register("outputs", lambda config, workers: [BuildOutputs(config)])
