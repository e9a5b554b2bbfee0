"""The seeded 64-bit hash every generated value of the sandbox derives from."""

from __future__ import annotations

MASK64 = (1 << 64) - 1


def mix(value: int) -> int:
    """splitmix64: a fast, well-spread 64-bit hash."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def seeded_hash(seed: int, *parts: int) -> int:
    """A hash of ``parts`` under ``seed``: the same parts give the same value for one seed."""
    value = seed
    for part in parts:
        value = mix((value * 1_000_003) ^ part)
    return value
