"""The global steps, in order: dedup → department classifier → split (and nested-subset
ranks) → test-question index. Each is a block declaring the per-record columns it reads and
writes (dataprep/columns.py), run the same way by both executors; text comes from streaming
the spool, near-duplicate pairs from the executor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dataprep.classifier import NaiveBayes
from dataprep.columns import BlockColumns, GlobalBlock, GlobalContext, check_order, run_blocks
from dataprep.contamination import NgramIndex
from dataprep.deptguess import (
    AllScores,
    DepartmentGuesser,
    calibrate,
    familiarity_floor,
    split_scores,
)
from dataprep.spool import predict
from dataprep.steps.base import StepStats
from dataprep.steps.dedup import deduplicate, spool_verifier
from dataprep.steps.department import UNKNOWN
from dataprep.steps.split import (
    SplitParams,
    assign_splits,
    leakage_groups,
    order_keys,
    subset_order,
)
from dataprep.taxonomy import Taxonomy

# Why a record was dropped by a global step (0: kept).
EXACT, NEAR, OVERLAPS_TEST = 1, 2, 3
GLOBAL_REASONS = {
    EXACT: ("dedup", "exact_duplicate"),
    NEAR: ("dedup", "near_duplicate"),
    OVERLAPS_TEST: ("decontaminate", "overlaps_test"),
}


@dataclass
class GlobalResult:
    """Per-record outcome of the global steps, and their statistics."""

    keep: np.ndarray
    reason: np.ndarray
    related: np.ndarray  # the record a dropped one duplicates / overlaps (-1: none)
    code: np.ndarray  # final department code (-1: none)
    predicted: np.ndarray
    split: np.ndarray  # 0 train, 1 val, 2 test, -1 dropped
    rank: np.ndarray  # nested-subset rank of train records (-1: not train)
    subsets: list[tuple[str, int]]
    dedup: StepStats = field(default_factory=StepStats)
    department: dict[str, Any] = field(default_factory=dict)
    split_info: dict[str, Any] = field(default_factory=dict)
    overlaps_test: int = 0
    test_check: tuple[NgramIndex, str] | None = None  # test-question index and the field checked
    test_ids: dict[int, str] = field(default_factory=dict)  # record id of each test record


class Dedup:
    """Exact, then near duplicates (steps/dedup.py): keeps the best record of each cluster.
    Holds per record its reads (8 + 4 bytes, and signatures where the executor keeps them)
    and 10 bytes of outcome."""

    name = "dedup"
    reads = ("exact", "score", "qsig", "dsig")
    writes = ("keep", "reason", "related")

    def run(self, columns: BlockColumns, context: GlobalContext) -> None:
        params, n = context.recipe.get("dedup"), columns.size
        stats = StepStats()
        if params is None:
            keep, related = np.ones(n, bool), np.full(n, -1, np.int64)
            reason = np.zeros(n, np.int8)
        else:
            sig = columns.get("dsig" if params.key == "qa" else "qsig")
            if sig is None:
                sig = np.zeros((n, 1), np.uint16)
            verify = spool_verifier(context.state.spool, params.key, params.ngram)
            found = deduplicate(
                np.arange(n),
                columns["exact"],
                sig,
                columns["score"],
                params,
                stats,
                verify,
                context.executor.similar_pairs,
            )
            keep, related, reason = found.keep, found.duplicate_of, found.reasons
        columns["keep"], columns["reason"], columns["related"] = keep, reason, related
        context.info[self.name] = stats


class Departments:
    """Department codes: mapped labels, else the classifier fitted on the labelled records
    (and the keyword prior), evaluated on held-out ones. Holds 11 bytes read and 9 written
    per record; texts are streamed from the spool."""

    name = "department"
    reads = ("code", "held", "idhash", "keep", "related")
    writes = ("department", "predicted")

    def run(self, columns: BlockColumns, context: GlobalContext) -> None:
        code, predicted, info = _departments(context, columns)
        columns["department"], columns["predicted"] = code, predicted
        context.info[self.name] = info


class Split:
    """Leakage groups (similar questions, equal questions, shared source question) dealt to
    train/val/test per stratum, and the nested-subset rank of train records. Holds 33 bytes
    read (and signatures where the executor keeps them) and 9 written per record."""

    name = "split"
    reads = ("qsig", "qhash", "group", "idhash", "keep", "department")
    writes = ("split", "rank")

    def run(self, columns: BlockColumns, context: GlobalContext) -> None:
        recipe = context.recipe
        params = recipe.get("split") or SplitParams()
        keep, code = columns["keep"], columns["department"]
        strata = _strata(recipe, code, params.stratify)
        order = order_keys(columns["idhash"], recipe.seed)
        split, info = _split(params, columns, keep, strata, order, context.executor)
        rank = np.full(columns.size, -1, dtype=np.int64)
        train = np.flatnonzero(keep & (split == 0))
        rank[train] = subset_order(strata[train], order[train])
        columns["split"], columns["rank"] = split, rank
        context.info[self.name] = info


class TestIndex:
    """The n-gram index of the test questions, which the write pass checks train and val
    records against (``info`` holds the index and each test record's id)."""

    name = "test index"
    reads = ("keep", "split")
    writes = ()

    def run(self, columns: BlockColumns, context: GlobalContext) -> None:
        keep, split = columns["keep"], columns["split"]
        context.info[self.name] = _test_index(context.recipe, context.state, keep, split)


BLOCKS: tuple[GlobalBlock, ...] = (Dedup(), Departments(), Split(), TestIndex())
check_order(BLOCKS)


def run_global(recipe, state, executor, workers: int = 1, lap=lambda phase: None) -> GlobalResult:
    """Apply the recipe's global steps (:data:`BLOCKS`, in order) to the spooled records'
    columns (``state.arrays``); ``lap(phase)`` after each."""
    table = dict(state.arrays)
    context = GlobalContext(recipe, state, executor, workers)

    def release(name: str, column) -> None:  # counted in stats as the state it was
        state.arrays.pop(name, None)
        state.signature_bytes += column.nbytes

    run_blocks(BLOCKS, table, len(table["score"]), context, lap, release)
    info = context.info
    result = GlobalResult(
        *(table[name] for name in ("keep", "reason", "related", "department", "predicted")),
        table["split"],
        table["rank"],
        [],
        info["dedup"],
        info["department"],
        info["split"],
    )
    result.test_check, result.test_ids = info["test index"]
    return result


def _departments(context: GlobalContext, columns: BlockColumns):
    recipe, state, workers = context.recipe, context.state, context.workers
    keep = columns["keep"]
    code = columns["code"].astype(np.int64)
    predicted = np.zeros(len(code), dtype=bool)
    params = recipe.get("department")
    if params is None:
        return code, predicted, {}
    taxonomy = Taxonomy.load(params.taxonomy)
    labelled = code >= 0
    info: dict[str, Any] = {
        "mapped": int((labelled & keep).sum()),
        "unlabelled": int((~labelled & keep).sum()),
    }
    fit, held = state.tables["fit"], state.tables["held"]
    wanted = keep & ~labelled
    if not params.classify:
        code[~labelled] = taxonomy.codes.get(params.unknown, UNKNOWN)
        info["classifier"] = None
        return code, predicted, info
    model, threshold, familiar = None, float("inf"), float("-inf")
    if fit.docs.sum() >= params.min_labelled and (fit.docs > 0).sum() >= 2:
        info["classifier"] = _evaluate(
            NaiveBayes(fit, params.alpha),
            state,
            columns,
            labelled,
            taxonomy,
            workers,
            (params.min_precision, params.unfamiliar_share),
        )
        model = NaiveBayes(fit.plus(held), params.alpha)
        found = info["classifier"]["confidence_threshold"]
        threshold = float("inf") if found is None else found
        floor = info["classifier"].get("familiarity_floor")
        familiar = float("-inf") if floor is None else floor
    else:
        info["classifier"] = None
    if model is None and not params.keywords:
        code[~labelled] = taxonomy.codes.get(params.unknown, UNKNOWN)
        return code, predicted, info
    if wanted.any():
        guesser = DepartmentGuesser(taxonomy, model, threshold, familiar)
        guesser = guesser if params.keywords else None
        guesser = guesser or _NoPrior(taxonomy, model, threshold, familiar)
        code[wanted] = predict(state.spool, wanted, guesser, workers)
        predicted[wanted] = code[wanted] >= 0
    info["predicted"] = int(predicted.sum())
    info["abstained"] = int((wanted & ~predicted).sum())
    info["coverage"] = round(info["predicted"] / max(int(wanted.sum()), 1), 4)
    seen = sorted({taxonomy.paths[c][0] for c in (model.classes if model else [])})
    info["top_levels_seen"] = seen
    info["top_levels_from_keywords_only"] = [
        taxonomy.paths[c][0]
        for c, words in taxonomy.keywords.items()
        if words and taxonomy.paths[c][0] not in seen
    ]
    return code, predicted, info


class _NoPrior(DepartmentGuesser):
    """The classifier alone (keywords off): its guess when confident, else none."""

    def __init__(self, taxonomy, model, threshold, familiar) -> None:
        super().__init__(taxonomy, model, threshold, familiar)
        self.prior.pattern = None


def _evaluate(
    model, state, columns, labelled, taxonomy, workers, targets: tuple[float, float]
) -> dict[str, Any]:
    """Accuracy on held-out labelled records that survived dedup and have no duplicate among
    the fitted records (a dropped near-copy of a held-out record in the fit counts would leak).
    Half of them (by id hash) calibrate the confidence threshold for ``precision`` and the
    familiarity floor all but ``unfamiliar_share`` of them reach (``targets``); the other half
    reports what that threshold gives."""
    precision, unfamiliar_share = targets
    keep, related, held = columns["keep"], columns["related"], columns["held"]
    code = columns["code"].astype(np.int64)
    leaked = np.zeros(len(code), dtype=bool)
    fitted_dups = ~keep & labelled & ~held & (related >= 0)
    leaked[related[fitted_dups]] = True
    wanted = keep & held & ~leaked
    info = {
        "fitted_on": int(state.tables["fit"].docs.sum()),
        "classes": len(model.classes),
        "held_out": int(wanted.sum()),
        "excluded_near_copies": int((keep & held & leaked).sum()),
        "confidence_threshold": None,  # None: never confident enough (the prior, or none)
        "note": "held out from the same labelled inputs: an in-distribution figure",
    }
    if wanted.any():
        scored = predict(state.spool, wanted, AllScores(model), workers)  # one pass for all
        guess, confidence, familiarity = split_scores(scored)
        truth = code[wanted]
        tops = np.array([taxonomy.top(c) for c in range(len(taxonomy.paths))])
        info["accuracy"] = round(float((guess == truth).mean()), 4)
        info["top_level_accuracy"] = round(float((tops[guess] == tops[truth]).mean()), 4)
        majority = np.bincount(truth).argmax()
        info["majority_baseline"] = round(float((truth == majority).mean()), 4)
        right = guess == truth
        tune = (columns["idhash"][wanted] & np.uint64(1)) == 0
        threshold = calibrate(confidence[tune], right[tune], precision)
        sure = ~tune & (confidence >= threshold)
        info["confidence_threshold"] = round(threshold, 6) if np.isfinite(threshold) else None
        floor = familiarity_floor(familiarity[tune], unfamiliar_share)
        info["familiarity_floor"] = round(floor, 4) if np.isfinite(floor) else None
        info["reported_on"] = int((~tune).sum())
        info["coverage_at_threshold"] = round(float(sure.sum() / max((~tune).sum(), 1)), 4)
        info["accuracy_at_threshold"] = round(float(right[sure].mean()), 4) if sure.any() else None
    return info


def _strata(recipe, code: np.ndarray, how: str) -> np.ndarray:
    if how == "none" or recipe.get("department") is None:
        return np.zeros(len(code), dtype=np.int64)
    if how == "department":
        return code
    taxonomy = Taxonomy.load(recipe.get("department").taxonomy)
    tops = np.array([taxonomy.top(c) for c in range(len(taxonomy.paths))] + [-1])
    return tops[code]


def _split(params: SplitParams, columns, keep, strata, order, executor):
    n = len(keep)
    split = np.full(n, -1, dtype=np.int8)
    kept = np.flatnonzero(keep)
    qsig = columns.get("qsig")
    threshold = params.group_threshold if qsig is not None else None
    groups, similar = leakage_groups(
        qsig,
        kept,
        columns["qhash"][kept],
        columns["group"][kept],
        threshold,
        executor.similar_pairs,
    )
    split[kept] = assign_splits(groups, strata[kept], order[kept], params.ratios)
    sizes = np.bincount(groups, minlength=1) if len(groups) else np.zeros(0, int)
    info = {
        "groups": int((sizes > 0).sum()),
        "multi_record_groups": int((sizes > 1).sum()),
        "records_in_multi_record_groups": int(sizes[sizes > 1].sum()),
        "similar_question_pairs": similar,
    }
    return split, info


def _test_index(recipe, state, keep, split) -> tuple[tuple[NgramIndex, str] | None, dict]:
    """The n-gram index of the test questions, for the write pass to check train/val records
    against (ids are spool indices), and each test record's id."""
    params = recipe.get("decontaminate")
    test = keep & (split == 2)
    if params is None or not params.test_split or not test.any():
        return None, {}
    indices, texts, ids = [], [], {}
    for index, record in state.spool.records(test):
        indices.append(str(index))
        texts.append(record["question"])
        ids[index] = record["id"]
    return (NgramIndex(indices, texts, params.ngram, params.min_overlap), params.field), ids
