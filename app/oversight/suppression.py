"""Small numbers: counts of 1 to 4 hidden, and what would let them be worked out (see the
package docstring for the rules)."""


from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

SMALL = 5
FEWER_THAN_5 = "fewer than 5"
HIDDEN = "hidden"  # a count hidden so that a small one beside it cannot be worked out


# -- small numbers ---------------------------------------------------------------------

def suppress(value: Any, *counts: int) -> Any:
    """The one rule, for pages and CSV alike: a count of referrals from 1 to 4, or any
    figure worked out from 1 to 4 referrals (a median, a share), reads "fewer than 5".
    `counts` are the referral counts the figure rests on; by default the value itself.
    0 stays 0: "none" identifies nobody."""
    for count in counts or (value,):
        if isinstance(count, int) and 0 < count < SMALL:
            return FEWER_THAN_5
    return value


Group = tuple[Hashable, Sequence[Hashable]]  # (total, the counts that add up to it)


def protect(counts: Mapping[Hashable, int], groups: Sequence[Group],
            hide: Iterable[Hashable] = ()) -> dict[Hashable, Any]:
    """What each count reads: the number, "fewer than 5" or "hidden" (the rule in the module
    docstring). `groups` are (total, parts), every key one of `counts`; a count is a part in
    one group at most. Hiding goes from a total to its parts and between parts; from parts to
    their total only when every part is 1 (then only the total can hide them). `hide`: counts
    hidden from the start whatever their size, because a small count that is not shown would
    be their difference with one that is (a district's referrals sent less those opened in
    time); the groups then hide what would tell them."""
    hidden = {key for key, value in counts.items() if 0 < value < SMALL} | set(hide)
    whole: set[int] = set()  # groups with every part hidden
    forced: set[int] = set()  # ... because nothing less would do: every part reads "hidden"
    while True:
        words = _words(counts, groups, hidden, forced)
        for index, (total, parts) in enumerate(groups):
            if index in whole:
                continue
            if total in hidden:
                hidden.update(parts)
                whole.add(index)
                break
            concealed = [part for part in parts if part in hidden]
            if concealed and _worked_out([counts[part] for part in concealed],
                                         [words[part] for part in concealed]):
                shown = [part for part in parts if part not in hidden and counts[part] > 0]
                if shown:  # the smallest, and any equal to it: which one went would tell
                    smallest = min(counts[part] for part in shown)
                    hidden.update(part for part in shown if counts[part] == smallest)
                else:  # every count above 0 is hidden already: hide the zeros too
                    hidden.update(parts)
                    whole.add(index)
                    forced.add(index)
                    if all(counts[part] == 1 for part in parts):  # no zeros, all 1s: the total
                        hidden.add(total)
                break
        else:
            return {key: words.get(key, value) for key, value in counts.items()}


def _words(counts: Mapping[Hashable, int], groups: Sequence[Group], hidden: set,
           forced: set[int]) -> dict[Hashable, str]:
    """ "fewer than 5" for a hidden count, unless it is 5 or more, or in a group where one
    is (or whose hidden total reads "hidden"): then "hidden", for all of that group alike."""
    loud = {key for key in hidden if counts[key] >= SMALL}
    changed = True
    while changed:
        changed = False
        for index, (total, parts) in enumerate(groups):
            concealed = {part for part in parts if part in hidden}
            if concealed - loud and (index in forced or total in loud or concealed & loud):
                loud |= concealed
                changed = True
    return {key: HIDDEN if key in loud else FEWER_THAN_5 for key in hidden}


def _worked_out(values: list[int], words: list[str]) -> bool:
    """Whether any of the counts hidden in a group whose total is shown can be worked out:
    their sum is known (the total less the counts shown), each is at least 1 (a 0 would be
    shown), and one that reads "fewer than 5" at most 4."""
    if len(values) == 1:
        return True
    rest = sum(values)
    for index, word in enumerate(words):
        others = words[:index] + words[index + 1:]
        highest = rest - len(others)
        if word == FEWER_THAN_5:
            highest = min(highest, SMALL - 1)
        lowest = 1 if HIDDEN in others else max(1, rest - (SMALL - 1) * len(others))
        if lowest >= highest:
            return True
    return False


class Figures:
    """Referral counts as the pages show them, protected together (`protect`)."""

    def __init__(self, counts: Mapping[Hashable, int], groups: Sequence[Group],
                 hide: Iterable[Hashable] = ()):
        self.counts = dict(counts)
        self.shown = protect(self.counts, groups, hide)

    def __getitem__(self, key: Hashable) -> Any:
        return self.shown[key]

    def resting_on(self, value: Any, *keys: Hashable) -> Any:
        """A figure worked out from these counts: hidden, in the same words, if any of them is."""
        words = {self.shown[key] for key in keys if isinstance(self.shown[key], str)}
        return (HIDDEN if HIDDEN in words else FEWER_THAN_5) if words else value

    def share(self, part: Hashable, whole: Hashable) -> Any:
        return self.resting_on(share_of(self.counts[part], self.counts[whole]), part, whole)


def share_of(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def suppressed_share(part: int, whole: int) -> Any:
    return suppress(share_of(part, whole), part, whole)
