/**
 * A job's details, under its row when opened: the holder, the pause, the waiting queue, the run history,
 * the recent decisions as a timeline, the counters, and the job's actions. The data part is redrawn on
 * every refresh only when the job's state changed; the actions are built once, so a refresh never takes
 * away what the operator is typing.
 */

interface JobView {
  job: string;
  phase: JobPhase;
  generation: number;
  paused?: PauseView;
  active?: {
    generation: number;
    instanceId: string;
    orchestrator: string;
    phase: string;
    requestId: string;
    acquiredAt: string;
    confirmedAt?: string;
    leaseUntil: string;
    promoted: boolean;
    statusQueryGetUri: string;
  };
  queue: { requestId: string; orchestrator: string; queuedAt: string }[];
  runs: {
    generation: number;
    instanceId: string;
    orchestrator: string;
    outcome: string;
    startedAt: string;
    endedAt: string;
    durationMs: number;
    summary?: string;
    statusQueryGetUri: string;
  }[];
  lastFinished?: {
    generation: number;
    instanceId: string;
    outcome: string;
    finishedAt: string;
    summary?: string;
    statusQueryGetUri: string;
  };
  counters: Record<string, number>;
  events: { at: string; type: string; generation: number; detail?: string }[];
}

/** Jobs whose details are open (kept across refreshes). */
const openJobs = new Set<string>();

interface DetailsParts {
  data: HTMLElement;
  rendered: string;
}

const detailsParts = new Map<string, DetailsParts>();

function toggleDetails(entry: JobRow): void {
  const job = entry.summary.job;
  if (entry.details) {
    entry.details.remove();
    entry.details = undefined;
    openJobs.delete(job);
    detailsParts.delete(job);
    entry.toggle.setAttribute("aria-expanded", "false");
    return;
  }
  const data = el("div", { class: "details-data" }, el("p", { class: "muted" }, "Loading…"));
  const cell = el(
    "td",
    { colspan: String(COLUMNS) },
    el("h3", { class: "visually-hidden" }, `Details of job ${job}`),
    data,
    jobActions(job),
  );
  entry.details = el("tr", { class: "details", id: detailsId(job) }, cell);
  entry.row.after(entry.details);
  entry.toggle.setAttribute("aria-expanded", "true");
  openJobs.add(job);
  detailsParts.set(job, { data, rendered: "" });
  void refreshDetails(job);
}

/** Reads the job's full state and redraws its details if they changed. */
async function refreshDetails(job: string): Promise<void> {
  const reply = await api("GET", jobPath(job));
  const parts = detailsParts.get(job);
  if (!parts) return; // closed meanwhile
  if (reply.status !== 200) {
    fill(parts.data, el("p", { class: "error" }, `Could not read the job: ${errorText(reply)}`));
    parts.rendered = "";
    return;
  }
  const text = JSON.stringify(reply.body);
  if (text === parts.rendered) return;
  parts.rendered = text;
  keepingViewport(() => fill(parts.data, renderJobView(reply.body as unknown as JobView)));
}

function holderPart(v: JobView): HTMLElement {
  const a = v.active;
  if (!a) return el("div", {}, el("h4", {}, "Holder"), el("p", { class: "muted" }, "No run holds the job."));
  return el(
    "div",
    {},
    el("h4", {}, "Holder"),
    definitions([
      ["Generation", String(a.generation)],
      ["Instance", link(a.statusQueryGetUri, a.instanceId)],
      ["Orchestrator", a.orchestrator],
      ["Phase", a.phase],
      ["Accepted", timeEl(a.acquiredAt)],
      ["Confirmed", a.confirmedAt === undefined ? "not yet" : timeEl(a.confirmedAt)],
      ["Lease until", a.phase === "starting" ? timeEl(a.leaseUntil) : undefined],
      ["Request", el("span", { class: "code" }, a.requestId)],
      ["From the queue", a.promoted ? "yes" : undefined],
    ]),
  );
}

