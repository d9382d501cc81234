"""The evaluation set holds: task success >= 95%, and the parser stays accurate."""

import pytest

from coresync.ai_agent.eval.runner import load_cases, run_eval


def test_the_set_is_big_and_covers_every_intent_and_category():
    from coresync.ai_agent.engine.nlu import INTENTS

    cases = load_cases()
    assert len(cases["utterances"]) + len(cases["dialogues"]) >= 80
    covered = {c["intent"] for c in cases["utterances"]}
    assert set(INTENTS) - {"faq"} <= covered
    assert {"web", "phone"} <= {c["channel"] for c in cases["utterances"]} | {d.get("channel", "web") for d in cases["dialogues"]}
    categories = {c["entities"].get("category") for c in cases["utterances"]}
    assert {"massages", "facials", "barber", "mani-pedi"} <= categories


@pytest.mark.django_db
def test_concierge_eval_holds(demo_spa):
    report = run_eval()
    print(report.as_dict(), *report.failures, sep="\n")
    assert report.task_success >= 0.95, report.failures
    assert report.intent_accuracy >= 0.9, report.failures
    assert report.entity_accuracy >= 0.9, report.failures
