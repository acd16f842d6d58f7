"""Data quality of a run or a window: counted from the engine's outputs in the same pass as the
rules (measure), merged across splits or bundles, scored against conf/quality/<domain>.yaml."""
