#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""kubelet_configmap.py DIR KEY=FILE... - project a ConfigMap into DIR the way
the kubelet does (pkg/volume/util/atomic_writer.go, AtomicWriter.Write):

  (5)  a new timestamped directory ..YYYY_MM_DD_hh_mm_ss.<random>, mode 0755
  (6)  the payload written into it (each key a file, mode 0644)
  (7)  user-visible symlinks KEY -> ..data/KEY, for keys that have none yet
  (8)  ..data_tmp -> the new directory
  (9)  ..data_tmp renamed over ..data (the atomic step)
  (10) user-visible symlinks of keys no longer in the payload removed
  (11) the previous timestamped directory removed

Nothing is written when the payload equals what ..data holds (step 4).
"""
import datetime
import os
import random
import shutil
import sys


def main():
    target = sys.argv[1]
    payload = {}
    for arg in sys.argv[2:]:
        key, _, path = arg.partition("=")
        with open(path, "rb") as f:
            payload[key] = f.read()
    data = os.path.join(target, "..data")
    try:
        old = os.readlink(data)
    except FileNotFoundError:
        old = ""
    if old:
        old_keys = set(os.listdir(os.path.join(target, old)))
        same = old_keys == set(payload) and all(
            open(os.path.join(target, old, k), "rb").read() == v for k, v in payload.items())
        if same:
            return
    else:
        old_keys = set()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("..%Y_%m_%d_%H_%M_%S.")
    while True:
        ts = os.path.join(target, stamp + str(random.randrange(10**9)))
        try:
            os.mkdir(ts)
            break
        except FileExistsError:
            continue
    os.chmod(ts, 0o755)
    for k, v in payload.items():
        p = os.path.join(ts, k)
        with open(p, "wb") as f:
            f.write(v)
        os.chmod(p, 0o644)
    for k in payload:
        visible = os.path.join(target, k)
        if not os.path.islink(visible):
            os.symlink(os.path.join("..data", k), visible)
    tmp = os.path.join(target, "..data_tmp")
    os.symlink(os.path.basename(ts), tmp)
    os.rename(tmp, data)
    for k in old_keys - set(payload):
        os.remove(os.path.join(target, k))
    if old:
        shutil.rmtree(os.path.join(target, old))


if __name__ == "__main__":
    main()
