/**
 * The operator's actions: the start form (orchestrator from the registered singleton orchestrators,
 * policy, JSON input, with every validation error shown at its field), and each job's pause, resume and
 * force-release. Every answer is shown as text in a status region next to the action.
 */

const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What a finished action shows: a line of text, good or bad. */
function showResult(target: HTMLElement, ok: boolean, text: string): void {
  target.classList.toggle("ok", ok);
  target.classList.toggle("bad", !ok);
  fill(target, symbol(ok ? "✓" : "✗"), ok ? "" : "Refused: ", text);
}

interface FieldParts {
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  error: HTMLElement;
}

function startField(name: string): FieldParts {
  return {
    control: document.getElementById(`start-${name}`) as FieldParts["control"],
    error: document.getElementById(`start-${name}-error`) as HTMLElement,
  };
}

function setFieldError(field: FieldParts, message: string | undefined): void {
  fill(field.error, message ?? "");
  if (message) field.control.setAttribute("aria-invalid", "true");
  else field.control.removeAttribute("aria-invalid");
}

/** Which start-form field an API error names (`input.items` belongs to the input). */
function fieldOfError(field: unknown): string | undefined {
  if (typeof field !== "string") return undefined;
  if (field === "input" || field.startsWith("input.")) return "input";
  if (field === "jobName") return "job";
  return ["orchestrator", "policy"].includes(field) ? field : undefined;
}

async function loadOrchestrators(): Promise<void> {
  const reply = await api("GET", "/orchestrators");
  const orchestrators = reply.body.orchestrators;
  const policies = reply.body.policies;
  const select = startField("orchestrator").control as HTMLSelectElement;
  const policy = startField("policy").control as HTMLSelectElement;
  if (reply.status !== 200 || !Array.isArray(orchestrators) || !Array.isArray(policies)) {
    setFieldError(startField("orchestrator"), `Could not list the orchestrators: ${errorText(reply)}`);
    return;
  }
  fill(select, ...orchestrators.map((name) => el("option", { value: String(name) }, String(name))));
  fill(policy, ...policies.map((name) => el("option", { value: String(name) }, String(name))));
  if (typeof reply.body.defaultPolicy === "string") policy.value = reply.body.defaultPolicy;
}

function describeStart(job: string, reply: ApiReply): string {
  const b = reply.body;
  switch (b.status) {
    case "started":
      return `Job '${job}' started generation ${String(b.generation)} as ${String(b.instanceId)}.`;
    case "queued":
      return `Job '${job}' is busy: the request waits in its queue at position ${String(b.position)}.`;
    case "existing":
      return `Job '${job}' already runs: generation ${String(b.generation)} (${String(b.instanceId)}).`;
    case "pending":
      return `No decision yet for job '${job}' (slow backend); it will be decided: see the job's row.`;
    default:
      return errorText(reply);
  }
}

function initStartForm(): void {
  const form = document.getElementById("start-form") as HTMLFormElement;
  const result = document.getElementById("start-result") as HTMLElement;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void submitStart(result);
  });
}

async function submitStart(result: HTMLElement): Promise<void> {
  const fields = {
    job: startField("job"),
    orchestrator: startField("orchestrator"),
    policy: startField("policy"),
    input: startField("input"),
  };
  for (const f of Object.values(fields)) setFieldError(f, undefined);
  fill(result, "");
  const job = fields.job.control.value.trim();
  const raw = fields.input.control.value.trim();
  let input: unknown;
  let invalid: FieldParts | undefined;
  if (!JOB_NAME.test(job)) {
    setFieldError(
      fields.job,
      "A job name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or a digit.",
    );
    invalid = fields.job;
  }
  if (raw !== "") {
    try {
      input = JSON.parse(raw);
    } catch (error) {
      setFieldError(fields.input, `The input is not valid JSON: ${(error as Error).message}`);
      invalid ??= fields.input;
    }
  }
  if (invalid) {
    invalid.control.focus();
    return;
  }
  const body: Record<string, unknown> = {
    orchestrator: fields.orchestrator.control.value,
    policy: fields.policy.control.value,
  };
  if (input !== undefined) body.input = input;
  const reply = await api("POST", jobPath(job, "/start"), body);
  const ok = reply.status === 200 || reply.status === 202;
  const field = ok ? undefined : fieldOfError(reply.body.field);
  if (field) {
    const parts = fields[field as keyof typeof fields];
    setFieldError(parts, errorText(reply));
    parts.control.focus();
  }
  showResult(result, ok, describeStart(job, reply));
  void refreshNow();
}

let actionIds = 0;

