"""Suggesting the type and the sector (lĩnh vực) of an incoming document from its text.

The model is ours and small: multinomial naive Bayes over the document's words without diacritics or case
(``core.text.fold``), unigrams and bigrams, weighted by sublinear TF-IDF and L2-normalised, plus a few features read
where an official document puts its type (NĐ 30/2020 Phụ lục I): the codes of the "Số, ký hiệu" (``QĐ``, ``KH``,
``NĐ-CP``, the unit of a công văn), the first words of the trích yếu (``V/v``, ``Về việc``) and the words of the
header (the type name printed in capitals). Its confidence is the softmax of the class scores divided by a temperature
fitted on the out-of-fold scores of the cross-validation, so that a confidence of 80 % is right about 80 % of the
time on the documents it was measured on.

- Each agency has its own model, trained on its registered documents (incoming ones in the register, issued
  outgoing ones) with the type and sector the clerk confirmed; the province has one trained on every agency's. An
  agency without a model of its own, or with fewer than ``TINHSO["CLASSIFY_MIN_AGENCY_SAMPLES"]`` (40) documents,
  gets the province's suggestions.
- A model is a ``Classifier`` row: version, training time, number of documents, cross-validated accuracy, the
  model's parameters. ``train`` builds it (``tinhso documents train`` and the background task ``tasks.
  train_classifier``, queued after every ``TINHSO["CLASSIFY_RETRAIN_EVERY"]`` (50) newly confirmed documents).
- ``suggest`` answers (type, confidence) and (sector, confidence); the registration form pre-fills only a suggestion
  whose confidence reaches ``TINHSO["CLASSIFY_THRESHOLD"]`` (0.6). ``record`` keeps, for each registered document,
  what was suggested, whether it was pre-filled and whether the clerk kept it (``acceptance``).
"""

import base64
import json
import logging
import math
import random
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Substr
from django.utils import timezone

from tinhso.core.text import fold

logger = logging.getLogger(__name__)

#: Characters of a file's text that are read: the header and the first pages carry the type and the subject.
MAX_BODY_CHARS = 6000
#: Words of the file's beginning that also count as "header" features (and all the type model reads of the file).
HEAD_WORDS = 60
#: How many times the codes of the notation and the first words of the trích yếu count for the type.
STRUCTURE_WEIGHT = 5
ALPHA = 0.1
MAX_FEATURES = 50_000
FOLDS = 5
#: Version of the features and of the stored model: a model stored by another version is not used (retrain it).
FORMAT = 3
DEFAULTS = {
    "CLASSIFY_THRESHOLD": 0.6,
    "CLASSIFY_RETRAIN_EVERY": 50,
    "CLASSIFY_MIN_AGENCY_SAMPLES": 40,
    "CLASSIFY_MAX_SAMPLES": 5000,
    "CLASSIFY_MAX_PROVINCE_SAMPLES": 20000,
}


def setting(name: str):
    conf = getattr(settings, "TINHSO", {}) or {}
    return conf.get(name, DEFAULTS[name])


def threshold() -> float:
    return float(setting("CLASSIFY_THRESHOLD"))


# --- features ------------------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z]+")
_NOTATION_IN_TEXT = re.compile(r"\bso\s*:\s*([0-9a-z./&\-]*[a-z][0-9a-z./&\-]*)")
_NOTATION_PART = re.compile(r"[a-z&]+")


def words(text: str) -> list[str]:
    """Folded words of two letters or more; "V/v" (về việc) becomes one word."""
    folded = fold(text).replace("v/v", " vv ")
    return [w for w in _WORD.findall(folded) if len(w) > 1]


def notation_codes(notation: str) -> list[str]:
    """The letter groups of a "số, ký hiệu" without its number and year: "65/2018/NĐ-CP" → ["nd", "cp"],
    "123/UBND-VP" → ["ubnd", "vp"], "15/2012/QH13" → ["qh"]."""
    return _NOTATION_PART.findall(fold(notation).split(" ")[0]) if notation else []


