"""Working days, calendar days and hours for Decree 56 deadlines, in Vietnam's time zone."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cases.calendar import (
    LOCAL_TZ,
    add_calendar_days,
    add_hours,
    add_working_days,
    is_working_day,
    next_working_day,
    working_days_between,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = datetime.timezone.utc
END_OF_DAY = datetime.time(23, 59, 59, 999999)

D = datetime.date


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=VN)


def end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, END_OF_DAY, tzinfo=VN)


def days_from(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]


# --- The holidays the library gives ---------------------------------------------------------


def test_the_module_uses_the_projects_time_zone():
    assert str(LOCAL_TZ) == settings.TIME_ZONE == "Asia/Ho_Chi_Minh"


def test_the_library_gives_tet_2026_as_monday_16_to_friday_20_february():
    vn = holidays.country_holidays("VN", years=2026)
    assert sorted(d for d in vn if d.month == 2) == days_from(D(2026, 2, 16), D(2026, 2, 20))


def test_the_whole_tet_2026_break_from_saturday_14_to_sunday_22_february_is_not_working():
    assert is_working_day(D(2026, 2, 13))
    assert not any(is_working_day(d) for d in days_from(D(2026, 2, 14), D(2026, 2, 22)))
    assert is_working_day(D(2026, 2, 23))


def test_the_library_gives_national_day_2026_with_its_extra_and_swapped_days():
    vn = holidays.country_holidays("VN", years=2026)
    assert [d for d in days_from(D(2026, 8, 29), D(2026, 9, 4)) if d in vn] == [
        D(2026, 8, 31),
        D(2026, 9, 1),
        D(2026, 9, 2),
    ]


@pytest.mark.parametrize(
    "holiday",
    [
        D(2025, 1, 1),
        D(2025, 1, 29),  # Tết
        D(2025, 4, 7),  # Hùng Kings
        D(2025, 4, 30),
        D(2025, 5, 1),
        D(2025, 9, 2),
        D(2026, 4, 27),  # Hùng Kings, Monday in lieu of Sunday 26 April
        D(2026, 11, 24),  # Vietnam Cultural Day
        D(2027, 2, 8),  # Tết
        D(2027, 9, 3),  # the day beside 2 September
    ],
)
def test_a_public_holiday_on_a_weekday_is_not_a_working_day(holiday):
    assert holiday.weekday() < 5
    assert not is_working_day(holiday)


def test_saturdays_and_sundays_are_not_working_days():
    assert is_working_day(D(2025, 3, 7))  # Friday
    assert not is_working_day(D(2025, 3, 8))
    assert not is_working_day(D(2025, 3, 9))
    assert is_working_day(D(2025, 3, 10))  # Monday


def test_a_saturday_worked_in_exchange_for_a_day_off_is_still_not_a_working_day():
    # Public-sector staff work Saturday 22 August 2026 for Monday 31 August; the calendar keeps
    # every weekend as rest (see the module docstring).
    assert D(2026, 8, 22) in holidays.country_holidays("VN", years=2026).weekend_workdays
    assert not is_working_day(D(2026, 8, 22))
    assert add_working_days(local(2026, 8, 21), 1) == end_of(D(2026, 8, 24))


def test_a_datetime_is_refused_where_a_date_is_expected():
    with pytest.raises(TypeError):
        is_working_day(local(2026, 2, 16))
    with pytest.raises(TypeError):
        next_working_day(local(2026, 2, 16))


# --- Deadlines in working days --------------------------------------------------------------


def test_a_friday_event_is_due_five_working_days_later_on_the_next_friday():
    assert add_working_days(local(2025, 3, 7), 5) == end_of(D(2025, 3, 14))


def test_a_friday_event_is_due_two_working_days_later_on_the_tuesday():
    assert add_working_days(local(2025, 3, 7), 2) == end_of(D(2025, 3, 11))


def test_a_weekend_event_counts_from_monday():
    assert add_working_days(local(2025, 3, 8), 1) == end_of(D(2025, 3, 10))
    assert add_working_days(local(2025, 3, 9), 2) == end_of(D(2025, 3, 11))


def test_a_wednesday_event_is_due_after_the_weekend_on_wednesday():
    assert add_working_days(local(2025, 3, 5), 5) == end_of(D(2025, 3, 12))


def test_an_event_on_the_last_working_day_before_tet_2026_is_due_after_the_whole_break():
    # Friday 13 February 2026; the break runs to Sunday 22 February.
    assert add_working_days(local(2026, 2, 13, 16, 45), 1) == end_of(D(2026, 2, 23))
    assert add_working_days(local(2026, 2, 13, 16, 45), 2) == end_of(D(2026, 2, 24))
    assert add_working_days(local(2026, 2, 13, 16, 45), 5) == end_of(D(2026, 2, 27))


def test_an_event_during_tet_2026_counts_from_the_first_day_back():
    assert add_working_days(local(2026, 2, 17), 5) == end_of(D(2026, 2, 27))


def test_an_event_before_national_day_2026_skips_the_four_day_break():
    # Friday 28 August; off Saturday 29 August to Wednesday 2 September.
    assert add_working_days(local(2026, 8, 28), 2) == end_of(D(2026, 9, 4))
    assert add_working_days(local(2026, 8, 28), 5) == end_of(D(2026, 9, 9))


def test_an_event_before_national_day_2025_skips_1_and_2_september():
    # Friday 29 August 2025; off Saturday 30 August to Tuesday 2 September.
    assert add_working_days(local(2025, 8, 29), 2) == end_of(D(2025, 9, 4))


def test_an_event_at_half_past_eleven_at_night_counts_like_one_just_after_midnight():
    late = add_working_days(local(2025, 3, 11, 23, 30), 5)
    early = add_working_days(local(2025, 3, 11, 0, 30), 5)
    assert late == early == end_of(D(2025, 3, 18))


def test_the_vietnamese_date_and_not_the_utc_date_decides_where_counting_starts():
    # Both instants are on Tuesday 11 March in UTC, but 00:30 in Hà Nội is already Wednesday.
    tuesday_night = datetime.datetime(2025, 3, 11, 16, 30, tzinfo=UTC)  # 23:30 local
    wednesday_morning = datetime.datetime(2025, 3, 11, 17, 30, tzinfo=UTC)  # 00:30 local
    assert add_working_days(tuesday_night, 1) == end_of(D(2025, 3, 12))
    assert add_working_days(wednesday_morning, 1) == end_of(D(2025, 3, 13))


def test_deadlines_are_aware_and_at_the_last_microsecond_of_the_day_in_vietnam():
    deadline = add_working_days(datetime.datetime(2025, 3, 11, 3, 0, tzinfo=UTC), 2)
    assert deadline.tzinfo is not None
    assert str(deadline.tzinfo) == "Asia/Ho_Chi_Minh"
    assert deadline.utcoffset() == datetime.timedelta(hours=7)
    assert deadline.time() == END_OF_DAY
    assert deadline.date() == D(2025, 3, 13)


@pytest.mark.parametrize("days", [0, -1, -5])
def test_fewer_than_one_working_day_is_refused(days):
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(local(2025, 3, 11), days)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="aware"):
        add_working_days(datetime.datetime(2025, 3, 11, 10, 0), 5)


# --- Calendar days, hours, counting ---------------------------------------------------------


def test_fifteen_calendar_days_run_through_tet_and_weekends():
    assert add_calendar_days(local(2026, 2, 13), 15) == end_of(D(2026, 2, 28))


def test_calendar_days_count_from_the_vietnamese_date():
    utc_evening = datetime.datetime(2025, 12, 31, 18, 0, tzinfo=UTC)  # 1 January, 01:00 local
    assert add_calendar_days(utc_evening, 1) == end_of(D(2026, 1, 2))


def test_calendar_days_refuse_naive_starts_and_empty_periods():
    with pytest.raises(ValueError, match="aware"):
        add_calendar_days(datetime.datetime(2025, 3, 11), 15)
    with pytest.raises(ValueError, match="at least 1"):
        add_calendar_days(local(2025, 3, 11), 0)


def test_the_twelve_hour_limit_runs_through_nights_and_holidays():
    start = local(2026, 2, 16, 20, 0)  # Lunar New Year's Eve
    assert add_hours(start, 12) == local(2026, 2, 17, 8, 0)


def test_hours_refuse_a_naive_start():
    with pytest.raises(ValueError, match="aware"):
        add_hours(datetime.datetime(2025, 3, 11), 12)


def test_working_days_between_counts_after_the_first_day_up_to_the_last():
    assert working_days_between(D(2025, 3, 7), D(2025, 3, 14)) == 5
    assert working_days_between(D(2025, 3, 7), D(2025, 3, 9)) == 0
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


def test_working_days_between_is_zero_when_the_last_day_is_not_after_the_first():
    assert working_days_between(D(2025, 3, 14), D(2025, 3, 14)) == 0
    assert working_days_between(D(2025, 3, 14), D(2025, 3, 7)) == 0


# --- Properties ------------------------------------------------------------------------------

PROPERTY_SETTINGS = hypothesis_settings(max_examples=200, deadline=None)

starts = st.datetimes(
    min_value=datetime.datetime(2025, 1, 1),
    max_value=datetime.datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([VN, UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]),
    allow_imaginary=False,
)
periods = st.integers(min_value=1, max_value=30)
dates = st.dates(min_value=D(2025, 1, 1), max_value=D(2027, 12, 31))


def local_date(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(VN).date()


@PROPERTY_SETTINGS
@given(start=starts, n=periods)
def test_every_deadline_is_the_end_of_a_working_day_in_vietnam(start, n):
    deadline = add_working_days(start, n)
    assert deadline.tzinfo is not None
    assert deadline.utcoffset() == datetime.timedelta(hours=7)
    assert deadline.time() == END_OF_DAY
    assert is_working_day(deadline.date())


@PROPERTY_SETTINGS
@given(start=starts, n=periods)
def test_exactly_n_working_days_lie_between_the_event_and_its_deadline(start, n):
    deadline = add_working_days(start, n)
    assert working_days_between(local_date(start), deadline.date()) == n


@PROPERTY_SETTINGS
@given(start=starts, n=periods)
def test_one_more_working_day_always_gives_a_later_deadline(start, n):
    assert add_working_days(start, n + 1) > add_working_days(start, n)


@PROPERTY_SETTINGS
@given(start=starts, n=periods)
def test_working_days_are_never_shorter_than_the_same_number_of_calendar_days(start, n):
    assert add_working_days(start, n) >= add_calendar_days(start, n)


@PROPERTY_SETTINGS
@given(start=starts, a=periods, b=periods)
def test_counting_a_then_b_working_days_from_the_first_deadline_equals_counting_a_plus_b(
    start, a, b
):
    # Equality, not just <=: the first deadline is the end of the a-th working day, on that same
    # local date, so counting b more starts after it, exactly where a + b would continue.
    assert add_working_days(add_working_days(start, a), b) == add_working_days(start, a + b)


@PROPERTY_SETTINGS
@given(start=starts, n=periods, minutes=st.integers(min_value=0, max_value=24 * 60 - 1))
def test_the_time_of_day_of_the_event_does_not_move_the_deadline(start, n, minutes):
    midnight = datetime.datetime.combine(local_date(start), datetime.time(), tzinfo=VN)
    same_day = midnight + datetime.timedelta(minutes=minutes)
    assert add_working_days(same_day, n) == add_working_days(start, n)


@PROPERTY_SETTINGS
@given(day=dates)
def test_the_next_working_day_is_working_and_every_day_before_it_is_not(day):
    following = next_working_day(day)
    assert following > day
    assert is_working_day(following)
    assert not any(is_working_day(d) for d in days_from(day, following)[1:-1])


@PROPERTY_SETTINGS
@given(day=dates)
def test_working_days_agree_with_the_library_except_on_swapped_saturdays(day):
    vn = holidays.country_holidays("VN", years=day.year)
    if day in vn.weekend_workdays:
        assert not is_working_day(day)
    else:
        assert is_working_day(day) == vn.is_working_day(day)


@PROPERTY_SETTINGS
@given(three=st.lists(dates, min_size=3, max_size=3))
def test_working_days_between_adds_up_over_a_split(three):
    first, middle, last = sorted(three)
    assert working_days_between(first, last) == (
        working_days_between(first, middle) + working_days_between(middle, last)
    )
