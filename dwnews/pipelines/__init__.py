"""Item pipelines, one concern each, in the order a record passes them: clean the text, require the
core fields, one record per short id in a run, stage the record in the ledger."""

from dwnews.pipelines.clean import CleanTextPipeline
from dwnews.pipelines.dedup import RunDedupPipeline
from dwnews.pipelines.stage import StageRecordPipeline
from dwnews.pipelines.validate import RequiredFieldsPipeline

__all__ = ["CleanTextPipeline", "RequiredFieldsPipeline", "RunDedupPipeline", "StageRecordPipeline"]
