"""Config file: reminders, quiet hours, opt-in flag, one-line errors, describe_settings, safe editing."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from voice_companion.config import (
    QuietHours,
    Reminder,
    Settings,
    load_settings,
    set_top_level_string,
    settings_from_mapping,
)
from voice_companion.engines.whisper_engine import bundled_whisper_model
from voice_companion.errors import CompanionError
from voice_companion.settings_report import describe_settings

FULL = """\
# our kitchen companion
wake_phrases = ["Hey Companion"]
partners = ["Sam", "Alex"]
reminders_enabled = true

[quiet_hours]
start = "23:00"
end = "06:30"

[[reminders]]
ritual = "evening_checkin"
time = "21:00"
days = ["mon", "Wednesday", "fri"]

[[reminders]]
ritual = "hug"
time = 08:15:00
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_full_file_is_parsed_into_typed_values(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path / "c.toml", FULL))
    assert settings.reminders_enabled is True
    assert settings.quiet_hours == QuietHours(time(23, 0), time(6, 30))
    assert settings.reminders == (
        Reminder("evening_checkin", time(21, 0), frozenset({0, 2, 4})),
        Reminder("hug", time(8, 15), frozenset(range(7))),
    )
    assert settings.wake_phrases == ("hey companion",)


def test_defaults_are_opt_in_and_quiet_at_night(xdg: Path) -> None:
    settings = load_settings(None)
    assert settings.reminders_enabled is False
    assert settings.reminders == ()
    assert settings.quiet_hours.contains(time(23, 59)) and settings.quiet_hours.contains(time(3, 0))
    assert not settings.quiet_hours.contains(time(7, 0)) and not settings.quiet_hours.contains(time(21, 0))


def test_overrides_still_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", FULL)
    settings = load_settings(path, {"reminders_enabled": False, "engine": "vosk", "input_device": None})
    assert settings.reminders_enabled is False and settings.engine == "vosk"
    assert len(settings.reminders) == 2


def test_quiet_hours_within_one_day_and_none() -> None:
    afternoon = QuietHours(time(13, 0), time(15, 0))
    assert afternoon.contains(time(13, 0)) and afternoon.contains(time(14, 59))
    assert not afternoon.contains(time(15, 0)) and not afternoon.contains(time(12, 59))
    assert not any(QuietHours(time(0, 0), time(0, 0)).contains(time(h, 0)) for h in range(24))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"reminders": [{"ritual": "hug", "time": "08:00", "days": ["funday"]}]},
            'config: reminders[0].days: "funday" is not a day; allowed: mon, tue, wed, thu, fri, sat, sun, daily',
        ),
        (
            {"reminders": [{"ritual": "hug", "time": "25:00"}]},
            'config: reminders[0].time: "25:00" is not a time of day; write it as "HH:MM", like "21:00"',
        ),
        (
            {"reminders": [{"ritual": "hug", "time": "08:00"}, {"ritual": "hug", "when": "9"}]},
            "config: reminders[1]: unknown key 'when'; allowed: ritual, time, days",
        ),
        (
            {"reminders": [{"time": "08:00"}]},
            "config: reminders[0]: missing 'ritual'; add for example ritual = \"evening_checkin\"",
        ),
        (
            {"quiet_hours": {"start": "late"}},
            'config: quiet_hours.start: "late" is not a time of day; write it as "HH:MM", like "21:00"',
        ),
        (
            {"reminders": [{"ritual": "hug", "time": "23:00"}]},
            "config: reminders[0].time: 23:00 falls in quiet_hours (22:30-07:00);"
            " pick a time outside them or change quiet_hours",
        ),
        ({"reminders_enabled": "yes"}, 'config: reminders_enabled must be true or false, not "yes"'),
        ({"seed": "abc"}, "config: seed must be a whole number"),
    ],
)
def test_bad_values_give_one_line_errors_naming_key_and_allowed_values(data: dict, message: str) -> None:
    with pytest.raises(CompanionError) as err:
        settings_from_mapping(data)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "reminders_enabled = \n")
    with pytest.raises(CompanionError, match=r"c\.toml: not valid TOML"):
        load_settings(path)


def test_config_that_is_not_utf8_gives_one_line_and_is_left_alone(tmp_path: Path) -> None:
    # a file saved by an editor in Latin-1 ("café" in a comment) used to end in a traceback
    path = tmp_path / "c.toml"
    path.write_bytes(b"seed = 3\n# caf\xe9\n")
    for call in (lambda: load_settings(path), lambda: set_top_level_string(path, "model_path", "/opt/m")):
        with pytest.raises(CompanionError) as err:
            call()
        assert str(err.value) == f"{path}: not UTF-8 text; save the file as UTF-8 plain text"
    assert path.read_bytes() == b"seed = 3\n# caf\xe9\n"


def test_set_top_level_string_keeps_comments_tables_and_other_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", FULL)
    set_top_level_string(path, "model_path", "/opt/models/a model")
    text = path.read_text()
    assert text.startswith("# our kitchen companion\n")
    assert 'model_path = "/opt/models/a model"' in text
    assert text.index("model_path") < text.index("[quiet_hours]")
    set_top_level_string(path, "model_path", '/other/"quoted"')
    settings = load_settings(path)
    assert settings.model_path == Path('/other/"quoted"')
    assert text.count("model_path") == 1 and path.read_text().count("model_path") == 1
    assert settings.reminders == load_settings(write(tmp_path / "orig.toml", FULL)).reminders
    assert list(tmp_path.glob("tmp*")) == []


def test_set_top_level_string_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    set_top_level_string(path, "model_path", "/m")
    assert load_settings(path).model_path == Path("/m")


def test_set_top_level_string_refuses_an_edit_it_cannot_make_safely(tmp_path: Path) -> None:
    original = '"model_path" = "/quoted/key"\n'
    path = write(tmp_path / "c.toml", original)
    with pytest.raises(CompanionError, match="could not set model_path safely; edit the file by hand"):
        set_top_level_string(path, "model_path", "/new")
    assert path.read_text() == original


def test_describe_settings_lists_values_and_paths(xdg: Path) -> None:
    config = write(xdg / "c.toml", FULL)
    text = describe_settings(load_settings(config), config)
    assert f"{config} (exists)" in text
    assert "evening_checkin at 21:00 (mon, wed, fri); hug at 08:15 (daily)" in text
    assert "quiet_hours             23:00-06:30" in text
    assert str(xdg / "xdg_data_home" / "voice-companion" / "journal.json") + " (not yet created)" in text
    assert str(xdg / "xdg_config_home" / "systemd" / "user" / "voice-companion.service") in text
    assert str(xdg / "repo_models") + " (exists)" in text
    assert "vosk: none found" in text
    assert "whisper: " + str(bundled_whisper_model()) in text  # the model installed with the companion
    assert all("  " in line for line in text.splitlines())


def test_describe_settings_with_no_file_says_defaults(xdg: Path) -> None:
    text = describe_settings(Settings(), None)
    assert "config.toml (not found: using defaults)" in text
    assert "reminders_enabled       no (opt-in)" in text
