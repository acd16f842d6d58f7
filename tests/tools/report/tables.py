"""Reads the report's tables back from its HTML (stdlib parser): {table id: [(data-key,
[cell text], [data-value of numeric cells])]}, and the charts: {figure id: svg element count}."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[tuple[str, list[str], list[str]]]] = {}
        self.charts: dict[str, int] = {}
        self._table: str | None = None
        self._row: tuple[str, list[str], list[str]] | None = None
        self._cell: list[str] | None = None
        self._figure: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table and "data-key" in attrs:
            self._row = (attrs["data-key"], [], [])
        elif tag == "td" and self._row is not None:
            self._cell = []
            if "data-value" in attrs:
                self._row[2].append(attrs["data-value"])
        elif tag == "figure":
            self._figure = attrs.get("id")
            self.charts[self._figure] = 0
        elif self._figure and tag in ("path", "rect", "use", "text", "line"):
            self.charts[self._figure] += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "td" and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def read(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def counts(html: str, table_id: str) -> dict[str, int]:
    """{data-key: the row's last numeric value} of one table."""
    return {key: int(float(values[-1])) for key, _, values in read(html).tables[table_id]}
