"""A Python peer of a running Runnel, written from docs/WIRE.md alone.

Starts `runnel run graph.json` (a zmq source taking batches and Reading
messages, a filter and a projection, a zmq sink back to us), sends readings
as wire batches and as Reading messages plus one bad frame, ends the source
with a closing heartbeat, and checks every result row Runnel sends back and
the dead-letter record of the bad frame. Uses only Debian's python3-zmq,
python3-flatbuffers and the code `flatc --python` generated from
transports/wire/wire.fbs (on sys.path, see interop_test.sh).

usage: client.py RUNNEL GRAPH WORKDIR
"""

import os
import random
import socket
import struct
import subprocess
import sys
import time

import flatbuffers
import zmq

from runnel.wire.fb import Batch, Envelope, Field, FieldType, Heartbeat, Hello
from runnel.wire.fb import Message, NumberValue, Reading, TextValue

TIMEOUT_S = 60
NS_PER_MS = 1_000_000
NO_WATERMARK = -(2**63)
FIELD_TYPE_NAMES = {FieldType.FieldType.i64: "i64", FieldType.FieldType.f64: "f64",
                    FieldType.FieldType.bool: "bool", FieldType.FieldType.ts: "ts",
                    FieldType.FieldType.sym: "sym"}


def fingerprint(fields):
    """docs/WIRE.md, Schema fingerprint: FNV-1a 64 over "name:type;" of each field."""
    value = 0xcbf29ce484222325
    for byte in "".join(f"{name}:{kind};" for name, kind in fields).encode():
        value = ((value ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return value


IN_SCHEMA = [("device", "sym"), ("ts", "ts"), ("temp", "f64")]
OUT_SCHEMA = [("device", "sym"), ("ts", "ts"), ("temp_f", "f64")]


def f64_bits(value):
    return struct.unpack("<Q", struct.pack("<d", value))[0]


def bits_f64(slot):
    return struct.unpack("<d", struct.pack("<Q", slot))[0]


def i64_bits(value):
    return value & 0xFFFFFFFFFFFFFFFF


def bits_i64(slot):
    return slot - (1 << 64) if slot >= 1 << 63 else slot


def envelope(builder, kind, message):
    Envelope.EnvelopeStart(builder)
    Envelope.EnvelopeAddVersion(builder, 1)
    Envelope.EnvelopeAddMessageType(builder, kind)
    Envelope.EnvelopeAddMessage(builder, message)
    builder.Finish(Envelope.EnvelopeEnd(builder), file_identifier=b"RNLW")
    return bytes(builder.Output())


def encode_batch(producer, sequence, rows):
    """rows: (device, ts_ms, temp). Slots row-major, sym as batch dictionary index."""
    builder = flatbuffers.Builder(1024)
    dictionary = []
    slots = []
    for device, ts_ms, temp in rows:
        if device not in dictionary:
            dictionary.append(device)
        slots += [dictionary.index(device), i64_bits(ts_ms * NS_PER_MS), f64_bits(temp)]
    names = [builder.CreateString(d) for d in dictionary]
    name = builder.CreateString("python-client")
    Batch.BatchStartSymbolsVector(builder, len(names))
    for offset in reversed(names):
        builder.PrependUOffsetTRelative(offset)
    symbols = builder.EndVector()
    Batch.BatchStartSlotsVector(builder, len(slots))
    for slot in reversed(slots):
        builder.PrependUint64(slot)
    slot_vector = builder.EndVector()
    Batch.BatchStart(builder)
    Batch.BatchAddProducer(builder, producer)
    Batch.BatchAddProducerName(builder, name)
    Batch.BatchAddEpoch(builder, 1)
    Batch.BatchAddSequence(builder, sequence)
    Batch.BatchAddSchemaFingerprint(builder, fingerprint(IN_SCHEMA))
    Batch.BatchAddWatermark(builder, NO_WATERMARK)
    Batch.BatchAddRowCount(builder, len(rows))
    Batch.BatchAddWidth(builder, len(IN_SCHEMA))
    Batch.BatchAddSlots(builder, slot_vector)
    Batch.BatchAddSymbols(builder, symbols)
    return envelope(builder, Message.Message.Batch, Batch.BatchEnd(builder))


def encode_reading(device, ts_ms, temp):
    """docs/WIRE.md, Readings: values matched to schema fields by name."""
    builder = flatbuffers.Builder(256)
    number_name, text_name = builder.CreateString("temp"), builder.CreateString("device")
    text_value = builder.CreateString(device)
    NumberValue.NumberValueStart(builder)
    NumberValue.NumberValueAddName(builder, number_name)
    NumberValue.NumberValueAddValue(builder, temp)
    number = NumberValue.NumberValueEnd(builder)
    TextValue.TextValueStart(builder)
    TextValue.TextValueAddName(builder, text_name)
    TextValue.TextValueAddValue(builder, text_value)
    text = TextValue.TextValueEnd(builder)
    Reading.ReadingStartNumbersVector(builder, 1)
    builder.PrependUOffsetTRelative(number)
    numbers = builder.EndVector()
    Reading.ReadingStartTextsVector(builder, 1)
    builder.PrependUOffsetTRelative(text)
    texts = builder.EndVector()
    Reading.ReadingStart(builder)
    Reading.ReadingAddTsMs(builder, ts_ms)
    Reading.ReadingAddNumbers(builder, numbers)
    Reading.ReadingAddTexts(builder, texts)
    return envelope(builder, Message.Message.Reading, Reading.ReadingEnd(builder))


def encode_closing(producer, last_sequence):
    builder = flatbuffers.Builder(64)
    Heartbeat.HeartbeatStart(builder)
    Heartbeat.HeartbeatAddProducer(builder, producer)
    Heartbeat.HeartbeatAddEpoch(builder, 1)
    Heartbeat.HeartbeatAddLastSequence(builder, last_sequence)
    Heartbeat.HeartbeatAddWatermark(builder, NO_WATERMARK)
    Heartbeat.HeartbeatAddSentAt(builder, time.time_ns())
    Heartbeat.HeartbeatAddClosing(builder, True)
    return envelope(builder, Message.Message.Heartbeat, Heartbeat.HeartbeatEnd(builder))


def union_table(env, table_class):
    table = env.Message()
    message = table_class()
    message.Init(table.Bytes, table.Pos)
    return message


def receive_results(results, runnel):
    """Rows of the results channel until Runnel's sink closes it."""
    rows, hello_schema, producer = [], None, None
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if not results.poll(200):
            if runnel.poll() is not None and runnel.returncode != 0:
                sys.exit(f"runnel exited with {runnel.returncode}")
            continue
        channel, frame = results.recv_multipart()
        assert channel == b"results", channel
        assert frame[4:8] == b"RNLW", "frame 2 is an Envelope with identifier RNLW"
        env = Envelope.Envelope.GetRootAs(frame, 0)
        assert env.Version() == 1
        kind = env.MessageType()
        if kind == Message.Message.Hello:
            hello = union_table(env, Hello.Hello)
            hello_schema = [(hello.Schema(i).Name().decode(),
                             FIELD_TYPE_NAMES[hello.Schema(i).Type()])
                            for i in range(hello.SchemaLength())]
            assert hello.SchemaFingerprint() == fingerprint(hello_schema)
        elif kind == Message.Message.Batch:
            batch = union_table(env, Batch.Batch)
            assert batch.SchemaFingerprint() == fingerprint(OUT_SCHEMA), "result schema"
            width = batch.Width()
            assert width == len(OUT_SCHEMA) and batch.SlotsLength() == batch.RowCount() * width
            producer = batch.Producer()
            symbols = [batch.Symbols(i).decode() for i in range(batch.SymbolsLength())]
            for r in range(batch.RowCount()):
                device, ts, temp_f = (batch.Slots(r * width + f) for f in range(width))
                rows.append((symbols[device], bits_i64(ts) // NS_PER_MS, bits_f64(temp_f)))
        elif kind == Message.Message.Heartbeat:
            heartbeat = union_table(env, Heartbeat.Heartbeat)
            if heartbeat.Closing():
                assert producer is None or heartbeat.Producer() == producer
                return rows, hello_schema
    sys.exit("no closing heartbeat from Runnel's sink in time")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_dead_letters(path):
    """docs/WIRE.md, Dead-letter file: (channel, reason, frame) per record."""
    data, records, at = open(path, "rb").read(), [], 0
    while at < len(data):
        assert data[at:at + 4] == b"RNLD"
        (length,) = struct.unpack_from("<I", data, at + 4)
        channel_len, reason_len = struct.unpack_from("<HH", data, at + 24)
        body = data[at + 28:at + 8 + length]
        records.append((body[:channel_len].decode(),
                        body[channel_len:channel_len + reason_len].decode(),
                        body[channel_len + reason_len:]))
        at += 8 + length
    return records


def main():
    runnel_path, graph, work = sys.argv[1:4]
    context = zmq.Context()
    results = context.socket(zmq.PULL)
    out_port = results.bind_to_random_port("tcp://127.0.0.1")
    in_endpoint = f"tcp://127.0.0.1:{free_port()}"
    dead_letter = os.path.join(work, "dead.rnld")
    env = dict(os.environ, RUNNEL_INTEROP_IN=in_endpoint,
               RUNNEL_INTEROP_OUT=f"tcp://127.0.0.1:{out_port}",
               RUNNEL_INTEROP_DEAD_LETTER=dead_letter)
    runnel = subprocess.Popen([runnel_path, "run", graph, "--stats"], env=env)
    try:
        readings = context.socket(zmq.PUSH)
        readings.setsockopt(zmq.LINGER, 5000)
        readings.setsockopt(zmq.SNDTIMEO, 10000)
        readings.connect(in_endpoint)
        rng = random.Random(6)
        sent = [(f"dev-{i % 4}", 1_700_000_000_000 + i * 250, round(rng.uniform(10, 30), 2))
                for i in range(600)]
        producer = rng.getrandbits(64)
        sequence = 0
        for first in range(0, 400, 40):  # the first 400 as ten batches ...
            sequence += 1
            readings.send_multipart([b"sensors", encode_batch(producer, sequence,
                                                              sent[first:first + 40])])
        readings.send_multipart([b"sensors", b"not a flatbuffer"])  # dropped, counted
        for device, ts_ms, temp in sent[400:]:  # ... the rest as single readings
            readings.send_multipart([b"sensors", encode_reading(device, ts_ms, temp)])
        readings.send_multipart([b"sensors", encode_closing(producer, sequence)])

        rows, hello_schema = receive_results(results, runnel)
        assert runnel.wait(TIMEOUT_S) == 0, f"runnel exited with {runnel.returncode}"
    finally:
        if runnel.poll() is None:
            runnel.kill()
            runnel.wait()

    expected = [(d, ts, t * 1.8 + 32) for d, ts, t in sent if t > 20]
    assert hello_schema == OUT_SCHEMA, hello_schema  # the sink announces its schema
    assert len(rows) == len(expected), (len(rows), len(expected))
    for got, want in zip(rows, expected):
        assert got[:2] == want[:2] and abs(got[2] - want[2]) < 1e-9, (got, want)
    dead = read_dead_letters(dead_letter)
    assert len(dead) == 1 and dead[0][0] == "sensors" and dead[0][2] == b"not a flatbuffer", dead
    print(f"interop: {len(sent)} readings sent (400 in batches, 200 as Readings), "
          f"{len(rows)} results received and checked, 1 bad frame dead-lettered: "
          f"{dead[0][1]}")


if __name__ == "__main__":
    main()
