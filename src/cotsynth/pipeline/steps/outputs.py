"""What a unit leaves for the driver: its records and problems as Arrow tables, each problem's
question keys (for dedup), and its rows of each training view with their count per problem."""

from __future__ import annotations

import pyarrow as pa

from cotsynth.config import PipelineConfig
from cotsynth.diversity.keys import key_columns
from cotsynth.output.views import ViewOptions, unit_views
from cotsynth.pipeline.chain import Needs, UnitWork
from cotsynth.pipeline.steps.registry import register
from cotsynth.pipeline.steps.records import PROBLEMS_SCHEMA
from cotsynth.schema import to_table


class BuildOutputs:
    name = "output"
    needs = Needs()

    def __init__(self, config: PipelineConfig):
        self.threshold = config.diversity.threshold
        output = config.output
        self.formats = output.formats
        self.options = ViewOptions(output.answer_format, output.sft.include_unverified, output.prm.stop_at_first_error)

    def run(self, work: UnitWork) -> None:
        problems = pa.Table.from_pylist(work.problem_rows, schema=PROBLEMS_SCHEMA)
        keys = key_columns(problems.column("question"), self.threshold)
        for key_field, column in zip(keys.schema, keys.columns):
            problems = problems.append_column(key_field, column)
        problem_ids = [problem.id for problem in work.problems]
        views, counts = unit_views(work.records, problem_ids, self.formats, self.options)
        for view, per_problem in counts.items():
            problems = problems.append_column(pa.field(f"rows_{view}", pa.int32()), pa.array(per_problem, pa.int32()))
        work.tables = {"records": to_table(work.records), "problems": problems, **views}


register("outputs", lambda config, workers: [BuildOutputs(config)])
