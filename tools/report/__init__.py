"""The compliance report from the audit database: queries (aggregated in SQL), charts
(matplotlib, inline SVG), a self-contained HTML page, and the text and JSON forms."""
