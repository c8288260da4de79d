"""Benchmark: does relevance tell a story ABOUT a topic from one that mentions its words?

    .venv/bin/python bench/relevance.py [DEV_DIR] [--draws 20] [--fit]

DEV_DIR defaults to ../shared/relevance-dev (from the repo root): stories/NNN.txt
(line 1 the headline, then the body), labels.tsv, topics.yaml (descriptions) and
queries.yaml (the analysts' broad queries, used unchanged). Every story is gated by
every topic's query with the boolean matcher (worker.topics); relevance scores the
(story, topic) pairs the gate passed. Precision and recall count every labelled pair,
so a positive the gate misses is a miss.

Printed, micro-averaged and per topic (P/R/F1), for:
  gate            the boolean matcher alone
  +min_score      the matcher's hit score with a shared threshold (LOTO-CV)
  +salience       salience alone, no descriptions (weights and threshold LOTO-CV)
  +description    salience + similarity to the description (LOTO-CV)
  +examples       + similarity to example stories: 5-fold over stories, examples and
                  counter-examples from the other folds, weights LOTO-CV
  +feedback N     a per-topic model fitted on N labelled gated pairs drawn at random
                  (repeated draws), scored on the topic's other pairs
and the same with the shipped defaults (in-sample: fitted on all 7 topics, marked so).
LOTO-CV = leave one topic out: weights and thresholds are fitted on the other six
topics, so no topic is scored by weights that saw its labels.
Then the cost: ms per (story, gated topic), model load time, memory (RSS).

--fit prints the weights fitted on all topics (what worker/relevance ships).
Figures only; nothing asserted.
"""

from __future__ import annotations

import argparse
import math
import random
import resource
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np
import yaml

from worker.relevance import (
    PR,
    Labelled,
    Story,
    TopicProfile,
    best_threshold,
    fit_logistic,
    fit_topic_model,
    load_embedder,
    prepare_story,
    prepare_topic,
    relevance,
)
from worker.relevance import _learn as learn_mod
from worker.relevance import _salience as sal_mod
from worker.relevance import _score as score_mod
from worker.relevance._salience import branch_features
from worker.relevance._similarity import contrast, description_similarity
from worker.topics import (
    Document,
    Topic,
    branch_hits,
    match_topic,
    parse_query,
    prepare,
    required_branches,
)

# ../shared/relevance-dev from the repo root (a worktree one level deeper finds it too)
DEV = next((p / "shared" / "relevance-dev" for p in REPO.parents
            if (p / "shared" / "relevance-dev").is_dir()), REPO.parent / "shared" / "relevance-dev")


NOTES: dict[str, str] = {}


def errors(name: str, pred: dict, truth: dict, scores: dict | None = None) -> None:
    """The pairs a configuration gets wrong: false alerts, then misses."""
    wrong = sorted(k for k in truth if pred.get(k, False) != truth[k])
    print(f"  {name}: {len(wrong)} wrong")
    for k in wrong:
        kind = "FP" if pred.get(k, False) else "FN"
        sc = f" {scores[k]:.2f}" if scores and k in scores else ""
        print(f"    {kind} {k[0]} {k[1]:<16}{sc}  {NOTES.get(k[0], '')[:110]}")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- data -------------------------------------------------------------------------------
def load(dev: Path):
    topics = yaml.safe_load((dev / "topics.yaml").read_text())["topics"]
    queries = yaml.safe_load((dev / "queries.yaml").read_text())
    labels = {}
    for line in (dev / "labels.tsv").read_text().splitlines()[1:]:
        sid, lab, *rest = line.split("\t")
        labels[sid] = set() if lab.strip() == "-" else {x.strip() for x in lab.split(",")}
        NOTES[sid] = " ".join(rest)
    stories = {}
    for p in sorted((dev / "stories").glob("*.txt")):
        title, _, body = p.read_text(encoding="utf-8").partition("\n")
        stories[p.stem] = (title.strip(), body.strip())
    return topics, queries, labels, stories


def report(name: str, pred: dict, truth: dict, topic_ids: list[str], note: str = "") -> PR:
    """pred/truth: {(sid, tid): bool} over all pairs."""
    keys = sorted(truth)
    micro = PR.of([pred.get(k, False) for k in keys], [truth[k] for k in keys])
    per = []
    for t in topic_ids:
        ks = [k for k in keys if k[1] == t]
        r = PR.of([pred.get(k, False) for k in ks], [truth[k] for k in ks])
        per.append(f"{r.precision:.2f}/{r.recall:.2f}")
    print(f"{name:<28} {micro.precision:6.3f} {micro.recall:6.3f} {micro.f1:6.3f}  "
          + "  ".join(f"{x:>9}" for x in per) + (f"  {note}" if note else ""))
    return micro