def features(*, notation: str = "", subject: str = "", sender: str = "", body: str = "",
             target: str = "sector") -> Counter:
    """The bag of features of one document: what the clerk typed (số ký hiệu, trích yếu, cơ quan ban hành) and the
    beginning of its file. For the type (``target="type"``) only the file's header counts, where the type is
    written; the codes of the notation weigh more (``STRUCTURE_WEIGHT``). For the sector, the first pages."""
    body = body[:MAX_BODY_CHARS]
    bag: Counter = Counter()
    if not notation and body:
        found = _NOTATION_IN_TEXT.search(fold(body[:800]))
        notation = found.group(1) if found else ""
    weight = STRUCTURE_WEIGHT if target == "type" else 1
    codes = notation_codes(notation)
    for position, code in enumerate(codes):
        bag[f"kh:{code}"] += weight
        if position == 0:
            bag[f"kh0:{code}"] += weight
    subject_words = words(subject)
    for word in subject_words[:2]:
        bag[f"s0:{word}"] += weight
    body_words = words(body)
    for word in body_words[:HEAD_WORDS]:
        bag[f"h:{word}"] += 1
    if target == "type":
        body_words = body_words[:HEAD_WORDS]
    if sender.strip():  # one feature for the issuing agency: its name's words would outvote a short trích yếu
        bag["tg:" + "_".join(words(sender))] += 1
    for segment in (subject_words, body_words):
        bag.update(segment)
        bag.update(f"{a}_{b}" for a, b in zip(segment, segment[1:], strict=False))
    return bag


# --- the model -----------------------------------------------------------------------------------------------------

