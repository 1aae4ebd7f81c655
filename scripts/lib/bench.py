"""scripts/bench: times xenaudit against verify-image, Xen's verify-stream-v2 and bare decompressors.

Standard library only. Run it through scripts/bench; --help lists the options.
"""

import argparse
import csv
import datetime
import glob
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AUDIT = os.path.join(ROOT, "scripts", "audit")
VERIFY_IMAGE = os.path.join(ROOT, "scripts", "verify-image")
MAKE_FLEET = os.path.join(ROOT, "scripts", "make-sample-fleet")
MAKE_HOST_POLICY = os.path.join(ROOT, "scripts", "make-host-policy")
CLUSTER = os.path.join(ROOT, "scripts", "cluster")
GNU_TIME = "/usr/bin/time"
S3PROXY_JAR = os.path.join(ROOT, "pipeline", "target", "s3proxy", "s3proxy.jar")
GIB = 1 << 30

ROWS = ("decompressor", "xenaudit", "xenaudit-policy", "xenaudit-flink", "xenaudit-spark", "xenaudit-flink-cluster",
        "xenaudit-spark-cluster", "xenaudit-Xmx256m", "verify-image", "xenaudit-full-read", "verify-stream-v2",
        "xenaudit-always-ranged", "xenaudit-sdk-gets", "xenaudit-read-through", "xenaudit-beam-s3")
WORKLOADS = ("huge", "medium", "small", "gz", "zst", "s3", "fleet")
# Issue 9: the fleet workload's heap, whatever the number of images.
FLEET_HEAP = "-Xmx512m"
# The s3 workload: a local s3proxy (filesystem backend) and these credentials, handed to scripts/audit
# through the environment (the AWS default chain), never on its command line.
S3_BUCKET = "xenaudit-bench"
S3_ACCESS_KEY = "xenaudit-bench"
S3_SECRET_KEY = "xenaudit-bench-secret"
# Untimed default audits that bring the s3proxy JVM to steady state: at least, at most.
S3_WARM_UP_MIN = 3
S3_WARM_UP_MAX = 8
# --seekThreshold of the "always read through" row: larger than any skip.
READ_THROUGH_THRESHOLD = 1 << 50

# What issue 4 asks of the default run (printed as checks under the tables).
TARGET_VS2 = 50.0
TARGET_FULL = 10.0
TARGET_READ_PCT = 0.25
TARGET_DECOMP = 1.3
# Issue 9: pools, a target policy and a previous output together cost at most this over the default.
TARGET_POLICY = 1.3
# The cluster-runner rows: the same audit on an embedded Flink or Spark cluster on this machine.
CLUSTER_ROWS = {"xenaudit-flink": ["--runner=FlinkRunner", "--flinkMaster=[local]", "--parallelism=2"],
                "xenaudit-spark": ["--runner=SparkRunner", "--sparkMaster=local[2]"]}
# The real-cluster rows: the same audit submitted to a multi-process cluster on loopback (scripts/cluster:
# Flink JobManager + 2 TaskManagers, Spark Master + 2 Workers and their executors), started for the row
# in WORK/cluster/<workload>-<engine> on free ports and stopped after it. Submitted twice: the first
# (cold) job's wall time goes to the notes, the second (steady state: daemons up and past their first
# job) is the row's figure.
REAL_CLUSTER_ROWS = {"xenaudit-flink-cluster": "flink", "xenaudit-spark-cluster": "spark"}
# Every process carrying the cluster's mark is polled this often for VmHWM/VmRSS.
CLUSTER_POLL_S = 0.5
# scripts/cluster start --timeout, and how long one submission may take before it is stopped.
CLUSTER_START_TIMEOUT = 120
CLUSTER_JOB_TIMEOUT = 1800
# The xenaudit-policy row's pools: the first digit of the image number (guest-0001.xl -> pool 0).
POLICY_POOL_KEY = r"guest-(\d)"

SUMMARY = re.compile(
    r"xenaudit: (\d+) images audited in ([\d.]+) s: (\d+) valid, (\d+) invalid, (\d+) unreadable")
BYTES_READ = re.compile(r"bytes read: (\d+)")
S3_GETS = re.compile(r"s3 ranged GETs: (\d+); bytes fetched: (\d+)")

# One file at a time, as a shell loop would do it. $1 = verify-stream-v2, $2 = decompressor ("" = none),
# $3 = file of failures (exit status and file), $4 = temporary file, then the files. The format comes
# from the extension. verify-stream-v2 reads its input unbuffered, so on a pipe it takes a short read
# for the end of the stream ("Stream truncated"): compressed images are decompressed to a file first.
VS2_LOOP = r'''
vs2=$1; dec=$2; fails=$3; tmp=$4; shift 4
for f in "$@"; do
  base=${f%.gz}; base=${base%.zst}
  case "$base" in
    *.libxl) fmt=libxl ;;
    *.libxc) fmt=libxc ;;
    *) fmt=xl ;;
  esac
  in=$f
  if [ -n "$dec" ]; then
    "$dec" -dc "$f" > "$tmp" || echo "decompress $f" >> "$fails"
    in=$tmp
  fi
  "$vs2" -f "$fmt" -i "$in" || echo "$? $f" >> "$fails"
done
rm -f "$tmp"
exit 0
'''


class Report:
    """Prints to stdout and keeps a copy for the report file."""

    def __init__(self):
        self.lines = []

    def say(self, text=""):
        print(text, flush=True)
        self.lines.append(text)


def parse_size(text):
    """64M, 8G, 64GiB, 1.5G -> bytes (binary units, as make-sample-fleet)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError("not a size: %r (try 16M, 8G, 64GiB)" % text)
    shift = {"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[m.group(2).lower()]
    value = float(m.group(1)) * (1 << shift)
    if value != int(value) or value < (2 << 20):
        raise argparse.ArgumentTypeError("size %r: a whole number of bytes, at least 2M" % text)
    return int(value)


def size_label(n):
    for unit, shift in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if n % (1 << shift) == 0:
            return "%d%s" % (n >> shift, unit)
    return str(n)


def human_bytes(n):
    if n is None:
        return "-"
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= (1 << shift):
            return "%s %s" % (sig(n / (1 << shift)), unit)
    return "%d B" % n


def sig(x, digits=3):
    """A number with about three significant digits, no exponent."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(x)))))
    return "%.*f" % (decimals, x)


def mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def options(argv):
    p = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Times xenaudit (default and full-read), verify-image, Xen's verify-stream-v2 (when "
        "XEN_VERIFY_STREAM points to it) and bare gzip/zstd over generated sparse fleets of xl images, "
        "side by side. Fleets are reused when generated before with the same parameters.",
        epilog="Workloads: huge (1 image), medium (100), small (2000), compressed (gz and zst copies of a "
        "few images against gzip -dc / zstd -dc), s3 (8 images on a local s3proxy, read over S3 in the "
        "default mode, full-read, always-ranged (--seekThreshold=0), through the AWS SDK (--s3LeanGets=false), "
        "always-read-through and with Beam's own "
        "S3 channel). On medium and small, xenaudit-flink and xenaudit-spark run the audit on an embedded "
        "cluster in the one JVM, and xenaudit-flink-cluster and xenaudit-spark-cluster submit it to a real "
        "multi-process cluster on loopback (scripts/cluster start, in WORK/cluster, on free ports; stopped "
        "after the row): the row's wall time is the cluster's second job (steady state), the first (cold) "
        "one is in the notes; peak RSS is the client's, every cluster process's peak (polled every %gs, "
        "Spark executors included) is in the notes and the CSV's cluster_rss. --quick skips those two "
        "unless --rows names them. Only xl images are used, so every row audits the same "
        "files (verify-stream-v2 cannot read libvirt images). Runs are warm-cache: the page cache is not "
        "dropped. Exit: 0 done, 1 a measured command failed, 2 usage or setup error." % CLUSTER_POLL_S)
    p.add_argument("--work", default=os.path.join("/tmp", "xenaudit-bench"),
                   help="scratch folder for fleets, audit output, logs and results (default %(default)s)")
    p.add_argument("--csv", help="CSV to write (default WORK/results/bench-<UTC time>.csv)")
    p.add_argument("--quick", action="store_true",
                   help="small smoke run: 1x2G, 10x256M, 50x16M, compressed 2x256M, s3 2x256M (sizes still overridable)")
    p.add_argument("--only", help="comma-separated workloads: huge, medium, small, compressed (= gz,zst), gz, zst, s3, fleet")
    p.add_argument("--rows", help="comma-separated rows to run (default all; each on the workloads it applies to, "
                   "e.g. --rows xenaudit,xenaudit-flink-cluster): " + ", ".join(ROWS))
    p.add_argument("--huge-size", type=parse_size, metavar="SIZE", help="size of the huge image (default 64G; quick 2G)")
    p.add_argument("--medium-count", type=int, metavar="N", help="medium images (default 100; quick 10)")
    p.add_argument("--medium-size", type=parse_size, metavar="SIZE", help="size of each medium image (default 8G; quick 256M)")
    p.add_argument("--small-count", type=int, metavar="N", help="small images (default 2000; quick 50)")
    p.add_argument("--small-size", type=parse_size, metavar="SIZE", help="size of each small image (default 16M)")
    p.add_argument("--compressed-count", type=int, metavar="N", help="images compressed with gzip and zstd (default 4; quick 2)")
    p.add_argument("--compressed-size", type=parse_size, metavar="SIZE",
                   help="size of each compressed image before compression (default 8G, within the 4-256 GiB of a real fleet; quick 256M)")
    p.add_argument("--fleet-count", type=int, metavar="N",
                   help="images of the fleet workload (all containers, 2 MiB guests, audited with %s; default 100000; quick 2000)" % FLEET_HEAP)
    p.add_argument("--s3-count", type=int, metavar="N", help="images of the s3 workload (default 8; quick 2)")
    p.add_argument("--s3-size", type=parse_size, metavar="SIZE", help="size of each s3 image (default 8G; quick 256M)")
    p.add_argument("--seed", type=int, default=1, help="make-sample-fleet seed (default %(default)s)")
    p.add_argument("--regenerate", action="store_true", help="generate the fleets again even if present")
    p.add_argument("--keep-output", action="store_true", help="keep the audit tables under WORK/out")
    o = p.parse_args(argv)
    q = o.quick
    defaults = {
        "huge_size": (2 << 30) if q else (64 << 30),
        "medium_count": 10 if q else 100,
        "medium_size": (256 << 20) if q else (8 << 30),
        "small_count": 50 if q else 2000,
        "small_size": 16 << 20,
        "compressed_count": 2 if q else 4,
        "compressed_size": (256 << 20) if q else (8 << 30),
        "s3_count": 2 if q else 8,
        "fleet_count": 2000 if q else 100000,
        "s3_size": (256 << 20) if q else (8 << 30),
    }
    for k, v in defaults.items():
        if getattr(o, k) is None:
            setattr(o, k, v)
    for k in ("medium_count", "small_count", "compressed_count", "s3_count", "fleet_count"):
        if getattr(o, k) < 1:
            p.error("--%s must be at least 1" % k.replace("_", "-"))
    wanted = set()
    for w in (o.only or ",".join(WORKLOADS)).split(","):
        w = w.strip()
        if w == "compressed":
            wanted.update(("gz", "zst"))
        elif w in WORKLOADS:
            wanted.add(w)
        elif w:
            p.error("--only: unknown workload %r (huge, medium, small, compressed, gz, zst, s3, fleet)" % w)
    o.workloads = [w for w in WORKLOADS if w in wanted]
    o.row_set = set(ROWS)
    if o.rows:
        o.row_set = set(r.strip() for r in o.rows.split(",") if r.strip())
        unknown = o.row_set - set(ROWS)
        if unknown:
            p.error("--rows: unknown %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(ROWS)))
    o.work = os.path.abspath(o.work)
    return o


class Bench:
    def __init__(self, o):
        self.o = o
        self.out = Report()
        self.stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        self.logs = os.path.join(o.work, "logs", self.stamp)
        self.results = []
        self.failed = False
        self.vs2 = None
        self.full_read_supported = False
        self.audit_warmed = False
        self.runners_warmed = set()
        self.time_ok = os.access(GNU_TIME, os.X_OK)

    # ---------------------------------------------------------------- running and measuring

    def run_quiet(self, argv, **kw):
        """An untimed helper command; its output goes to the terminal's stderr."""
        return subprocess.run(argv, stdout=kw.pop("stdout", sys.stderr), **kw).returncode

    def measure(self, name, argv, env=None, stdout_path=None, started=None):
        """Runs argv once: wall seconds, exit status, peak RSS (KiB), rchar (bytes passed by read calls,
        the process tree's, from /proc/PID/io read while the finished process is still a zombie).
        started(pid) is called once the process runs (pid = its process group)."""
        os.makedirs(self.logs, exist_ok=True)
        out_path = stdout_path or os.path.join(self.logs, name + ".out")
        err_path = os.path.join(self.logs, name + ".err")
        time_path = os.path.join(self.logs, name + ".time")
        full = ([GNU_TIME, "-f", "%e %M", "-o", time_path] if self.time_ok else []) + argv
        with open(out_path, "wb") as so, open(err_path, "wb") as se:
            t0 = time.monotonic()
            p = subprocess.Popen(full, stdout=so, stderr=se, stdin=subprocess.DEVNULL, env=env,
                                 start_new_session=True)
            if started:
                started(p.pid)
            try:
                os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
            except BaseException:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                p.wait()
                raise
            wall = time.monotonic() - t0
            rchar = None
            try:
                with open("/proc/%d/io" % p.pid) as io:
                    for line in io:
                        if line.startswith("rchar:"):
                            rchar = int(line.split()[1])
            except OSError:
                pass
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
        rss = usage.ru_maxrss
        if self.time_ok:
            try:
                with open(time_path) as f:
                    last = [l for l in f.read().splitlines() if l.strip()][-1].split()
                rss = int(last[1])
            except (OSError, IndexError, ValueError):
                pass
        return {"wall": wall, "rc": p.returncode, "rss_kb": rss, "rchar": rchar,
                "out": out_path, "err": err_path}

    # ---------------------------------------------------------------- setup

    def machine(self):
        say = self.out.say
        cpu = "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        mem = "?"
        try:
            with open("/proc/meminfo") as f:
                mem = "%.1f GiB" % (int(f.readline().split()[1]) / (1 << 20))
        except (OSError, ValueError, IndexError):
            pass
        java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
        fs = subprocess.run(["stat", "-f", "-c", "%T", self.o.work], capture_output=True, text=True).stdout.strip()
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        self.commit = commit + ("-dirty" if dirty else "")
        say("xenaudit bench %s  (commit %s%s)" % (self.stamp, self.commit, ", quick" if self.o.quick else ""))
        say("machine: %s, %d cores, %s RAM, %s %s; %s; work dir %s (%s)" % (
            cpu, os.cpu_count() or 0, mem, platform.system(), platform.release(),
            java[0] if java else "java ?", self.o.work, fs))
        say("load average at start: %s" % self.loadavg())
        say("warm cache: the page cache is not dropped (that needs root-only knobs); each command runs once,")
        say("after one untimed warm-up pass over the workload's files (see each title). Sparse holes cost a")
        say("zero-fill, not a disk read. Other load on the machine skews the figures.")

    @staticmethod
    def loadavg():
        try:
            with open("/proc/loadavg") as f:
                return " ".join(f.read().split()[:3])
        except OSError:
            return "?"

    def tools(self):
        say = self.out.say
        if not self.time_ok:
            say("note: %s (GNU time) not found; peak RSS comes from wait4() instead" % GNU_TIME)
        vs2 = os.environ.get("XEN_VERIFY_STREAM")
        if "verify-stream-v2" not in self.o.row_set:
            pass
        elif not vs2:
            say("verify-stream-v2: skipped (set XEN_VERIFY_STREAM to Xen's tools/python/scripts/verify-stream-v2)")
        elif not (os.path.isfile(vs2) and os.access(vs2, os.X_OK)):
            say("verify-stream-v2: skipped, XEN_VERIFY_STREAM=%s is not an executable file" % vs2)
        else:
            self.vs2 = os.path.abspath(vs2)
        self.zstd = shutil.which("zstd")
        self.gzip = shutil.which("gzip")
        if "zst" in self.o.workloads and not self.zstd:
            say("zstd: the zstd CLI is not installed; the zst workload is skipped (nothing is installed for you)")
            self.o.workloads.remove("zst")
        if "gz" in self.o.workloads and not self.gzip:
            say("gzip: not installed; the gz workload is skipped")
            self.o.workloads.remove("gz")
        # Build the format core once, untimed (scripts/audit's jar is built by warm_audit).
        print("bench: building if needed (untimed)...", file=sys.stderr, flush=True)
        if self.run_quiet([VERIFY_IMAGE, "--help"], stdin=subprocess.DEVNULL) != 0:
            raise SystemExit("bench: scripts/verify-image does not run (build failed?)")

    def warm_audit(self, file):
        """One untimed audit of one file, before the first timed one: builds the jar if needed, and
        scripts/audit writes its class-data archive on the first run after a build (that run must be
        neither timed nor a --help, which loads few classes). Then: is --readPagePayload there?"""
        out = os.path.join(self.o.work, "out", "warm-up")
        shutil.rmtree(out, ignore_errors=True)
        print("bench: one untimed audit first (build if needed, JVM class-data archive)...", file=sys.stderr,
              flush=True)
        rc = self.run_quiet([AUDIT, "--input=" + file, "--output=" + out], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)
        shutil.rmtree(out, ignore_errors=True)
        if rc != 0:
            raise SystemExit("bench: scripts/audit failed on %s (exit %d)" % (file, rc))
        help_text = subprocess.run([AUDIT, "--help=xenaudit.pipeline.AuditOptions"], capture_output=True,
                                   text=True, stdin=subprocess.DEVNULL)
        self.full_read_supported = "readPagePayload" in help_text.stdout + help_text.stderr
        if "xenaudit-full-read" in self.o.row_set and not self.full_read_supported:
            self.out.say("xenaudit-full-read: skipped, this build's AuditOptions have no --readPagePayload")
        self.audit_warmed = True

    # ---------------------------------------------------------------- fleets

    def cached(self, d, params, pattern, count):
        """The images of DIR/images/PATTERN when an earlier run generated them with these parameters, else None."""
        images = sorted(glob.glob(os.path.join(d, "images", pattern)))
        marker = os.path.join(d, "fleet.json")
        if self.o.regenerate or not os.path.isfile(marker) or len(images) != count:
            return None
        try:
            with open(marker) as f:
                return images if json.load(f).get("params") == params else None
        except (OSError, ValueError):
            return None

    def fleet(self, kind, size, count):
        """A folder of `count` xl images of `size` bytes each: DIR/images/guest-NNNN.xl.

        make-sample-fleet mixes containers (xl, libvirt, libxl, libxc) and cannot be restricted, so enough
        guests are generated to hold `count` xl images (a fleet's first guests do not depend on how many
        are asked for), the first `count` xl images are kept and the rest removed."""
        o = self.o
        d = os.path.join(o.work, "fleets", "%s-%sx%d-seed%d" % (kind, size_label(size), count, o.seed))
        marker = os.path.join(d, "fleet.json")
        params = {"size_bytes": size, "count": count, "seed": o.seed, "container": "xl"}
        images = self.cached(d, params, "*.xl", count)
        if images:
            return d, images
        shutil.rmtree(d, ignore_errors=True)
        tmp = d + ".gen"
        shutil.rmtree(tmp, ignore_errors=True)
        guests = 4 + int(math.ceil((count - 1) * 2.6))
        t0 = time.monotonic()
        while True:
            print("bench: generating the %s fleet: %d guests of %s, for %d xl image%s..." % (
                kind, guests, size_label(size), count, "" if count == 1 else "s"), file=sys.stderr, flush=True)
            rc = self.run_quiet([MAKE_FLEET, "--out", tmp, "--guests", str(guests), "--seed", str(o.seed),
                                 "--memory", str(size)], stdin=subprocess.DEVNULL)
            if rc != 0:
                raise SystemExit("bench: make-sample-fleet failed (exit %d)" % rc)
            xl = sorted(glob.glob(os.path.join(tmp, "guest-*.xl")))
            if len(xl) >= count:
                break
            guests = int(guests * count / max(1, len(xl)) * 1.15) + 8
        os.makedirs(os.path.join(d, "images"))
        for f in xl[:count]:
            os.rename(f, os.path.join(d, "images", os.path.basename(f)))
        shutil.rmtree(tmp)
        with open(marker, "w") as f:
            json.dump({"params": params, "generated_guests": guests,
                       "seconds": round(time.monotonic() - t0, 1)}, f)
            f.write("\n")
        images = sorted(glob.glob(os.path.join(d, "images", "*.xl")))
        return d, images

    def compressed(self, d, images, ext, tool):
        """DIR/<ext>/guest-NNNN.xl.<ext>, made once with the tool's default level."""
        cdir = os.path.join(d, ext)
        os.makedirs(cdir, exist_ok=True)
        out = []
        for f in images:
            c = os.path.join(cdir, os.path.basename(f) + "." + ext)
            if not os.path.isfile(c) or os.path.getmtime(c) < os.path.getmtime(f):
                print("bench: compressing %s with %s..." % (os.path.basename(f), os.path.basename(tool)),
                      file=sys.stderr, flush=True)
                with open(c + ".tmp", "wb") as w:
                    if subprocess.run([tool, "-c", "-q", f] if ext == "zst" else [tool, "-c", f], stdout=w).returncode:
                        raise SystemExit("bench: %s failed on %s" % (tool, f))
                os.rename(c + ".tmp", c)
            out.append(c)
        return out

    # ---------------------------------------------------------------- rows

    def row(self, workload, name, files, image_bytes, argv, env=None, stdout_path=None, started=None):
        m = self.measure("%s-%s" % (workload, name), argv, env=env, stdout_path=stdout_path, started=started)
        r = {"workload": workload, "row": name, "images": len(files), "image_bytes": image_bytes,
             "stored_bytes": sum(os.path.getsize(f) for f in files), "wall_s": m["wall"], "exit": m["rc"],
             "peak_rss_kb": m["rss_kb"], "rchar": m["rchar"], "bytes_read": None, "bytes_read_source": "",
             "job_s": None, "result": "", "notes": "", "s3_gets": None, "s3_bytes_fetched": None, "_m": m}
        return r

    def xenaudit(self, workload, name, files, image_bytes, pattern, extra=(), env=None, keep=False, started=None):
        out = os.path.join(self.o.work, "out", "%s-%s" % (workload, name))
        shutil.rmtree(out, ignore_errors=True)
        r = self.row(workload, name, files, image_bytes,
                     [AUDIT, "--input=" + pattern, "--output=" + out] + list(extra), env=env, started=started)
        m = r["_m"]
        with open(m["out"], errors="replace") as f:
            text = f.read()
        with open(m["err"], errors="replace") as f:
            err = f.read()
        s = SUMMARY.search(text)
        b = BYTES_READ.search(text)
        if s:
            images, job, valid, invalid, unreadable = s.groups()
            r["job_s"] = float(job)
            r["result"] = "%s valid" % valid + ("" if int(invalid) + int(unreadable) == 0
                                                 else ", %s invalid, %s unreadable" % (invalid, unreadable))
            if int(images) != len(files):
                r["notes"] = "audited %s images, expected %d" % (images, len(files))
        else:
            r["result"] = "FAILED (exit %d)" % r["exit"]
            tail = [l for l in err.splitlines() if l.strip()][-1:] or ["no summary"]
            r["notes"] = tail[0][:160]
            self.failed = True
        if b:
            r["bytes_read"] = int(b.group(1))
            r["bytes_read_source"] = "summary"
        g = S3_GETS.search(text)
        if g:
            r["s3_gets"], r["s3_bytes_fetched"] = int(g.group(1)), int(g.group(2))
            r["notes"] = (r["notes"] + "; " if r["notes"] else "") + "%d ranged GETs, %s fetched" % (
                r["s3_gets"], human_bytes(r["s3_bytes_fetched"]))
        if "building the runnable jar" in err:
            r["notes"] = (r["notes"] + "; " if r["notes"] else "") + "REBUILT during the run: time includes a build"
        if not self.o.keep_output and not keep:
            shutil.rmtree(out, ignore_errors=True)
        return r

    def host_policy(self):
        """A six-block host dump (Cascade Lake without AVX-512) for the policy row's --targetPolicy."""
        path = os.path.join(self.o.work, "host-intel-no-avx512.txt")
        if not os.path.isfile(path):
            rc = self.run_quiet([MAKE_HOST_POLICY, "--model", "intel-cascade-lake", "--no-avx512", "--out", path],
                                stdin=subprocess.DEVNULL)
            if rc != 0:
                raise SystemExit("bench: make-host-policy failed (exit %d)" % rc)
        return path

    def policy_row(self, w, files, image_bytes, pattern, env=None):
        """The default audit plus pools, a target and the default row's output as the previous run."""
        previous = os.path.join(self.o.work, "out", "%s-xenaudit" % w)
        extra = ["--poolKey=" + POLICY_POOL_KEY, "--targetPolicy=" + self.host_policy(), "--previousOutput=" + previous]
        r = self.xenaudit(w, "xenaudit-policy", files, image_bytes, pattern, extra=extra, env=env)
        if not self.o.keep_output:
            shutil.rmtree(previous, ignore_errors=True)
        return r

    def verify_image(self, workload, files, image_bytes):
        r = self.row(workload, "verify-image", files, image_bytes, [VERIFY_IMAGE, "--json"] + files)
        counts, read = {}, 0
        with open(r["_m"]["out"], errors="replace") as f:
            for line in f:
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                counts[j.get("status")] = counts.get(j.get("status"), 0) + 1
                read += int(j.get("bytes_read", 0))
        r["bytes_read"], r["bytes_read_source"] = read, "json"
        if sum(counts.values()) != len(files) or r["exit"] == 2:
            r["result"] = "FAILED (exit %d)" % r["exit"]
            self.failed = True
        else:
            r["result"] = ", ".join("%d %s" % (n, s) for s, n in sorted(counts.items()))
        return r

    def verify_stream(self, workload, files, image_bytes, decompressor=""):
        fails = os.path.join(self.logs, "%s-verify-stream-v2.failures" % workload)
        if os.path.exists(fails):
            os.remove(fails)
        r = self.row(workload, "verify-stream-v2", files, image_bytes,
                     ["bash", "-c", VS2_LOOP, "bench-vs2", self.vs2, decompressor, fails,
                      os.path.join(self.o.work, "vs2-input.tmp")] + files)
        failed = []
        if os.path.exists(fails):
            with open(fails) as f:
                failed = [l.split(" ", 1) for l in f.read().splitlines() if l]
        r["bytes_read"], r["bytes_read_source"] = r["rchar"], "rchar"
        ok = len(files) - len(failed)
        r["result"] = "%d pass, %d rejected" % (ok, len(failed)) if failed else "%d pass" % ok
        if decompressor:
            r["notes"] = "decompressed to a file first (it fails on a pipe)"
        if failed:
            reasons = {}
            with open(r["_m"]["out"], errors="replace") as f, open(r["_m"]["err"], errors="replace") as g:
                for line in (f.read() + g.read()).splitlines():
                    m = re.match(r"^(?:[\w]+\.)*(\w*(?:Error|Exception|Warning)): (.*)$", line.strip())
                    if m:
                        key = "%s: %s" % (m.group(1), m.group(2)[:80])
                        reasons[key] = reasons.get(key, 0) + 1
            top = sorted(reasons.items(), key=lambda kv: -kv[1])[:2]
            r["notes"] = "; ".join([r["notes"]] * bool(r["notes"]) + ["%s x%d" % kv for kv in top])
        return r

    def decompress(self, workload, files, image_bytes, tool):
        r = self.row(workload, "decompressor", files, image_bytes, [tool, "-dc"] + files, stdout_path="/dev/null")
        r["row"] = "%s -dc" % os.path.basename(tool)
        r["bytes_read"], r["bytes_read_source"] = r["rchar"], "rchar"
        r["result"] = "ok" if r["exit"] == 0 else "FAILED (exit %d)" % r["exit"]
        if r["exit"]:
            self.failed = True
        return r

    # ---------------------------------------------------------------- cluster runners

    def warm_runner(self, engine, file):
        """One untimed audit of one file on the embedded Flink or Spark, once per run: builds that
        runner's jar if sources changed and lets scripts/audit write its class-data archive (the
        runner's own), as warm_audit does for the DirectRunner's, so neither lands in a timed row."""
        if engine in self.runners_warmed:
            return
        self.runners_warmed.add(engine)
        out = os.path.join(self.o.work, "out", "warm-up-" + engine)
        shutil.rmtree(out, ignore_errors=True)
        print("bench: one untimed audit on embedded %s first (build if needed, class-data archive)..." % engine,
              file=sys.stderr, flush=True)
        rc = self.run_quiet([AUDIT, "--input=" + file, "--output=" + out] + CLUSTER_ROWS["xenaudit-" + engine],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        shutil.rmtree(out, ignore_errors=True)
        if rc != 0:
            print("bench: the warm-up audit on embedded %s failed (exit %d); its rows will show why" % (engine, rc),
                  file=sys.stderr, flush=True)

    def not_run(self, workload, name, files, image_bytes, why, log):
        """A row whose command never ran (its cluster did not come up)."""
        self.failed = True
        return {"workload": workload, "row": name, "images": len(files), "image_bytes": image_bytes,
                "stored_bytes": sum(os.path.getsize(f) for f in files), "wall_s": 0.0, "exit": None,
                "peak_rss_kb": None, "rchar": None, "bytes_read": None, "bytes_read_source": "", "job_s": None,
                "result": "FAILED (no cluster)", "notes": why, "s3_gets": None, "s3_bytes_fetched": None,
                "_m": {"out": log, "err": log}}

    def cluster_row(self, w, name, engine, files, image_bytes, pattern):
        """The audit on a real cluster (scripts/cluster) started for this row, polled for memory."""
        d = os.path.join(self.o.work, "cluster", "%s-%s" % (w, engine))
        os.makedirs(self.logs, exist_ok=True)
        start_log = os.path.join(self.logs, "%s-%s.cluster-start.log" % (w, name))
        quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # One an interrupted earlier run left behind (stop ends only what carries this folder's mark).
        self.run_quiet([CLUSTER, "stop", engine, "--dir", d], **quiet)
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", 0))
            b.bind(("127.0.0.1", 0))
            port, port2 = a.getsockname()[1], b.getsockname()[1]
        second = "--rpc-port" if engine == "flink" else "--ui-port"
        print("bench: %s: starting a %s cluster in %s..." % (w, engine, d), file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            with open(start_log, "wb") as log:
                rc = subprocess.run([CLUSTER, "start", engine, "--dir", d, "--port", str(port), second, str(port2),
                                     "--timeout", str(CLUSTER_START_TIMEOUT)], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL).returncode
            start_s = time.monotonic() - t0
            submit_file = os.path.join(d, "submit")
            if rc != 0 or not os.path.isfile(submit_file):
                with open(start_log, errors="replace") as f:
                    lines = [l for l in f.read().splitlines() if l.startswith("xenaudit: cluster:")] or ["no reason given"]
                return self.not_run(w, name, files, image_bytes, "the %s cluster did not come up (exit %d): %s; log %s" % (
                    engine, rc, lines[0][len("xenaudit: cluster: "):][:160], start_log), start_log)
            # The flags of the line scripts/cluster prints (runner, master, parallelism), input and output ours.
            with open(submit_file) as f:
                flags = [a for a in shlex.split(f.read().strip())[1:] if not a.startswith(("--input=", "--output="))]
            names = {}
            for pf in glob.glob(os.path.join(d, "pid", "*.pid")):
                try:
                    with open(pf) as f:
                        names[int(f.read().strip())] = os.path.basename(pf)[:-4]
                except (OSError, ValueError):
                    pass
            mark = ClusterWatch.mark_of(names) or d
            # Cold: the cluster's first job (not the row's figure).
            cold, cold_watch, _ = self.watched(w, name + "-cold", files, image_bytes, pattern, flags, mark, names)
            if cold["job_s"] is None:
                cold["row"] = name
                cold["notes"] = "first (cold) job: " + cold["notes"]
                cold["cluster_rss"] = cold_watch.summary()
                return cold
            # The cold job's executors (Spark) end after their application: the timed job starts once only
            # the daemons are left, their VmHWM set back to their RSS now.
            idle = ClusterWatch(mark, names)
            deadline = time.monotonic() + 60
            while any(pid not in names for pid, _ in idle.marked()) and time.monotonic() < deadline:
                time.sleep(0.2)
            reset = idle.reset_peaks()
            r, watch, epochs = self.watched(w, name, files, image_bytes, pattern, flags, mark, names)
            phases = self.flink_phases(port, epochs) if engine == "flink" else self.spark_phases(port2, epochs, d)
        finally:
            self.run_quiet([CLUSTER, "stop", engine, "--dir", d], **quiet)
        r["cluster_start_s"] = start_s
        r["cold_wall_s"], r["cold_result"], r["cold_cluster_rss"] = cold["wall_s"], cold["result"], cold_watch.summary()
        r["cluster_rss"] = watch.summary()
        r["cluster_rss_sum_kb"] = watch.sum_of_peaks_kb()
        r["cluster_rss_peak_sum_kb"] = watch.peak_sum_kb
        r["cluster_phases"] = phases
        notes = ["steady state: 2nd job on the cluster (1st, cold: %.1f s%s; cluster start %.1f s)" % (
                     cold["wall_s"], "" if cold["result"] == r["result"] else ", result " + cold["result"], start_s)]
        if phases:
            notes.append(phases)
        notes.append("cluster peak RSS " + r["cluster_rss"] + ("" if reset else " (VmHWM not reset: includes the cold job)"))
        if watch.timed_out or cold_watch.timed_out:
            notes.append("STOPPED after %d s" % CLUSTER_JOB_TIMEOUT)
        r["notes"] = "; ".join([r["notes"]] * bool(r["notes"]) + notes)
        return r

    def watched(self, w, name, files, image_bytes, pattern, flags, mark, names):
        """One submission (a xenaudit row), every marked process polled while it runs."""
        watch = ClusterWatch(mark, names, timeout=CLUSTER_JOB_TIMEOUT)
        watch.sample()
        watch.start()
        print("bench: %s: %s ..." % (w, name), file=sys.stderr, flush=True)
        t0 = time.time()
        try:
            r = self.xenaudit(w, name, files, image_bytes, pattern, extra=flags, started=watch.watch_client)
        finally:
            t1 = time.time()
            watch.finish()
        if watch.timed_out and r["job_s"] is None:
            r["result"] = "FAILED (stopped after %d s)" % CLUSTER_JOB_TIMEOUT
        return r, watch, (t0, t1)

    @staticmethod
    def http_json(url):
        try:
            with urllib.request.urlopen(url, timeout=5) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def flink_phases(self, port, epochs):
        """Where the submission's time went, from the JobManager's REST API (its job's state timestamps)."""
        t0, t1 = epochs[0] * 1000, epochs[1] * 1000
        base = "http://127.0.0.1:%d" % port
        jobs = [j for j in (self.http_json(base + "/jobs/overview") or {}).get("jobs", [])
                if j.get("start-time", 0) >= t0 - 2000]
        if not jobs:
            return ""
        job = max(jobs, key=lambda j: j["start-time"])
        detail = self.http_json(base + "/jobs/" + job["jid"]) or {}
        ts = detail.get("timestamps", {})
        init = ts.get("INITIALIZING") or job["start-time"]
        running = ts.get("RUNNING") or init
        end = ts.get("FINISHED") or job.get("end-time") or t1
        # Every task is deployed at RUNNING; the first to finish is the Impulse source, which does no work:
        # its end is when the TaskManagers had the job's classes loaded.
        ends = [v["end-time"] for v in detail.get("vertices", []) if v.get("end-time", -1) > 0]
        first = ", first task done +%.1f s" % ((min(ends) - running) / 1000) if ends else ""
        return ("client until the JobManager has the job %.1f s (client JVM, graph, jar upload); job %.1f s "
                "(RUNNING +%.1f s%s); client after the job %.1f s" % (
                    (init - t0) / 1000, (end - init) / 1000, (running - init) / 1000, first, (t1 - end) / 1000))

    def spark_phases(self, ui_port, epochs, d):
        """Where the submission's time went: the application from the master's JSON, and in it the
        executors' own logs (DIR/work/worker-N/APP/N/stderr, times to the second)."""
        t0, t1 = epochs[0] * 1000, epochs[1] * 1000
        st = self.http_json("http://127.0.0.1:%d/json/" % ui_port) or {}
        apps = [a for a in st.get("completedapps", []) + st.get("activeapps", []) if a.get("starttime", 0) >= t0 - 2000]
        if not apps:
            return ""
        app = max(apps, key=lambda a: a["starttime"])
        start, end = app["starttime"], app["starttime"] + app.get("duration", 0)
        marks = {}  # what -> [seconds after the application's start, one per executor]
        for log in glob.glob(os.path.join(d, "work", "worker-*", app["id"], "*", "stderr")):
            seen = {}
            with open(log, errors="replace") as f:
                for line in f:
                    m = re.match(r"(\d\d/\d\d/\d\d \d\d:\d\d:\d\d) ", line)
                    if not m:
                        continue
                    at = time.mktime(time.strptime(m.group(1), "%y/%m/%d %H:%M:%S")) * 1000 - start
                    seen.setdefault("log", at)
                    if " Executor: Fetching " in line and ".jar" in line:
                        seen.setdefault("fetch", at)
                    elif " Executor: Adding file:" in line and ".jar" in line:
                        seen.setdefault("jar", at)
                    elif " Executor: Running task " in line:
                        seen.setdefault("task", at)
                    elif " Executor: Finished task " in line:
                        seen["done"] = at
            for k, v in seen.items():
                marks.setdefault(k, []).append(v / 1000)
        span = lambda k: ("+%.0f" % min(marks[k])) + ("" if max(marks[k]) - min(marks[k]) < 1 else "-%.0f" % max(marks[k]))
        inside = ", ".join("%s %s s" % (what, span(k)) for k, what in (
            ("log", "executor JVMs log"), ("fetch", "jar fetch"), ("jar", "jar loaded"), ("task", "first task"),
            ("done", "last task done"))
            if k in marks)
        return ("client until the master has the application %.1f s (client JVM, driver start); application %.1f s "
                "(%d executor%s: %s); client after it %.1f s" % (
                    (start - t0) / 1000, (end - start) / 1000, len(marks.get("log", [])),
                    "" if len(marks.get("log", [])) == 1 else "s", inside or "no logs", (t1 - end) / 1000))

    # ---------------------------------------------------------------- workloads

    def many(self, count):
        """`count` images of 2 MiB guests, every container make-sample-fleet mixes: DIR/images/guest-*."""
        o = self.o
        d = os.path.join(o.work, "fleets", "fleet-2Mx%d-seed%d" % (count, o.seed))
        marker = os.path.join(d, "fleet.json")
        params = {"count": count, "seed": o.seed, "memory": "2M"}
        images = self.cached(d, params, "guest-*", count)
        if images:
            return d, images
        shutil.rmtree(d, ignore_errors=True)
        print("bench: generating the fleet workload: %d guests of 2 MiB..." % count, file=sys.stderr, flush=True)
        t0 = time.monotonic()
        rc = self.run_quiet([MAKE_FLEET, "--out", os.path.join(d, "images"), "--guests", str(count), "--seed",
                             str(o.seed), "--memory", "2M"], stdin=subprocess.DEVNULL)
        if rc != 0:
            raise SystemExit("bench: make-sample-fleet failed (exit %d)" % rc)
        with open(marker, "w") as f:
            json.dump({"params": params, "seconds": round(time.monotonic() - t0, 1)}, f)
            f.write("\n")
        return d, sorted(glob.glob(os.path.join(d, "images", "guest-*")))

    def fleet_workload(self):
        """Many small images in a small heap, every table on: memory must not grow with the fleet."""
        o, rows, want = self.o, [], self.o.row_set
        d, files = self.many(o.fleet_count)
        image_bytes = sum(os.path.getsize(f) for f in files)
        pattern = os.path.join(d, "images", "guest-*")
        title = "fleet: %d images of 2 MiB guests, all containers, every audit with %s" % (len(files), FLEET_HEAP)
        print("bench: %s ..." % title, file=sys.stderr, flush=True)
        env = dict(os.environ)
        env["XENAUDIT_JAVA_OPTS"] = (env.get("XENAUDIT_JAVA_OPTS", "") + " " + FLEET_HEAP).strip()
        if not self.audit_warmed:
            self.warm_audit(files[0])
        policy = "xenaudit" in want and "xenaudit-policy" in want
        if "xenaudit" in want:
            rows.append(self.xenaudit("fleet", "xenaudit", files, image_bytes, pattern, env=env, keep=policy))
        if policy:
            rows.append(self.policy_row("fleet", files, image_bytes, pattern, env=env))
        self.finish("fleet", title, rows)

    def workload(self, w):
        if w == "s3":
            return self.s3_workload()
        if w == "fleet":
            return self.fleet_workload()
        o, rows = self.o, []
        want = o.row_set
        if w in ("gz", "zst"):
            d, plain = self.fleet("compressed", o.compressed_size, o.compressed_count)
            tool = self.gzip if w == "gz" else self.zstd
            files = self.compressed(d, plain, w, tool)
            image_bytes = sum(os.path.getsize(f) for f in plain)
            pattern = os.path.join(d, w, "*.xl." + w)
            title = "%s: %d xl images of %s, %s-compressed (%s stored)" % (
                w, len(files), size_label(o.compressed_size), w, human_bytes(sum(os.path.getsize(f) for f in files)))
        else:
            size, count = {"huge": (o.huge_size, 1), "medium": (o.medium_size, o.medium_count),
                           "small": (o.small_size, o.small_count)}[w]
            d, files = self.fleet(w, size, count)
            image_bytes = sum(os.path.getsize(f) for f in files)
            pattern = os.path.join(d, "images", "*.xl")
            title = "%s: %d xl image%s of %s (%s apparent, sparse)" % (
                w, len(files), "" if len(files) == 1 else "s", size_label(size), human_bytes(image_bytes))
        # Warm-up, untimed: the whole file set when it fits in half the available memory, else what
        # xenaudit reads (headers and PFN arrays). Otherwise the first row to read every byte would warm
        # the page cache for the next one.
        stored = sum(os.path.getsize(f) for f in files)
        if stored <= mem_available() // 2:
            self.run_quiet(["cat"] + files, stdout=subprocess.DEVNULL)
            title += "; warm-up: whole files"
        else:
            self.run_quiet([VERIFY_IMAGE, "--json"] + files, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            title += "; warm-up: metadata only (larger than half the free memory: rows reading every byte see cold pages)"
        print("bench: %s ..." % title, file=sys.stderr, flush=True)
        if not self.audit_warmed and want & {"xenaudit", "xenaudit-Xmx256m", "xenaudit-full-read"}:
            self.warm_audit(files[0])
        if w in ("gz", "zst") and "decompressor" in want:
            rows.append(self.decompress(w, files, image_bytes, self.gzip if w == "gz" else self.zstd))
        policy = "xenaudit" in want and "xenaudit-policy" in want
        if "xenaudit" in want:
            rows.append(self.xenaudit(w, "xenaudit", files, image_bytes, pattern, keep=policy))
        if policy:
            rows.append(self.policy_row(w, files, image_bytes, pattern))
        for name, extra in CLUSTER_ROWS.items():
            if name in want and w in ("medium", "small"):
                self.warm_runner(name.rsplit("-", 1)[1], files[0])
                rows.append(self.xenaudit(w, name, files, image_bytes, pattern, extra=extra))
        for name, engine in REAL_CLUSTER_ROWS.items():
            # Minutes each (a cluster start and two submissions): in a --quick run only when --rows names them.
            if name in want and w in ("medium", "small") and not (o.quick and o.rows is None):
                self.warm_runner(engine, files[0])
                rows.append(self.cluster_row(w, name, engine, files, image_bytes, pattern))
        if w == "huge" and "xenaudit-Xmx256m" in want and not (o.quick and o.rows is None):
            env = dict(os.environ)
            env["XENAUDIT_JAVA_OPTS"] = (env.get("XENAUDIT_JAVA_OPTS", "") + " -Xmx256m").strip()
            rows.append(self.xenaudit(w, "xenaudit-Xmx256m", files, image_bytes, pattern, env=env))
        if "verify-image" in want:  # it decompresses .gz/.zst itself
            rows.append(self.verify_image(w, files, image_bytes))
        if "xenaudit-full-read" in want and self.full_read_supported:
            rows.append(self.xenaudit(w, "xenaudit-full-read", files, image_bytes, pattern,
                                      extra=["--readPagePayload=true"]))
        if "verify-stream-v2" in want and self.vs2:
            dec = "" if w not in ("gz", "zst") else (self.gzip if w == "gz" else self.zstd)
            rows.append(self.verify_stream(w, files, image_bytes, dec))
        self.finish(w, title, rows)

    # ---------------------------------------------------------------- s3

    def s3_workload(self):
        """The same kind of fleet, served by a local s3proxy (filesystem backend) and audited over S3."""
        o, rows, want = self.o, [], self.o.row_set
        d, files = self.fleet("s3", o.s3_size, o.s3_count)
        image_bytes = sum(os.path.getsize(f) for f in files)
        title = "s3: %d xl image%s of %s (%s apparent, sparse) on a local s3proxy, read over S3" % (
            len(files), "" if len(files) == 1 else "s", size_label(o.s3_size), human_bytes(image_bytes))
        print("bench: %s ..." % title, file=sys.stderr, flush=True)
        if not self.audit_warmed:
            self.warm_audit(files[0])  # builds the jar, and with it pipeline/target/s3proxy
        if not os.path.isfile(S3PROXY_JAR):
            self.out.say("")
            self.out.say("s3: skipped, %s is missing (it is copied by 'mvn -B -ntp install -DskipTests')" % S3PROXY_JAR)
            return
        server = S3Proxy(os.path.join(o.work, "s3"), self.logs)
        try:
            server.start()
            # One prefix per fleet, so objects of another fleet size never match the pattern.
            prefix = os.path.basename(d)
            server.stage(files, prefix)
            pattern = "s3://%s/%s/*.xl" % (S3_BUCKET, prefix)
            s3_args = ["--endpoint=" + server.endpoint, "--awsRegion=us-east-1", "--s3PathStyle=true"]
            env = dict(os.environ, AWS_ACCESS_KEY_ID=S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY)
            # Untimed: default audits over S3 (below) warm the server's JIT and the page cache of what it
            # reads; the whole files are read once (cat) when they fit in half the free memory.
            if image_bytes <= mem_available() // 2:
                self.run_quiet(["cat"] + files, stdout=subprocess.DEVNULL)
                title += "; warm-up: whole files + default audits"
            else:
                title += "; warm-up: default audits (rows reading every byte see cold pages)"
            # s3proxy is a JVM: its CPU per request falls several-fold over its first ~50,000 GETs as
            # its JIT compiles Jetty's request path, while a real S3 service is always warm. Untimed
            # default audits run, at least S3_WARM_UP_MIN, until the server's CPU for one is no
            # longer 15% below the one before (at most S3_WARM_UP_MAX).
            out = os.path.join(o.work, "out", "s3-warm-up")
            last = None
            warm_ups = []
            for i in range(S3_WARM_UP_MAX):
                print("bench: s3: untimed audit over S3 %d (server warm-up)..." % (i + 1), file=sys.stderr, flush=True)
                t0, cpu0 = time.monotonic(), server.cpu_seconds()
                rc = self.run_quiet([AUDIT, "--input=" + pattern, "--output=" + out] + s3_args, env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
                took, cpu = time.monotonic() - t0, server.cpu_seconds() - cpu0
                shutil.rmtree(out, ignore_errors=True)
                if rc != 0:
                    raise SystemExit("bench: s3: the warm-up audit over S3 failed (exit %d); s3proxy log: %s" % (rc, server.log))
                warm_ups.append("%.1f s (server CPU %.1f s)" % (took, cpu))
                if i + 1 >= S3_WARM_UP_MIN and cpu > 0.85 * last:
                    break
                last = cpu
            title += "; server warm-up audits: " + ", ".join(warm_ups)
            variants = [
                ("xenaudit", []),
                ("xenaudit-always-ranged", ["--seekThreshold=0"]),
                ("xenaudit-sdk-gets", ["--s3LeanGets=false"]),
                ("xenaudit-read-through", ["--seekThreshold=%d" % READ_THROUGH_THRESHOLD]),
                ("xenaudit-beam-s3", ["--s3RangedReads=false"]),
                ("xenaudit-full-read", ["--readPagePayload=true"]),
            ]
            for name, extra in variants:
                if name in want and (name != "xenaudit-full-read" or self.full_read_supported):
                    rows.append(self.xenaudit("s3", name, files, image_bytes, pattern, extra=s3_args + extra, env=env))
        finally:
            server.stop()
        self.finish("s3", title, rows)

    def finish(self, w, title, rows):
        base = next((r for r in rows if r["row"] == "xenaudit" and r["job_s"] is not None), None)
        for r in rows:
            wall = r["wall_s"]
            r["images_per_s"] = r["images"] / wall if wall > 0 else None
            r["image_gib_per_s"] = r["image_bytes"] / GIB / wall if wall > 0 else None
            r["read_pct"] = 100.0 * r["bytes_read"] / r["image_bytes"] if r["bytes_read"] is not None and r["image_bytes"] else None
            r["time_vs_xenaudit"] = wall / base["wall_s"] if base and wall > 0 else None
            if r["job_s"] is not None:
                extra = "job %.1f s, JVM start+options %.1f s" % (r["job_s"], wall - r["job_s"])
                r["notes"] = extra + ("; " + r["notes"] if r["notes"] else "")
        self.results.extend(rows)
        say = self.out.say
        say("")
        say("== " + title)
        header = ["row", "images", "image GiB", "wall s", "images/s", "GiB/s", "bytes read", "read %",
                  "peak RSS", "vs xenaudit", "result", "notes"]
        table = [header]
        for r in rows:
            ratio = r["time_vs_xenaudit"]
            if r is base:
                rel = "baseline"
            elif ratio is None:
                rel = "-"
            elif ratio >= 1:
                rel = "%sx slower" % sig(ratio)
            else:
                rel = "%sx faster" % sig(1 / ratio)
            read = human_bytes(r["bytes_read"])
            if r["bytes_read_source"] == "rchar" and r["bytes_read"] is not None:
                read = "~" + read
            table.append([r["row"], str(r["images"]), sig(r["image_bytes"] / GIB), "%.2f" % r["wall_s"],
                          sig(r["images_per_s"]), sig(r["image_gib_per_s"]), read,
                          sig(r["read_pct"]) if r["read_pct"] is not None else "-",
                          human_bytes(r["peak_rss_kb"] * 1024) if r["peak_rss_kb"] else "-", rel, r["result"],
                          r["notes"]])
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        right = {1, 2, 3, 4, 5, 6, 7, 8}
        for row in table:
            cells = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
            say("  " + "  ".join(cells).rstrip())
        self.checks(w, rows, base)

    def checks(self, w, rows, base):
        """Issue 4's acceptance figures for this workload, where its rows were measured."""
        say = self.out.say
        by = {r["row"]: r for r in rows}
        if base is None:
            if "xenaudit" in by:
                say("  check: xenaudit failed; see %s" % by["xenaudit"]["_m"]["err"])
            return
        notes = []
        if base["read_pct"] is not None and w not in ("gz", "zst"):
            notes.append("xenaudit read %s%% of the image bytes (issue 4: < %s%%)" % (sig(base["read_pct"]), TARGET_READ_PCT))
        if "xenaudit-policy" in by:
            notes.append("pools + target + previous output / default = %sx (issue 9: <= %gx)" % (
                sig(by["xenaudit-policy"]["time_vs_xenaudit"]), TARGET_POLICY))
        if "xenaudit-full-read" in by and w == "s3":
            notes.append("s3: full-read / default = %sx (issue 4: >= %gx)" % (sig(by["xenaudit-full-read"]["time_vs_xenaudit"]), TARGET_FULL))
        elif "xenaudit-full-read" in by:
            notes.append("full-read / default = %sx (issue 4, 100x8G: >= %gx)" % (sig(by["xenaudit-full-read"]["time_vs_xenaudit"]), TARGET_FULL))
        for name, what in (("xenaudit-always-ranged", "always ranged GET (--seekThreshold=0)"),
                           ("xenaudit-sdk-gets", "the same GETs through the AWS SDK's client (--s3LeanGets=false)"),
                           ("xenaudit-read-through", "always read through"),
                           ("xenaudit-beam-s3", "Beam's S3 channel (--s3RangedReads=false)")):
            if name in by:
                notes.append("s3: %s / default = %sx" % (what, sig(by[name]["time_vs_xenaudit"])))
        if w == "s3" and base.get("s3_gets") is not None:
            pages = base["image_bytes"] / 4096.0
            notes.append("s3: default made %d ranged GETs (%s per 1024-page batch) and fetched %s%% of the image bytes" % (
                base["s3_gets"], sig(base["s3_gets"] / (pages / 1024.0)), sig(100.0 * base["s3_bytes_fetched"] / base["image_bytes"])))
        if "verify-stream-v2" in by:
            notes.append("verify-stream-v2 loop / xenaudit = %sx (issue 4, 100x8G: >= %gx)" % (sig(by["verify-stream-v2"]["time_vs_xenaudit"]), TARGET_VS2))
        if "verify-image" in by and by["verify-image"]["wall_s"] > 0:
            notes.append("xenaudit / verify-image (format core, one JVM) = %sx" % sig(base["wall_s"] / by["verify-image"]["wall_s"]))
        dec = next((r for r in rows if r["row"].endswith(" -dc")), None)
        if dec and dec["wall_s"] > 0:
            notes.append("xenaudit / %s = %sx (issue 4: <= %gx)" % (dec["row"], sig(base["wall_s"] / dec["wall_s"]), TARGET_DECOMP))
        same = [n for n in list(CLUSTER_ROWS) + list(REAL_CLUSTER_ROWS) if n in by]
        if same:
            failed = [n for n in same if by[n]["result"].startswith("FAILED")]
            differ = [n for n in same if n not in failed and (by[n]["result"] != base["result"]
                      or (by[n].get("cold_result") and by[n]["cold_result"] != base["result"]))]
            verdict = "; ".join(["DIFFERENT result from xenaudit's in " + ", ".join(differ)] * bool(differ)
                                + ["FAILED: " + ", ".join(failed)] * bool(failed))
            notes.append("cluster runners (%s): %s" % (", ".join(same), verdict or "same result as xenaudit (%s)" % base["result"]))
        if "xenaudit-Xmx256m" in by:
            x = by["xenaudit-Xmx256m"]
            notes.append("-Xmx256m on %s: %s" % (human_bytes(x["image_bytes"]), "completed" if x["job_s"] is not None else "FAILED"))
        for n in notes:
            say("  check: " + n)

    # ---------------------------------------------------------------- main

    def write_csv(self):
        path = self.o.csv or os.path.join(self.o.work, "results", "bench-%s.csv" % self.stamp)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        cols = ["run", "commit", "quick", "workload", "row", "images", "image_bytes", "stored_bytes", "wall_s",
                "images_per_s", "image_gib_per_s", "bytes_read", "bytes_read_source", "read_pct", "rchar",
                "peak_rss_kb", "time_vs_xenaudit", "job_s", "exit", "result", "s3_gets", "s3_bytes_fetched", "notes",
                "cluster_rss", "cluster_rss_sum_kb", "cluster_rss_peak_sum_kb", "cluster_phases", "cluster_start_s",
                "cold_wall_s", "cold_result", "cold_cluster_rss"]
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(cols)
            for r in self.results:
                r = dict(r, run=self.stamp, commit=self.commit, quick=int(self.o.quick))
                wr.writerow(["" if r.get(c) is None else (round(r[c], 6) if isinstance(r[c], float) else r[c])
                             for c in cols])
        report = os.path.splitext(path)[0] + ".txt"
        with open(report, "w") as f:
            f.write("\n".join(self.out.lines) + "\n")
        return path, report

    def main(self):
        os.makedirs(self.o.work, exist_ok=True)
        self.machine()
        self.tools()
        t0 = time.monotonic()
        for w in self.o.workloads:
            self.workload(w)
        say = self.out.say
        say("")
        say("bytes read: xenaudit rows = the job's own count (summary line); verify-image = sum of bytes_read;")
        say("  '~' rows = every byte the process tree passed through read() calls (/proc/PID/io rchar).")
        say("peak RSS: largest resident set of any process in the row (GNU time %M); verify-stream-v2 is one")
        say("  process per file, run one after another; xenaudit parses on one thread per core, four per core over S3 (--parseThreads).")
        if any(r["row"] in REAL_CLUSTER_ROWS for r in self.results):
            say("  *-cluster rows: peak RSS = the submitting client's (GNU time); the cluster's own processes (daemons")
            say("  and Spark executors, every process carrying the scripts/cluster mark) are polled every %gs: per" % CLUSTER_POLL_S)
            say("  process max(VmHWM, VmRSS) with VmHWM reset after the cold job (clear_refs), their sum, and the")
            say("  peak of the sum at one poll (notes; CSV cluster_rss*). Wall = the second job on the cluster.")
        say("load average at end: %s; measured in %.0f s" % (self.loadavg(), time.monotonic() - t0))
        path, report = self.write_csv()
        say("csv: %s" % path)
        say("report: %s; logs: %s" % (report, self.logs))
        with open(report, "w") as f:
            f.write("\n".join(self.out.lines) + "\n")
        return 1 if self.failed else 0


class ClusterWatch(threading.Thread):
    """Polls, every CLUSTER_POLL_S, every process carrying a scripts/cluster mark (-Dxenaudit.cluster=MARK on
    its command line, or XENAUDIT_CLUSTER_MARK=MARK in its environment: Spark's executors, which come and go):
    per process its peak of VmHWM and VmRSS, and the peak of their VmRSS sum at one poll. Stops the
    watched client's process group when it runs past the timeout."""

    def __init__(self, mark, names, timeout=None):
        super().__init__(daemon=True)
        self.arg = ("-Dxenaudit.cluster=" + mark).encode()
        self.env = ("XENAUDIT_CLUSTER_MARK=" + mark).encode()
        self.names = names  # pid -> name, from the cluster's pid files
        self.procs = {}  # (pid, start time) -> {"name", "peak_kb", "first", "last"}
        self.peak_sum_kb = 0
        self.timeout = timeout
        self.client = None
        self.client_since = None
        self.timed_out = False
        self.halt = threading.Event()

    @staticmethod
    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None

    @staticmethod
    def mark_of(names):
        """The mark on a live cluster process's command line (scripts/cluster's spelling of the folder)."""
        for pid in names:
            cmd = ClusterWatch.read("/proc/%d/cmdline" % pid) or b""
            for a in cmd.split(b"\0"):
                if a.startswith(b"-Dxenaudit.cluster="):
                    return a[len(b"-Dxenaudit.cluster="):].decode()
        return None

    def marked(self):
        """(pid, command line arguments) of every process carrying the mark now."""
        for e in os.listdir("/proc"):
            if not e.isdigit():
                continue
            cmd = self.read("/proc/%s/cmdline" % e)
            if not cmd:
                continue  # a kernel thread, or gone
            args = cmd.split(b"\0")
            if self.arg in args:
                yield int(e), args
                continue
            env = self.read("/proc/%s/environ" % e)
            if env and self.env in env.split(b"\0"):
                yield int(e), args

    def name_of(self, pid, args):
        if pid in self.names:
            return self.names[pid]
        if b"org.apache.spark.executor.CoarseGrainedExecutorBackend" in args and b"--executor-id" in args:
            i = args.index(b"--executor-id")
            name = "executor-" + (args[i + 1].decode() if i + 1 < len(args) else "?")
        else:
            main = next((a for a in args if a.startswith((b"org.", b"com."))), b"")
            prog = os.path.basename(args[0].decode(errors="replace"))
            if prog != "java":  # a helper the JVMs start (rm, jspawnhelper): summed up as one entry
                return "helper(%s)#%d" % (prog, pid)
            name = "pid%d(%s)" % (pid, main.decode(errors="replace").rsplit(".", 1)[-1] if main else "java")
        taken = {p["name"] for p in self.procs.values()}
        return name if name not in taken else "%s#%d" % (name, pid)

    def sample(self):
        total, now = 0, time.time()
        for pid, args in self.marked():
            status = self.read("/proc/%d/status" % pid)
            stat = self.read("/proc/%d/stat" % pid)
            if not status or not stat:
                continue
            kb = {}
            for line in status.decode(errors="replace").splitlines():
                if line.startswith(("VmHWM:", "VmRSS:")):
                    kb[line[:5]] = int(line.split()[1])
            if not kb:
                continue  # a zombie
            key = (pid, stat.rsplit(b")", 1)[-1].split()[19])
            p = self.procs.get(key)
            if p is None:
                p = self.procs[key] = {"name": self.name_of(pid, args), "peak_kb": 0, "first": now, "last": now}
            p["peak_kb"] = max(p["peak_kb"], kb.get("VmHWM", 0), kb.get("VmRSS", 0))
            p["last"] = now
            total += kb.get("VmRSS", 0)
        self.peak_sum_kb = max(self.peak_sum_kb, total)

    def reset_peaks(self):
        """Sets each marked process's VmHWM back to its current RSS (/proc/PID/clear_refs 5); False if one refused."""
        ok = True
        for pid, _ in self.marked():
            try:
                with open("/proc/%d/clear_refs" % pid, "w") as f:
                    f.write("5")
            except OSError:
                ok = False
        return ok

    def watch_client(self, pid):
        self.client, self.client_since = pid, time.monotonic()

    def run(self):
        while not self.halt.wait(CLUSTER_POLL_S):
            self.sample()
            if (self.timeout and self.client and not self.timed_out
                    and time.monotonic() - self.client_since > self.timeout):
                self.timed_out = True
                try:
                    os.killpg(self.client, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def finish(self):
        self.halt.set()
        self.join()
        self.sample()

    def sum_of_peaks_kb(self):
        return sum(p["peak_kb"] for p in self.procs.values())

    def summary(self):
        """jobmanager=231MiB taskmanager-1=...; sum=...; peak_sum=... (daemons first, then by first sight)."""
        mib = lambda kb: "%dMiB" % round(kb / 1024.0)
        procs = [p for p in self.procs.values() if not p["name"].startswith("helper(")]
        helpers = [p for p in self.procs.values() if p["name"].startswith("helper(")]
        order = sorted(procs, key=lambda p: (p["name"] not in self.names.values(), p["first"], p["name"]))
        parts = ["%s=%s" % (p["name"], mib(p["peak_kb"])) for p in order]
        if helpers:
            progs = sorted({p["name"][len("helper("):].split(")", 1)[0] for p in helpers})
            parts.append("%d helpers (%s) each<=%s" % (len(helpers), ",".join(progs), mib(max(p["peak_kb"] for p in helpers))))
        return "%s; sum=%s; peak_sum=%s" % (" ".join(parts) or "none", mib(self.sum_of_peaks_kb()), mib(self.peak_sum_kb))


class S3Proxy:
    """s3proxy (pipeline/target/s3proxy/s3proxy.jar) on 127.0.0.1 and a free port, filesystem backend
    under DIR/data: object BUCKET/KEY is the plain file DIR/data/BUCKET/KEY, so images are staged by
    sparse copy, not uploaded. The server then serves them with their size (no ETag: nothing computed
    an MD5 for them, and nothing in the audit asks for one)."""

    def __init__(self, work, logs):
        self.work = work
        self.data = os.path.join(work, "data")
        self.log = os.path.join(logs, "s3proxy.log")
        self.proc = None
        self.endpoint = None

    def start(self):
        os.makedirs(os.path.join(self.data, S3_BUCKET), exist_ok=True)
        os.makedirs(os.path.dirname(self.log), exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.endpoint = "http://127.0.0.1:%d" % port
        props = os.path.join(self.work, "s3proxy.properties")
        with open(props, "w") as f:
            f.write("\n".join([
                "s3proxy.endpoint=" + self.endpoint,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + S3_ACCESS_KEY,
                "s3proxy.credential=" + S3_SECRET_KEY,
                "jclouds.provider=filesystem-nio2",
                "jclouds.identity=unused",
                "jclouds.credential=unused",
                "jclouds.filesystem.basedir=" + self.data]) + "\n")
        with open(self.log, "wb") as log:
            # C2 only (no tiered JIT): measured here, s3proxy's CPU per audit then settles after 3-4
            # audits at about 3.3 s, where tiered compilation took 7-8 audits to reach about 4 s.
            self.proc = subprocess.Popen(["java", "-Xmx256m", "-XX:-TieredCompilation", "-jar", S3PROXY_JAR,
                                          "--properties", props],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit("bench: s3proxy did not start on %s; log: %s" % (self.endpoint, self.log))
                time.sleep(0.1)

    def cpu_seconds(self):
        """CPU time (user + system) the server has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))

    def stage(self, files, prefix):
        """Puts each file at BUCKET/PREFIX/<name> (a sparse copy, redone when size or mtime differ)."""
        keys = []
        for f in files:
            key = "%s/%s" % (prefix, os.path.basename(f))
            dst = os.path.join(self.data, S3_BUCKET, key)
            st = os.stat(f)
            if not (os.path.isfile(dst) and os.path.getsize(dst) == st.st_size and os.path.getmtime(dst) == st.st_mtime):
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                if subprocess.run(["cp", "--sparse=always", "--preserve=timestamps", f, dst + ".tmp"]).returncode:
                    raise SystemExit("bench: could not copy %s into the s3proxy data folder" % f)
                os.rename(dst + ".tmp", dst)
            keys.append(key)
        return keys

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def main(argv):
    o = options(argv)
    try:
        return Bench(o).main()
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
