"""The companion: one state machine on the audio clock that listens, runs activities and speaks."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from voice_companion import events
from voice_companion.actions import Action, Activity, Chime, Done, Emit, OpenListening, Output, Say
from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.intents import Intent, IntentName
from voice_companion.listener import Heard, Mode
from voice_companion.numbers import spoken_duration
from voice_companion.phrases import Phrasebook
from voice_companion.reminders import Reminders
from voice_companion.segmenter import Utterance
from voice_companion.speaker_queue import SpeakerQueue
from voice_companion.text_listener import AnyListener
from voice_companion.timers import KINDS, judge_length, timer_for
from voice_companion.tones import chime, listening_tone
from voice_companion.voice import Voice

_LOGGER = logging.getLogger(__name__)

# Words a minute per "slower" or "faster"; keyed by str, as Intent.name is.
SPEECH_RATE_STEPS: dict[str, int] = {IntentName.SLOWER: -20, IntentName.FASTER: 20}
MIN_RATE_WPM, MAX_RATE_WPM = 105, 225
# Commands that steer a ritual; with nothing running they get a short, friendly answer.
RITUAL_CONTROLS = frozenset({IntentName.NEXT, IntentName.SKIP, IntentName.PAUSE, IntentName.RESUME, IntentName.SWAP,
                             IntentName.DEEPER, IntentName.READY, IntentName.YES, IntentName.NO})  # fmt: skip


ActivityFactory = Callable[[Intent], Activity | None]


class Companion:
    """Feed it 20 ms frames; it emits events and returns what to play and when."""

    def __init__(
        self,
        listener: AnyListener,
        voice: Voice,
        phrases: Phrasebook,
        emit: Callable[[events.Event], None],
        rng: random.Random,
        command_window_seconds: float = 6.0,
        activity_factory: ActivityFactory | None = None,
        answerer: Callable[[Intent, float], str | None] | None = None,
        reminders: Reminders | None = None,
    ) -> None:
        self.listener = listener
        self.voice = voice
        self.phrases = phrases
        self._emit = emit
        self.rng = rng
        self.command_window_seconds = command_window_seconds
        self._activity_factory = activity_factory
        self._answerer = answerer
        self.reminders = reminders
        # What "yes" starts, until yes, no, another command or silence: a ritual a reminder offered, or a
        # long hug or timer said back ("A hug for five minutes? Say yes to start it.")
        self._offer: Intent | None = None
        self.activity: Activity | None = None
        self.speaker = SpeakerQueue()
        self.open_until = -1.0
        self._hushed_until = -1.0  # the window opened by a wake phrase that cut the device off
        self._open_after_speech = 0.0
        self._last_said: str | None = None
        self._chime = chime()
        self._tone = listening_tone()
        self.now = 0.0

    # ---- the audio clock -------------------------------------------------------------------------
    def process(self, frame: AudioChunk) -> list[Output]:
        self.speaker.out = []
        self.now = frame.end_seconds
        self._notify_speech_done(frame.end_seconds)
        if self._offer is not None and self.now > self.open_until and not self.speaker.pending:
            self._offer = None  # no answer is an answer too: a reminder is not asked again today
        if self.activity is not None:
            self._apply(self.activity.tick(frame.end_seconds), frame.end_seconds)
            self._notify_speech_done(frame.end_seconds)
        heard = self.listener.process(frame, self.mode_for)
        talking = self.listener.in_speech and not self._hears_itself(frame.end_seconds)
        if self.activity is not None and talking:
            self.activity.on_voice(frame.end_seconds)
        if heard is not None:
            self._on_heard(heard)
        elif self.reminders is not None:
            self._remind(frame.end_seconds)
        return self.speaker.take()

    @property
    def idle(self) -> bool:
        return self.activity is None and self.speaker.audio_until <= self.now and not self.listener.in_speech

    def _remind(self, now: float) -> None:
        assert self.reminders is not None
        offer = self.reminders.tick(now, self.idle and self._offer is None)
        if offer is not None:
            ritual, text = offer
            self._offer = Intent(IntentName.START_RITUAL, {"ritual": ritual}, "")
            self._emit(events.Reminder(now, ritual))
            self.say(text)
            self._open_after_speech = self.command_window_seconds

    def _hears_itself(self, now: float) -> bool:
        return self.speaker.hears_itself(now)

    def mode_for(self, utterance: Utterance) -> Mode:
        """The grammar an utterance is judged by, from when it was spoken."""
        if self.speaker.overlaps_speech(utterance.speech_start_seconds, utterance.speech_end_seconds):
            return Mode.SPEAKING
        running = self.activity is not None
        if utterance.speech_start_seconds <= self.open_until:
            if running:
                return Mode.ANSWER
            return Mode.ASKED if self._offer is not None else Mode.OPEN
        return Mode.ACTIVITY if running else Mode.WAKE

    def _notify_speech_done(self, now: float) -> None:
        while self.speaker.pending and self.speaker.audio_until <= now:
            self.speaker.pending = False
            done_at = self.speaker.audio_until
            if self._open_after_speech:
                self.open_until = done_at + self._open_after_speech
                self._open_after_speech = 0.0
            if self.activity is not None:
                self._apply(self.activity.on_speech_done(done_at), done_at)

    # ---- output --------------------------------------------------------------------------------------
    def say(self, text: str, at: float | None = None) -> None:
        self.speaker.send()
        samples = self.voice.synthesize(text)
        start = self.speaker.play(samples, self.now if at is None else at)
        self.speaker.send()
        self._last_said = text
        self._emit(events.Say(start, text, round(len(samples) / SAMPLE_RATE, 3)))

    def say_key(self, key: str, **slots: object) -> None:
        self.say(self.phrases.choose(key, self.rng, **slots))

    def interrupt(self, at: float) -> None:
        if self.speaker.stop(at):
            self._emit(events.SpeechInterrupted(at))

    # ---- actions from activities ------------------------------------------------------------------
    def _apply(self, actions: list[Action], now: float) -> None:
        for action in actions:
            if isinstance(action, Say):
                self.say(action.text)
            elif isinstance(action, Chime):
                start = self.speaker.play(
                    self._chime, now if action.at_seconds is None else action.at_seconds, speech=False
                )
                self._emit(events.Chime(start, round(len(self._chime) / SAMPLE_RATE, 3)))
            elif isinstance(action, Emit):
                self._emit(action.event)
            elif isinstance(action, OpenListening):
                self._open_after_speech = action.seconds
                if not self.speaker.pending:
                    self.open_until = now + action.seconds
            elif isinstance(action, Done):
                self.activity = None

    # ---- what was heard -----------------------------------------------------------------------------
    def _on_heard(self, heard: Heard) -> None:
        now = heard.t
        was_talking = self.speaker.audio_until > now
        if heard.wake_phrase is not None:
            self._emit(events.Wake(heard.wake_end_seconds or now, heard.wake_phrase))
            self.interrupt(now)
        if heard.intent is None:
            start = self.speaker.play(self._tone, now, speech=False)
            self.open_until = start + len(self._tone) / SAMPLE_RATE + self.command_window_seconds
            if was_talking:
                self._hushed_until = self.open_until
            return
        intent = heard.intent
        if self._too_unsure_to_end(heard):
            _LOGGER.info("%r without the wake phrase and unsure (%.2f): the ritual goes on", intent.text, heard.score)
            return
        self.open_until = -1.0
        self._emit(events.Command(now, intent.name, intent.text))
        if intent.name == IntentName.CANCEL and self.activity is None and now <= self._hushed_until:
            return  # "hey companion" cut it off, then "stop": it is quiet already; "nothing's running" is one too many
        if intent.name == IntentName.CANCEL and was_talking:
            self.interrupt(now)
            if self.activity is None or heard.wake_phrase is None:
                # a bare "stop" over its own voice means just that: be quiet. Ending a ritual takes the
                # wake phrase too, so a clatter or a word heard as "stop" mid-line never ends the evening.
                return
        self.handle(intent, now)

    def _too_unsure_to_end(self, heard: Heard) -> bool:
        """Ending a ritual from an answer window (no wake phrase) takes the certainty of a wake phrase:
        "we're ready" once decoded as "that's enough" and ended an evening."""
        assert heard.intent is not None
        return (
            self.activity is not None
            and heard.wake_phrase is None
            and heard.intent.name in (IntentName.ENOUGH, IntentName.CANCEL)
            and not heard.sure
        )

    def handle(self, intent: Intent, now: float) -> None:
        offer, self._offer = self._offer, None  # any other command drops the offer
        if offer is not None and intent.name == IntentName.YES:
            said_back = {"said_back": True} if offer.name in KINDS else {}
            self.handle(Intent(offer.name, {**offer.slots, **said_back}, intent.text), now)
            return
        if offer is not None and intent.name == IntentName.NO:
            if offer.name == IntentName.START_RITUAL and self.reminders is not None:
                self.say(self.reminders.declined(str(offer.slots["ritual"]), now))
            else:
                self.say_key("common.not_started")
            return
        if self.activity is not None:
            actions = self.activity.on_intent(intent, now)
            if actions is not None:
                self._apply(actions, now)
                return
        if intent.name == IntentName.REPEAT:
            if self._last_said:
                self.say(self._last_said)
            else:
                self.say_key("common.nothing_to_repeat")
        elif intent.name == IntentName.TIME_LEFT:
            left = self.activity.time_left(now) if self.activity is not None else None
            if left is None:
                self.say_key("common.nothing_running")
            else:
                self.say_key("common.time_left", duration=spoken_duration(max(1.0, round(left))))
        elif self._answerer is not None and (reply := self._answerer(intent, now)) is not None:
            self.say(reply)
        elif intent.name == IntentName.HELP:
            self.say_key("common.help")
        elif intent.name in (IntentName.CANCEL, IntentName.ENOUGH):
            if self.activity is None:
                self.say_key("common.nothing_running")
        elif intent.name in SPEECH_RATE_STEPS:
            self._change_rate(intent.name)
        elif intent.name in RITUAL_CONTROLS and self.activity is None:
            self.say_key("common.nothing_to_control")
        else:
            self._start(intent, now)

    def _change_rate(self, name: str) -> None:
        """Slower or faster speech, within limits a listener across the room can follow."""
        rate = self.voice.rate_wpm + SPEECH_RATE_STEPS[name]
        if not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
            self.say_key(f"common.{name}_limit")
            return
        self.voice.rate_wpm = rate
        self._emit(events.SpeechRate(self.now, rate))
        self.say_key(f"common.{name}")

    def _start(self, intent: Intent, now: float) -> None:
        if self.activity is not None:
            self.say_key("common.busy")
            return
        if self._says_back(intent):
            return
        activity = self._make_activity(intent)
        if activity is None:
            self.say_key("common.not_yet")
            return
        self.activity = activity
        self._apply(activity.start(now), now)

    def _says_back(self, intent: Intent) -> bool:
        """A length that cannot be timed is said so; a long one is said back for a yes first."""
        seconds = intent.slots.get("seconds")
        if intent.name not in KINDS or not isinstance(seconds, float) or intent.slots.get("said_back"):
            return False
        verdict = judge_length(KINDS[intent.name], seconds)
        if verdict == "say_back":  # "A hug for five minutes? Say yes to start it."
            self._offer = intent
            self.say_key("common.say_back", what=KINDS[intent.name], duration=spoken_duration(seconds))
            self._open_after_speech = self.command_window_seconds
        elif verdict is not None:
            self.say_key(f"common.{verdict}")  # "I can time up to three hours."
        return verdict is not None

    def _make_activity(self, intent: Intent) -> Activity | None:
        if intent.name == IntentName.TAKE_BREAK:
            intent = Intent(IntentName.START_RITUAL, {"ritual": "break"}, intent.text)
        timer = timer_for(intent, self.phrases, self.rng)
        if timer is not None:
            return timer
        return self._activity_factory(intent) if self._activity_factory else None

    def shutdown(self, now: float) -> None:
        """End a running activity as not completed (Ctrl-C, end of the input file)."""
        if self.activity is not None:
            self._apply(self.activity.abort(now), now)
            self.activity = None
