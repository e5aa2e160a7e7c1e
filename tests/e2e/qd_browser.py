"""Start the app as ``make run`` does and drive Debian's chromium through Selenium (headless)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from procs import stop

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Screenshots land in an ignored folder, so a test run leaves the tree clean; `make screenshots` points this
# at docs/screenshots to refresh the README's pictures on purpose.
SCREENSHOTS = Path(os.environ.get("QD_SCREENSHOT_DIR") or ROOT / ".quiet-dialogue" / "screenshots")


def browser_missing() -> str | None:
    """Why browser tests cannot run here, or None."""
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not exe.exists():
            return f"{exe} is not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, port: int, env_extra: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the developer's QD_/OPENAI_ settings dropped, offline, no .env read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QD_", "OPENAI_"))}
    env.update(QD_DATA_DIR=str(data_dir), QD_CONTENT_DIR=str(ROOT), QD_LLM="none", QD_ENV_FILE="", PORT=str(port),
               **(env_extra or {}))
    return env


def _command() -> list[str]:
    exe = Path(sys.executable).with_name("dialogue-engine")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dialogue_engine.cli"]


@contextmanager
def running_app(data_dir: Path, timeout: float = 120.0, *, env_extra: dict[str, str] | None = None):
    """``dialogue-engine kb build`` then ``dialogue-engine serve`` on a free port; yield the base URL.

    ``env_extra`` adds settings (e.g. ``QD_DATABASE_URL``, for several servers sharing one database).
    """
    port = free_port()
    env = _env(data_dir, port, env_extra)
    cmd = _command()
    subprocess.run([*cmd, "kb", "build"], cwd=ROOT, env=env, check=False, capture_output=True, timeout=timeout)
    log = open(data_dir / "serve.log", "wb")
    proc = subprocess.Popen([*cmd, "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start: {(data_dir / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop(proc)
        log.close()


def make_driver(width: int = 1400, height: int = 1000):
    """A headless chromium with its own throw-away profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="qd-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    driver._qd_profile = profile  # removed in close_driver
    return driver


def close_driver(driver) -> None:
    profile = getattr(driver, "_qd_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll ``predicate(driver)`` until truthy; return its value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate(driver)
        except Exception:  # noqa: BLE001 - elements come and go while Streamlit reruns
            last = None
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def page_text(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "body").text


def wait_text(driver, text: str, timeout: float = 30.0) -> None:
    wait_for(driver, lambda d: text in page_text(d), timeout, f"text {text!r}")


def wait_idle(driver, timeout: float = 30.0) -> None:
    """Wait until Streamlit shows no running indicator."""
    from selenium.webdriver.common.by import By

    time.sleep(0.4)
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'), timeout,
             "the app to finish running")


def click_button(driver, label: str, timeout: float = 30.0) -> None:
    from selenium.webdriver.common.by import By

    xpath = (f'//*[((self::button or @role="tab") and normalize-space(.)="{label}")'
             f' or (self::summary and contains(normalize-space(.), "{label}"))]')
    button = wait_for(driver, lambda d: [b for b in d.find_elements(By.XPATH, xpath) if b.is_displayed() and b.get_attribute("disabled") is None], timeout,
                      f"button {label!r}")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()


def type_into(driver, label: str, text: str, submit: bool = True) -> None:
    """Type into the text input whose aria-label is ``label`` (Enter submits)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = wait_for(driver, lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, f'input[aria-label="{label}"]')
                                      if e.is_displayed() and e.is_enabled()], 30, f"input {label!r}")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    time.sleep(0.3)
    box.clear()
    box.send_keys(text + (Keys.ENTER if submit else ""))


def chat(driver, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="stChatInputTextArea"]'), 30,
                   "the chat input")[0]
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def screenshot(driver, name: str) -> Path:
    """Save a full-height screenshot to ``SCREENSHOTS/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script(
        "const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
        "return Math.max(m.scrollHeight, document.body.scrollHeight);")
    driver.set_window_size(1400, min(max(int(height) + 120, 900), 3000))
    time.sleep(0.8)
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def screenshot_path(name: str) -> Path:
    """Where a screenshot named ``name`` goes (for an element's own screenshot)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


_LAYOUT_JS = """
const svg = arguments[0];
const box = svg.getBoundingClientRect();
const style = e => getComputedStyle(e);
const shown = e => { const r = e.getBoundingClientRect(); const s = style(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none' && s.opacity !== '0'; };
const marks = [...svg.querySelectorAll('circle, rect.nash, polyline, line.threshold')].filter(shown);
const area = svg.querySelector('.data-area');
const a = area ? area.getBoundingClientRect() : null;
const over = (b, r) => r && b.left < r.right - 0.5 && b.right > r.left + 0.5
  && b.top < r.bottom - 0.5 && b.bottom > r.top + 0.5;
const cut = [], onData = [];
for (const t of svg.querySelectorAll('text')) {
  const b = t.getBoundingClientRect();  // on screen, after any rotation
  if (b.left < box.left - 0.5 || b.top < box.top - 0.5 || b.right > box.right + 0.5 || b.bottom > box.bottom + 0.5)
    cut.push(t.textContent);
  if (t.closest('.legend') && over(b, a)) onData.push(t.textContent);
}
return {width: box.width, height: box.height, marks: marks.length, proposals: svg.querySelectorAll('.proposal').length,
        cut, onData, classes: [...new Set([...svg.querySelectorAll('[class]')].map(e => e.getAttribute('class')))]};
"""


def svg_layout(driver, svg) -> dict:
    """What a real browser drew for one of the report's SVG charts (measured with the fonts it has).

    Keys: ``width``/``height`` on screen, ``marks`` (visible dots, lines and squares), ``proposals``, ``cut``
    (texts that stick out of the picture, so would be cut off), ``onData`` (legend texts on the data area,
    the element with class ``data-area``) and ``classes``.
    """
    return driver.execute_script(_LAYOUT_JS, svg)
