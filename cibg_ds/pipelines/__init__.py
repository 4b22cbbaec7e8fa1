"""Pipelines of notebook tasks: definitions, the runner, and client bundles."""

from cibg_ds.pipelines.deliver import BundleRefused, check_bundle, deliver
from cibg_ds.pipelines.model import Pipeline, PipelineError, Task, load_pipeline
from cibg_ds.pipelines.runner import RunLocked, RunResult, run_pipeline

__all__ = [
    "BundleRefused",
    "Pipeline",
    "PipelineError",
    "RunLocked",
    "RunResult",
    "Task",
    "check_bundle",
    "deliver",
    "load_pipeline",
    "run_pipeline",
]
