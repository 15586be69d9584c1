"""Benchmark-harness adapters (installed as `metartt_tracker.integrations`).

Empty for now: the GOT-10k, VOT (TraX), pysot and pytracking adapters are the integrations issue.
"""
