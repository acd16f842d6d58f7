"""k-anonymity: generalization hierarchies, whole-input search (BATCH) and keyed windows
(STREAMING), sharing the hierarchies."""
