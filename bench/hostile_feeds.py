"""Run syndedup over good feeds plus every kind of bad one, all served from 127.0.0.1, twice.

Prints, for each run: exit code, wall time and peak memory (from /usr/bin/time -v), what the log
said about each bad feed, and how many requests of the second run were answered 304.

    python bench/hostile_feeds.py [--keep DIR]

Numbers are printed, never asserted. Needs /usr/bin/time (Debian package `time`).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.feedserver import FeedServer, Route, rss  # noqa: E402

STORY = (
    "The regional council met on Tuesday to discuss the repair of the northern bridge, which has "
    "been closed to heavy traffic since the spring floods damaged two of its supports."
)


def bad_routes(secret: Path) -> dict[str, Route]:
    """One route per kind of bad feed; the name says what it is."""
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    gzip_bomb = bomb.compress(b"\0" * (300 * 1024 * 1024)) + bomb.flush()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">'
        + b"".join(b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, 10))
        + b']><rss version="2.0"><channel><title>&l9;</title><item><guid>b</guid><title>&l9;</title>'
        b"<description>&l9;</description></item></channel></rss>"
    )
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<rss version="2.0"><channel><title>x</title><item><guid>x1</guid><title>XXE &x;</title>'
        f"<description>{STORY} &x;</description></item></channel></rss>"
    ).encode()
    whole = rss(("t1", "One", STORY), ("t2", "Two", "Second. " + STORY), ("t3", "Three", "Third"))
    charset = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>c</title><item>'
        "<guid>c1</guid><title>Café crème à Zürich</title><description>Le café est très bon à "
        "Zürich, où le conseil régional a discuté du pont.</description></item></channel></rss>"
    ).encode("latin-1")
    bare = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>m</title><item><description>'
        b"No guid, no link, no date at all in this entry about the harbour and its ferries."
        b"</description></item></channel></rss>"
    )
    active = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>a</title><item><guid>e1</guid>'
        b"<title>Market &lt;script&gt;alert(1)&lt;/script&gt; day</title><link>javascript:alert(2)</link>"
        b"<description><![CDATA[<p>The weekly market moved to the old square on Saturday, the organisers"
        b" said.</p><script>alert(3)</script><iframe src='http://evil.example/'></iframe>"
        b"<img src=x onerror=alert(4)><a href='javascript:alert(5)'>x</a>]]></description></item>"
        b"</channel></rss>"
    )
    return {
        "/huge-300mb": Route(stream_bytes=300 * 1024 * 1024),
        "/gzip-bomb": Route(body=gzip_bomb, headers={"Content-Encoding": "gzip"}),
        "/billion-laughs": Route(body=laughs),
        "/xxe": Route(body=xxe),
        "/garbage": Route(body=random.Random(7).randbytes(100_000)),
        "/html-page": Route(body=b"<!DOCTYPE html><html><body>Hi</body></html>", content_type="text/html"),
        "/truncated": Route(body=whole[: whole.index(b"<guid>t3") + 20]),
        "/wrong-charset": Route(body=charset),
        "/missing-fields": Route(body=bare),
        "/duplicate-guids": Route(body=rss(("d", "A", STORY), ("d", "B", "Other " + STORY))),
        "/active-html": Route(body=active),
        "/gone-410": Route(status=410),
        "/busy-429": Route(status=429, headers={"Retry-After": "3600"}),
        "/moved-301": Route(status=301, location="/moved-target"),
        "/moved-target": Route(body=rss(("m1", "Moved", "A feed that moved: " + STORY))),
        "/slow": Route(body=rss(("s1", "S", STORY)), release=threading.Event()),
        "/reset": Route(reset=True),
        "/redirect-loop": Route(status=302, location="/redirect-loop"),
    }


def write_config(folder: Path, server: FeedServer, feeds: list[str]) -> Path:
    lines = []
    for path in feeds:
        lines += ["[[feeds]]", f'name = "{path.strip("/")}"', f'url = "{server.url(path)}"', ""]
    lines += [
        "[output]",
        'rss = "out/feed.rss"',
        'atom = "out/feed.atom"',
        'report = "out/clusters.jsonl"',
        "[state]",
        'path = "state/syndedup.sqlite"',
        "[fetch]",
        "timeout = 2.0  # the slow feed costs this long",
    ]
    config = folder / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def timed_run(config: Path) -> tuple[int, str, str, str]:
    """(exit code, wall time, peak RSS in kB, syndedup's stderr) of one run under /usr/bin/time -v."""
    command = [sys.executable, "-m", "pipeline", "run", "--verbose", "--config", str(config)]
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        cwd=config.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    log = proc.stderr.split("\tCommand being timed")[0]
    return proc.returncode, wall.group(1) if wall else "?", rss.group(1) if rss else "?", log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="syndedup-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    secret = folder / "secret.txt"
    secret.write_text("XXE-CANARY-do-not-publish", encoding="utf-8")
    with FeedServer() as server:
        good = []
        for n, name in enumerate(sorted((REPO / "feeds").glob("*.xml"))):
            server.routes[f"/good-{name.stem}"] = Route(body=name.read_bytes(), etag=f'"g{n}"')
            good.append(f"/good-{name.stem}")
        baseline = folder / "baseline"
        baseline.mkdir(exist_ok=True)
        code, wall, peak, _ = timed_run(write_config(baseline, server, good))
        print(f"== baseline (the {len(good)} good feeds only): exit {code}, wall {wall}, peak RSS {peak} kB")
        bad = bad_routes(secret)
        server.routes.update(bad)
        feeds = good + [p for p in bad if p != "/moved-target"]
        config = write_config(folder, server, feeds)
        for number in (1, 2):
            first_hit = len(server.hits)
            code, wall, peak, log = timed_run(config)
            hits = server.hits[first_hit:]
            print(f"== run {number}: exit {code}, wall {wall}, peak RSS {peak} kB, {len(hits)} requests")
            answered = {}
            for hit in hits:
                answered.setdefault(hit.path, []).append(hit.status)
            not_modified = sum(1 for hit in hits if hit.status == 304)
            print(f"   answered 304: {not_modified} of {len(hits)} requests; by path: {answered}")
            for line in log.splitlines():
                if "feed '" in line or "XXE" in line:
                    print("   " + line[:300])
            out = folder / "out"
            published = "".join(p.read_text(encoding="utf-8") for p in out.iterdir()) if out.exists() else ""
            leaked = [w for w in ("XXE-CANARY", "<script", "javascript:", "onerror") if w in published]
            print(f"   outputs: {len(published)} characters; forbidden strings found: {leaked or 'none'}")
    if not args.keep:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
