"""The commands part of the report, from saved results: the no-threshold ceiling and the table by voice."""

from bench import analysis, corpus, sections


def _part(stream, expected, hits):
    return {
        "stream": stream,
        "expected": expected,
        "texts": ["cancel the timer" if e else "stop by the shop" for e in expected],
        "speech_end": [float(i) for i in range(len(expected))],
        "hits": hits,
    }


def _results():
    heard = [[1.0, "cancel", -3.0, "cancel the timer", 0.1]]
    weak = [[1.0, "cancel", -6.0, "cancel the timer", 0.1]]
    wrong = [[1.0, "skip", -3.0, "skip", 0.1]]
    parts = [
        _part("commands-en-us-snr10", ["cancel"] * 4, [heard, heard, heard, weak]),
        _part("commands-en-gb-x-rp_f4-snr10", ["cancel"] * 4, [heard, wrong, weak, []]),
        _part("unrelated-snr10", ["", ""], [weak, []]),
    ]
    return {
        "meta": {"phrasings_source": "test", "n_phrasings": 1},
        "commands": {"snr10": {"snr_db": 10.0, "parts": parts, "cpu": [[1.0, 10.0]], "default_threshold": -4.5}},
    }


def test_voices_are_named_from_their_streams_and_scored_at_the_listeners_threshold():
    assert analysis.command_voices(_results()) == {"en-us": {"10 dB": 0.75}, "en-gb-x-rp+f4": {"10 dB": 0.25}}


def test_no_threshold_counts_every_report_whatever_its_score():
    (row,) = analysis.command_rows(_results())
    assert row.default.exact_intent == 4 / 8 and row.default.unrelated_accepted == 0.0
    # the weak reports count, the wrong one and the silence stay wrong: no threshold could reach more
    assert row.unthresholded.exact_intent == 6 / 8 and row.unthresholded.unrelated_accepted == 0.5


def test_the_commands_section_shows_the_ceiling_and_each_voice():
    text = "\n".join(sections.commands_section(_results()))
    assert "| 10 dB | 8 | 50.0 % |" in text and "| 75.0 % | 50.0 % | 10.0 % |" in text
    assert "| en-us | 75.0 % |" in text and "| en-gb-x-rp+f4 | 25.0 % |" in text


def test_a_command_streams_voice_reads_back_from_the_name_the_corpus_gave_it():
    for voice in ("en-us", "en-gb-x-rp+f4", "en-us-nyc+m3"):
        for snr in (None, 10.0, 5.0):
            assert corpus.command_stream_voice(corpus.command_stream_name(voice, snr)) == voice
    assert corpus.command_stream_voice("unrelated-snr10") is None
