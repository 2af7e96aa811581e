"""One exception tree for the whole project.

Library code raises these; only the CLI turns them into exit codes. Every message names the
place at fault (file and line, or the object) so a person can act on one line.
"""

from __future__ import annotations

from collections.abc import Iterable


class DriftError(Exception):
    """Base of every error design-drift raises on purpose."""


class InputError(DriftError):
    """Input a person wrote or a tool rendered is not acceptable.

    Carries every problem found, so one run reports all of them at once.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__("\n".join(self.problems))


class ManifestError(InputError):
    """Kubernetes manifests that cannot be read or do not mean anything valid."""


class BaselineError(InputError):
    """A baseline document that cannot be read or does not describe a valid design."""


class CollectorError(DriftError):
    """A collector could not produce what it was asked for."""


class StoreError(DriftError):
    """The database refused or failed an operation; the message names the database (password
    masked) and the operation."""


class PluginError(DriftError):
    """A plugin could not be found, loaded, or was registered twice."""
