"""The ingest engine: a bulk operation's JSONL result file into Postgres, exactly once."""

from .engine import Checkpoint, Ingestor, IngestResult
from .merge import merge_batch, stage_batch
from .parse import parse_lines
from .stats import IngestStats

# Stages: ``lines`` (chunks to batches of whole lines) → ``parse`` (rows to stage, bad lines) →
# ``merge`` (one COPY, one set-based merge); ``engine`` commits each batch with its checkpoint.

__all__ = [
    "Checkpoint",
    "IngestResult",
    "IngestStats",
    "Ingestor",
    "merge_batch",
    "parse_lines",
    "stage_batch",
]
