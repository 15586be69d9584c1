"""Exceptions shared across the package."""


class MissingWeightsError(RuntimeError):
    """A variant that needs (meta-)trained weights was asked for without them."""
