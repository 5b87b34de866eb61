"""The one exception users of sdecon need to catch."""


class SdeconError(Exception):
    """Bad input or an impossible request: the message says what was wrong, what was
    expected and what is allowed, in one line."""


def closest(name: str, choices) -> str:
    """' (did you mean ...?)' with the nearest valid names, or '' when none is near."""
    import difflib

    choices = list(choices)
    near = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    if not near:
        lowered = {c.lower(): c for c in choices}
        near = [lowered[c] for c in difflib.get_close_matches(name.lower(), lowered, n=3, cutoff=0.5)]
    return f" (did you mean {', '.join(repr(n) for n in near)}?)" if near else ""
