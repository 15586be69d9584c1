"""The experiment runner: every (variant x sequence x repetition), resumable, parallel, shardable.

A job is one (variant, sequence) with the repetitions still missing; repetitions of a sequence
run in one process so its `_time.txt` columns are never written concurrently. Repetition r uses
seed `seed + r - 1`. Results are written atomically in got10k's layout (OPE) or vot-toolkit's
(reset-based), boxes last, so a finished file means a finished run and reruns skip it.
`--shard i/n` runs every n-th job of the sorted plan, so n machines split the work without talking.
Each run leaves `<seq>_00r_info.json` beside its boxes: seed, weights checksum, config, machine.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import dataclasses
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable

import numpy as np

from metartt_tracker.data.benchmarks import Benchmark
from metartt_tracker.data.sequences import Sequence
from metartt_tracker.device import describe
from metartt_tracker.errors import MissingWeightsError
from metartt_tracker.fileio import atomic_write, sha256_file
from metartt_tracker.results import got10k_paths, track_sequence, write_got10k
from metartt_tracker.tracker import MetaRTTTracker
from metartt_tracker.version import code_version

from metartt_tracker.baselines import OpenCVTracker
from metartt_tracker.config import DEFAULT_BACKBONE
from .rows import Row
from .vot_protocol import run_supervised, vot_paths, write_supervised

PROTOCOLS = ('ope', 'supervised')


@dataclass(frozen=True)
class Job:
    """One variant on one sequence: the repetitions of it that still have to run."""

    spec: Row
    seq: Sequence
    root: Path  # results root of the protocol (got10k layout for OPE, vot layout for reset-based)
    protocol: str = 'ope'
    repetitions: tuple[int, ...] = (1,)
    seed: int = 0
    threads: int = 1
    weights_dir: Path = Path('weights')
    device: str = 'auto'  # where our tracker runs (OpenCV baselines stay on the CPU)

    @property
    def frames(self) -> int:
        """Frames this job will track."""
        return len(self.seq) * len(self.repetitions)


@dataclass
class JobReport:
    """What running a job did."""

    key: str
    seq: str
    done: list[int] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ''


def result_path(root: str | Path, protocol: str, tracker: str, seq: str, repetition: int) -> Path:
    """The file whose existence marks a finished run."""
    if protocol == 'ope':
        return got10k_paths(root, tracker, seq, repetition)['boxes']
    return vot_paths(root, tracker, seq, repetition)['trajectory']


def head(seq: Sequence, n: int | None) -> Sequence:
    """The first `n` frames of a sequence (quick runs and CI); the whole sequence for None."""
    return seq if not n or n >= len(seq) else seq.head(n)


def plan(specs: list[Row], bench: Benchmark, root: str | Path, protocol: str = 'ope', repetitions: int = 3,
         seed: int = 0, threads: int = 1, weights_dir: str | Path = 'weights',
         devices: tuple[str, ...] = ('auto',)) -> list[Job]:
    """Jobs for every (variant, sequence) with at least one repetition not yet on disk, sorted; job i runs on
    devices[i % len(devices)] (`--jobs N --devices cuda:0,cuda:1` spreads processes over GPUs). The device
    never names a results folder: it changes no box beyond floating-point order."""
    if protocol not in PROTOCOLS:
        raise ValueError(f'unknown protocol {protocol!r}; choose one of {PROTOCOLS}')
    jobs = []
    for spec in specs:
        reps = 1 if spec.deterministic else repetitions
        for seq in bench:
            done = [r for r in range(1, reps + 1) if result_path(root, protocol, spec.key, seq.name, r).is_file()]
            if done:
                _check_same_backbone(spec, root, protocol, seq.name, done[0])
            todo = tuple(r for r in range(1, reps + 1) if r not in done)
            if todo:
                jobs.append(Job(spec, seq, Path(root), protocol, todo, seed, threads, Path(weights_dir)))
    jobs = sorted(jobs, key=lambda j: (j.spec.key, j.seq.name))
    return [dataclasses.replace(j, device=devices[i % len(devices)]) for i, j in enumerate(jobs)]


def _check_same_backbone(spec: Row, root: str | Path, protocol: str, seq: str, rep: int) -> None:
    """Refuse to complete a folder whose finished runs used another backbone (the default changed from
    lite0 to nano16 without changing result-folder names): mixing the two would corrupt the table."""
    if spec.tracker is None or spec.weights is not None:
        return  # baselines; checkpoints fix their backbone and their checksum is in the info file
    want = spec.tracker.overrides.get('backbone', spec.tracker.backbone)
    info = read_info(root, protocol, spec.key, seq, rep)
    had = info.get('config', {}).get('backbone', want)  # results made elsewhere carry no info: trusted
    if had != want:
        path = result_path(root, protocol, spec.key, seq, rep)
        raise ValueError(f'{path}: made with backbone {had!r}, but this run uses {want!r} (the default is now '
                         f'{DEFAULT_BACKBONE!r}); use another --results folder')


def shard(jobs: list[Job], index: int, count: int) -> list[Job]:
    """Shard `index` (0-based) of `count`: every count-th job of the sorted plan."""
    if not 0 <= index < count:
        raise ValueError(f'shard {index}/{count}: need 0 <= i < n')
    return jobs[index::count]


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' -> (i, n)."""
    try:
        i, n = (int(v) for v in text.split('/'))
    except ValueError:
        raise ValueError(f'--shard takes i/n (e.g. 0/4), got {text!r}') from None
    if not 0 <= i < n:
        raise ValueError(f'--shard {text}: need 0 <= i < n')
    return i, n


