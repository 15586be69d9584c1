"""Evaluation (installed as `metartt_tracker.evaluation`): metrics now; runner, tables and plots follow."""
