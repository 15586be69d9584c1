"""Benchmark-harness adapters (installed as `metartt_tracker.integrations`; the library core never imports them).

    options       TrackerSpec: variant/backbone/checkpoint/seed/overrides, one parser for every harness
    regions       rectangles and polygons: conversion to boxes, region files checked by line
    reset         the VOT reset protocol (pysot's failure test) on metartt_tracker.results.track_with_resets
    results_io    writers/readers of pysot, pytracking and got10k-toolkit result layouts (WRITERS)
    layouts       sequences for harness runs (folders, pysot JSON) and export to toolkit layouts
    got10k        got10k Tracker for every variant + offline experiment classes (`metartt eval`)
    vot_server    TraX server (`python -m metartt_tracker.integrations.vot_server`)
    vot_workspace vot-toolkit workspace builder (`metartt vot init`)
    pysot         pysot tracker interface + drop-in file (`metartt dropin pysot`)
    pytracking    pytracking tracker interface + drop-in files (`metartt dropin pytracking`)
    runs          `metartt run-pysot` / `run-pytracking`: harness layouts without the harness
    commands      CLI registration
"""
