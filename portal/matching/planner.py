"""一键对接方案: the capacity-aware assignment of open needs to offers with the largest total score.

Each offer is copied once per free place and the needs × places score matrix is solved as a
rectangular assignment problem (Hungarian method, scipy's linear_sum_assignment). Pairs a hard
filter forbids score 0, so the solver may pick them only where nothing better exists, and they are
dropped afterwards: what remains is a maximum-weight matching that never exceeds a capacity.
"""
from __future__ import annotations

from dataclasses import dataclass

from .scoring import History, Match, NeedInfo, OfferInfo, score


@dataclass
class Plan:
    matches: list[Match]

    @property
    def total(self) -> int:
        return sum(m.score for m in self.matches)


def candidate_edges(needs, offers, history: History) -> dict[tuple[int, int], Match]:
    edges = {}
    for need in needs:
        for offer in offers:
            match = score(need, offer, history)
            if match is not None:
                edges[(need.id, offer.id)] = match
    return edges


def optimal(needs: list[NeedInfo], offers: list[OfferInfo], history: History = History(), edges=None) -> Plan:
    import numpy as np  # heavy: loaded only when a plan is made
    from scipy.optimize import linear_sum_assignment

    edges = candidate_edges(needs, offers, history) if edges is None else edges
    if not edges:
        return Plan([])
    rows = sorted({n for n, _ in edges})
    row_of = {n: i for i, n in enumerate(rows)}
    wanted = {}
    for _, o in edges:
        wanted[o] = wanted.get(o, 0) + 1
    columns = []  # one per usable place; more places than needs that could use them is pointless
    for offer in offers:
        columns += [offer.id] * min(offer.free, wanted.get(offer.id, 0))
    col_of = {}
    for j, o in enumerate(columns):
        col_of.setdefault(o, []).append(j)
    weights = np.zeros((len(rows), len(columns)))
    for (n, o), match in edges.items():
        weights[row_of[n], col_of[o]] = match.score
    picked_rows, picked_cols = linear_sum_assignment(weights, maximize=True)
    matches = [edges[(rows[i], columns[j])] for i, j in zip(picked_rows, picked_cols, strict=True)
               if weights[i, j] > 0]
    return Plan(sorted(matches, key=lambda m: (-m.score, m.need_id)))


def greedy(needs: list[NeedInfo], offers: list[OfferInfo], history: History = History(), edges=None) -> Plan:
    """The baseline a person would do: take the best remaining pair until none fits."""
    edges = candidate_edges(needs, offers, history) if edges is None else edges
    free = {o.id: o.free for o in offers}
    taken, matches = set(), []
    for match in sorted(edges.values(), key=lambda m: (-m.score, m.need_id, m.offer_id)):
        if match.need_id not in taken and free[match.offer_id] > 0:
            taken.add(match.need_id)
            free[match.offer_id] -= 1
            matches.append(match)
    return Plan(matches)
