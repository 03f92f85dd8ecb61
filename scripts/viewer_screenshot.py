#!/usr/bin/env python3
"""Regenerate the README's screenshot of the viewer (docs/viewer.png): a saved search drawn by
``equations show``, photographed in headless Chromium.

Usage::

    python scripts/viewer_screenshot.py [--out docs/viewer.png]

Needs Debian's ``chromium`` and ``chromium-driver`` (``make chromium``) and selenium (the ``dev`` extra).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THEOREM = "2*ln(sqrt(x)) == ln(x) | x > 0"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "viewer.png"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=900)
    args = ap.parse_args()

    from equations.agents import SearchParams, prove
    from equations.agents.search_json import to_dict
    from equations.viewer import search_page, write_page
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    import equations as eq

    rules = eq.load_rules("default")
    res = prove(THEOREM, rules, SearchParams(expansions=300, seed=0), policy="fast", keep_search=True)
    with tempfile.TemporaryDirectory() as tmp:
        page = write_page(Path(tmp) / "search.html", search_page(to_dict(res, rules)))
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  f"--window-size={args.width},{args.height}", "--force-device-scale-factor=1"):
            opts.add_argument(a)
        driver = webdriver.Chrome(options=opts, service=Service("/usr/bin/chromedriver"))
        try:
            driver.get(page.as_uri())
            while not driver.execute_script("return document.body.getAttribute('data-ready')"):
                time.sleep(0.05)
            from selenium.webdriver.common.action_chains import ActionChains

            # hover the first subgoal on the minimal proof, so the picture shows a tooltip with its goal
            node = driver.find_elements("css selector", "#graph g.node.min")[1]
            ActionChains(driver).move_to_element(node).perform()
            driver.save_screenshot(args.out)
        finally:
            driver.quit()
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
