"""How a check result is written: text for a terminal, JSON, SARIF."""
