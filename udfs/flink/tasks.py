"""A batch job's tasks as PyFlink's input: task numbers from a parallel sequence source, each
worker calling the task's function with that task's arguments. The source is chained with the
Python workers (one vertex: they start as soon as the job does), where a collection source
would be a vertex of its own, run and finished before an exchange spreads its rows."""

from __future__ import annotations

from typing import Any

from pyflink.table import DataTypes
from pyflink.table.udf import ScalarFunction, udf


class ByIndex(ScalarFunction):
    """`function.eval(*tasks[i])` for task number i; open and close passed on."""

    def __init__(self, function: ScalarFunction, tasks: list[tuple[Any, ...]]):
        self.function = function
        self.tasks = tasks

    def open(self, function_context) -> None:
        self.function.open(function_context)

    def close(self) -> None:
        self.function.close()

    def eval(self, i: int) -> str:
        return self.function.eval(*self.tasks[i])


def tasks_udf(function: ScalarFunction, tasks: list[tuple[Any, ...]]):
    """The function over task numbers; its result is its JSON text."""
    return udf(ByIndex(function, tasks), input_types=[DataTypes.INT()],
               result_type=DataTypes.STRING())  # fmt: skip


def sequence_ddl(table: str, count: int) -> str:
    """A bounded table of the numbers 0 … count - 1 in column `i`, split between the source's
    parallel subtasks in contiguous ranges."""
    if count < 1:
        raise ValueError("a task table needs at least one task")
    return (
        f"CREATE TEMPORARY TABLE `{table}` (i INT) WITH ('connector' = 'datagen', "
        f"'fields.i.kind' = 'sequence', 'fields.i.start' = '0', 'fields.i.end' = '{count - 1}', "
        f"'number-of-rows' = '{count}')"
    )
