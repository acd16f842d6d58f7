"""Differentially private aggregates: settings (spec), contribution bounding (contributions),
OpenDP's noise and partition selection (mechanisms), a release's rows and spending (publish),
the budget's arithmetic (budget), and the batch job's side (batch). docs/privacy.md says how."""
