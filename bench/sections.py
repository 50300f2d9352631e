"""The report's sections: commands, resources, conditions (wake sections are in wake_sections)."""

from __future__ import annotations

from typing import Any

from bench import analysis
from bench.analysis import snr_name
from bench.mdtable import pct, table, thr


def commands_section(results: dict[str, Any]) -> list[str]:
    rows = analysis.command_rows(results)
    if not rows:
        return []
    body = [
        [
            r.condition,
            str(r.default.n_commands),
            pct(r.default.exact_intent),
            pct(r.default.exact_text),
            pct(r.default.rejected),
            f"{pct(r.default.unrelated_accepted)} of {r.default.n_unrelated}",
            thr(r.tuned.threshold),
            pct(r.tuned.exact_intent),
            pct(r.tuned.unrelated_accepted),
            pct(r.unthresholded.exact_intent),
            pct(r.unthresholded.unrelated_accepted),
            pct(r.cpu_share),
        ]
        for r in rows
    ]
    lines = [
        "## Commands",
        "",
        f"Phrasings from {results['meta']['phrasings_source']} ({results['meta']['n_phrasings']} phrasings). "
        '"default": the listener\'s own threshold. "tuned": the lowest threshold that keeps unrelated '
        'acceptance at or below 2 %, chosen on this data (optimistic). "no threshold": every report the '
        "listener made, whatever its score: no threshold can do better than this.",
        "",
        *table(
            [
                "noise",
                "commands",
                "exact intent",
                "exact text",
                "rejected",
                "unrelated accepted",
                "tuned threshold",
                "exact intent (tuned)",
                "unrelated (tuned)",
                "exact intent (no threshold)",
                "unrelated (no threshold)",
                "CPU",
            ],
            body,
        ),
        "",
        "![Commands](commands.png)",
        "",
    ]
    voices = analysis.command_voices(results)
    if voices:
        conditions = [r.condition for r in rows]
        lines += ["Exact intent by voice (the listener's own threshold):", ""]
        lines += table(
            ["voice", *conditions],
            [[voice, *(pct(by[c]) if c in by else "" for c in conditions)] for voice, by in voices.items()],
        )
        lines += [""]
    cond = "10 dB" if any(r.condition == "10 dB" for r in rows) else rows[0].condition
    key = next((k for k, v in results["commands"].items() if snr_name(v["snr_db"]) == cond), None)
    accepted, wrong = analysis.command_errors(results, key) if key else ([], [])
    if accepted:
        lines += [f"Unrelated sentences most often taken as commands ({cond}):", ""]
        lines += table(["sentence", "heard as", "times"], [[t, h, str(n)] for (t, h), n in accepted]) + [""]
    if wrong:
        lines += [f"Commands most often missed or misheard ({cond}):", ""]
        lines += table(["said", "intent", "heard as", "times"], [[t, i, h, str(n)] for (t, i, h), n in wrong])
        lines += [""]
    return lines


