"""A rule added by a plugin, as a user would write one outside the package: staff badge numbers
(`BADGE-1234`) in free text. It checks record by record (the engine calls `check` for it) and
takes the fields it reads from the schema, as the built-in rules take theirs."""

import re

from udfs.rules.base import Rule, register

BADGE = re.compile(r"\bBADGE-[0-9]{4}\b")


@register
class BadgeInText(Rule):
    rule_id = "gdpr.badge_in_text"
    regulation = "GDPR"

    @classmethod
    def defaults(cls, schema, config):
        return {"fields": [f.name for f in schema.fields if f.type == "text"]}

    def configure(self, fields=(), **rest):
        super().configure(**rest)
        self.fields = tuple(fields)

    def check(self, record):
        for field in self.fields:
            if BADGE.search(record.get(field)):
                yield self.violation(field, f"staff badge number in field {field}")
