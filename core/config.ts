/**
 * Runtime configuration from app settings (environment variables), read once per process.
 * Every setting has a default that works locally; see the README's configuration table.
 */
import type { BackoffOptions } from "./backoff";
import type { StartOptions } from "./coordinatorClient";
import { MAX_QUEUE_LIMIT } from "./boundedState";
import { POLICIES, type CoordinatorConfig, type Policy } from "./types";
import { isPolicy } from "./validation";

export interface SingletonSettings {
  coordinator: CoordinatorConfig;
  defaultPolicy: Policy;
  /** How long a starter waits for the entity before handing the request to a follow-up (202 pending). */
  waitBudgetMs: number;
  poll: BackoffOptions;
}

function intSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`App setting ${name}='${raw}' must be an integer from ${min} to ${max}.`);
  }
  return value;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): SingletonSettings {
  const policy = env.SINGLETON_DEFAULT_POLICY ?? "reject";
  if (!isPolicy(policy)) {
    throw new Error(
      `App setting SINGLETON_DEFAULT_POLICY='${policy}' must be one of ${POLICIES.join(", ")}.`,
    );
  }
  const initialMs = intSetting(env, "SINGLETON_POLL_INITIAL_MS", 1, 1, 60_000);
  return {
    coordinator: {
      leaseMs: intSetting(env, "SINGLETON_LEASE_MS", 60_000, 1, 24 * 3600_000),
      maxQueue: intSetting(env, "SINGLETON_MAX_QUEUE", 1, 0, MAX_QUEUE_LIMIT),
    },
    defaultPolicy: policy,
    waitBudgetMs: intSetting(env, "SINGLETON_WAIT_MS", 10_000, 1, 230_000),
    poll: {
      initialMs,
      maxMs: intSetting(env, "SINGLETON_POLL_MAX_MS", 100, initialMs, 60_000),
      factor: 2,
    },
  };
}

let cached: SingletonSettings | undefined;

export function settings(): SingletonSettings {
  cached ??= readSettings();
  return cached;
}

/** What the starter algorithms need from the settings. */
export function startOptions(s: SingletonSettings = settings()): StartOptions {
  return { waitBudgetMs: s.waitBudgetMs, poll: s.poll, config: s.coordinator };
}
