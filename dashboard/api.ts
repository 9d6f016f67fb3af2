/**
 * The dashboard's calls to the JSON API, on the origin and route prefix the page was served from. When
 * the API answers 401, the page asks for a key, keeps it in memory only (never in storage, a cookie or
 * the URL) and sends it as `x-functions-key`; the call that got the 401 then goes again.
 */

interface ApiReply {
  status: number;
  body: Record<string, unknown>;
}

/** The API root: the page is served at `<root>/dashboard`. */
const API_ROOT = location.pathname.replace(/\/dashboard\/?$/, "");

let functionKey: string | undefined;
let keyWaiters: (() => void)[] = [];

function keyElements() {
  return {
    section: document.getElementById("key-section") as HTMLElement,
    reason: document.getElementById("key-reason") as HTMLElement,
    form: document.getElementById("key-form") as HTMLFormElement,
    input: document.getElementById("key-input") as HTMLInputElement,
  };
}

/** Shows the key form and resolves once the operator has given a key. */
function askForKey(path: string): Promise<void> {
  const k = keyElements();
  const admin = /\/(pause|resume|release)$/.test(path);
  fill(
    k.reason,
    functionKey === undefined
      ? "The API answered 401 Unauthorized: enter a function key to continue."
      : "The key was refused for this request (401 Unauthorized).",
    admin ? " Pausing, resuming and releasing a job need the master key." : "",
  );
  k.section.hidden = false;
  k.input.value = "";
  k.input.focus();
  fill(document.getElementById("updated") as HTMLElement, "Waiting for a key…");
  return new Promise((resolve) => keyWaiters.push(resolve));
}

function initKeyForm(): void {
  const k = keyElements();
  k.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = k.input.value.trim();
    if (!key) return;
    functionKey = key;
    k.input.value = "";
    k.section.hidden = true;
    const waiters = keyWaiters;
    keyWaiters = [];
    for (const resume of waiters) resume();
  });
}

/** Calls the API (`path` below the API root) and returns its status and JSON body. */
async function api(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiReply> {
  for (;;) {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (functionKey !== undefined) headers["x-functions-key"] = functionKey;
    const res = await fetch(`${API_ROOT}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      // Same-origin cookies go along (App Service Authentication keeps its session in one); the key never
      // goes anywhere but this header.
      credentials: "same-origin",
    });
    if (res.status === 401) {
      await askForKey(path);
      continue;
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    const json =
      typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { error: `HTTP ${res.status}`, detail: text.slice(0, 200) };
    return { status: res.status, body: json };
  }
}

/** "error: detail" of an error body, as text. */
function errorText(reply: ApiReply): string {
  const error = typeof reply.body.error === "string" ? reply.body.error : `HTTP ${reply.status}`;
  const detail = typeof reply.body.detail === "string" ? reply.body.detail : "";
  return detail ? `${error}: ${detail}` : error;
}

const jobPath = (job: string, rest = "") => `/jobs/${encodeURIComponent(job)}${rest}`;
