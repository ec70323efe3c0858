"""Recall, precision and F1 of the pseudonymiser on the labelled German test set.

Reads ``tests/nlp/data/pseudonymisation_de.yml`` (sentences with the expected spans as
kind + exact surface string), runs :class:`nlp.pseudonymize.Pseudonymiser` with the Düren
gazetteer and the name lists in ``data/names/``, and prints per type and overall:

* overlap scores: a predicted span is correct when its kind matches and it overlaps a
  gold span of that kind (each gold span is matched at most once);
* exact scores: start, end and kind must all match.

``--held-out`` scores ``pseudonymisation_de_heldout.yml`` instead (45 sentences written
after the rules were tuned and not used to tune them); ``--set NAME`` scores
``tests/nlp/data/pseudonymisation_de_NAME.yml`` (``families``: the name, phone, case-number
and birth-date families of issue 9, written before the rules were tuned for them;
``families_heldout``: written after tuning, scored once, then two rules changed for its
errors; ``families_heldout2``: written after that and never used to tune), ``--file PATH``
any file in the same format. Besides recall and precision it prints
*fully masked* (gold spans left without a visible letter or digit) and
*kept meaning*: the share of sentences without personal data that come back unchanged.
``--errors`` lists every miss and false alarm; ``--speed`` times the pseudonymiser on
the test sentences and the demo notes (notes per second, one core). Prints figures;
asserts nothing.

Usage:  python scripts/evaluate_pseudonymisation.py [--held-out | --set NAME | --file PATH] [--errors] [--speed]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.districts import Gazetteer  # noqa: E402
from nlp.pseudonymize import PLACEHOLDERS, PiiSpan, Pseudonymiser, load_name_lists  # noqa: E402

TEST_SET = REPO / "tests" / "nlp" / "data" / "pseudonymisation_de.yml"
HELD_OUT = REPO / "tests" / "nlp" / "data" / "pseudonymisation_de_heldout.yml"
GAZETTEER = REPO / "data" / "districts" / "dueren.yml"
NAMES = REPO / "data" / "names"
DEMO = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"


@dataclass(frozen=True)
class Example:
    text: str
    gold: tuple[PiiSpan, ...]


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_examples(path: Path = TEST_SET) -> list[Example]:
    """Examples with gold offsets derived by finding each surface string in order."""
    examples = []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        text, cursor, gold = item["text"], 0, []
        for kind, surface in item.get("pii") or []:
            if kind not in PLACEHOLDERS:
                raise ValueError(f"unknown kind {kind!r} in {text!r}")
            start = text.find(surface, cursor)
            if start < 0:
                raise ValueError(f"{surface!r} not found in {text!r} after offset {cursor}")
            gold.append(PiiSpan(start, start + len(surface), kind))
            cursor = start + len(surface)
        examples.append(Example(text, tuple(gold)))
    return examples


def build_pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(Gazetteer.from_yaml(GAZETTEER), load_name_lists(NAMES))


def score(
    examples: list[Example], predictions: list[list[PiiSpan]], exact: bool = False
) -> dict[str, Scores]:
    """Per-kind scores plus ``"overall"`` (micro-averaged over all spans)."""
    counts = {kind: [0, 0, 0] for kind in PLACEHOLDERS}
    for example, predicted in zip(examples, predictions, strict=True):
        unmatched = list(example.gold)
        for span in predicted:
            match = next((g for g in unmatched if _matches(span, g, exact)), None)
            if match is None:
                counts[span.kind][1] += 1
            else:
                counts[span.kind][0] += 1
                unmatched.remove(match)
        for g in unmatched:
            counts[g.kind][2] += 1
    result = {kind: Scores(*c) for kind, c in counts.items()}
    result["overall"] = Scores(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return result


def _matches(span: PiiSpan, gold: PiiSpan, exact: bool) -> bool:
    if span.kind != gold.kind:
        return False
    if exact:
        return (span.start, span.end) == (gold.start, gold.end)
    return span.start < gold.end and gold.start < span.end


def fully_masked(examples: list[Example], predictions: list[list[PiiSpan]]) -> float:
    """Share of gold spans whose letters and digits all lie inside predicted spans (of any kind).

    Stricter than overlap recall: "Maria" found in "Maria zu Stolberg" overlaps, but leaks
    the surname.
    """
    total = covered = 0
    for example, predicted in zip(examples, predictions, strict=True):
        for g in example.gold:
            total += 1
            inside = all(
                not example.text[i].isalnum() or any(p.start <= i < p.end for p in predicted)
                for i in range(g.start, g.end)
            )
            covered += inside
    return covered / total if total else 1.0


def kept_meaning(examples: list[Example], predictions: list[list[PiiSpan]]) -> float:
    """Share of the sentences without personal data where nothing was masked."""
    negatives = [p for e, p in zip(examples, predictions, strict=True) if not e.gold]
    return sum(1 for p in negatives if not p) / len(negatives) if negatives else 1.0


def _table(title: str, scores: dict[str, Scores]) -> str:
    lines = [title, f"{'type':<14}{'gold':>6}{'pred':>6}{'recall':>9}{'precision':>11}{'F1':>7}"]
    for kind, s in scores.items():
        lines.append(
            f"{kind:<14}{s.tp + s.fn:>6}{s.tp + s.fp:>6}{s.recall:>9.3f}{s.precision:>11.3f}{s.f1:>7.3f}"
        )
    return "\n".join(lines)


def _speed(pseudonymiser: Pseudonymiser, texts: list[str], label: str) -> None:
    # Steady state: compile patterns and load simplemma's German dictionary (about 1.5 s
    # once per process, shared with the lemmatiser) before the clock starts.
    pseudonymiser.pseudonymise_texts(texts)
    repeat = max(1, 20000 // max(len(texts), 1))
    batch = texts * repeat
    t0 = time.perf_counter()
    pseudonymiser.pseudonymise_texts(batch)
    seconds = time.perf_counter() - t0
    mean_len = sum(map(len, batch)) / len(batch)
    print(f"speed ({label}): {len(batch) / seconds:,.0f} notes/s, mean {mean_len:.0f} characters, {len(batch)} notes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list misses and false alarms")
    parser.add_argument("--speed", action="store_true", help="time the pseudonymiser (notes/s)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--held-out", action="store_true", help="score the held-out set instead")
    which.add_argument("--set", metavar="NAME", help="score tests/nlp/data/pseudonymisation_de_NAME.yml")
    which.add_argument("--file", type=Path, help="score any labelled YAML file in the same format")
    args = parser.parse_args()

    test_set = TEST_SET
    if args.held_out:
        test_set = HELD_OUT
    elif args.set:
        test_set = TEST_SET.with_name(f"pseudonymisation_de_{args.set}.yml")
    elif args.file:
        test_set = args.file.resolve()
    examples = load_examples(test_set)
    pseudonymiser = build_pseudonymiser()
    predictions = [pseudonymiser.find(e.text) for e in examples]
    n_negative = sum(1 for e in examples if not e.gold)
    shown = test_set.relative_to(REPO) if test_set.is_relative_to(REPO) else test_set
    print(f"{len(examples)} sentences ({n_negative} without personal data), {shown}\n")
    print(_table("overlap match (kind equal, spans overlap)", score(examples, predictions)))
    print()
    print(_table("exact match (kind, start and end equal)", score(examples, predictions, exact=True)))
    kept = kept_meaning(examples, predictions)
    print(f"\nfully masked: {fully_masked(examples, predictions):.3f} of gold spans leave no letter or digit")
    print(f"\nkept meaning: {kept:.3f} of {n_negative} sentences without personal data left unchanged")

    if args.errors:
        print("\nerrors (overlap match):")
        for example, predicted in zip(examples, predictions, strict=True):
            gold = {(g.kind, example.text[g.start : g.end]) for g in example.gold}
            pred = {(p.kind, example.text[p.start : p.end]) for p in predicted}
            missed = [g for g in example.gold if not any(_matches(p, g, False) for p in predicted)]
            alarms = [p for p in predicted if not any(_matches(p, g, False) for g in example.gold)]
            if missed or alarms or gold != pred:
                print(f"  {example.text}")
                for g in missed:
                    print(f"    MISSED  {g.kind:<13} {example.text[g.start:g.end]!r}")
                for p in alarms:
                    print(f"    FALSE   {p.kind:<13} {example.text[p.start:p.end]!r}")
                if not missed and not alarms:
                    print(f"    BOUNDS  gold {sorted(gold)} pred {sorted(pred)}")

    if args.speed:
        print()
        texts = [e.text for e in examples]
        _speed(pseudonymiser, texts, "test sentences")
        # typical 100-300 character notes: three test sentences joined
        _speed(pseudonymiser, [" ".join(texts[i : i + 3]) for i in range(0, len(texts) - 2)], "3 sentences joined")
        if DEMO.exists():
            import csv

            with DEMO.open(encoding="utf-8") as fh:
                demo = [row["text"] for row in csv.DictReader(fh)]
            _speed(pseudonymiser, demo, "demo notes")


if __name__ == "__main__":
    main()
