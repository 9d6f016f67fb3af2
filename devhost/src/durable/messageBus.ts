/**
 * How the engine's steps change state and talk to each other. Every step (an orchestration episode, an entity
 * batch, an activity's result, a management call) runs its writes in `step(fn)`: one store transaction holding
 * what it changed, the messages it consumed (deleted) and the messages it sends (stored). Only once that
 * transaction has committed are the receivers woken, so an answer never overtakes what caused it, and a crash
 * at any instant leaves each step wholly done or not done at all. After a restart, `recover()` wakes whoever
 * has messages waiting, exactly as if they had just been sent.
 *
 * Delivery times: a durable timer is a message due at its fire time; with `latency` (a slow backend) every
 * other message is due after a random delay, never before an earlier message of the same sender to the same
 * receiver (Durable's per-sender order; messages from clients are unordered). Messages not due yet wait on the
 * devhost Clock; those delayed by latency count as work in flight (`whenIdle` waits for them), timers do not.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../clock";
import type { LatencyOptions } from "../contracts";
import { killPoint } from "./killPoints";
import { DelaySource } from "./latency";
import type { DurableStore, Message, MessageBody, MessageTarget, NewMessage } from "./store";
import type { WorkTracker } from "./workTracker";

export interface SendOptions {
  /** A stable id makes a resend a no-op (default: a fresh one). */
  id?: string;
  /** The sending instance or entity: its messages to one receiver keep their order. */
  from?: string;
  /** Due at this time: a durable timer (not delayed by latency, not counted as work in flight). */
  timerAt?: number;
  /** Not delayed by latency (the engine's own bookkeeping, which is no message on a real backend). */
  immediate?: boolean;
}

/** Who handles a woken target (the engine's runners). */
export type Wake = (target: MessageTarget) => void;

export class MessageBus {
  private depth = 0;
  /** Messages stored by the transaction in progress: woken (or armed) once it commits. */
  private sent: Message[] = [];
  private readonly delays: DelaySource | undefined;
  /** Clock timers of messages not due yet, by message id. */
  private readonly armed = new Map<string, { cancel: () => void; counted: boolean }>();
  private stopped = false;
  private wake: Wake = () => undefined;

  constructor(
    private readonly store: DurableStore,
    private readonly clock: Pick<Clock, "now" | "schedule">,
    private readonly work: WorkTracker,
    latency: LatencyOptions | undefined,
    private readonly onError: (err: unknown) => void,
  ) {
    this.delays = latency ? new DelaySource(latency) : undefined;
  }

  /** Who to call when a target has messages due (set once, by the engine). */
  route(wake: Wake): void {
    this.wake = wake;
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Runs `fn` as one step (a transaction); wakes the receivers of what it sent once it commits. `committed`
   * runs in between (a crash test's kill point).
   */
  step<T>(fn: () => T, committed?: () => void): T {
    this.depth++;
    let result: T;
    try {
      result = this.store.transaction(fn);
    } catch (err) {
      if (this.depth === 1) this.sent = [];
      throw err;
    } finally {
      this.depth--;
    }
    if (this.depth === 0) {
      committed?.();
      this.deliverSent();
    }
    return result;
  }

  /** Sends a message (inside a step, or as a step of its own). Returns false for an id already stored. */
  send(target: MessageTarget, body: MessageBody, options: SendOptions = {}): boolean {
    return this.step(() => {
      const message: NewMessage = {
        id: options.id ?? randomUUID(),
        target,
        deliverAt: this.deliverAt(target, options),
        body,
      };
      if (options.from !== undefined) message.from = options.from;
      if (options.timerAt !== undefined) message.timer = true;
      const stored = this.store.insertMessage(message);
      if (!stored) return false;
      this.sent.push(stored);
      return true;
    });
  }

  /** Deletes a message (consumed, or a cancelled timer) inside the current step. */
  consume(id: string): void {
    this.store.deleteMessage(id);
    const armed = this.armed.get(id);
    if (armed) {
      armed.cancel();
      this.armed.delete(id);
      if (armed.counted) this.work.end();
    }
  }

  /** The messages for `target` that are due now, in delivery order. */
  due(target: MessageTarget): Message[] {
    const now = this.clock.now();
    return this.store.messagesFor(target).filter((m) => m.deliverAt <= now);
  }

  /** After a restart: every stored message is woken (or armed), as if it had just been sent. */
  recover(): number {
    const messages = this.store.allMessages();
    this.sent.push(...messages);
    this.deliverSent();
    return messages.length;
  }

  /** Shutdown: nothing more is woken; messages stay stored (a persistent store keeps them for the next start). */
  stop(): void {
    this.stopped = true;
    for (const armed of this.armed.values()) {
      armed.cancel();
      if (armed.counted) this.work.end();
    }
    this.armed.clear();
  }

  private deliverAt(target: MessageTarget, options: SendOptions): number {
    if (options.timerAt !== undefined) return options.timerAt;
    const now = this.clock.now();
    if (!this.delays || options.immediate) return now;
    const at = now + this.delays.next();
    if (options.from === undefined) return at;
    // Never before the route's previous message: its delivery time is the earliest this one may have.
    return Math.max(at, this.store.lastDeliveryOnRoute(options.from, target) ?? -Infinity);
  }

  private deliverSent(): void {
    const sent = this.sent;
    this.sent = [];
    if (this.stopped) return;
    const now = this.clock.now();
    const woken = new Set<MessageTarget>();
    for (const message of sent) {
      if (message.deliverAt <= now) woken.add(message.target);
      else this.arm(message);
    }
    for (const target of woken) this.safeWake(target);
  }

  private arm(message: Message): void {
    if (this.armed.has(message.id)) return;
    const counted = !message.timer;
    if (counted) this.work.begin();
    const cancel = this.clock.schedule(message.deliverAt, () => {
      this.armed.delete(message.id);
      if (message.timer) killPoint("timer-due", () => message.id);
      try {
        if (!this.stopped) this.safeWake(message.target);
      } finally {
        if (counted) this.work.end();
      }
    });
    this.armed.set(message.id, { cancel, counted });
  }

  private safeWake(target: MessageTarget): void {
    try {
      this.wake(target);
    } catch (err) {
      this.onError(err);
    }
  }
}
