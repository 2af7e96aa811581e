import sys
from pathlib import Path

# Tests import their in-code builders as `builders`.
sys.path.insert(0, str(Path(__file__).parent))
