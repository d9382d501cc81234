"""The concierge's understanding, class by class (issue 10): whole dialogues judged by the database, as the held-out set is.

These are the engine engineer's own sample dialogues (the held-out files are written by someone else and never edited).
"""

import pytest

from coresync.ai_agent.eval.heldout import run_heldout

NOW = "2026-11-23T09:00:00-05:00"  # a Monday; guests book until Thursday the 26th
DIALOGUES = [
    {
        "id": "addon_in_the_opening_message",
        "class": "addons",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["book a swedish massage tomorrow at 2pm with the hot stones add-on", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00", "addons": ["hot-stones"]}]},
    },
    {
        "id": "addon_added_later",
        "class": "addons",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["book a deep tissue massage tomorrow at 3pm", "can you add a scalp ritual?", {"action": "confirm"}],
        "expect": {
            "created": [{"service": "deep-tissue-massage", "date": "2026-11-24", "time": "15:00", "addons": ["scalp-ritual"]}]
        },
    },
    {
        "id": "addon_with_plus_and_details_in_one_message",
        "class": "addons",
        "channel": "web",
        "viewer": "guest",
        "turns": [
            "signature facial wednesday 11am plus eye revival",
            "Jo March jo@example.com 917 555 0100",
            {"action": "confirm"},
        ],
        "expect": {
            "created": [
                {
                    "service": "signature-facial",
                    "date": "2026-11-25",
                    "time": "11:00",
                    "addons": ["eye-revival-treatment"],
                    "name": "Jo March",
                }
            ]
        },
    },
    {
        "id": "two_people_each_with_a_name",
        "class": "group",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["my friend and I want swedish massages tomorrow at 2pm", "Ann Lee", {"action": "confirm"}],
        "expect": {
            "created": [
                {"service": "swedish-massage", "date": "2026-11-24", "time": "14:00"},
                {"service": "swedish-massage", "date": "2026-11-24", "time": "14:00", "name": "Ann Lee"},
            ]
        },
    },
    {
        "id": "surname_like_a_treatment",
        "class": "names",
        "channel": "web",
        "viewer": "guest",
        "turns": ["swedish massage tomorrow at 2pm", "Sam Stone", "sam@example.com", "2125550100", {"action": "confirm"}],
        "expect": {
            "created": [
                {
                    "service": "swedish-massage",
                    "date": "2026-11-24",
                    "time": "14:00",
                    "name": "Sam Stone",
                    "email": "sam@example.com",
                }
            ]
        },
    },
    {
        "id": "surname_like_parking",
        "class": "names",
        "channel": "web",
        "viewer": "guest",
        "turns": ["swedish massage tomorrow at 2pm", "Rose Park", "rose@example.com", "2125550100", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00", "name": "Rose Park"}]},
    },
    {
        "id": "surname_like_a_category",
        "class": "names",
        "channel": "web",
        "viewer": "guest",
        "turns": ["swedish massage tomorrow at 2pm", "Mia Facial", "mia@example.com", "2125550100", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00", "name": "Mia Facial"}]},
    },
    {
        "id": "surname_typo_corrected_to_massage",
        "class": "names",
        "channel": "web",
        "viewer": "guest",
        "turns": ["swedish massage tomorrow at 2pm", "Tom Masson", "tom@example.com", "2125550100", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00", "name": "Tom Masson"}]},
    },
    {
        "id": "surname_like_hours",
        "class": "names",
        "channel": "web",
        "viewer": "guest",
        "turns": ["swedish massage tomorrow at 2pm", "Lee Hours", "lee@example.com", "2125550100", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00", "name": "Lee Hours"}]},
    },
    {
        "id": "details_email_first_unlabelled",
        "class": "details",
        "channel": "web",
        "viewer": "guest",
        "turns": ["swedish massage tomorrow at 2pm", "ann@example.com, Ann Lee, 212-555-0199", {"action": "confirm"}],
        "expect": {
            "created": [
                {
                    "service": "swedish-massage",
                    "date": "2026-11-24",
                    "time": "14:00",
                    "name": "Ann Lee",
                    "email": "ann@example.com",
                    "phone": "2125550199",
                }
            ]
        },
    },
    {
        "id": "details_labelled",
        "class": "details",
        "channel": "web",
        "viewer": "guest",
        "turns": [
            "swedish massage tomorrow at 2pm",
            "name: Ann Lee, phone: (212) 555-0199, email: ann@example.com",
            {"action": "confirm"},
        ],
        "expect": {
            "created": [
                {
                    "service": "swedish-massage",
                    "date": "2026-11-24",
                    "time": "14:00",
                    "name": "Ann Lee",
                    "email": "ann@example.com",
                    "phone": "2125550199",
                }
            ]
        },
    },
    {
        "id": "phone_and_name_then_email",
        "class": "details",
        "channel": "web",
        "viewer": "guest",
        "turns": ["swedish massage tomorrow at 2pm", "2125550199 Ann Lee", "ann@example.com", {"action": "confirm"}],
        "expect": {
            "created": [
                {
                    "service": "swedish-massage",
                    "date": "2026-11-24",
                    "time": "14:00",
                    "name": "Ann Lee",
                    "email": "ann@example.com",
                    "phone": "2125550199",
                }
            ]
        },
    },
    {
        "id": "tmrw_3ish",
        "class": "texting",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["swedish massage tmrw 3ish", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "15:00"}]},
    },
    {
        "id": "thurs_around_3",
        "class": "texting",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["can i get a deep tissue thurs around 3", {"action": "confirm"}],
        "expect": {"created": [{"service": "deep-tissue-massage", "date": "2026-11-26", "time": "15:00"}]},
    },
    {
        "id": "2moro_at_2",
        "class": "texting",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["swedish massage 2moro at 2", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00"}]},
    },
    {
        "id": "tues_at_4pm",
        "class": "texting",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["swedish massage tues at 4pm", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "16:00"}]},
    },
    {
        "id": "move_ref_to_friday_3pm",
        "class": "texting",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "setup": [
            {
                "ref": "CS-TEST01",
                "service": "swedish-massage",
                "date": "2026-11-25",
                "time": "11:00",
                "customer": "premium@coresync.test",
            }
        ],
        "turns": ["move CS-TEST01 to Friday 3pm", {"action": "yes"}],
        "expect": {"moved": [{"ref": "CS-TEST01", "date": "2026-11-27", "time": "15:00"}], "created": []},
    },
    {
        "id": "the_day_after_same_time",
        "class": "texting",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["swedish massage friday at 2pm", "actually the day after, same time", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-28", "time": "14:00"}]},
    },
    {
        "id": "not_tomorrow_friday_at_4",
        "class": "corrections",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["swedish massage tomorrow at 4", "not tomorrow, friday at 4", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-27", "time": "16:00"}]},
    },
    {
        "id": "actually_no_keep_it",
        "class": "corrections",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "setup": [
            {
                "ref": "CS-TEST01",
                "service": "swedish-massage",
                "date": "2026-11-25",
                "time": "11:00",
                "customer": "premium@coresync.test",
            }
        ],
        "turns": ["cancel CS-TEST01", "actually no, keep it"],
        "expect": {"unchanged": ["CS-TEST01"], "created": []},
    },
    {
        "id": "make_it_90_minutes_instead",
        "class": "corrections",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["book a deep tissue massage friday at 2pm", "make it 90 minutes instead", {"action": "confirm"}],
        "expect": {"created": [{"service": "hot-stone-massage", "date": "2026-11-27", "time": "14:00"}]},
    },
    {
        "id": "policy_question_is_not_a_cancellation",
        "class": "questions",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "setup": [
            {
                "ref": "CS-TEST01",
                "service": "swedish-massage",
                "date": "2026-11-25",
                "time": "11:00",
                "customer": "premium@coresync.test",
            }
        ],
        "turns": ["what happens if I need to cancel last minute?"],
        "expect": {"unchanged": ["CS-TEST01"], "created": []},
    },
    {
        "id": "cancel_my_membership_is_handed_off",
        "class": "questions",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "setup": [
            {
                "ref": "CS-TEST01",
                "service": "swedish-massage",
                "date": "2026-11-25",
                "time": "11:00",
                "customer": "premium@coresync.test",
            }
        ],
        "turns": ["I want to cancel my membership"],
        "expect": {"unchanged": ["CS-TEST01"], "created": [], "handoff": True},
    },
    {
        "id": "change_my_email_books_nothing",
        "class": "questions",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["how do I change my email address?"],
        "expect": {"created": []},
    },
    {
        "id": "a_price_answer_offers_a_way_to_book",
        "class": "receptionist",
        "channel": "web",
        "viewer": "premium@coresync.test",
        "turns": ["how much is a swedish massage?", {"action": "book"}, "tomorrow at 2pm", {"action": "confirm"}],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00"}]},
    },
    {
        "id": "phone_booking_with_spoken_email",
        "class": "phone",
        "channel": "phone",
        "caller_phone": "+12125550143",
        "turns": ["I'd like a swedish massage tomorrow at two pm", "my name is Ann Lee", "ann at example dot com", "yes"],
        "expect": {"created": [{"service": "swedish-massage", "date": "2026-11-24", "time": "14:00", "name": "Ann Lee"}]},
    },
]


@pytest.mark.django_db
@pytest.mark.parametrize("dialogue", DIALOGUES, ids=[d["id"] for d in DIALOGUES])
def test_the_dialogue_ends_with_what_the_customer_asked_for(demo_spa, dialogue):
    report = run_heldout({"now": NOW, "dialogues": [dialogue]}, name="sample")
    assert report.never_failures == []
    assert report.task_success == 1.0, report.failures
