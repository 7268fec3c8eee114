"""`synthmesh gen --count N`: build QAPs through the generator, with a progress bar and a summary."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections import Counter
from typing import Any

import grpc
from google.protobuf import json_format
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.cli.inputs import rpc_failure
from services.common.clients import channel
from services.common.settings import DEFAULT_PORTS
from synthmesh.generator.v1 import generator_pb2 as pb
from synthmesh.generator.v1 import generator_pb2_grpc
from synthmesh.pool.v1 import pool_pb2

TOPICS = {"animation": pb.TOPIC_ANIMATION, "science": pb.TOPIC_SCIENCE, "games": pb.TOPIC_GAMES}
AUGMENTS = {"questions": pb.AUGMENT_TYPE_CHANGE_QUESTIONS, "answers": pb.AUGMENT_TYPE_CHANGE_ANSWERS}


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """`synthmesh gen --count N [--push] [--pool v1|v2] [--topic] [--augment] [--parallel P] [--json]`."""
    command: argparse.ArgumentParser = sub.add_parser("gen", help="build QAPs with the generator (progress bar)")
    command.add_argument("--count", type=int, default=1)
    command.add_argument("--push", action="store_true", help="push each generated QAP to the pool")
    command.add_argument("--pool", choices=("v1", "v2"), default="v1")
    command.add_argument("--topic", choices=sorted(TOPICS))
    command.add_argument("--augment", choices=sorted(AUGMENTS))
    command.add_argument("--parallel", type=int, default=2, help="QAPs built at once")
    command.add_argument("--json", action="store_true", help="print each response as a JSON line")
    command.add_argument("--generator", default=os.environ.get("GENERATOR_SERVICE_ADDR",
                                                               f"localhost:{DEFAULT_PORTS['generator'][0]}"))
    return command


def run(args: argparse.Namespace) -> int:
    """Exit code 0 when every QAP was generated, 1 when some were dropped, 2 on a call failure."""
    if args.count < 1 or args.parallel < 1:
        print("synthmesh gen: --count and --parallel must be at least 1")
        return 2
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    chan = channel(args.generator)
    stub = generator_pb2_grpc.GeneratorServiceStub(chan)
    request = pb.GenerateQapRequest(topic=TOPICS.get(args.topic, pb.TOPIC_UNSPECIFIED),
                                    augment_type=AUGMENTS.get(args.augment, pb.AUGMENT_TYPE_UNSPECIFIED),
                                    push=args.push,
                                    pool=pool_pb2.POOL_KIND_V2 if args.pool == "v2" else pool_pb2.POOL_KIND_V1)
    gate = asyncio.Semaphore(args.parallel)
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    pushed = [0]  # QAPs the generator put into the pool (a list: the tasks below add to it)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=args.json) as progress:
        task = progress.add_task("generating", total=args.count)

        async def one() -> None:
            async with gate:
                try:
                    reply = await stub.GenerateQap(request, timeout=3600)
                except grpc.aio.AioRpcError as exc:
                    failures.append(rpc_failure(exc, "--generator"))
                    return
                finally:
                    progress.advance(task)
                label = "generated" if reply.outcome == pb.OUTCOME_GENERATED else f"dropped: {reply.drop_reason}"
                outcomes[label] += 1
                pushed[0] += int(reply.pushed)
                progress.update(task, description=", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
                if args.json:
                    print(json.dumps(json_format.MessageToDict(reply, preserving_proto_field_name=True)))

        await asyncio.gather(*(one() for _ in range(args.count)))
    await chan.close()
    if not args.json:
        for label, count in sorted(outcomes.items()):
            print(f"{count:5d}  {label}")
        if args.push:
            print(f"{pushed[0]:5d}  pushed to the {args.pool} pool")
    for failure in failures[:5]:
        print(f"synthmesh gen: {failure}")
    if failures:
        return 2
    return 0 if outcomes["generated"] == args.count else 1
