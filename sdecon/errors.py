"""The one exception users of sdecon need to catch."""


class SdeconError(Exception):
    """Bad input or an impossible request: the message says what was wrong, what was
    expected and what is allowed, in one line.

    Parameters
    ----------
    message : str
        The one line.
    argument : str, optional
        The Python argument the message is about.

    A message about one argument starts with its Python name (``samples 1e9 ...``) and sets
    ``argument`` to it, so the command line can name its flag instead (``--samples 1e9 ...``).
    """

    def __init__(self, message: str, *, argument: str | None = None):
        super().__init__(message)
        self.argument = argument


def closest(name: str, choices) -> str:
    """' (did you mean ...?)' with the nearest valid names, or '' when none is near."""
    import difflib

    choices = list(choices)
    near = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    if not near:
        lowered = {c.lower(): c for c in choices}
        near = [lowered[c] for c in difflib.get_close_matches(name.lower(), lowered, n=3, cutoff=0.5)]
    return f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
