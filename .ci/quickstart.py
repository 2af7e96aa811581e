"""Print the two command lines of the README's first fenced block (the quickstart)."""

import sys
from pathlib import Path

text = Path(sys.argv[1]).read_text(encoding="utf-8")
block = text.split("```", 2)[1]
lines = [line for line in block.splitlines()[1:] if line.strip()]
if len(lines) != 2:
    sys.exit(f"README quickstart must hold exactly two command lines, found {len(lines)}")
print("\n".join(lines))
