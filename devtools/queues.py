"""The event queues of a running estate: ``make queues`` shows each consumer queue's depth,
messages in flight, age of its oldest message and its dead letters; ``make redrive
QUEUE=<consumer>`` moves that queue's dead letters back once the cause is fixed.

On AWS the same figures are CloudWatch's SQS metrics (ApproximateNumberOfMessagesVisible,
ApproximateAgeOfOldestMessage) on the queues the SAM templates declare; redrive there is
the console's or ``aws sqs start-message-move-task``.
"""

from __future__ import annotations

import argparse
import os
import sys

from lift_core import LiftSettings
from lift_core.dynamo import aws_client
from lift_core.events import queue_stats, redrive

from banking.bootstrap import SUBSCRIPTIONS as BANKING
from ecommerce.bootstrap import SUBSCRIPTIONS as ECOMMERCE
from healthcare.bootstrap import SUBSCRIPTIONS as HEALTHCARE

CONSUMERS = [s.consumer for s in (*BANKING, *ECOMMERCE, *HEALTHCARE)]
ESTATES = {"local": "lift-dev-", "compose": "lift-compose-"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.queues", description=__doc__)
    parser.add_argument("--estate", choices=sorted(ESTATES), default="local")
    parser.add_argument("--endpoint", default="http://127.0.0.1:4566")
    parser.add_argument("--redrive", metavar="QUEUE", choices=CONSUMERS)
    args = parser.parse_args(argv)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # the emulator's, as the estate
        os.environ.setdefault(name, "local")
    settings = LiftSettings(dynamodb_endpoint=args.endpoint, table_prefix=ESTATES[args.estate])
    sqs = aws_client("sqs", settings)
    if args.redrive:
        moved = redrive(settings, sqs, args.redrive)
        print(f"{args.redrive}: {moved} dead letters moved back to the queue")
        return 0
    print(f"{'queue':<34}{'visible':>8}{'in flight':>10}{'oldest s':>10}{'dead':>6}")
    for consumer in CONSUMERS:
        s = queue_stats(settings, sqs, consumer)
        oldest = f"{s.oldest_age_seconds:.1f}" if s.oldest_age_seconds is not None else "-"
        print(f"{s.queue:<34}{s.visible:>8}{s.in_flight:>10}{oldest:>10}{s.dead_letters:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
