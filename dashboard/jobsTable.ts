/**
 * The job list: one row per job from `GET /api/jobs?view=summary`. Rows are kept by job name and updated
 * in place (only when their summary changed), so a refresh keeps the scroll position, focus and open
 * details, and a thousand rows stay cheap; filters only hide rows.
 */

type JobPhase = "idle" | "starting" | "running" | "queued" | "paused";

interface PauseView {
  since: string;
  by: string;
  reason?: string;
}

interface JobSummary {
  job: string;
  phase: JobPhase;
  paused?: PauseView;
  holder?: {
    generation: number;
    instanceId: string;
    orchestrator: string;
    phase: "starting" | "running";
    since: string;
    statusQueryGetUri: string;
  };
  queued: number;
  last?: { generation: number; outcome: string; finishedAt: string; summary?: string };
  counters: Record<string, number>;
}

interface Overview {
  jobs: string[];
  count: number;
  unregistered: number;
  at: string;
  summaries: JobSummary[];
}

/** Every phase has a word and a symbol; its colour only repeats them. */
const PHASES: Record<JobPhase, { symbol: string; label: string }> = {
  idle: { symbol: "○", label: "idle" },
  starting: { symbol: "◔", label: "starting" },
  running: { symbol: "▶", label: "running" },
  queued: { symbol: "≡", label: "queued" },
  paused: { symbol: "‖", label: "paused" },
};

const OUTCOME_SYMBOLS: Record<string, string> = {
  completed: "✓",
  failed: "✗",
  terminated: "■",
  purged: "■",
  released: "⏏",
  replaced: "↻",
  abandoned: "✗",
};

interface JobRow {
  summary: JobSummary;
  /** The summary as last rendered, to skip unchanged rows. */
  rendered: string;
  row: HTMLTableRowElement;
  toggle: HTMLButtonElement;
  cells: HTMLTableCellElement[];
  details?: HTMLTableRowElement;
}

const jobRows = new Map<string, JobRow>();
/** Milliseconds to add to the browser's clock to get the server's (running times use the server's). */
let serverClockOffset = 0;

const COLUMNS = 7;

function phaseBadge(phase: JobPhase): HTMLElement {
  const p = PHASES[phase];
  return el("span", { class: `badge phase-${phase}` }, symbol(p.symbol), p.label);
}

function outcomeText(outcome: string): HTMLElement {
  return el("span", { class: `outcome-${outcome}` }, symbol(OUTCOME_SYMBOLS[outcome] ?? "•"), outcome);
}

function serverNow(): number {
  return Date.now() + serverClockOffset;
}

function countersText(c: Record<string, number>): string {
  return `${c.accepted ?? 0} started · ${c.completed ?? 0} completed · ${c.failed ?? 0} failed · ${c.rejected ?? 0} refused`;
}

function renderCells(entry: JobRow): void {
  const s = entry.summary;
  const [, phase, holder, runningFor, last, counters, queue] = entry.cells;
  fill(
    phase,
    phaseBadge(s.phase),
    s.paused &&
      el("div", { class: "muted" }, `by ${s.paused.by}`, s.paused.reason ? `: ${s.paused.reason}` : ""),
  );
  fill(
    holder,
    ...(s.holder
      ? [
          `generation ${s.holder.generation} · `,
          link(s.holder.statusQueryGetUri, s.holder.instanceId),
          s.holder.phase === "starting" ? " (starting)" : "",
        ]
      : [el("span", { class: "muted" }, "none")]),
  );
  fill(runningFor, s.holder ? formatDuration(serverNow() - Date.parse(s.holder.since)) : "—");
  fill(
    last,
    ...(s.last
      ? [
          outcomeText(s.last.outcome),
          ` · generation ${s.last.generation} · `,
          timeEl(s.last.finishedAt),
          s.last.summary && s.last.outcome !== "completed" && el("div", { class: "muted" }, s.last.summary),
        ]
      : [el("span", { class: "muted" }, "no run finished yet")]),
  );
  fill(counters, countersText(s.counters));
  fill(queue, s.queued === 0 ? "empty" : `${s.queued} waiting`);
}

function detailsId(job: string): string {
  return `details-${job}`;
}

function createRow(summary: JobSummary): JobRow {
  const toggle = el(
    "button",
    { type: "button", class: "link", "aria-expanded": "false", "aria-controls": detailsId(summary.job) },
    summary.job,
  );
  const cells = Array.from({ length: COLUMNS }, (_, i) =>
    i === 0 ? el("th", { scope: "row" }, toggle) : el("td", i === 6 ? { class: "num" } : {}),
  ) as HTMLTableCellElement[];
  const row = el("tr", { "data-job": summary.job }, ...cells);
  const entry: JobRow = { summary, rendered: "", row, toggle, cells };
  toggle.addEventListener("click", () => toggleDetails(entry));
  return entry;
}

/** Updates the rows from a fresh overview: new jobs get rows, changed ones are redrawn, gone ones removed. */
function renderJobs(overview: Overview): void {
  serverClockOffset = Date.parse(overview.at) - Date.now();
  const body = document.getElementById("jobs-body") as HTMLTableSectionElement;
  const seen = new Set<string>();
  let previous: Node | null = null;
  for (const summary of overview.summaries) {
    seen.add(summary.job);
    let entry = jobRows.get(summary.job);
    if (!entry) {
      entry = createRow(summary);
      jobRows.set(summary.job, entry);
    }
    entry.summary = summary;
    const text = JSON.stringify(summary);
    if (text !== entry.rendered) {
      entry.rendered = text;
      renderCells(entry);
    } else if (summary.holder) {
      // The running time moves on even when nothing else did.
      fill(entry.cells[3], formatDuration(serverNow() - Date.parse(summary.holder.since)));
    }
    // Keep the rows in the overview's order (job names, sorted), each followed by its open details.
    const expected: Node | null = previous ? previous.nextSibling : body.firstChild;
    if (expected !== entry.row) body.insertBefore(entry.row, expected);
    previous = entry.row;
    if (entry.details) {
      if (entry.row.nextSibling !== entry.details) body.insertBefore(entry.details, entry.row.nextSibling);
      previous = entry.details;
    }
  }
  for (const [job, entry] of jobRows) {
    if (seen.has(job)) continue;
    entry.row.remove();
    entry.details?.remove();
    jobRows.delete(job);
    openJobs.delete(job);
  }
  applyFilters(overview.unregistered);
}

let lastUnregistered = 0;

/** Shows the rows that match the phase filter and the search box, and says how many. */
function applyFilters(unregistered = lastUnregistered): void {
  lastUnregistered = unregistered;
  const phase = (document.getElementById("phase-filter") as HTMLSelectElement).value;
  const search = (document.getElementById("search") as HTMLInputElement).value.trim().toLowerCase();
  let shown = 0;
  for (const [job, entry] of jobRows) {
    const visible =
      (phase === "" || entry.summary.phase === phase) &&
      (search === "" || job.toLowerCase().includes(search));
    entry.row.hidden = !visible;
    if (entry.details) entry.details.hidden = !visible;
    if (visible) shown++;
  }
  const total = jobRows.size;
  fill(
    document.getElementById("jobs-count") as HTMLElement,
    shown === total ? `${total} ${total === 1 ? "job" : "jobs"}` : `Showing ${shown} of ${total} jobs`,
    unregistered > 0 ? ` (${unregistered} more not listed: the registry is full)` : "",
  );
  (document.getElementById("jobs-empty") as HTMLElement).hidden = shown > 0 || total === 0;
}
