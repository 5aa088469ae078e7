"""train_triage and eval_triage: thin wrappers over triage.cli."""
