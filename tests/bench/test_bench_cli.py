"""The benchmark command end to end on a tiny subset, with the real listener."""

import json

from bench import analysis
from bench.cli import main
from bench.scenes import SHARED_AUDIO

AUDIO = SHARED_AUDIO


def test_tiny_benchmark_run_writes_report_plot_and_results(tmp_path, capsys):
    work, docs = tmp_path / "work", tmp_path / "docs"
    code = main(
        [
            "--quick",
            "--work",
            str(work),
            "--docs",
            str(docs),
            "--audio",
            str(AUDIO),
            "--workers",
            "1",
            "--sections",
            "wake",
            "--keywords",
            "hey_computer",
            "--clips",
            "4",
            "--background-minutes",
            "0.5",
        ]
    )
    assert code == 0
    results = json.loads((work / "results-quick.json").read_text())
    (entry,) = results["wake"]
    assert entry["folder"] == "hey_computer" and len(entry["targets"]) == 4
    (row,) = analysis.wake_rows(results)
    assert row.n_clips == 4 and 0 < row.background_hours < 0.02
    text = (docs / "benchmarks.md").read_text()
    assert "| hey_computer | 10 dB | 4 |" in text and "PocketSphinx (published) | 10 dB |  |  | 52.0 %" in text
    assert (docs / "det_wake.png").read_bytes()[:4] == b"\x89PNG"
    assert "wake hey_computer" in capsys.readouterr().out
    # the report can be redrawn from the saved results without decoding again
    assert main(["--quick", "--report-only", "--work", str(work), "--docs", str(docs)]) == 0


def test_bad_arguments_give_one_line_errors(tmp_path, capsys):
    assert main(["--quick", "--work", str(tmp_path), "--keywords", "siri"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: --keywords: unknown folder 'siri'")
    assert main(["--report-only", "--work", str(tmp_path / "none")]) == 2
    assert "no saved results" in capsys.readouterr().err
