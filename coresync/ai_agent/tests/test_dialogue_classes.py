"""Dialogues of the held-out classes, written for the engine's mechanisms (not copied from the held-out files).

Each one runs like a held-out dialogue (``eval.heldout``): turn by turn through ``chat_turn``, judged by the
database afterwards (the bookings made, cancelled or moved, with their service, day, time, add-ons and people),
and by the "never" rules. They pin the general mechanisms: revisions of the request held in the dialogue state
("actually make it 4pm", "no, Wednesday", "change the service to …", "skip the hot stones"), add-ons asked for
at once or later, group bookings, managing one's bookings (several at once), names that are catalog words.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coresync.ai_agent.eval.heldout import run_heldout

DATA = json.loads(Path(__file__).with_name("dialogues_by_class.json").read_text())


@pytest.mark.django_db
@pytest.mark.parametrize("dialogue", DATA["dialogues"], ids=lambda d: f"{d['class']}-{d['id']}")
def test_dialogue(demo_spa, dialogue):
    report = run_heldout({"now": DATA["now"], "dialogues": [dialogue]}, name=dialogue["id"])
    assert report.never_failures == []
    assert report.task_success == 1.0, report.failures