/** A labelled text input for an action form. */
function textField(label: string, maxlength: number): { wrap: HTMLElement; input: HTMLInputElement } {
  const id = `action-field-${++actionIds}`;
  const input = el("input", { id, maxlength: String(maxlength), autocomplete: "off" });
  return { wrap: el("div", { class: "field" }, el("label", { for: id }, label), input), input };
}

/** A job's action forms: start it, pause it, resume it, force-release it. */
function jobActions(job: string): HTMLElement {
  const result = el("p", { class: "result", role: "status" });
  const run = async (what: string, path: string, body: Record<string, unknown>) => {
    fill(result, `${what}…`);
    const reply = await api("POST", jobPath(job, path), body);
    const ok = reply.status === 200;
    const b = reply.body;
    const text = !ok
      ? errorText(reply)
      : b.status === "paused"
        ? `Job '${job}' is paused: it refuses new starts until it is resumed.`
        : b.status === "resumed"
          ? `Job '${job}' is resumed.` +
            (b.promoted
              ? ` Its queued request started as generation ${String((b.promoted as { generation: number }).generation)}.`
              : "")
          : `Job '${job}': generation ${String((b.released as { generation: number }).generation)} was released.` +
            (b.promoted
              ? ` Its queued request started as generation ${String((b.promoted as { generation: number }).generation)}.`
              : "");
    showResult(
      result,
      ok || reply.status === 202,
      reply.status === 202 ? `${what}: no answer yet (slow backend).` : text,
    );
    void refreshNow();
  };
  const optional = (value: string) => (value.trim() === "" ? undefined : value.trim());

  const pauseReason = textField("Reason (optional)", 200);
  const pauseBy = textField("Your name (optional)", 64);
  const pauseForm = el(
    "form",
    { class: "row", "aria-label": `Pause job ${job}` },
    pauseReason.wrap,
    pauseBy.wrap,
    el("div", { class: "field" }, el("button", { type: "submit" }, symbol("‖"), "Pause")),
  );
  pauseForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void run("Pausing", "/pause", {
      reason: optional(pauseReason.input.value),
      by: optional(pauseBy.input.value),
    });
  });

  const resumeBy = textField("Your name (optional)", 64);
  const resumeForm = el(
    "form",
    { class: "row", "aria-label": `Resume job ${job}` },
    resumeBy.wrap,
    el("div", { class: "field" }, el("button", { type: "submit" }, symbol("▶"), "Resume")),
  );
  resumeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void run("Resuming", "/resume", { by: optional(resumeBy.input.value) });
  });

  const releaseReason = textField("Reason (optional)", 200);
  const confirmId = `action-field-${++actionIds}`;
  const confirm = el("input", { type: "checkbox", id: confirmId, required: true });
  const releaseForm = el(
    "form",
    { class: "row", "aria-label": `Force-release job ${job}` },
    releaseReason.wrap,
    el(
      "div",
      { class: "field" },
      confirm,
      " ",
      el("label", { for: confirmId, class: "inline" }, "Terminate the running generation"),
    ),
    el(
      "div",
      { class: "field" },
      el("button", { type: "submit", class: "danger" }, symbol("⏏"), "Force-release"),
    ),
  );
  releaseForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!confirm.checked) {
      showResult(result, false, "Tick 'Terminate the running generation' to force-release the job.");
      confirm.focus();
      return;
    }
    confirm.checked = false;
    void run("Releasing", "/release", { reason: optional(releaseReason.input.value) });
  });

  const startThis = el("button", { type: "button" }, "Start this job…");
  startThis.addEventListener("click", () => {
    const name = startField("job").control;
    name.value = job;
    (startField("orchestrator").control as HTMLSelectElement).focus();
    document.getElementById("start-heading")?.scrollIntoView();
  });

  return el(
    "section",
    { class: "panel actions", "aria-label": `Actions on job ${job}` },
    el("h4", {}, "Actions"),
    startThis,
    el(
      "div",
      { class: "details-grid" },
      el(
        "div",
        {},
        el("h5", {}, "Pause"),
        el(
          "p",
          { class: "muted" },
          "New starts are refused (timer ticks too); the running run finishes; the queue waits.",
        ),
        pauseForm,
      ),
      el(
        "div",
        {},
        el("h5", {}, "Resume"),
        el("p", { class: "muted" }, "The queue's head starts if the job is free."),
        resumeForm,
      ),
      el(
        "div",
        {},
        el("h5", {}, "Force-release"),
        el(
          "p",
          { class: "muted" },
          "Frees the job at once: the running generation is terminated; the queue's head starts.",
        ),
        releaseForm,
      ),
    ),
    result,
  );
}