def resources_section(results: dict[str, Any]) -> list[str]:
    res = results.get("resources")
    if not res:
        return []
    body = [
        [
            k,
            f"{v['audio_seconds']:.0f} s",
            pct(v["cpu_share"]),
            f"{v['rtf']:.3f}",
            f"{v['setup_seconds']:.2f} s",
            str(v["detections"]),
        ]
        for k, v in res.get("load", {}).items()
    ]
    lines = [
        "## Resources",
        "",
        *table(
            [
                "listening to",
                "audio",
                "CPU (one core)",
                "real-time factor",
                "recognizer set-up",
                "wake reports",
            ],
            body,
        ),
        "",
    ]
    cli = res.get("cli", {})
    if "command" in cli:
        cmd = " ".join(cli["command"][1:]).replace(str(cli["command"][4]), "INPUT.wav")
        first = cli["first_line_seconds"]
        lines += [
            f"`python {cmd}` on {cli.get('input_seconds', 0):.0f} s of speech: first output line after "
            f"{'n/a' if first is None else f'{first:.2f} s'} (`{cli['first_line'][:80]}`), finished in "
            f"{cli['total_seconds']:.2f} s, CPU {cli['cpu_seconds']:.2f} s, "
            f"peak RSS {cli['peak_rss_mb']:.0f} MB, "
            f"exit code {cli['returncode']}.",
            "",
        ]
        if cli["returncode"] != 0:
            lines += [f"stderr: `{cli['stderr_tail'][-200:]}`", ""]
    elif "error" in cli:
        lines += [f"The CLI could not be run: {cli['error']}", ""]
    for label in ("10 dB", "clean"):
        lat = analysis.latency_summary(
            results,
            next((k for k, v in results.get("commands", {}).items() if snr_name(v["snr_db"]) == label), ""),
        )
        if lat:
            lines += [
                f"Response latency, commands at {label} ({lat['n']} right answers): end of speech to the "
                f"listener's answer = endpointing wait (audio time) {lat['wait_p50']:.2f} s median, "
                f"{lat['wait_p90']:.2f} s 90th pct. + computation (wall time) "
                f"{1000 * lat['compute_p50']:.0f} ms median, {1000 * lat['compute_p90']:.0f} ms 90th pct. "
                "The reply's first sound adds the start of "
                "playback (replies are cached WAV files).",
                "",
            ]
            break
    return lines


def conditions_section(results: dict[str, Any]) -> list[str]:
    meta = results["meta"]
    plan = meta["plan"]
    t = meta.get("timings_seconds", {})
    caps = ", ".join(
        f"{'all' if m is None else f'{m:g} min'} at {snr:g} dB"
        for snr, m in zip(plan["wake_snrs_db"], plan["wake_background_minutes"], strict=True)
    )
    return [
        "## Conditions",
        "",
        f"- Run: {meta['mode']} mode, {meta['date']}, engine `{meta['engine']}`, "
        f"seed {meta['seed']}, {meta['machine']}, {meta['cpus']} CPUs, "
        f"pocketsphinx {meta['pocketsphinx']}; "
        f"took {t.get('total', 0) / 60:.1f} min (decoding {t.get('decode', 0) / 60:.1f} min).",
        "- Wake streams: for each keyword folder of the shared real recordings, the clips spread evenly "
        "between background utterances with 0.5-2 s gaps. Background: every real non-wake recording "
        "(near-miss phrases, telephone prompts, CMU test sentences, digits) and the everyday prose of "
        "`bench/texts/background.txt` spoken by espeak-ng in 3 voice/speed pairs per paragraph. "
        f"Keywords: {', '.join(plan['wake_folders'])}; clips per keyword: "
        f"{', '.join(str(c or 'all') for c in plan['clips_per_keyword'])} (by noise level); background speech "
        f"per keyword stream: {caps}.",
        "- Noise: random stretches of the kitchen, running-tap and dish-washing recordings. Each utterance "
        "is scaled so that its active-speech level (20 ms frames within 25 dB of the loud frames) is exactly "
        "the SNR above the noise under it; a -60 dBFS floor is always present (clean = floor only).",
        "- A wake report counts for a clip from 0.5 s before it to 2.5 s after it; any other report is a "
        "false alarm. Scores are swept after one permissive run (higher = more confident).",
        f"- Commands: each phrasing in {len(plan['command_voices'])} espeak-ng voices x "
        f"{len(plan['command_speeds_wpm'])} speeds ({', '.join(map(str, plan['command_speeds_wpm']))} wpm) at "
        f"{', '.join(analysis.snr_name(s) for s in plan['command_all_speeds_at_db'])}, the middle speed only in "
        f"the other conditions; 1-1.5 s apart; unrelated sentences from `bench/texts/unrelated.txt`, "
        f"{plan['unrelated_renderings']} voice/speed pair(s) each. A command counts for the utterance it "
        "falls in (0.3 s before it to 3 s after it); the first report decides.",
        "- CPU share = process CPU time / audio time while the listener runs on a stored stream; peak memory "
        "and start-up from a separate `detect` process.",
        "",
    ]
