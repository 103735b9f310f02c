"""Kubernetes resource quantities ("500m", "2Gi", "1e3")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

QUANTITY_RE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_SUFFIX = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3, "M": Decimal(10) ** 6, "G": Decimal(10) ** 9, "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15, "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10, "Mi": Decimal(2) ** 20, "Gi": Decimal(2) ** 30, "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50, "Ei": Decimal(2) ** 60,
}


def parse(value) -> Decimal:
    """The quantity as a Decimal; ValueError when it is not one."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    if not isinstance(value, str):
        raise ValueError(value)
    m = QUANTITY_RE.match(value)
    if not m:
        raise ValueError(value)
    number, suffix = m.groups()
    try:
        n = Decimal(number)
    except InvalidOperation:
        raise ValueError(value)
    if suffix in _SUFFIX:
        return n * _SUFFIX[suffix]
    e = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if e:
        return n * (Decimal(10) ** int(e.group(1)))
    raise ValueError(value)
