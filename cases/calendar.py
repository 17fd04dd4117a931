"""
Vietnam's working-day calendar for statutory deadlines.

Decree 56/2017/NĐ-CP sets time limits such as "05 ngày làm việc" and "02 ngày làm việc" (working
days), "15 ngày" (calendar days) and a 12-hour limit for emergencies. Periods are counted as the
Civil Code counts them (Art. 147-148, Civil Code 2015): the day of the event is not counted, and a
period ends at the end of its last day. Every deadline is the end of a day in Vietnam's time zone,
Asia/Ho_Chi_Minh (UTC+7, no daylight saving time; the same zone as ``settings.TIME_ZONE``), as the
aware datetime 23:59:59.999999 local time.

A working day is a Monday to Friday that is not a public holiday. The holidays come from the
PyPI package ``holidays`` (``holidays.country_holidays("VN", years=...)``, pinned at 0.109), one
cached set per year, and never from a hand-typed list. For Vietnam that package returns the public
holidays of the Labour Code 2019 (Art. 112), with the days off in lieu ("nghỉ bù") when a holiday
falls on a weekend, and the days the Government swaps for public-sector staff:

* New Year's Day, 1 January;
* Tết Nguyên Đán: Lunar New Year's Eve and the first four days of the lunar year, moved or extended
  to weekdays when some fall on a weekend (it adds "29 Tết" or "Mùng năm Tết" in that case), so
  that with the surrounding weekends the break is 7-9 days;
* Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month (the next weekday in lieu if on a weekend);
* Ngày Chiến thắng 30 April and Ngày Quốc tế Lao động 1 May;
* Quốc khánh 2 September and one adjacent day (1 or 3 September), since 2021;
* Ngày Văn hóa Việt Nam, 24 November, since 2026 (Resolution 80-NQ/TW);
* the swapped days off that the Government announced: 2 May 2025 (for Saturday 26 April 2025)
  and 31 August 2026 (for Saturday 22 August 2026).

What 0.109 returns for 2025-2027:

* 2025: 1/1; Tết 27/1-1/2 (Mon-Sat, with the weekends 25/1-2/2 off); Hùng Kings 7/4; 30/4;
  1/5; 2/5 (swapped); 1/9-2/9.
* 2026: 1/1; Tết 16/2-20/2 (Mon-Fri, with the weekends 14/2-22/2 off); Hùng Kings Sunday 26/4
  and Monday 27/4 in lieu; 30/4; 1/5; 31/8 (swapped); 1/9-2/9; 24/11.
* 2027: 1/1; Tết 4/2-10/2 (Thu-Wed); Hùng Kings 16/4; 30/4; Saturday 1/5 and Monday 3/5 in lieu;
  2/9-3/9; 24/11.

Limits, to be reviewed when ``holidays`` is upgraded:

* Dates not yet decided by the Government (Tết 2027 above, for one) are the package's rule-based
  prediction; the Government's yearly announcement may differ.
* Saturdays and Sundays are never working days here, not even the Saturdays that public-sector
  staff work in exchange for a swapped day off (26/4/2025, 22/8/2026; the package lists them in
  ``weekend_workdays``). A deadline that crosses such a Saturday therefore falls one working day
  later than a count that includes it.
* Provincial or sector-specific days off are not included.
* ``add_calendar_days`` ends on the N-th day even when that day is a weekend or holiday; it does
  not apply the Civil Code's roll-forward to the next working day (Art. 148). Callers that need
  it can take ``next_working_day`` of a non-working last day.
"""

from __future__ import annotations

import datetime
import functools
from zoneinfo import ZoneInfo

import holidays
from django.utils import timezone

__all__ = [
    "LOCAL_TZ",
    "add_calendar_days",
    "add_hours",
    "add_working_days",
    "is_working_day",
    "next_working_day",
    "working_days_between",
]

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_END_OF_DAY = datetime.time.max  # 23:59:59.999999
_SATURDAY = 5


@functools.lru_cache
def _holidays(year: int) -> frozenset[datetime.date]:
    """Return Vietnam's public holidays in `year`, as the `holidays` package lists them."""
    return frozenset(holidays.country_holidays("VN", years=year).keys())


def _require_date(day: datetime.date) -> None:
    """Reject datetimes, which compare unequal to every date and would miss every holiday."""
    if isinstance(day, datetime.datetime):
        raise TypeError("Pass a date, not a datetime; use timezone.localdate() to convert.")


def _local_date(start: datetime.datetime) -> datetime.date:
    """Return the calendar date of the aware `start` in Vietnam."""
    if timezone.is_naive(start):
        raise ValueError("start must be an aware datetime.")
    return timezone.localtime(start, LOCAL_TZ).date()


def _require_positive(days: int) -> None:
    """Reject a period shorter than one day."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}.")


def _end_of_day(day: datetime.date) -> datetime.datetime:
    """Return the last instant of `day` in Vietnam."""
    return timezone.make_aware(datetime.datetime.combine(day, _END_OF_DAY), LOCAL_TZ)


def is_working_day(day: datetime.date) -> bool:
    """Return whether `day` is a weekday that is not a public holiday in Vietnam."""
    _require_date(day)
    return day.weekday() < _SATURDAY and day not in _holidays(day.year)


def next_working_day(day: datetime.date) -> datetime.date:
    """Return the first working day strictly after `day`."""
    _require_date(day)
    day += datetime.timedelta(days=1)
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def add_working_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """Return the deadline for "within `days` working days" of the aware `start`.

    The day of `start` (in Vietnam) is not counted; the deadline is the end of the `days`-th
    working day after it, at 23:59:59.999999 Asia/Ho_Chi_Minh.
    """
    _require_positive(days)
    day = _local_date(start)
    for _ in range(days):
        day = next_working_day(day)
    return _end_of_day(day)


def add_calendar_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """Return the deadline for "within `days` days" (calendar days) of the aware `start`.

    The day of `start` (in Vietnam) is not counted; the deadline is the end of the `days`-th day
    after it, at 23:59:59.999999 Asia/Ho_Chi_Minh, whether or not that is a working day.
    """
    _require_positive(days)
    return _end_of_day(_local_date(start) + datetime.timedelta(days=days))


def add_hours(start: datetime.datetime, hours: int) -> datetime.datetime:
    """Return the aware `start` plus `hours` clock hours, holidays and nights included."""
    if timezone.is_naive(start):
        raise ValueError("start must be an aware datetime.")
    return start + datetime.timedelta(hours=hours)


def working_days_between(first: datetime.date, last: datetime.date) -> int:
    """Count the working days after `first` up to and including `last` (0 if `last` <= `first`)."""
    _require_date(first)
    _require_date(last)
    count = 0
    day = first + datetime.timedelta(days=1)
    while day <= last:
        count += is_working_day(day)
        day += datetime.timedelta(days=1)
    return count
