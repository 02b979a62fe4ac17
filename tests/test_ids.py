"""Deterministic ids and draws: `stable_uuid`, `IdFactory` and each step's generator."""

from __future__ import annotations

import uuid
from random import Random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator._idcodec import IdCodec
from simulator._ids import IdFactory, StepDraws, order_rng, stable_uuid


class TestStableUuid:
    """Ids derived from their parts."""

    def test_is_a_version_4_uuid_and_a_function_of_its_parts(self) -> None:
        """The same parts give the same RFC 4122 version-4 text; other parts another."""
        made = stable_uuid(1, 0, "order", 5)
        assert uuid.UUID(made).version == 4
        assert str(uuid.UUID(made)) == made
        assert stable_uuid(1, 0, "order", 5) == made
        assert stable_uuid(1, 0, "order", 6) != made

    def test_the_factory_numbers_ids_per_kind(self) -> None:
        """Looked-up kinds get `IdCodec` ids; the others `stable_uuid(seed, epoch, kind, n)`."""
        ids = IdFactory(3, 2)
        assert ids.issue("order") == IdCodec(3, 2).make("order", 1)
        assert ids.issue("line") == stable_uuid(3, 2, "line", 1)
        assert ids.issue("order") == IdCodec(3, 2).make("order", 2)
        assert ids.counters == {"order": 2, "line": 1}
        assert ids.number_of("order", ids.codec.make("order", 2)) == 2
        assert ids.number_of("order", "not an id") == 0


class TestIdCodec:
    """Ids that read back to their number, and only in their own world and kind."""

    @given(st.integers(1, 2**60 - 1), st.integers(0, 2**32), st.integers(0, 50))
    def test_an_id_reads_back_to_its_number(self, number: int, seed: int, epoch: int) -> None:
        """`number(make(n))` is n, and the text is a canonical version-4 UUID."""
        codec = IdCodec(seed, epoch)
        made = codec.make("order", number)
        assert uuid.UUID(made).version == 4
        assert str(uuid.UUID(made)) == made
        assert codec.number("order", made) == number

    @given(st.integers(1, 10**9), st.integers(0, 2**32))
    def test_another_world_or_kind_reads_no_number(self, number: int, seed: int) -> None:
        """Another seed, epoch or kind does not read the id (beyond a 1 in 2**62 chance)."""
        made = IdCodec(seed, 0).make("order", number)
        assert IdCodec(seed + 1, 0).number("order", made) is None
        assert IdCodec(seed, 1).number("order", made) is None
        assert IdCodec(seed, 0).number("consumer", made) is None

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "order-1",
            None,
            17,
            "00000000-0000-4000-8000-000000000000",
            "zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz",
            "0123456789abcdef0123456789abcdef0123",
        ],
    )
    def test_anything_else_reads_no_number(self, text: object) -> None:
        """Malformed or unknown text is no id of this world (and never an error)."""
        assert IdCodec(0, 0).number("order", text) is None

    def test_a_changed_character_or_case_reads_no_number(self) -> None:
        """Every one-character change of an id, and its upper case, is refused."""
        codec = IdCodec(7, 0)
        made = codec.make("fulfillment", 12345)
        assert codec.number("fulfillment", made.upper()) is None
        for i, char in enumerate(made):
            if char == "-":
                continue
            other = "0" if char != "0" else "1"
            assert codec.number("fulfillment", made[:i] + other + made[i + 1 :]) is None

    def test_numbers_outside_sixty_bits_are_refused(self) -> None:
        """0 and 2**60 have no id."""
        for number in (0, 2**60):
            with pytest.raises(ValueError, match="outside"):
                IdCodec(0, 0).make("order", number)

    def test_consecutive_ids_look_unrelated(self) -> None:
        """Ids of consecutive numbers share no prefix beyond chance (they look random)."""
        codec = IdCodec(0, 0)
        made = [codec.make("order", n) for n in range(1, 2001)]
        assert len({m[:4] for m in made}) > 1500


