"""Each business rule is defined once: the change policy and the quote live in the booking service.

The API, the account pages and the concierge call ``booking_changeable`` /
``booking_change_deadline`` and ``booking_quote``; a second copy of either rule
elsewhere is how the first wave's "can this booking still be changed" ended up in
three places that disagreed.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coresync"
RULES = {
    # the 24-hour rule computed from the location's hours
    "change policy": (re.compile(r"timedelta\(hours=[^)]*free_cancellation_hours"), {"bookings/services.py", "notifications/facts.py"}),
    # prices computed from the catalog
    "quote": (re.compile(r"\bquote_for\("), {"bookings/services.py", "bookings/pricing.py"}),
}


def _sources():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if "/tests/" in rel or "/migrations/" in rel:
            continue
        yield rel, path.read_text()


def test_each_rule_has_one_home():
    strays = {
        rule: sorted(rel for rel, text in _sources() if pattern.search(text) and rel not in homes)
        for rule, (pattern, homes) in RULES.items()
    }
    assert strays == {rule: [] for rule in RULES}
