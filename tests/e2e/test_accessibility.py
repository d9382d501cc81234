"""axe-core (WCAG 2.1 A/AA rules) on every page: no serious or critical violations."""

import pytest

from .conftest import sign_in, write_artifact
from .test_mobile_pages import MEMBER, PUBLIC

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe(page, axe_source):
    page.add_script_tag(content=axe_source)
    return page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", TAGS)


@pytest.mark.parametrize("device", ["iphone-14-pro", "ipad"])
def test_no_serious_or_critical_axe_violations(context_for, axe_source, device):
    page = context_for(device, bypass_csp=True).new_page()  # axe is injected as an inline script; our CSP refuses those
    report, failures = {}, []
    pages = list(PUBLIC.items()) + [("member:" + k, v) for k, v in MEMBER.items()]
    for name, url in pages:
        if name == "member:my-bookings":
            sign_in(page, "premium@coresync.test")
        page.goto(url)
        page.wait_for_load_state("load")
        result = _axe(page, axe_source)
        counts = {}
        for violation in result["violations"]:
            counts[violation["impact"]] = counts.get(violation["impact"], 0) + 1
            if violation["impact"] in ("serious", "critical"):
                failures.append(f"{name}: {violation['id']} ({violation['impact']}): {[n['target'] for n in violation['nodes']][:3]}")
        report[name] = {"violations": counts, "passes_rules": len(result.get("passes", []))}
    write_artifact("axe.json", {device: report})
    assert not failures, "\n".join(failures)
