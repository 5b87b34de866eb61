"""The one exception users of sdecon need to catch, and the checks of whole numbers that
many functions share."""


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


def whole(value, argument: str, least: int = 1) -> int:
    """`value` as an int when it is a whole number of at least `least`, else the one-line error
    naming `argument`."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise SdeconError(f"{argument} {value!r} must be a whole number of at least {least}", argument=argument)
    return int(value)


def check_seed(value, argument: str = "seed") -> int:
    """`value` as an int when it is a numpy seed (a whole number from 0 to 2**32 - 1), else the
    one-line error naming `argument`."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < 2 ** 32:
        raise SdeconError(f"{argument} {value!r} must be a whole number from 0 to 2**32 - 1 (numpy's seeds)",
                          argument=argument)
    return int(value)
