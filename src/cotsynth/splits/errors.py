"""The one error a split raises: a configuration that cannot give a usable test split."""


class SplitError(ValueError):
    """The test split would be empty, or would hold an atom never seen in train; the message says why."""
