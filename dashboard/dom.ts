/**
 * DOM helpers for the dashboard's browser scripts (plain scripts run in one scope, see
 * starters/dashboard.ts). Everything that comes from the API (job names, inputs, reasons, error
 * messages) becomes text nodes: no helper here ever parses markup, so a `<script>` in a reason is shown
 * as the text it is.
 */

type Child = Node | string | number | null | undefined | false;

/** Attributes set with setAttribute; `true` sets an empty attribute, `false`/`undefined` none. */
type Attrs = Record<string, string | boolean | undefined>;

/** Attributes that could run code or load something: never set through `el`. */
const UNSAFE_ATTRIBUTE = /^(on|style$|href$|src$|srcdoc$|action$|formaction$)/i;

function appendChildren(node: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (UNSAFE_ATTRIBUTE.test(name)) throw new Error(`el(): '${name}' is not set this way`);
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : value);
  }
  appendChildren(node, children);
  return node;
}

/** Replaces a node's children. */
function fill(node: Node, ...children: Child[]): void {
  while (node.firstChild) node.removeChild(node.firstChild);
  appendChildren(node, children);
}

/** A link to an http(s) URL from the API; anything else (a `javascript:` URL...) is shown as text. */
function link(url: string | undefined, text: string): HTMLElement {
  let parsed: URL | undefined;
  try {
    parsed = url === undefined ? undefined : new URL(url, location.href);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    return el("span", { class: "code" }, text);
  }
  const a = el("a", { class: "code", rel: "noreferrer" }, text);
  a.href = parsed.href;
  return a;
}

/** A symbol that repeats what the text next to it says (hidden from screen readers). */
function symbol(text: string): HTMLElement {
  return el("span", { "aria-hidden": "true" }, `${text} `);
}

/** "42 s", "3 min 5 s", "2 h 4 min", "3 d 2 h". */
function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A time as the operator reads it (local, to the second), in a <time> element with the exact value. */
function timeEl(iso: string): HTMLTimeElement {
  const date = new Date(iso);
  const text = Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { hour12: false });
  return el("time", { datetime: iso }, text);
}

/** A definition list of label/value pairs; undefined values are left out. */
function definitions(pairs: [string, Child | Child[]][]): HTMLDListElement {
  const dl = el("dl");
  for (const [term, value] of pairs) {
    if (value === undefined) continue;
    dl.append(el("dt", {}, term), el("dd", {}, ...(Array.isArray(value) ? value : [value])));
  }
  return dl;
}

/**
 * Runs `update` (a redraw) so that what the operator looks at stays where it is on the screen: the
 * focused element if it is in view, else the first job row or action panel in view (elements a refresh
 * never replaces) is put back at the same height after the redraw.
 */
function keepingViewport(update: () => void): void {
  const inView = (node: Element) => {
    const r = node.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.top < window.innerHeight;
  };
  const focused = document.activeElement;
  const anchor =
    focused && focused !== document.body && inView(focused)
      ? focused
      : Array.from(document.querySelectorAll("#jobs-body > tr[data-job], #jobs-body .actions")).find(inView);
  const before = anchor?.getBoundingClientRect().top;
  update();
  if (anchor && before !== undefined && anchor.isConnected) {
    const moved = anchor.getBoundingClientRect().top - before;
    if (moved !== 0) window.scrollBy(0, moved);
  }
}
