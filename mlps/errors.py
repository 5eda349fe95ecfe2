"""The one error a user mistake raises: it names the file, the place and what to do."""

from __future__ import annotations


class InputError(Exception):
    """Input or command that cannot be used (exit status 2).

    ``where`` is a line (``line 12``) or a JSON pointer (``/bastion/mfa``).
    """

    def __init__(
        self,
        file: str | None,
        message: str,
        hint: str = "",
        where: str = "",
        more: list[str] | None = None,
    ) -> None:
        self.file = file
        self.where = where
        self.message = message
        self.hint = hint
        self.more = more or []
        super().__init__(self.line())

    def lines(self) -> list[str]:
        """This error's line, then one line per further problem in the same input."""
        return [self.line(), *self.more]

    def line(self) -> str:
        place = self.file or "mlps"
        if self.where:
            place = f"{place}: {self.where}"
        text = f"{place}: {self.message}"
        if self.hint:
            text = f"{text} — {self.hint}"
        return text
