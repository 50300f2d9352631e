"""Reminders in a real run from a file: offered at their time, a yes starts the ritual, a no is final."""

from __future__ import annotations

from pathlib import Path

from bench.scenes import Scene
from tests.conftest import TEST_VOICE, run_cli

CONFIG = f"""
voice = "{TEST_VOICE}"
reminders_enabled = true

[[reminders]]
ritual = "hug"
time = "21:00"
days = ["daily"]

[quiet_hours]
start = "22:30"
end = "07:00"
"""


def _run(tmp_path: Path, answer: str | None, start_at: str = "2026-11-20T20:59:55+00:00"):  # noqa: ANN202
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    scene = Scene(45.0)
    if answer:
        scene.say(11.5, answer)
    return run_cli(tmp_path, scene.write(tmp_path / "in.wav"), "--config", str(config), "--start-at", start_at)


def test_reminder_yes_starts_the_ritual(tmp_path: Path) -> None:
    result = _run(tmp_path, "yes please")
    assert result.returncode == 0, result.stderr
    [reminder] = result.of_type("reminder")
    assert reminder["ritual"] == "hug" and 5.0 <= reminder["t"] <= 6.5  # 21:00:00 is 5 s into the input
    offer = next(e for e in result.of_type("say") if e["t"] >= reminder["t"])
    assert "nine o'clock" in offer["text"]
    assert [e["intent"] for e in result.of_type("command")] == ["yes"]
    assert [(s["ritual"], s["completed"]) for s in result.sessions()] == [("hug", True)]


def test_reminder_no_is_kind_and_final(tmp_path: Path) -> None:
    result = _run(tmp_path, "no thanks")
    assert result.returncode == 0, result.stderr
    assert len(result.of_type("reminder")) == 1
    reply = result.of_type("say")[-1]["text"]
    assert reply in ("Of course. Another time.", "No problem at all.", "That's fine. I won't ask again today.")
    assert result.sessions() == []


def test_no_reminder_in_quiet_hours_or_when_off(tmp_path: Path) -> None:
    quiet = _run(tmp_path, None, start_at="2026-11-20T23:00:00+00:00")
    assert quiet.of_type("reminder") == []
    config = tmp_path / "off.toml"
    config.write_text(CONFIG.replace("reminders_enabled = true", "reminders_enabled = false"))
    scene = Scene(12.0)
    off = run_cli(tmp_path, scene.write(tmp_path / "quiet.wav"), "--config", str(config),
                  "--start-at", "2026-11-20T20:59:55+00:00", name="off")  # fmt: skip
    assert off.returncode == 0, off.stderr
    assert off.of_type("reminder") == []
