"""Train the bootstrap matching model on synthetic residents and write it where the MPI reads it before
any model was trained on real identities (`mpi/bootstrap_model.json`). Deterministic for a seed."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand

from weijian.linkage import synthetic
from weijian.linkage.engines import train
from weijian.linkage.standardise.frame import standardise_frame
from weijian.mpi.matching import BOOTSTRAP_MODEL


class Command(BaseCommand):
    help = "用合成居民训练初始匹配模型 / train the bootstrap matching model on synthetic residents"

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=50_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--output", default=str(BOOTSTRAP_MODEL))
        # Real time links against the whole city: agreeing on name, birth date and sex alone (weight ≈ 8
        # at this training size) must go to review, so the automatic link needs more than that.
        parser.add_argument("--upper", type=float, default=10.0, help="auto-link match weight")

    def handle(self, *args, residents, seed, output, upper, **options):
        started = time.monotonic()
        raw = synthetic.generate(residents, seed=seed, mix="ordinary")
        frame = standardise_frame(raw[list(synthetic.RAW_COLUMNS)], gazetteer=synthetic.gazetteer())
        model = train(frame, version=f"bootstrap-synthetic-{seed}", threshold_upper=upper)
        Path(output).write_text(model.to_json(), encoding="utf-8")
        self.stdout.write(f"{model.version}: {len(frame)} 条合成记录 / records, "
                          f"{time.monotonic() - started:.1f}s → {output}")
