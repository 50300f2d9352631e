"""The one error type users see: a single line naming the thing and the fix."""


class CompanionError(Exception):
    """A problem the user can fix; its message is one line and is printed as is."""
