"""The one error type users see: a single line naming the thing and the fix."""

EXIT_USER_ERROR = 2  # the exit status of every command that stops on a CompanionError


class CompanionError(Exception):
    """A problem the user can fix; its message is one line and is printed as is."""
