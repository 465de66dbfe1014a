"""What a user types: every command answers --help, and the state command takes its options on either
side of the subcommand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dwnews.commands.state import main as state_main
from dwnews.mirror import main as mirror_main
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import export_run, real_records


def test_the_state_command_takes_its_options_after_the_subcommand_too(tmp_path: Path) -> None:
    state = tmp_path / "state"
    ledger = SqliteLedger(state, run_id="r")
    ledger.start_run()
    export_run(ledger, tmp_path / "f.jsonl", real_records())
    ledger.finish_run()
    ledger.close()
    before, after = tmp_path / "before.jsonl", tmp_path / "after.jsonl"
    assert state_main(["--state-dir", str(state), "export", "-O", str(before)]) == 0
    assert state_main(["export", "-O", str(after), "--state-dir", str(state)]) == 0
    assert after.read_bytes() == before.read_bytes() and before.read_bytes().count(b"\n") == len(real_records())


def test_an_option_given_before_the_subcommand_is_not_overwritten(tmp_path: Path) -> None:
    # no state in the default .scrapy/dwnews of tmp_path: the one given before `stats` must be used
    assert state_main(["--state-dir", str(tmp_path / "nowhere"), "stats"]) == 2


@pytest.mark.parametrize("command", [["demo", "--help"], ["serve", "--help"], ["--help"]])
def test_the_mirror_commands_describe_their_options(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        mirror_main(command)
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "usage: python -m dwnews.mirror" in text
    if command[0] == "demo":
        assert "--spider SPIDER  the spider to run" in text and "example:" in text


@pytest.mark.e2e
def test_every_bench_script_answers_help() -> None:
    root = Path(__file__).resolve().parents[2]
    scripts = sorted(p for p in (root / "bench").glob("*.py") if "__main__" in p.read_text("utf-8"))
    assert len(scripts) >= 10
    for script in scripts:
        done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "usage:" in done.stdout, (script.name, done.stderr[-500:])
