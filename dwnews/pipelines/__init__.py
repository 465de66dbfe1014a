"""Item pipelines: thin classes over pure functions, one concern each."""

from dwnews.pipelines.clean import CleanTextPipeline
from dwnews.pipelines.dedup import RunDedupPipeline
from dwnews.pipelines.validate import RequiredFieldsPipeline

__all__ = ["CleanTextPipeline", "RequiredFieldsPipeline", "RunDedupPipeline"]
