"""Evaluation (installed as `metartt_tracker.evaluation`): metrics, the experiment runner, the paper's
Tables 1-4, plots and provenance. The library core never imports this package; only the CLI does.

metrics       OPE / GOT-10k / VOT / FPS numbers, each as its reference toolkit computes it
vot_protocol  VOT reset-based runs through the single tracking loop; VOT result files (text / binary)
rows          the experiment rows as data: label, TrackerSpec (or OpenCV baseline), weights file
runner        (variant x sequence x repetition) jobs: resumable, parallel, shardable
scoring       a tracker's result files (ours or anyone's) scored on a benchmark
attributes    success / precision per challenge attribute, VOT accuracy / failures per tag
tables        Tables 1-4 as data; text, CSV, Markdown, LaTeX
frames        results as pandas DataFrames (load_results, load_attribute_results) and the table renderers
plots         success / precision / EAO / accuracy-vs-speed figures
provenance    sidecar JSON of every table and plot
paper_results the paper's own numbers, with their source
reproduce     `metartt reproduce` orchestration
export        `metartt export-results`: got10k-layout results through the integrations' writers
commands      `metartt run | reproduce | score | export-results`
"""
