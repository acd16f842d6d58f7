"""The columnar engine: parse, validate, detect and protect whole Arrow batches."""

from udfs.engine.engine import Engine, EngineResult
from udfs.engine.schemas import ALERTS, QUARANTINE, VIOLATIONS, records_schema

__all__ = ["ALERTS", "QUARANTINE", "VIOLATIONS", "Engine", "EngineResult", "records_schema"]
