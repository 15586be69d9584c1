"""MetaRTT: RT-MDNet with meta-learned fast adaptation and one-shot channel pruning (AAAI 2020), pure PyTorch."""
from .config import TrackerConfig, VARIANTS, variant_config
from .tracker import MetaRTTTracker, MissingWeightsError
from .checkpoint import build_tracker

__version__ = '0.1.0'
__all__ = ['build_tracker', 'MetaRTTTracker', 'MissingWeightsError', 'TrackerConfig', 'VARIANTS', 'variant_config', '__version__']
