"""Deterministic ids and draws: `stable_uuid`, `IdFactory` and each step's generator."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
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
