"""Forms of the technicians' portal: shapes only; the rules live in the services the API calls too."""

from __future__ import annotations

from datetime import time

from django import forms

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
BLOCKS_PER_DAY = 2


class _Base(forms.Form):
    def add_service_error(self, error) -> None:
        """Put an ``ApplicationError``'s field messages on the fields they name, the rest on the form."""
        placed = False
        for name, problems in (error.fields or {}).items():
            target = name if name in self.fields else None
            for problem in problems if isinstance(problems, list) else [problems]:
                if target:
                    self.add_error(target, str(problem))
                    placed = True
        if not placed:
            self.add_error(None, error.message)


class WorkLogForm(_Base):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(min_value=0, max_digits=4, decimal_places=2,
                               widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal", "placeholder": "7.5"}))
    note = forms.CharField(max_length=300, required=False, widget=forms.TextInput(attrs={"placeholder": "Optional"}))


class TimeOffForm(_Base):
    start_date = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="at", initial=time(9, 0), widget=forms.TimeInput(attrs={"type": "time"}))
    end_date = forms.DateField(label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(label="at", initial=time(21, 0), widget=forms.TimeInput(attrs={"type": "time"}))
    reason = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Optional"}))


class ExtraShiftForm(_Base):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": "Optional"}))


class WeeklyScheduleForm(_Base):
    """Up to two blocks per weekday (e.g. 09:00-13:00 and 14:00-18:00); an empty pair is a day off."""

    def __init__(self, *args, shifts: list[dict] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        initial: dict[str, str] = {}
        taken: dict[int, int] = {}
        for shift in shifts or []:
            slot = taken.get(shift["weekday"], 0)
            if slot < BLOCKS_PER_DAY:
                initial[f"start_{shift['weekday']}_{slot}"] = shift["start"]
                initial[f"end_{shift['weekday']}_{slot}"] = shift["end"]
                taken[shift["weekday"]] = slot + 1
        for day in range(7):
            for slot in range(BLOCKS_PER_DAY):
                for edge in ("start", "end"):
                    name = f"{edge}_{day}_{slot}"
                    self.fields[name] = forms.TimeField(
                        required=False, label=f"{WEEKDAY_NAMES[day]} {edge}" + (" (second block)" if slot else ""),
                        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    )
                    if name in initial:
                        self.initial[name] = initial[name]

    def days(self):
        """Rows for the template: ``(name, [(start field, end field), ...])``."""
        return [(WEEKDAY_NAMES[d], [(self[f"start_{d}_{s}"], self[f"end_{d}_{s}"]) for s in range(BLOCKS_PER_DAY)]) for d in range(7)]

    def clean(self):
        data = super().clean()
        shifts = []
        for day in range(7):
            for slot in range(BLOCKS_PER_DAY):
                start, end = data.get(f"start_{day}_{slot}"), data.get(f"end_{day}_{slot}")
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    self.add_error(f"end_{day}_{slot}" if end is None else f"start_{day}_{slot}", "Give both a start and an end.")
                    continue
                shifts.append({"weekday": day, "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
        data["shifts"] = shifts
        return data