def make_tracker(spec: Row, seed: int, weights_dir: str | Path, threads: int = 0, device: str = 'auto') -> Any:
    """A fresh tracker for a row: an OpenCV baseline, or ours from the row's `TrackerSpec` on `device`."""
    if spec.baseline:
        return OpenCVTracker(spec.baseline, threads)
    return MetaRTTTracker.from_spec(dataclasses.replace(spec.tracker_spec(seed, weights_dir), device=device))


def _machine(threads: int) -> dict[str, Any]:
    return {'host': platform.node(), 'processor': platform.processor() or platform.machine(),
            'platform': platform.platform(), 'cpus': os.cpu_count(), 'threads': threads, 'python': platform.python_version()}


def _info(job: Job, rep: int, seconds: np.ndarray, tracker: Any) -> dict[str, Any]:
    ckpt = job.spec.resolve_checkpoint(job.weights_dir)
    info = {'tracker': job.spec.key, 'variant': job.spec.name, 'overrides': job.spec.overrides,
            'sequence': job.seq.name, 'repetition': rep, 'seed': job.seed + rep - 1, 'protocol': job.protocol,
            'frames': int(len(seconds)), 'seconds': float(np.sum(seconds)),
            'checkpoint': str(ckpt) if ckpt else None, 'checkpoint_sha256': sha256_file(ckpt) if ckpt else None,
            'machine': _machine(job.threads), 'date': dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds'),
            'device': describe(tracker.device) if hasattr(tracker, 'device') else 'cpu'}
    for attr in ('prune_rate',):  # tracker facts a table reports when the tracker exposes them
        value = getattr(tracker, attr, None)
        if value is not None:
            info[attr] = float(value)
    info['code_version'] = code_version()
    cfg = getattr(tracker, 'cfg', None)
    if cfg is not None and hasattr(cfg, 'to_dict'):
        info['config'] = cfg.to_dict()
    return info


def _run_one(job: Job, rep: int, tick: Callable[[], None]) -> None:
    tracker = make_tracker(job.spec, job.seed + rep - 1, job.weights_dir, job.threads, job.device)
    seq = job.seq.check()
    target = result_path(job.root, job.protocol, job.spec.key, seq.name, rep)
    try:
        if job.protocol == 'ope':
            run: Any = track_sequence(tracker, seq.frames, seq.init_box, seq.name, lambda *_: tick())
        else:
            run = run_supervised(tracker, seq.frames, seq.boxes, seq.regions, seq.image_size(), seq.name,
                                 on_frame=tick)
    finally:
        seq.frames.close()  # the benchmark keeps its sequences: do not keep a decoder per sequence open
    seconds = np.nan_to_num((run if job.protocol == 'ope' else run.result).times)  # 0 on skipped frames
    info = _info(job, rep, seconds, tracker)  # provenance first: the results file marks completion
    atomic_write(target.with_name(target.stem + '_info.json'), json.dumps(info, indent=1, default=str))
    (write_got10k if job.protocol == 'ope' else write_supervised)(run, job.root, job.spec.key, rep)


def run_job(job: Job, tick: Callable[[], None] = lambda: None) -> JobReport:
    """Run a job's missing repetitions in this process; failures are reported, not raised."""
    import torch
    if job.threads > 0:
        torch.set_num_threads(job.threads)
    report, t0 = JobReport(job.spec.key, job.seq.name), time.perf_counter()
    try:
        for rep in job.repetitions:
            _run_one(job, rep, tick)
            report.done.append(rep)
    except MissingWeightsError as e:
        report.error = f'missing weights: {e}'
    except Exception as e:  # noqa: BLE001 - one bad sequence must not stop a long run
        report.error = f'{type(e).__name__}: {e}'
    report.seconds = time.perf_counter() - t0
    return report


def run_jobs(jobs: list[Job], workers: int = 1, progress: bool = True) -> list[JobReport]:
    """Run jobs inline (workers <= 1) or in `workers` spawned processes, with a progress bar in frames."""
    from tqdm import tqdm
    bar = tqdm(total=sum(j.frames for j in jobs), unit='frame', desc='tracking', disable=not progress or not jobs)
    reports = []
    counted = [0]  # frames on the bar when the previous job finished

    def finished(job: Job, rep: JobReport) -> None:
        reports.append(rep)
        bar.update(counted[0] + job.frames - bar.n)  # frames the per-frame ticks did not count (skipped, failed)
        counted[0] = bar.n
        bar.set_postfix_str(f'{rep.key}/{rep.seq}' + (' FAILED' if rep.error else ''))
        if rep.error:
            bar.write(f'{rep.key} on {rep.seq}: {rep.error}')

    if workers <= 1:
        for job in jobs:
            finished(job, run_job(job, lambda: bar.update(1)))
    else:
        with ProcessPoolExecutor(workers, mp_context=get_context('spawn')) as pool:
            futures = {pool.submit(run_job, job): job for job in jobs}
            for fut in as_completed(futures):
                finished(futures[fut], fut.result())
    bar.close()
    return reports


def read_info(root: str | Path, protocol: str, tracker: str, seq: str, repetition: int) -> dict[str, Any]:
    """The `_info.json` of a run ({} if there is none, e.g. for results made elsewhere)."""
    p = result_path(root, protocol, tracker, seq, repetition)
    p = p.with_name(p.stem + '_info.json')
    return json.loads(p.read_text()) if p.is_file() else {}


__all__ = ['Job', 'JobReport', 'PROTOCOLS', 'head', 'make_tracker', 'parse_shard',
           'plan', 'read_info', 'result_path', 'run_job', 'run_jobs', 'shard']
