"""``make browser-test``: a student's JupyterLab in a real browser (not part of ``make test``).

It makes a student workspace (``python -m cs_utils start`` after the sample class's complete
student put in their finished notebooks, which ``start`` keeps; in a blank release notebook some
first figures need solved exercises), starts JupyterLab on it the way
``python -m cs_utils lab`` does, and drives headless Chromium (the distribution's package, through
Playwright, which can use a browser it did not download) to open each notebook, run its first
cells until a figure renders, and look for nbgrader's instructor menus. As a control it opens the
same workspace in a JupyterLab with the environment's own configuration, where those menus are
on, so a check that could not see them would fail here. Screenshots go to OUT (default
``browser-test/``). Exit status 0 when every notebook rendered a figure and the student
JupyterLab showed no instructor tool.
"""
import argparse
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from autograder.commands.samples import SAMPLES_DIR
from cs_utils import workspace

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
# Words of nbgrader's menus, sidebar panels and toolbar buttons in JupyterLab.
INSTRUCTOR_WORDS = ("Nbgrader", "Formgrader", "Course List", "Assignment List", "Create Assignment", "Validate")
MAX_CELLS = 16


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_lab(folder, token, student_config, log):
    """JupyterLab on ``folder``: with the student configuration, or with the environment's own."""
    port = free_port()
    arguments = ["--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    command, environment = workspace.lab_command(folder, arguments)
    if not student_config:
        environment.pop("JUPYTER_CONFIG_DIR")
    environment["CS_GRADING_MODE"] = "1"  # kernels inherit it: small data, quick cells
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
            return process, url
        except OSError:
            time.sleep(1)
    process.terminate()
    raise RuntimeError("JupyterLab did not start within 120 s")


# JupyterLab's own chrome: menu bar, side bars (tab labels and titles), notebook toolbars.
CHROME_TEXT = """() => Array.from(document.querySelectorAll(
    '#jp-MainMenu, .jp-SideBar, .jp-NotebookPanel-toolbar, #jp-top-panel'))
  .map(e => e.innerText + ' ' + Array.from(e.querySelectorAll('[title]')).map(t => t.title).join(' '))
  .join(' ')"""


def instructor_words_shown(page):
    """Instructor words in JupyterLab's menus, side bars and toolbars (not in notebook text)."""
    chrome = page.evaluate(CHROME_TEXT)
    return [word for word in INSTRUCTOR_WORDS if word in chrome]


def wait_for_kernel_idle(page, timeout_s=180):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        busy = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt:has-text('[*]')").count()
        if not busy:
            return
        page.wait_for_timeout(500)
    raise RuntimeError("a cell ran longer than the time allowed")


def run_until_figure(page, url, token, relative, shots, name):
    """Open one notebook, run cells from the top until an image output shows; returns a result dict."""
    page.goto(f"{url}/lab/tree/{relative}?token={token}")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Cell").first.wait_for(timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator, .jp-Toolbar-kernelStatus", timeout=60_000)
    page.wait_for_timeout(3000)
    panel.locator(".jp-Cell").first.click()
    page.keyboard.press("Escape")
    ran = 0
    while ran < MAX_CELLS:
        page.keyboard.press("Shift+Enter")
        ran += 1
        page.wait_for_timeout(300)
        wait_for_kernel_idle(page)
        if panel.locator(".jp-OutputArea-output img").count():
            break
    images = panel.locator(".jp-OutputArea-output img")
    figure = images.count() > 0 and images.first.evaluate("img => img.naturalWidth > 0 && img.naturalHeight > 0")
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count()
    if figure:
        images.first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{name}.png"))
    return {"notebook": relative, "cells_run": ran, "figure": bool(figure), "error_outputs": errors,
            "instructor_words": instructor_words_shown(page)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=workspace.COURSE_ROOT / "browser-test")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    results, ok = [], True
    with tempfile.TemporaryDirectory(prefix="course-browser-") as scratch, sync_playwright() as playwright:
        folder = Path(scratch) / "workspace"
        shutil.copytree(SAMPLES_DIR / "ada_complete", folder)
        workspace.start(folder)
        notebooks = sorted(p.relative_to(folder).as_posix() for p in folder.glob("*/*.ipynb"))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS[1:])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        with open(args.out / "jupyterlab-student.log", "w") as log:
            process, url = start_lab(folder, token, True, log)
            try:
                for relative in notebooks:
                    result = run_until_figure(page, url, token, relative, args.out, f"student-{Path(relative).stem}")
                    results.append(result)
                    print(f"{relative}: {result['cells_run']} cells run, figure rendered: {result['figure']}, "
                          f"error outputs: {result['error_outputs']}, instructor tools shown: "
                          f"{result['instructor_words'] or 'none'}")
                    ok &= result["figure"] and not result["instructor_words"]
                page.goto(f"{url}/lab/tree/01_optimizers?token={token}")
                page.wait_for_selector(".jp-DirListing-item", timeout=60_000)
                page.wait_for_timeout(5000)
                student_chrome = instructor_words_shown(page)
                page.screenshot(path=str(args.out / "student-lab-menus.png"))
                print(f"student JupyterLab after all notebooks: instructor tools shown: {student_chrome or 'none'}")
                ok &= not student_chrome
            finally:
                process.terminate()
                process.wait(30)
        server_log = (args.out / "jupyterlab-student.log").read_text()
        if "nbgrader" in server_log.lower():
            print("student JupyterLab log mentions nbgrader:", [line for line in server_log.splitlines()
                                                               if "nbgrader" in line.lower()][:3])
            ok = False
        with open(args.out / "jupyterlab-instructor.log", "w") as log:
            process, url = start_lab(folder, token, False, log)
            try:
                page.goto(f"{url}/lab?token={token}")
                page.wait_for_selector("#jp-MainMenu", timeout=60_000)
                page.wait_for_timeout(3000)
                control = instructor_words_shown(page)
                page.screenshot(path=str(args.out / "control-environment-config-menus.png"))
            finally:
                process.terminate()
                process.wait(30)
        print(f"control (environment's own config): instructor tools shown: {control or 'none'}")
        if not control:
            print("the control shows no instructor tool: the check cannot see them, so it proves nothing")
            ok = False
        browser.close()
    print(f"browser check {'passed' if ok else 'FAILED'}; screenshots in {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
