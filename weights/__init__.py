"""Shipped MetaRTT checkpoints (installed as `metartt_tracker.weights`); see MODEL_CARD.md."""
