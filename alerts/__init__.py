"""What reaches people: notifiers and the weekly report (nothing yet: see the issues)."""
