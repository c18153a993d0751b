"""People in the demo data: partnership references (ECINS-like) and fake personal details.

A person is an integer id. Its shared reference is "ECN-" and seven digits, drawn without
repetition so ids do not show through. Personal details (name, phone, e-mail, home address) are
built from small built-in lists, derived from a hash of the reference so a person keeps the same
details in every export (without the reference showing through); phone numbers are in Ofcom's drama range (07700 900xxx) and e-mail domains are the
reserved example.* ones, so no value can belong to a real person.
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FIRST = ("Alex", "Amy", "Ben", "Chloe", "Dan", "Ella", "Fiona", "Gary", "Hannah", "Ian", "Jade",
         "Karen", "Liam", "Megan", "Nadia", "Owen", "Priya", "Ryan", "Sophie", "Tom", "Usha", "Vicky",
         "Wayne", "Yusuf", "Zoe", "Derek", "Brenda", "Colin", "Dawn", "Graham", "Jean", "Keith",
         "Lesley", "Martin", "Paula", "Stuart", "Tracey", "Aleksander", "Agnieszka", "Marek")
LAST = ("Smith", "Jones", "Taylor", "Brown", "Wilson", "Johnson", "Walker", "Wright", "Robinson",
        "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Lewis", "Martin",
        "Jackson", "Clarke", "Clark", "Turner", "Hill", "Scott", "Cooper", "Morris", "Ward", "Moore",
        "King", "Watson", "Baker", "Harrison", "Morgan", "Patel", "Young", "Allen", "Mitchell",
        "Bennett", "Kowalski")
HOME_STREETS = ("Acacia Avenue", "Birch Close", "Cedar Road", "Elm Grove", "Hawthorn Way",
                "Laburnum Street", "Maple Drive", "Poplar Row", "Rowan Court", "Willow Walk")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
# Home towns per authority (authorities.CODES order), for the fake home addresses.
TOWNS = ("Ripley", "Shirebrook", "Chesterfield", "Derby", "Matlock", "Ilkeston", "Buxton",
         "Dronfield", "Swadlincote")
class People:
    """Reference numbers for person ids 0..n-1 and their derived personal details."""

    def __init__(self, rng: np.random.Generator, n: int, home_authority: np.ndarray):
        self.number = rng.choice(10**7 - 1, size=n, replace=False).astype(np.int64) + 1
        self.home_authority = home_authority
        self._per_person: dict[str, pa.Array] = {}  # computed once (millions of people at scale 55)
        self._lock = threading.Lock()  # files are formatted in several threads

    def _once(self, name: str, make) -> pa.Array:
        with self._lock:
            if name not in self._per_person:
                self._per_person[name] = make()
            return self._per_person[name]

    def __len__(self) -> int:
        return len(self.number)

    def refs(self, ids: np.ndarray) -> pa.Array:
        """Shared references for ids; null where the id is negative (anonymous)."""
        refs = self._once("refs", lambda: pc.binary_join_element_wise(
            "ECN-", pc.utf8_lpad(pc.cast(pa.array(self.number), pa.string()), 7, "0"), ""))
        return refs.take(_masked(ids))

    def case_refs(self, ids: np.ndarray, prefix: str) -> pa.Array:
        """A case reference per person (all of one person's reports to one agency form a case)."""
        digits = self._once("case", lambda: pc.cast(pa.array(_mix(self.number, 48_271) % 900_000 + 100_000),
                                                    pa.string()))
        return pc.binary_join_element_wise(prefix, digits.take(_masked(ids)), "")

    def personal(self, ids: np.ndarray, what: str) -> pa.Array:
        """One fake personal-data column (what: _name, _phone, _email or _address) for the given ids."""
        idx = _masked(ids)
        num = pc.take(self._once("hash", lambda: pa.array(_mix(self.number, 2_654_435_761))), idx)

        def first_last():
            return (pa.array(FIRST).take(pc.remainder(num, len(FIRST))),
                    pa.array(LAST).take(pc.remainder(pc.divide(num, 41), len(LAST))))

        if what == "_name":
            return pc.binary_join_element_wise(*first_last(), " ")
        if what == "_phone":
            return pc.binary_join_element_wise("07700 900", _digits(pc.remainder(num, 1000), 3), "")
        if what == "_email":
            user = pc.utf8_lower(pc.binary_join_element_wise(*first_last(), "."))
            domain = pa.array(EMAIL_DOMAINS).take(pc.remainder(num, len(EMAIL_DOMAINS)))
            return pc.binary_join_element_wise(user, _digits(pc.remainder(num, 97), 2), "@", domain, "")
        if what == "_address":
            house = pc.cast(pc.add(pc.remainder(num, 180), 1), pa.string())
            street = pa.array(HOME_STREETS).take(pc.remainder(pc.divide(num, 7), len(HOME_STREETS)))
            town = pa.array(TOWNS).take(self._once("home", lambda: pa.array(self.home_authority)).take(idx))
            return pc.binary_join_element_wise(pc.binary_join_element_wise(house, street, " "), town, ", ")
        raise ValueError(f"unknown personal field {what!r}")


def _mix(numbers: np.ndarray, factor: int) -> np.ndarray:
    """A fixed scramble of reference numbers (multiplicative hash modulo a prime)."""
    return (numbers.astype(np.int64) * factor + 97) % 4_294_967_291


def _masked(ids: np.ndarray) -> pa.Array:
    ids = np.asarray(ids)
    return pa.array(np.where(ids < 0, 0, ids), mask=ids < 0)


def _digits(values: pa.Array, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(values, pa.string()), width, "0")
