import sys
from pathlib import Path

# Tests import their in-code builders as `builders`.
# Appended, not prepended: tests/collectors must never shadow the real `collectors` package.
sys.path.append(str(Path(__file__).parent))

# moto's server for the tests that read AWS (tests/awsmoto/fixtures.py): `moto_server`, `moto`.
pytest_plugins = ["awsmoto.fixtures"]
