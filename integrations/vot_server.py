"""TraX server for the VOT toolkit: one process, one loaded model, any number of (re-)initialisations.

Run as `python -m metartt_tracker.integrations.vot_server [--variant V] [--checkpoint F] [--seed S]
[--set KEY=VALUE ...] [--log FILE]` (what `metartt vot init` writes into trackers.ini).

- Regions: rectangles, and polygons (converted to their axis-aligned bounding box).
- Each reply carries the tracker's confidence as the `confidence` property.
- It never dies on a bad frame: an unreadable image or a failing update is logged to stderr and
  answered with the last box (confidence 0); a bad initial region (zero size) is answered with
  itself and the tracker waits for the next initialisation.
- No `vot` metadata is announced: with it the toolkit restarts the process on every
  re-initialisation (and reloads torch and the model).
- `--log FILE` (or METARTT_VOT_LOG) appends one JSON line per event, with the process id, so a
  test can check that re-initialisations reach the same process.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from metartt_tracker.tracker import MetaRTTTracker

from .options import TrackerSpec, add_tracker_args, spec_from_args
from .regions import region_to_box


class _Session:
    """The tracker plus what the server must remember between requests."""

    def __init__(self, spec: TrackerSpec, log: Path | None) -> None:
        self.tracker = MetaRTTTracker.from_spec(spec)
        self.log = log
        self.ready = False
        self.box = np.zeros(4)

    def event(self, kind: str, **fields: Any) -> None:
        """Errors to stderr; every event (with our pid) to the log file, if any."""
        if kind == 'error':
            print(f'metartt vot server: {fields.get("message")}', file=sys.stderr)
        if self.log is not None:
            with open(self.log, 'a') as f:
                f.write(json.dumps({'pid': os.getpid(), 'event': kind, **fields}) + '\n')

    def initialize(self, path: str, objects: list) -> tuple[np.ndarray, float]:
        """Start on the first object's region in the image at `path`; the reply is that region."""
        self.ready = False
        try:
            self.box = region_to_box(_region_values(objects[0][0]))
            self.tracker.init(_read_rgb(path), self.box)
            self.ready = True
            self.event('initialize', image=path)
        except Exception as e:  # noqa: BLE001 - report and keep serving
            self.event('error', image=path, message=f'initialize on {path} with region {self.box.tolist()}: {e}')
        return self.box, float('nan')

    def frame(self, path: str) -> tuple[np.ndarray, float]:
        """(box, confidence) in the image at `path`; the last box (confidence 0) on any error."""
        if not self.ready:
            return self.box, 0.0
        try:
            self.box = np.asarray(self.tracker.update(_read_rgb(path)), dtype=np.float64)
            return self.box, float(self.tracker.confidence)
        except Exception as e:  # noqa: BLE001 - a bad frame must not end the session
            self.event('error', image=path, message=f'frame {path}: {e}; reporting the last box')
            return self.box, 0.0


def _region_values(region: Any) -> list[float]:
    """Numbers of a trax Rectangle (x, y, w, h) or Polygon (x1, y1, ...)."""
    if hasattr(region, 'bounds'):
        return list(region.bounds())
    return [v for i in range(region.size()) for v in region.get(i)]


def _read_rgb(path: str) -> np.ndarray:
    from PIL import Image
    with Image.open(path) as img:
        return np.asarray(img.convert('RGB'))


def serve(spec: TrackerSpec, log: Path | None = None) -> None:
    """Answer TraX requests on stdin/stdout until the client quits."""
    import trax
    session = _Session(spec, log)
    server = trax.Server([trax.Region.RECTANGLE, trax.Region.POLYGON], [trax.Image.PATH], ['color'],
                         tracker_name='MetaRTT', tracker_description=spec.label, tracker_family='metartt')
    session.event('start', spec=spec.label)
    try:
        while True:
            request = server.wait()
            if request.type not in ('initialize', 'frame'):
                break
            path = request.image['color'].path()
            if request.type == 'initialize':
                box, confidence = session.initialize(path, request.objects)
            else:
                box, confidence = session.frame(path)
            props = {} if np.isnan(confidence) else {'confidence': f'{confidence:.6f}'}
            server.status([(trax.Rectangle.create(*map(float, box)), props)])
    finally:
        session.event('quit')
        server.quit()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m metartt_tracker.integrations.vot_server`."""
    parser = argparse.ArgumentParser(prog='metartt_tracker.integrations.vot_server', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_tracker_args(parser)
    parser.add_argument('--log', default=os.environ.get('METARTT_VOT_LOG'),
                        help='append JSON lines (pid, event, image) here (default: $METARTT_VOT_LOG)')
    args = parser.parse_args(argv)
    sys.stdout = sys.stderr  # stdout belongs to the TraX protocol; stray prints go to the log stream
    try:
        serve(spec_from_args(args), Path(args.log) if args.log else None)
    except Exception:  # noqa: BLE001 - setup failures (missing weights, no TraX client) end the process
        traceback.print_exc()
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
