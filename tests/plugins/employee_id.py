"""A detector added by a plugin, as a user would write one: employee ids (`EMP-123456`)."""

import re

from udfs.detectors import Detector, register_detector
from udfs.detectors.base import has_digit

EMPLOYEE_ID = register_detector(
    Detector(
        "employee_id",
        re.compile(r"(?<![\w-])EMP-[0-9]{6}(?![\w-])"),
        may_contain=has_digit,
        candidate=r"EMP-[0-9]{6}",
    )
)