function pausePart(v: JobView): HTMLElement | undefined {
  const p = v.paused;
  if (!p) return undefined;
  return el(
    "div",
    {},
    el("h4", {}, "Paused"),
    definitions([
      ["By", p.by],
      ["Since", timeEl(p.since)],
      ["Reason", p.reason ?? "none given"],
    ]),
  );
}

function table(caption: string, headers: string[], rows: Child[][]): HTMLTableElement {
  return el(
    "table",
    {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))))),
  );
}

function queuePart(v: JobView): HTMLElement {
  if (v.queue.length === 0) {
    return el("div", {}, el("h4", {}, "Waiting queue"), el("p", { class: "muted" }, "Nobody waits."));
  }
  return el(
    "div",
    {},
    el("h4", {}, "Waiting queue"),
    table(
      `${v.queue.length} waiting, first to start first`,
      ["Position", "Request", "Orchestrator", "Queued at"],
      v.queue.map((q, i) => [
        String(i + 1),
        el("span", { class: "code" }, q.requestId),
        q.orchestrator,
        timeEl(q.queuedAt),
      ]),
    ),
  );
}

function runsPart(v: JobView): HTMLElement {
  if (v.runs.length === 0) {
    return el("div", {}, el("h4", {}, "Run history"), el("p", { class: "muted" }, "No run finished yet."));
  }
  return el(
    "div",
    {},
    el("h4", {}, "Run history"),
    table(
      `The last ${v.runs.length} finished ${v.runs.length === 1 ? "run" : "runs"}, newest first`,
      ["Generation", "Instance", "Orchestrator", "Started", "Ended", "Duration", "Outcome", "Summary"],
      v.runs.map((r) => [
        String(r.generation),
        link(r.statusQueryGetUri, r.instanceId),
        r.orchestrator,
        timeEl(r.startedAt),
        timeEl(r.endedAt),
        formatDuration(r.durationMs),
        outcomeText(r.outcome),
        r.summary ?? "",
      ]),
    ),
  );
}

function timelinePart(v: JobView): HTMLElement {
  const events = [...v.events].reverse();
  return el(
    "div",
    {},
    el("h4", { id: `timeline-${v.job}` }, "Recent decisions"),
    events.length === 0
      ? el("p", { class: "muted" }, "None yet.")
      : el(
          "ol",
          { class: "timeline", "aria-labelledby": `timeline-${v.job}`, tabindex: "0" },
          ...events.map((e) =>
            el(
              "li",
              {},
              timeEl(e.at),
              " — ",
              el("strong", {}, e.type),
              e.generation > 0 ? ` (generation ${e.generation})` : "",
              e.detail === undefined ? "" : `: ${e.detail}`,
            ),
          ),
        ),
  );
}

function lastFinishedPart(v: JobView): HTMLElement | undefined {
  const last = v.lastFinished;
  if (!last) return undefined;
  return el(
    "div",
    {},
    el("h4", {}, "Last finished run"),
    definitions([
      ["Generation", String(last.generation)],
      ["Instance", link(last.statusQueryGetUri, last.instanceId)],
      ["Outcome", outcomeText(last.outcome)],
      ["Ended", timeEl(last.finishedAt)],
      ["Summary", last.summary],
    ]),
  );
}

function countersPart(v: JobView): HTMLElement {
  const dl = definitions(Object.entries(v.counters).map(([name, n]): [string, Child] => [name, String(n)]));
  dl.classList.add("counters");
  return el("div", {}, el("h4", {}, "Counters"), dl);
}

function renderJobView(v: JobView): HTMLElement {
  return el(
    "div",
    {},
    el(
      "div",
      { class: "details-grid" },
      holderPart(v),
      pausePart(v),
      lastFinishedPart(v),
      queuePart(v),
      countersPart(v),
    ),
    runsPart(v),
    timelinePart(v),
  );
}
