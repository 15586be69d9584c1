"""Meta-training (paper §3) and one-shot pruning training (paper §4). Tracking never imports this."""
from .config import ABLATIONS, RECIPES, MetaConfig, recipe
from .pipeline import train

__all__ = ['ABLATIONS', 'RECIPES', 'MetaConfig', 'recipe', 'train']