# -- salience fitting (weakest branch) ---------------------------------------------------
def fit_salience(rows: list[dict], l2: float = 1.0):
    """rows: {'branches': [feature tuples], 'y': bool}. Fit the branch weights on the
    weakest branch of each pair (re-chosen under the current weights, 4 rounds)."""
    X = np.array([np.min(np.array(r["branches"]), axis=0) for r in rows])
    y = np.array([r["y"] for r in rows], float)
    w, b = fit_logistic(X, y, l2=l2)
    for _ in range(4):
        X = np.array([min(r["branches"], key=lambda f: float(np.dot(f, w))) for r in rows])
        w, b = fit_logistic(X, y, l2=l2)
    return tuple(float(x) for x in w), float(b)


def salience_of(r: dict, w, b) -> float:
    return min(score_mod.sigmoid(b + float(np.dot(f, w))) for f in r["branches"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dev", nargs="?", default=str(DEV))
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5, help="timing runs (median)")
    ap.add_argument("--fit", action="store_true", help="print weights fitted on all topics")
    ap.add_argument("--prior", type=float, default=None,
                    help="L2 pull of per-topic models toward the shared weights")
    ap.add_argument("--feedback-threshold", action="store_true",
                    help="also fit each topic's threshold on its feedback labels")
    ap.add_argument("--no-short-names", action="store_true",
                    help="count only full hits of multi-word names")
    ap.add_argument("--errors", action="store_true",
                    help="list the pairs each LOTO configuration gets wrong (with the label note)")
    args = ap.parse_args()
    dev = Path(args.dev)
    topics, queries, labels, stories = load(dev)
    desc = {t["id"]: t["description"] for t in topics}
    qs = {t["id"]: t["query"] for t in queries["topics"]}
    lists = queries.get("lists") or {}
    tids = [t["id"] for t in queries["topics"]]
    sids = sorted(stories)
    truth = {(s, t): t in labels.get(s, set()) for s in sids for t in tids}

    rss0 = rss_mb()
    t0 = time.perf_counter()
    emb = load_embedder()
    load_s = time.perf_counter() - t0  # wall clock: includes reading the files
    rss1 = rss_mb()

    # Gate and evidence ---------------------------------------------------------------
    docs = {s: Document(*stories[s]) for s in sids}
    parsed = {t: parse_query(qs[t], lists) for t in tids}
    branches = {t: required_branches(parsed[t]) for t in tids}
    gated: dict = {}
    for t in tids:
        topic = Topic(t, t, qs[t])
        for s in sids:
            m = match_topic(topic, docs[s], lists)
            if m is not None:
                gated[(s, t)] = m.score
    # Relevance inputs, timed as the pipeline would run them: each story once, each
    # topic once, then per gated pair the branch hits and the relevance score. CPU time
    # of this process (the machine is shared), the median of --repeat runs.
    prepared = {s: prepare(docs[s]) for s in sids}  # the pipeline has these from the gate
    ptopics = {t: prepare_topic(TopicProfile(description=desc[t]), emb) for t in tids}
    runs = []
    for _ in range(args.repeat):
        c0 = time.process_time()
        pstories = {s: prepare_story(Story.from_text(*stories[s]), emb) for s in sids}
        c1 = time.process_time()
        evidence = {}
        for (s, t) in gated:
            evidence[(s, t)] = branch_hits(branches[t], prepared[s],
                                           short_names=not args.no_short_names)
            relevance(pstories[s], ptopics[t], evidence[(s, t)])
        runs.append((c1 - c0, time.process_time() - c1))
    story_s = statistics.median(r[0] for r in runs)
    pair_s = statistics.median(r[1] for r in runs)
    n_pairs = len(gated)

    rows = {}
    for k in gated:
        s, t = k
        st = pstories[s]
        rows[k] = {
            "branches": [branch_features(b, len(st.story.paragraphs), st.vector,
                                         st.passage_vector).features
                         for b in evidence[k]],
            "desc": description_similarity(st, ptopics[t].want, evidence[k]),
            "y": truth[k], "topic": t, "score": gated[k],
        }

    # Example similarity, 5-fold over stories within each topic ------------------------
    rng = random.Random(0)
    order = sids[:]
    rng.shuffle(order)
    fold_of = {s: i % args.folds for i, s in enumerate(order)}
    for k, r in rows.items():
        s, t = k
        train = [x for x in sids if fold_of[x] != fold_of[s]]
        pos = [pstories[x].vector for x in train if truth[(x, t)]]
        neg = [pstories[x].vector for x in train if (x, t) in gated and not truth[(x, t)]]
        g = np.mean(pos, axis=0) if pos else None
        b = np.mean(neg, axis=0) if neg else None
        g = None if g is None else g / np.linalg.norm(g)
        b = None if b is None else b / np.linalg.norm(b)
        r["ex"] = contrast(pstories[s].vector, g, b)

    print(f"relevance on {dev} — {len(sids)} stories x {len(tids)} topics, "
          f"{sum(truth.values())} positive pairs, {n_pairs} gated pairs")
    print(f"{'':<28} {'P':>6} {'R':>6} {'F1':>6}  " + "  ".join(f"{t[:9]:>9}" for t in tids))

    gate_pred = {k: True for k in gated}
    report("gate alone", gate_pred, truth, tids)

    # gate + min_score (shared threshold, LOTO) ---------------------------------------
    pred = {}
    for held in tids:
        tr = [k for k in gated if k[1] != held]
        th = best_threshold([gated[k] for k in tr], [truth[k] for k in tr])
        for k in gated:
            if k[1] == held:
                pred[k] = gated[k] >= th
    report("gate + min_score (LOTO)", pred, truth, tids)
    th_all = best_threshold(list(gated.values()), [truth[k] for k in gated])
    report("gate + min_score (in-sample)", {k: gated[k] >= th_all for k in gated}, truth, tids,
           f"min_score {th_all:g}")

    # salience alone ------------------------------------------------------------------
    loto_scores: dict = {}

    def loto(make_score, fit):
        pred, ths = {}, []
        for held in tids:
            tr = [rows[k] | {"k": k} for k in gated if k[1] != held]
            model = fit(tr)
            sc = [make_score(r, model) for r in tr]
            th = best_threshold(sc, [r["y"] for r in tr])
            ths.append(th)
            for k in gated:
                if k[1] == held:
                    loto_scores[k] = make_score(rows[k], model)
                    pred[k] = loto_scores[k] >= th
        return pred, ths

    def sal_fit(tr):
        return fit_salience(tr)

    def sal_score(r, m):
        return salience_of(r, *m)

    pred, ths = loto(sal_score, sal_fit)
    report("+ salience (LOTO)", pred, truth, tids,
           f"thresholds {min(ths):.2f}–{max(ths):.2f}, median {statistics.median(ths):.2f}")
    wrong = [("+ salience (LOTO)", dict(pred), dict(loto_scores))]
    pred05 = {}
    for held in tids:
        m = sal_fit([rows[k] for k in gated if k[1] != held])
        for k in gated:
            if k[1] == held:
                pred05[k] = sal_score(rows[k], m) >= 0.5
    report("+ salience (LOTO, t=0.5)", pred05, truth, tids)
    shipped_sal = (sal_mod.SALIENCE_WEIGHTS, sal_mod.SALIENCE_BIAS)
    report("+ salience (shipped, in-smp)",
           {k: sal_score(rows[k], shipped_sal) >= 0.5 for k in gated}, truth, tids)

    # + description -------------------------------------------------------------------
    def x_desc(r, sm):
        return [score_mod.logit(salience_of(r, *sm)), score_mod.SIM_SCALE * (r["desc"] or 0.0)]

    def desc_fit(tr):
        sm = fit_salience(tr)
        X = np.array([x_desc(r, sm) for r in tr])
        w, b = fit_logistic(X, np.array([r["y"] for r in tr], float))
        return sm, w, b

    def desc_score(r, m):
        sm, w, b = m
        return score_mod.sigmoid(b + float(np.dot(x_desc(r, sm), w)))

    pred, ths = loto(desc_score, desc_fit)
    loto_ths = {"DESCRIPTION": ths}
    wrong.append(("+ description (LOTO)", dict(pred), dict(loto_scores)))
    report("+ description (LOTO)", pred, truth, tids, f"thresholds {min(ths):.2f}–{max(ths):.2f}, median {statistics.median(ths):.2f}")
    pred05 = {}
    for held in tids:
        m = desc_fit([rows[k] for k in gated if k[1] != held])
        for k in gated:
            if k[1] == held:
                pred05[k] = desc_score(rows[k], m) >= 0.5
    report("+ description (LOTO, t=0.5)", pred05, truth, tids)
    shipped = {k: relevance(pstories[k[0]], ptopics[k[1]], evidence[k]).relevant for k in gated}
    report("+ description (shipped,in-smp)", shipped, truth, tids)

    # + examples ----------------------------------------------------------------------
    def x_ex(r, sm):
        return x_desc(r, sm) + [score_mod.SIM_SCALE * (r["ex"] or 0.0)]

    def ex_fit(tr):
        sm = fit_salience(tr)
        X = np.array([x_ex(r, sm) for r in tr])
        w, b = fit_logistic(X, np.array([r["y"] for r in tr], float))
        return sm, w, b

    def ex_score(r, m):
        sm, w, b = m
        return score_mod.sigmoid(b + float(np.dot(x_ex(r, sm), w)))

    pred, ths = loto(ex_score, ex_fit)
    loto_ths["EXAMPLE"] = ths
    report("+ examples (5-fold, LOTO)", pred, truth, tids,
           f"thresholds {min(ths):.2f}–{max(ths):.2f}, median {statistics.median(ths):.2f}")

    # + feedback ----------------------------------------------------------------------
    if args.prior is not None:
        learn_mod.PRIOR_STRENGTH = args.prior
    for n in (5, 10, 20):
        preds_all, truth_all = [], []
        per_t: dict = defaultdict(lambda: ([], []))
        for d in range(args.draws):
            rng = random.Random(1000 * n + d)
            for t in tids:
                ks = [k for k in gated if k[1] == t]
                if len(ks) <= n:
                    continue
                drawn = rng.sample(ks, n)
                items = [Labelled(pstories[k[0]], evidence[k], truth[k]) for k in drawn]
                topic = ptopics[t]
                if args.feedback_threshold:
                    topic, th = learn_mod._fit(items, topic)
                    topic = replace(topic, profile=replace(topic.profile, min_relevance=th))
                elif 0 < sum(it.good for it in items) < n:
                    model = fit_topic_model(items, topic)
                    topic = replace(topic, profile=replace(topic.profile, model=model))
                rest = [k for k in ks if k not in drawn]
                for k in rest:
                    p = relevance(pstories[k[0]], topic, evidence[k]).relevant
                    preds_all.append(p)
                    truth_all.append(truth[k])
                    per_t[t][0].append(p)
                    per_t[t][1].append(truth[k])
        r = PR.of(preds_all, truth_all)
        per = []
        for t in tids:
            pt = PR.of(*per_t[t]) if per_t[t][0] else None
            per.append("   n/a   " if pt is None else f"{pt.precision:.2f}/{pt.recall:.2f}")
        print(f"{'+ feedback ' + str(n) + ' (held-out)':<28} {r.precision:6.3f} {r.recall:6.3f} "
              f"{r.f1:6.3f}  " + "  ".join(f"{x:>9}" for x in per)
              + f"  {args.draws} draws; gated pairs only")

    if args.errors:
        print()
        for name, p, sc in wrong:
            errors(name, p, truth, sc)
    print()
    print(f"cost (CPU, median of {args.repeat}): "
          f"{1000 * (story_s + pair_s) / max(n_pairs, 1):.2f} ms per (story, gated topic) "
          f"(story embedding {1000 * story_s / len(sids):.2f} ms per story, once; "
          f"branch hits + score {1000 * pair_s / max(n_pairs, 1):.2f} ms per pair); "
          f"model load {1000 * load_s:.0f} ms; RSS {rss0:.0f} MB before the model, "
          f"{rss1:.0f} MB after, {rss_mb():.0f} MB at the end")

    if args.fit:
        allrows = [rows[k] for k in gated]
        sm = fit_salience(allrows)
        print("\nfitted on all topics (in-sample):")
        print(f"SALIENCE_WEIGHTS = {tuple(round(x, 3) for x in sm[0])}; SALIENCE_BIAS = {sm[1]:.3f}")
        for name, fit in (("DESCRIPTION", desc_fit), ("EXAMPLE", ex_fit)):
            _, w, b = fit(allrows)
            # The bias is shifted so that the default min_relevance (0.5) sits at the
            # median of the thresholds chosen leave-one-topic-out.
            t = statistics.median(loto_ths[name])
            shift = score_mod.logit(score_mod.DEFAULT_MIN_RELEVANCE) - score_mod.logit(t)
            print(f"{name}_WEIGHTS = {tuple(round(float(x), 3) for x in w)}; "
                  f"{name}_BIAS = {b + shift:.3f}  (fitted {b:.3f}, shifted for LOTO median "
                  f"threshold {t:.2f})")
    _ = math


if __name__ == "__main__":
    main()
