import sys
from pathlib import Path

# Tests import their in-code builders as `builders`.
# Appended, not prepended: tests/collectors must never shadow the real `collectors` package.
sys.path.append(str(Path(__file__).parent))
