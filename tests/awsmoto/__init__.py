"""moto's server on loopback for the AWS collector's tests (TESTING.md, AWS), a paging proxy
in front of it, and the account the tests collect."""

from .pager import Pager
from .server import Moto, start_moto

__all__ = ["Moto", "Pager", "start_moto"]
