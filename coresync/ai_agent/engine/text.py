"""Cleaning and folding of what people type or say, before anything reads it."""

from __future__ import annotations

import re
import unicodedata
from difflib import get_close_matches
from functools import lru_cache

from django.utils.html import strip_tags

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACES = re.compile(r"\s+")
_FOLD_DROP = re.compile(r"[^a-z0-9:@.+\-/' #]")
_WORD = re.compile(r"[a-z]+")

# Words the rules look for. The catalog's own words are added per snapshot (see ``catalog_index``).
BASE_VOCABULARY = frozenset(
    """
    hello hi hey morning afternoon evening tonight today tomorrow weekend week next this
    monday tuesday wednesday thursday friday saturday sunday noon midday lunchtime
    january february march april may june july august september october november december
    book booking appointment reserve schedule available availability free slot slots open opening hours
    close closing price prices pricing cost much membership member members premium base cancel cancellation
    reschedule change move policy parking park garage where address located location directions bring wear
    human person agent someone staff representative operator talk speak thanks thank goodbye bye
    minutes minute hour hours after before between around early late confirm please services service treatments
    menu offer what tell about describe massage facial
    """.split()  # noqa: SIM905
)

STOPWORDS = frozenset(
    """
    a an the i me my we you your is are am be to of for on in at and or it its with can could would
    like want need do does did have has any anything some something there here that one ones please
    just also how what when which who why will shall may might should get got let lets im i'm i'd id
    yes no ok okay sure not don't dont
    """.split()  # noqa: SIM905
)


def clean(raw: str) -> str:
    """Drop markup and control characters and collapse whitespace; the result is safe to store and echo."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = strip_tags(text)
    text = _CONTROL.sub(" ", text)
    text = text.replace("<", " ").replace(">", " ")
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case, punctuation-light text the rules and the catalog index match against."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = _FOLD_DROP.sub(" ", text)
    text = re.sub(r"(?<![a-z0-9])[.\-/']|[.\-/'](?![a-z0-9])", " ", text)
    return _SPACES.sub(" ", text).strip()


# How people text: read as the words the rules know ("tmrw" -> "tomorrow", "wknd" -> "weekend").
TEXTING = {
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "tmro": "tomorrow", "tomoz": "tomorrow", "2moro": "tomorrow",
    "2morrow": "tomorrow", "2mrw": "tomorrow", "tomo": "tomorrow", "2day": "today", "tdy": "today",
    "tonite": "tonight", "2nite": "tonight", "wknd": "weekend", "wkend": "weekend", "w/e": "weekend", "nxt": "next",
    "wk": "week", "appt": "appointment", "appts": "appointments", "pls": "please", "plz": "please", "u": "you", "ur": "your",
    "thx": "thanks", "ty": "thanks", "ppl": "people", "b4": "before", "aft": "afternoon", "arvo": "afternoon",
    "mins": "minutes", "hr": "hour", "hrs": "hours", "mornin": "morning", "avail": "available",
    "resched": "reschedule", "cxl": "cancel", "canx": "cancel", "weds": "wednesday", "tues": "tuesday", "thurs": "thursday",
}  # fmt: skip
_TEXTING_WORD = re.compile(r"(?<![\w@.])(" + "|".join(re.escape(k) for k in sorted(TEXTING, key=len, reverse=True)) + r")(?![\w@])")


def expand_texting(folded: str) -> str:
    """'swedish tmrw 3ish' -> 'swedish tomorrow 3ish' (folded text in, folded text out)."""
    return _TEXTING_WORD.sub(lambda m: TEXTING[m.group(1)], folded)


@lru_cache(maxsize=4096)
def _closest(word: str, vocabulary: frozenset[str]) -> str | None:
    candidates = [v for v in vocabulary if abs(len(v) - len(word)) <= 2 and v[0] == word[0]]
    found = get_close_matches(word, candidates, n=1, cutoff=0.8)
    return found[0] if found else None


def correct_typos(folded: str, vocabulary: frozenset[str]) -> str:
    """Replace misspelled words ("masage", "tomorow", "frday") by the closest known word."""

    def fix(match: re.Match) -> str:
        word = match.group(0)
        if len(word) < 4 or word in vocabulary or word in STOPWORDS:
            return word
        return _closest(word, vocabulary) or word

    return _WORD.sub(fix, folded)
