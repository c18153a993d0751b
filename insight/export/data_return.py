"""`asb export return` (in progress)."""


class ReturnError(ValueError):
    """The return cannot be written; nothing was."""
