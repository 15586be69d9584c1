"""MetaRTT: RT-MDNet with meta-learned fast adaptation and one-shot channel pruning (AAAI 2020), pure PyTorch.

Layout of the core: `config` (every number), `factory` (what a variant / checkpoint request means
in weights; `TrackerSpec`), `tracker` (`MetaRTTTracker`, the per-frame algorithm), `checkpoint`
(the file format), `shipped` (the sha256-verified weights in `weights/`), `fileio` (atomic writes).
"""
from .config import VARIANTS, TrackerConfig, variant_config
from .errors import MissingWeightsError
from .factory import TrackerSpec
from .tracker import MetaRTTTracker, build_tracker
from .version import __version__

__all__ = ['build_tracker', 'MetaRTTTracker', 'MissingWeightsError', 'TrackerConfig', 'TrackerSpec', 'VARIANTS',
           'variant_config', '__version__']
