#!/usr/bin/env python3
"""Regenerates readings.csv: the sensor readings the examples run on.

Eight devices report temperature and humidity about once a second for ten
minutes. Like real radio links, about 5% of readings arrive late (1-4 s out
of order) and a handful very late (8-20 s), so the event-time examples have
disorder and late data to handle. Fixed seed: the output never changes.
"""
import random

START_MS = 1_700_000_000_000
DEVICES = [f"dev-{i}" for i in range(1, 9)]
SECONDS = 420

rng = random.Random(7)
readings = []  # (arrival_ms, device, ts, temp, humidity)
for device_index, device in enumerate(DEVICES):
    base_temp = 21.0 + 1.5 * device_index
    for second in range(SECONDS):
        ts = START_MS + second * 1000 + rng.randrange(0, 1000)
        temp = round(base_temp + 4.0 * rng.random() + (6.0 if 200 <= second < 260 else 0.0), 2)
        humidity = round(40.0 + 20.0 * rng.random(), 1)
        delay = 0
        roll = rng.random()
        if roll < 0.05:
            delay = rng.randrange(1000, 4000)
        elif roll < 0.052:
            delay = rng.randrange(8000, 20000)
        readings.append((ts + delay, device, ts, temp, humidity))

readings.sort()
with open("readings.csv", "w") as out:
    out.write("device,ts,temp,humidity\n")
    for _, device, ts, temp, humidity in readings:
        out.write(f"{device},{ts},{temp},{humidity}\n")