def _softmax(scores: Sequence[float], temperature: float = 1.0) -> list[float]:
    top = max(scores)
    exps = [math.exp((s - top) / temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def _pack(values) -> str:
    return base64.b64encode(array("f", values).tobytes()).decode()


def _unpack(text: str) -> array:
    out = array("f")
    out.frombytes(base64.b64decode(text))
    return out


def sublinear(bag: Counter) -> dict[str, float]:
    """1 + ln(count) for each feature: a word said ten times is not ten times the evidence."""
    return {t: 1.0 + math.log(c) for t, c in bag.items() if c > 0}


@dataclass
class NaiveBayes:
    """Multinomial naive Bayes on sublinear TF-IDF vectors (L2-normalised) with a calibration temperature.

    The class-conditional log-probabilities are kept sparsely: ``excess[c][i] = ln(S_ci + α) − ln α`` is zero for a
    feature the class never saw (most of them), so that scoring a document costs the (feature, class) pairs seen in
    training, not features × classes: ``score_c = prior_c + Σ_i w_i·excess_ci + W·(ln α − ln(S_c + αV))``."""

    labels: list[str]
    vocab: dict[str, int]
    idf: array
    log_prior: list[float]
    excess: list[array]
    log_norm: list[float]  # ln α − ln(S_c + αV)
    temperature: float = 1.0
    _by_feature: list | None = field(default=None, repr=False, compare=False)

    @classmethod
    def fit(cls, bags: Sequence[dict[str, float]], labels: Sequence[str], *, alpha: float = ALPHA,
            max_features: int = MAX_FEATURES) -> "NaiveBayes":
        """``bags``: sublinear term frequencies (``sublinear``)."""
        n = len(bags)
        df: Counter = Counter()
        for bag in bags:
            df.update(bag.keys())
        min_df = 2 if n >= 20 else 1
        kept = sorted((t for t, c in df.items() if c >= min_df), key=lambda t: (-df[t], t))[:max_features]
        vocab = {t: i for i, t in enumerate(kept)}
        idf = array("f", [math.log((1 + n) / (1 + df[t])) + 1 for t in kept])
        names = sorted(set(labels))
        index = {name: i for i, name in enumerate(names)}
        sums: list[dict[int, float]] = [{} for _ in names]
        model = cls(names, vocab, idf, [], [], [], 1.0)
        for bag, label in zip(bags, labels, strict=True):
            row = sums[index[label]]
            for i, weight in model.vector(bag):
                row[i] = row.get(i, 0.0) + weight
        size, log_alpha = len(kept), math.log(alpha)
        counts = Counter(labels)
        for name, row in zip(names, sums, strict=True):
            dense = array("f", bytes(4 * size))
            for i, value in row.items():
                dense[i] = math.log(value + alpha) - log_alpha
            model.excess.append(dense)
            model.log_norm.append(log_alpha - math.log(sum(row.values()) + alpha * size))
            model.log_prior.append(math.log(counts[name] / n))
        return model

    def vector(self, bag: dict[str, float]) -> list[tuple[int, float]]:
        vocab, idf = self.vocab, self.idf
        pairs = [(i, tf * idf[i]) for i, tf in ((vocab.get(t), tf) for t, tf in bag.items()) if i is not None]
        norm = math.sqrt(sum(w * w for _i, w in pairs)) or 1.0
        return [(i, w / norm) for i, w in pairs]

    def by_feature(self) -> list:
        """For each feature, the (class, excess) pairs that are not zero."""
        if self._by_feature is None:
            columns = [[] for _ in range(len(self.vocab))]
            for c, dense in enumerate(self.excess):
                for i, value in enumerate(dense):
                    if value:
                        columns[i].append((c, value))
            self._by_feature = columns
        return self._by_feature

    def scores(self, bag: dict[str, float]) -> list[float]:
        vec = self.vector(bag)
        total = sum(w for _i, w in vec)
        out = [prior + total * norm for prior, norm in zip(self.log_prior, self.log_norm, strict=True)]
        columns = self.by_feature()
        for i, w in vec:
            for c, value in columns[i]:
                out[c] += w * value
        return out

    def predict(self, bag: dict[str, float] | Counter) -> tuple[str, float]:
        """(label, calibrated confidence)."""
        if isinstance(bag, Counter):
            bag = sublinear(bag)
        probabilities = _softmax(self.scores(bag), self.temperature)
        best = max(range(len(self.labels)), key=probabilities.__getitem__)
        return self.labels[best], probabilities[best]

    def as_dict(self) -> dict:
        words_in_order = sorted(self.vocab, key=self.vocab.__getitem__)
        return {"labels": self.labels, "vocab": words_in_order, "idf": _pack(self.idf), "log_prior": self.log_prior,
                "excess": [_pack(t) for t in self.excess], "log_norm": self.log_norm,
                "temperature": self.temperature}

    @classmethod
    def from_dict(cls, data: dict) -> "NaiveBayes":
        return cls(data["labels"], {t: i for i, t in enumerate(data["vocab"])}, _unpack(data["idf"]),
                   data["log_prior"], [_unpack(t) for t in data["excess"]], data["log_norm"], data["temperature"])


def stratified_folds(labels: Sequence[str], k: int, seed: int = 1) -> list[int]:
    """The fold of each sample: each label's samples dealt in turn over the ``k`` folds after a seeded shuffle."""
    rng = random.Random(seed)
    fold_of = [0] * len(labels)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    turn = 0
    for label in sorted(by_label):
        members = by_label[label]
        rng.shuffle(members)
        for i in members:
            fold_of[i] = turn % k
            turn += 1
    return fold_of


def _fit_temperature(out_of_fold: list[tuple[list[float], int]]) -> float:
    """The temperature that minimises the negative log-likelihood of the true labels (golden-section search on its
    logarithm between 0.01 and 100)."""
    if not out_of_fold:
        return 1.0

    def nll(log_t: float) -> float:
        t = math.exp(log_t)
        total = 0.0
        for scores, truth in out_of_fold:
            top = max(scores)
            total += top / t + math.log(sum(math.exp((s - top) / t) for s in scores)) - scores[truth] / t
        return total

    low, high = math.log(0.01), math.log(100.0)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = nll(a), nll(b)
    for _ in range(30):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = nll(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = nll(b)
    return math.exp((low + high) / 2)


@dataclass
class Evaluation:
    """Cross-validated measurement: each sample predicted by a model trained without it."""

    n: int
    folds: int
    accuracy: float
    temperature: float
    #: Among the predictions at or above the threshold: their share (coverage) and their accuracy.
    coverage: float
    confident_accuracy: float | None
    per_label: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"n": self.n, "folds": self.folds, "accuracy": round(self.accuracy, 4),
                "temperature": round(self.temperature, 4), "threshold": threshold(),
                "coverage_at_threshold": round(self.coverage, 4),
                "accuracy_at_threshold": None if self.confident_accuracy is None else round(self.confident_accuracy, 4),
                "per_label": self.per_label}


def cross_validate(bags: Sequence[Counter], labels: Sequence[str], *, k: int = FOLDS,
                   seed: int = 1) -> Evaluation:
    """k-fold stratified cross-validation (leave-one-out below 10 samples); fits the calibration temperature on the
    out-of-fold scores and reports accuracy, and coverage/accuracy at the threshold with that temperature."""
    bags = [sublinear(b) for b in bags]
    n = len(bags)
    k = n if n < 10 else min(k, n)
    fold_of = list(range(n)) if k == n else stratified_folds(labels, k, seed)
    predictions: list[tuple[list[float], list[str], str]] = []
    for f in range(k):
        train = [i for i in range(n) if fold_of[i] != f]
        test = [i for i in range(n) if fold_of[i] == f]
        if not test or len({labels[i] for i in train}) < 1:
            continue
        model = NaiveBayes.fit([bags[i] for i in train], [labels[i] for i in train])
        for i in test:
            predictions.append((model.scores(bags[i]), model.labels, labels[i]))
    calibration = [(s, names.index(truth)) for s, names, truth in predictions if truth in names and len(names) > 1]
    temperature = _fit_temperature(calibration)
    correct = 0
    confident = confident_right = 0
    per_label: dict[str, dict] = {}
    limit = threshold()
    for scores, names, truth in predictions:
        probabilities = _softmax(scores, temperature)
        best = max(range(len(names)), key=probabilities.__getitem__)
        right = names[best] == truth
        correct += right
        stats = per_label.setdefault(truth, {"support": 0, "correct": 0})
        stats["support"] += 1
        stats["correct"] += right
        if probabilities[best] >= limit:
            confident += 1
            confident_right += right
    total = len(predictions) or 1
    return Evaluation(n=n, folds=k, accuracy=correct / total, temperature=temperature, coverage=confident / total,
                      confident_accuracy=(confident_right / confident) if confident else None, per_label=per_label)


def build(bags: Sequence[Counter], labels: Sequence[str]) -> tuple["NaiveBayes | None", "Evaluation | None"]:
    """The model trained on every sample, with the temperature and the accuracy of the cross-validation; None when
    there are fewer than two labels or two samples."""
    if len(bags) < 2 or len(set(labels)) < 2:
        return None, None
    evaluation = cross_validate(bags, labels)
    model = NaiveBayes.fit([sublinear(b) for b in bags], labels)
    model.temperature = evaluation.temperature
    return model, evaluation


def holdout(train: Sequence[tuple[Counter, str]], test: Sequence[tuple[Counter, str]]) -> dict:
    """Accuracy of a model trained on ``train`` (calibrated by cross-validation on it) on the held-back ``test``."""
    model, _evaluation = build([b for b, _l in train], [label for _b, label in train])
    if model is None or not test:
        return {"n": len(test), "accuracy": None}
    right = confident = confident_right = 0
    for bag, truth in test:
        label, confidence = model.predict(bag)
        right += label == truth
        if confidence >= threshold():
            confident += 1
            confident_right += label == truth
    return {"train": len(train), "n": len(test), "accuracy": round(right / len(test), 4),
            "coverage_at_threshold": round(confident / len(test), 4),
            "accuracy_at_threshold": round(confident_right / confident, 4) if confident else None}


@dataclass
class Bundle:
    """The two models of one ``Classifier`` row."""

    type: NaiveBayes | None
    sector: NaiveBayes | None

    def to_bytes(self) -> bytes:
        data = {"format": FORMAT, "type": self.type.as_dict() if self.type else None,
                "sector": self.sector.as_dict() if self.sector else None}
        return zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> "Bundle | None":
        """The stored models; None when they were built by an earlier version of ``features`` (until retrained)."""
        data = json.loads(zlib.decompress(bytes(blob)))
        if data.get("format") != FORMAT:
            return None
        return cls(NaiveBayes.from_dict(data["type"]) if data.get("type") else None,
                   NaiveBayes.from_dict(data["sector"]) if data.get("sector") else None)


# --- training on the agency's documents ----------------------------------------------------------------------------

@dataclass
class Sample:
    pk: int
    notation: str
    subject: str
    sender: str
    body: str
    type_label: str | None
    sector_label: str | None

    def bag(self, target: str) -> Counter:
        return features(notation=self.notation, subject=self.subject, sender=self.sender, body=self.body,
                        target=target)


def confirmed_documents(agency_id: int | None):
    """The documents whose type and sector a person confirmed: incoming ones in the register (not returned) and
    issued outgoing ones; of one agency, or of all (``None``)."""
    from .models import Direction, Document, Status

    qs = Document.objects.filter(
        Q(direction=Direction.INCOMING, arrival_number__isnull=False) & ~Q(status=Status.RETURNED)
        | Q(direction=Direction.OUTGOING, status=Status.ISSUED))
    return qs.filter(agency_id=agency_id) if agency_id is not None else qs


def body_texts(document_ids: Iterable[int]) -> dict[int, str]:
    """The beginning of the text of each document's first body file (the signed version when there is no body)."""
    from .models import DocumentFile

    ids = list(document_ids)
    found: dict[int, tuple[int, str]] = {}
    for start in range(0, len(ids), 500):
        rows = (DocumentFile.objects.filter(document_id__in=ids[start:start + 500],
                                            kind__in=[DocumentFile.Kind.BODY, DocumentFile.Kind.SIGNED])
                .annotate(head=Substr("text", 1, MAX_BODY_CHARS)).order_by("id")
                .values_list("document_id", "kind", "head"))
        for document_id, kind, head in rows:
            rank = 0 if kind == DocumentFile.Kind.BODY else 1
            if document_id not in found or rank < found[document_id][0]:
                found[document_id] = (rank, head or "")
    return {pk: text for pk, (_rank, text) in found.items()}


def samples(agency_id: int | None, limit: int | None = None) -> list[Sample]:
    """The latest ``limit`` confirmed documents with a type or a sector, oldest first."""
    if limit is None:
        limit = setting("CLASSIFY_MAX_SAMPLES" if agency_id is not None else "CLASSIFY_MAX_PROVINCE_SAMPLES")
    rows = list(confirmed_documents(agency_id).filter(Q(document_type__isnull=False) | Q(sector__isnull=False))
                .order_by("-id").values_list("pk", "notation", "subject", "sender_name", "document_type_id",
                                             "sector_id")[:limit])
    texts = body_texts(r[0] for r in rows)
    return [Sample(pk, notation, subject, sender, texts.get(pk, ""),
                   str(type_id) if type_id else None, str(sector_id) if sector_id else None)
            for pk, notation, subject, sender, type_id, sector_id in reversed(rows)]


def _measure(bags: list[Counter], labels: list[str | None]) -> tuple[NaiveBayes | None, Evaluation | None, int]:
    pairs = [(b, label) for b, label in zip(bags, labels, strict=True) if label]
    model, evaluation = build([b for b, _l in pairs], [label for _b, label in pairs])
    return model, evaluation, len(pairs)


def _row(agency_id: int | None):
    from .models import Classifier

    row = Classifier.objects.filter(agency_id=agency_id).first() if agency_id is not None else \
        Classifier.objects.filter(agency__isnull=True).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return Classifier.objects.create(agency_id=agency_id)
    except IntegrityError:  # created meanwhile by another process
        return _row(agency_id)


def train(agency=None, *, actor=None) -> dict:
    """Train the model of ``agency`` (the province's when None) on its confirmed documents, measure it by
    cross-validation, store it as the next version and return the report. The training itself runs outside any
    transaction; only the final write takes the row's lock."""
    from tinhso.core.services import record

    from .models import Classifier

    agency_id = agency.pk if agency is not None else None
    row = _row(agency_id)
    seen = row.confirmed_since
    data = samples(agency_id)
    type_model, type_eval, type_n = _measure([s.bag("type") for s in data], [s.type_label for s in data])
    sector_model, sector_eval, sector_n = _measure([s.bag("sector") for s in data], [s.sector_label for s in data])
    bundle = Bundle(type_model, sector_model)
    with transaction.atomic():
        row = Classifier.objects.select_for_update().get(pk=row.pk)
        row.version += 1
        row.trained_at = timezone.now()
        row.sample_count = len(data)
        row.type_samples, row.sector_samples = type_n, sector_n
        row.type_accuracy = type_eval.accuracy if type_eval else None
        row.sector_accuracy = sector_eval.accuracy if sector_eval else None
        row.evaluation = {"type": type_eval.as_dict() if type_eval else None,
                          "sector": sector_eval.as_dict() if sector_eval else None}
        row.params = bundle.to_bytes() if (type_model or sector_model) else b""
        row.confirmed_since = max(0, row.confirmed_since - seen)
        row.retrain_queued = False
        row.save()
        report = report_of(row)
        record("documents.classifier_trained", actor=actor, obj=row, agency=agency,
               summary=f"{row}: {row.sample_count} văn bản", data={
                   k: report[k] for k in ("version", "samples", "type_accuracy", "sector_accuracy")})
    return report


def report_of(row) -> dict:
    return {"agency": row.agency.code if row.agency_id else None, "version": row.version,
            "trained_at": row.trained_at.isoformat() if row.trained_at else None, "samples": row.sample_count,
            "type_samples": row.type_samples, "sector_samples": row.sector_samples,
            "type_accuracy": None if row.type_accuracy is None else round(row.type_accuracy, 4),
            "sector_accuracy": None if row.sector_accuracy is None else round(row.sector_accuracy, 4),
            "evaluation": row.evaluation}


def train_scope(agency_id: int | None) -> dict:
    """Entry point of the background task: train one agency's model (or the province's), never leaving
    ``retrain_queued`` set when it fails."""
    from tinhso.core.models import Agency

    from .models import Classifier

    agency = Agency.objects.filter(pk=agency_id).first() if agency_id is not None else None
    try:
        return train(agency)
    except Exception:
        Classifier.objects.filter(agency_id=agency_id).update(retrain_queued=False) if agency_id is not None else \
            Classifier.objects.filter(agency__isnull=True).update(retrain_queued=False)
        raise


def note_confirmed(agency_id: int) -> None:
    """Count one more confirmed document for the agency's model and the province's; queue a retraining of a model
    once ``CLASSIFY_RETRAIN_EVERY`` documents were confirmed since its last training (once: the flag is set by the
    same UPDATE that checks it). Runs after the registering transaction commits (``transaction.on_commit``)."""
    from .models import Classifier
    from .tasks import train_classifier

    every = int(setting("CLASSIFY_RETRAIN_EVERY"))
    for scope in (agency_id, None):
        row = _row(scope)
        Classifier.objects.filter(pk=row.pk).update(confirmed_since=F("confirmed_since") + 1)
        due = Classifier.objects.filter(pk=row.pk, confirmed_since__gte=every, retrain_queued=False).update(
            retrain_queued=True)
        if due:
            train_classifier.enqueue(scope)


# --- suggesting ----------------------------------------------------------------------------------------------------

_CACHE: dict[tuple, Bundle | None] = {}


def _bundle(row) -> Bundle | None:
    """The row's models, read once per process and version."""
    if not row.params:
        return None
    key = (row.pk, row.version, row.trained_at)
    if key not in _CACHE:
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = Bundle.from_bytes(row.params)
    return _CACHE[key]


def classifier_for(agency):
    """(row, bundle, scope) of the model that serves ``agency``: its own when trained on enough documents, else the
    province's; (None, None, "") when there is none."""
    from .models import Classifier

    rows = {(r.agency_id or 0): r for r in Classifier.objects.filter(
        Q(agency=agency) | Q(agency__isnull=True), version__gt=0).defer("evaluation")}
    own = rows.get(agency.pk) if agency is not None else None
    if own is not None and own.sample_count >= int(setting("CLASSIFY_MIN_AGENCY_SAMPLES")):
        bundle = _bundle(own)
        if bundle is not None:
            return own, bundle, "agency"
    province = rows.get(0)
    if province is not None:
        bundle = _bundle(province)
        if bundle is not None:
            return province, bundle, "province"
    return None, None, ""


@dataclass
class Guess:
    value: object  # DocumentType or Sector
    confidence: float
    prefill: bool

    @property
    def percent(self) -> int:
        return int(self.confidence * 100)


@dataclass
class Suggestion:
    type: Guess | None = None
    sector: Guess | None = None
    version: int = 0
    scope: str = ""

    def as_hidden(self) -> dict:
        """What the form carries until the document is registered (``record`` compares it with the choice)."""
        return {"suggested_type": self.type.value.pk if self.type else "",
                "type_confidence": f"{self.type.confidence:.4f}" if self.type else "",
                "suggested_sector": self.sector.value.pk if self.sector else "",
                "sector_confidence": f"{self.sector.confidence:.4f}" if self.sector else "",
                "classifier_version": self.version, "classifier_scope": self.scope}


def suggest(agency, *, notation: str = "", subject: str = "", sender_name: str = "", body: str = "") -> Suggestion:
    """The type and the sector the agency's model (else the province's) reads in the document; ``prefill`` is set
    only when the confidence reaches the threshold."""
    from .models import DocumentType, Sector

    row, bundle, scope = classifier_for(agency)
    if bundle is None or not (subject.strip() or body.strip()):
        return Suggestion()
    limit = threshold()
    result = Suggestion(version=row.version, scope=scope)
    for attr, model, queryset in (("type", bundle.type, DocumentType.objects.filter(is_active=True)),
                                  ("sector", bundle.sector, Sector.objects.filter(is_active=True))):
        bag = features(notation=notation, subject=subject, sender=sender_name, body=body, target=attr)
        if model is None or not bag:
            continue
        label, confidence = model.predict(bag)
        value = queryset.filter(pk=int(label)).first() if label.isdigit() else None
        if value is not None:
            setattr(result, attr, Guess(value, confidence, confidence >= limit))
    return result


def suggest_for_clerk(user, agency, *, notation: str = "", subject: str = "", sender_name: str = "",
                      uploads: Iterable = ()) -> Suggestion:
    """What the registration form shows while the clerk fills it in: the suggestion for the typed fields and the
    text of the chosen files (PDF or DOCX; a file that fails the upload checks is simply not read here, the
    registration itself will refuse it). Only a clerk of ``agency`` may ask."""
    from tinhso.core.errors import DomainError, Forbidden

    from . import access, files

    if not access.is_clerk_for(user, agency):
        raise Forbidden(f"Thao tác này cần vai trò Văn thư của {agency.name}.")
    texts: list[str] = []
    for upload in uploads:
        try:
            texts.append(files.read_upload(upload).text)
        except DomainError:
            continue
        if sum(len(t) for t in texts) >= MAX_BODY_CHARS:
            break
    return suggest(agency, notation=notation, subject=subject, sender_name=sender_name, body="\n".join(texts))


def suggest_for_document(document) -> Suggestion:
    """The suggestion for a document already stored (one delivered on the platform, waiting to be registered)."""
    body = body_texts([document.pk]).get(document.pk, "")
    return suggest(document.agency, notation=document.notation, subject=document.subject,
                   sender_name=document.sender_name, body=body)


def _float(raw) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if 0.0 <= value <= 1.0 else None


def _int(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() else None


def record(document, shown: dict | None = None):
    """Keep what was suggested for a newly registered incoming document and whether the clerk kept it. ``shown`` is
    the suggestion the registration form carried (``Suggestion.as_hidden``); without one (the API, a form without a
    suggestion) the suggestion is computed now from the document's own text, and counts as not pre-filled."""
    from .models import ClassificationRecord, DocumentType, Sector

    limit = threshold()
    shown = shown or {}
    type_pk, type_conf = _int(shown.get("suggested_type")), _float(shown.get("type_confidence"))
    sector_pk, sector_conf = _int(shown.get("suggested_sector")), _float(shown.get("sector_confidence"))
    version, scope = _int(shown.get("classifier_version")) or 0, str(shown.get("classifier_scope") or "")[:10]
    from_form = (type_pk is not None and type_conf is not None) or (sector_pk is not None and sector_conf is not None)
    suggested_type = DocumentType.objects.filter(pk=type_pk).first() if type_pk is not None else None
    suggested_sector = Sector.objects.filter(pk=sector_pk).first() if sector_pk is not None else None
    if not from_form:
        computed = suggest_for_document(document)
        suggested_type = computed.type.value if computed.type else None
        type_conf = computed.type.confidence if computed.type else None
        suggested_sector = computed.sector.value if computed.sector else None
        sector_conf = computed.sector.confidence if computed.sector else None
        version, scope = computed.version, computed.scope
    if suggested_type is None and suggested_sector is None:
        return None

    def kept(attr, suggested, confidence, final_id) -> tuple[bool, bool | None]:
        """(pre-filled, kept): a pre-filled value cleared counts as refused; a value never shown and left empty
        says nothing."""
        if suggested is None:
            return False, None
        prefilled = bool(from_form and shown.get(f"{attr}_prefilled") in ("1", 1, True)
                         and confidence is not None and confidence >= limit)
        if final_id is None:
            return prefilled, (False if prefilled else None)
        return prefilled, final_id == suggested.pk

    type_prefilled, type_accepted = kept("type", suggested_type, type_conf, document.document_type_id)
    sector_prefilled, sector_accepted = kept("sector", suggested_sector, sector_conf, document.sector_id)
    return ClassificationRecord.objects.create(
        document=document, classifier_version=version, scope=scope,
        suggested_type=suggested_type, type_confidence=type_conf if suggested_type else None,
        type_prefilled=type_prefilled, type_accepted=type_accepted,
        suggested_sector=suggested_sector, sector_confidence=sector_conf if suggested_sector else None,
        sector_prefilled=sector_prefilled, sector_accepted=sector_accepted,
    )


def registered(document, shown: dict | None = None) -> None:
    """SERVICES HOOK, called by ``services.register_incoming`` and ``confirm_registration`` in their transaction:
    record the suggestion (``record``) and, once committed, count the document towards retraining."""
    try:
        with transaction.atomic():
            record(document, shown)
    except Exception:  # a suggestion must never stop a registration
        logger.exception("classification record of document %s failed", document.pk)
    agency_id = document.agency_id
    transaction.on_commit(lambda: note_confirmed(agency_id), robust=True)


def acceptance(agency=None) -> dict:
    """Measured on registered documents: of the pre-filled suggestions, the share the clerk kept; of all the
    suggestions (pre-filled or not), the share that matched the clerk's choice."""
    from .models import ClassificationRecord

    rows = ClassificationRecord.objects.all()
    if agency is not None:
        rows = rows.filter(document__agency=agency)
    out = {}
    for name in ("type", "sector"):
        with_guess = rows.filter(**{f"suggested_{name}__isnull": False})
        prefilled = with_guess.filter(**{f"{name}_prefilled": True})
        out[name] = {
            "suggested": with_guess.count(),
            "agreed": with_guess.filter(**{f"{name}_accepted": True}).count(),
            "prefilled": prefilled.count(),
            "prefilled_kept": prefilled.filter(**{f"{name}_accepted": True}).count(),
        }
    return out
