/**
 * The dashboard's refresh loop: one `GET /api/jobs?view=summary` per refresh (the server reads the
 * states, a bounded number at a time), plus one read per open job. The interval is the operator's choice,
 * but at least one second per 50 jobs (a thousand jobs: every 20 s, at most 50 state reads a second for
 * an open page), and nothing is read while the page is hidden. `?refresh=N` in the page's URL sets the
 * interval to N seconds (tests use 1).
 */

const REFRESH_JOBS_PER_SECOND = 50;

let refreshTimer: number | undefined;
let refreshing: Promise<void> | undefined;
let lastCount = 0;

function chosenIntervalSeconds(): number {
  return Number((document.getElementById("refresh-interval") as HTMLSelectElement).value);
}

function effectiveIntervalSeconds(): number {
  const chosen = chosenIntervalSeconds();
  if (chosen <= 0) return 0;
  return Math.max(chosen, Math.ceil(lastCount / REFRESH_JOBS_PER_SECOND));
}

function scheduleRefresh(): void {
  if (refreshTimer !== undefined) window.clearTimeout(refreshTimer);
  refreshTimer = undefined;
  const seconds = effectiveIntervalSeconds();
  if (seconds > 0) refreshTimer = window.setTimeout(() => void refreshNow(), seconds * 1000);
}

function showUpdated(ok: boolean, message: string | undefined): void {
  const seconds = effectiveIntervalSeconds();
  const every = seconds === 0 ? "auto-refresh off" : `auto-refresh every ${seconds} s`;
  const updated = document.getElementById("updated") as HTMLElement;
  updated.classList.toggle("error", !ok);
  fill(
    updated,
    ok ? "Updated at " : "Refresh failed at ",
    el(
      "time",
      { datetime: new Date().toISOString() },
      new Date().toLocaleTimeString(undefined, { hour12: false }),
    ),
    message ? `: ${message}` : "",
    ` (${every})`,
  );
}

async function refreshOnce(): Promise<void> {
  const reply = await api("GET", "/jobs?view=summary");
  if (reply.status !== 200) {
    showUpdated(false, errorText(reply));
    return;
  }
  const overview = reply.body as unknown as Overview;
  lastCount = overview.summaries.length;
  keepingViewport(() => renderJobs(overview));
  await Promise.all([...openJobs].map((job) => refreshDetails(job)));
  showUpdated(true, undefined);
}

/** Refreshes now (one refresh at a time: a call during one waits for it), then schedules the next. */
function refreshNow(): Promise<void> {
  if (refreshing) return refreshing;
  refreshing = refreshOnce()
    .catch((error: unknown) => showUpdated(false, (error as Error).message))
    .finally(() => {
      refreshing = undefined;
      if (!document.hidden) scheduleRefresh();
    });
  return refreshing;
}

function initRefresh(): void {
  const select = document.getElementById("refresh-interval") as HTMLSelectElement;
  const fromUrl = Number(new URLSearchParams(location.search).get("refresh"));
  if (Number.isInteger(fromUrl) && fromUrl > 0) {
    select.append(el("option", { value: String(fromUrl) }, `every ${fromUrl} s`));
    select.value = String(fromUrl);
  }
  select.addEventListener("change", () => {
    scheduleRefresh();
    showUpdated(true, undefined);
  });
  (document.getElementById("refresh-now") as HTMLButtonElement).addEventListener(
    "click",
    () => void refreshNow(),
  );
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      if (refreshTimer !== undefined) window.clearTimeout(refreshTimer);
      refreshTimer = undefined;
    } else void refreshNow();
  });
}

function initFilters(): void {
  document.getElementById("phase-filter")?.addEventListener("change", () => applyFilters());
  document.getElementById("search")?.addEventListener("input", () => applyFilters());
}

initKeyForm();
initStartForm();
initFilters();
initRefresh();
void loadOrchestrators().then(() => refreshNow());