class TestStepDraws:
    """The counter-based generator behind every operations step."""

    @given(st.integers(0, 2**32), st.text(max_size=40), st.sampled_from(["ship", "start"]))
    def test_draws_are_a_function_of_the_key(self, seed: int, order: str, step: str) -> None:
        """Two generators for one (seed, order, step) draw the same values."""
        a, b = order_rng(seed, order, step), order_rng(seed, order, step)
        assert [a.random() for _ in range(5)] == [b.random() for _ in range(5)]
        assert a.randint(1, 9) == b.randint(1, 9)
        assert a.getrandbits(130) == b.getrandbits(130)

    def test_other_keys_draw_other_values(self) -> None:
        """Orders and steps do not share draws."""
        firsts = {order_rng(0, f"order-{n}", step).random() for n in range(200) for step in "ab"}
        assert len(firsts) == 400

    def test_draws_are_uniform_enough(self) -> None:
        """A die rolled 60,000 times lands on each face about 10,000 times; floats average 1/2."""
        rng = StepDraws("uniformity")
        counts = [0] * 6
        for _ in range(60_000):
            counts[rng.randint(1, 6) - 1] += 1
        assert all(9_500 < count < 10_500 for count in counts)
        mean = sum(rng.random() for _ in range(100_000)) / 100_000
        assert 0.49 < mean < 0.51

    def test_random_is_in_the_unit_interval_and_bits_fit(self) -> None:
        """`random()` is in [0, 1); `getrandbits(k)` has at most k bits, for k past 64 too."""
        rng = StepDraws("bounds")
        assert all(0.0 <= rng.random() < 1.0 for _ in range(10_000))
        for k in (0, 1, 7, 64, 65, 200):
            assert rng.getrandbits(k) < 2**k
        with pytest.raises(ValueError, match="non-negative"):
            rng.getrandbits(-1)

    def test_state_round_trips_and_reseeding_is_refused(self) -> None:
        """`setstate(getstate())` replays the draws; a key fixes the seed for good."""
        rng = StepDraws("state")
        saved = rng.getstate()
        first = [rng.random() for _ in range(3)]
        rng.setstate(saved)
        assert [rng.random() for _ in range(3)] == first
        with pytest.raises(TypeError, match="seeded by its key"):
            rng.seed(5)

    @settings(max_examples=300)
    @given(st.text(max_size=40))
    def test_written_out_methods_draw_what_the_plain_forms_do(self, key: str) -> None:
        """Each method gives what its plain form over `_next64` gives, and leaves the same state.

        The plain forms: `random.Random`'s own `randrange`, `randint`, `choice` and `uniform`,
        `random()` as the top 53 bits of an output, and Lemire's method spelt out.
        """
        fast, plain = StepDraws(key), _PlainDraws(key)
        calls: list[tuple[str, tuple[Any, ...]]] = [
            ("random", ()),
            ("uniform", (4, 24)),
            ("randint", (0, 1)),
            ("randint", (2, 2)),
            ("randint", (1, 5)),
            ("randrange", (36**6,)),
            ("randrange", (10**17,)),
            ("randrange", (-5, 7)),
            ("randrange", (2**63 + 1,)),  # rejects nearly half the outputs
            ("randrange", (2**64,)),
            ("randrange", (2**70,)),  # past 64 bits: masked `getrandbits`
            ("randrange", (0, 10, 3)),  # a step: random.Random's own path
            ("choice", ("123456789",)),
            ("choices", ([1, 2, 3],)),
        ]
        for name, args in calls * 3:
            assert _outcome(getattr(fast, name), args) == _outcome(getattr(plain, name), args)
            assert fast.getstate() == plain.getstate()

    @pytest.mark.parametrize(
        ("name", "args"),
        [
            ("randrange", (0,)),
            ("randrange", (5, 2)),
            ("randrange", (3, None, 2)),
            ("randrange", (0, 10, 0)),
            ("randrange", (10, 0, -3)),
            ("randint", (3, 1)),
            ("randint", (True, 3)),
            ("choice", ("",)),
        ],
    )
    def test_odd_arguments_meet_random_randoms_answers(
        self, name: str, args: tuple[Any, ...]
    ) -> None:
        """What the fast paths do not take, `random.Random` answers, errors included."""
        fast, plain = StepDraws("odd"), _PlainDraws("odd")
        assert _outcome(getattr(fast, name), args) == _outcome(getattr(plain, name), args)

    def test_lemire_draws_again_below_the_threshold(self) -> None:
        """For n = 2**63 + 1 about half the outputs fall below 2**64 mod n and are drawn again."""
        n = 2**63 + 1
        used = []
        for k in range(200):
            rng = StepDraws(f"lemire-{k}")
            before = rng.getstate()[0]
            rng.randrange(n)
            used.append((rng.getstate()[0] - before) * pow(_GOLDEN, -1, 2**64) % 2**64)
        assert set(used) > {1, 2}
        assert 60 < used.count(1) < 140

    def test_small_ranges_are_uniform(self) -> None:
        """Each of 3, 5 and 9 values comes up about equally often."""
        rng = StepDraws("small")
        for n in (3, 5, 9):
            counts = [0] * n
            for _ in range(9_000 * n):
                counts[rng.randrange(n)] += 1
            assert all(8_500 < count < 9_500 for count in counts), (n, counts)

    def test_skip_passes_over_outputs(self) -> None:
        """`skip(n)` leaves the generator where n `random()` calls would."""
        skipped, drawn = StepDraws("skip"), StepDraws("skip")
        skipped.skip(2)
        drawn.random()
        drawn.random()
        assert skipped.random() == drawn.random()

    def test_below_needs_a_positive_bound(self) -> None:
        """`_randbelow(0)` is refused rather than looped on."""
        with pytest.raises(ValueError, match="n > 0"):
            StepDraws("zero")._randbelow(0)


_GOLDEN = 0x9E3779B97F4A7C15
"""SplitMix64's increment: the state moves by it once per output."""


class _PlainDraws(StepDraws):
    """StepDraws with only `_next64` of its own: the plain forms of what it writes out."""

    def random(self) -> float:
        return (self._next64() >> 11) * (1.0 / 9007199254740992.0)

    def _randbelow(self, n: int) -> int:
        if n > 2**64:
            below: int = Random._randbelow_with_getrandbits(self, n)  # type: ignore[attr-defined]
            return below
        while True:
            product = self._next64() * n
            if product % 2**64 >= 2**64 % n:
                return product >> 64

    randrange = Random.randrange
    randint = Random.randint
    uniform = Random.uniform
    choice = Random.choice


def _outcome(method: Any, args: tuple[Any, ...]) -> tuple[str, Any]:
    """A call's value, or the type of error it raised."""
    try:
        return ("value", method(*args))
    except (TypeError, ValueError, IndexError) as error:
        return ("error", type(error))
